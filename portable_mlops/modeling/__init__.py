"""Modeling: the estimators pickled into a model (estimators.py imports only its requirements), the
search, feature rules, MLflow tracking.
"""
