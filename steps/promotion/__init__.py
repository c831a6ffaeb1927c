"""Promotion stage steps."""
