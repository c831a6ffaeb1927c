"""Lifecycle: the registry, the champion (the one place that moves it), the gate, promotion and rollout
plans.
"""
