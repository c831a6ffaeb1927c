"""Evaluation stage steps."""
