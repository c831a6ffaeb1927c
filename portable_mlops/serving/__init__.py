"""Serving: deployers' service configs and rollout strategies, Seldon manifests and service, endpoint
clients.
"""
