"""Plain-Python logic behind the portable-mlops steps.

Nothing in this package needs an orchestrator: the ZenML steps in ``steps/`` call these functions, and
the unit tests call them directly.
"""
