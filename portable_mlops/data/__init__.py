"""Data: loading and normalising tables, whylogs profiling, validation rules, batches, data reports. No
orchestrator.
"""
