"""Inference stage steps."""
