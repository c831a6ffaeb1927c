"""Data stage steps."""
