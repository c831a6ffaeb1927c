"""The images the platforms run, and the podman tooling that builds and runs them here.

step/ (what Kubeflow and Vertex pods run), serving/ (a model's MLServer image for Seldon), base/ (a Python
3.11 base made from Debian's mirror where no registry is reachable); podman.py (podman adapted to the
machine, content-hash tags), wheelhouse.py, build.py (make image, make serving-image), kfp_local.py
(compiled KFP pipelines in containers). No zenml import except where build.py reads the active stack.
"""
