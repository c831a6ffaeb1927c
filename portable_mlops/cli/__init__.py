"""The command-line side: run configs, stack set-up, running pipelines, the run summary, the dashboard,
endpoints.
"""
