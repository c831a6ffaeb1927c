"""Monitoring: drift of a batch against the champion's training profile, and the champion's staleness.
No orchestrator.
"""
