"""Evaluation: metrics, diagnostics, quality checks (slices, fairness), performance, the holdout
evaluation and its report. No orchestrator.
"""
