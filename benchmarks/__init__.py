"""Benchmarks: the cost of the pipelines against the work they wrap (``make bench``; docs/benchmarks.md)."""
