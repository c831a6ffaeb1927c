"""Validation stage steps."""
