"""Monitoring stage steps."""
