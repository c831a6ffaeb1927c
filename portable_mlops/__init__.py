"""portable-mlops: the plain-Python logic behind the ZenML steps, grouped by concern.

The subpackages follow the loop: ``data`` -> ``modeling`` -> ``evaluation`` -> ``lifecycle`` ->
``serving`` -> ``monitoring``, with ``cli`` (the command-line side) on top. Only the shared
vocabulary lives here: ``params`` (parameter models), ``names`` (artifact and pipeline names),
``errors`` (one-line errors), ``compat`` (shims for the pinned dependencies) and ``pages`` (the HTML
page and table every offline report uses). ``.importlinter`` holds the layer rules.
"""
