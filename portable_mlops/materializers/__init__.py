"""Materializers of our own."""

from portable_mlops.materializers.frame import HashedPandasMaterializer
from portable_mlops.materializers.profile import ProfileMaterializer

__all__ = ["HashedPandasMaterializer", "ProfileMaterializer"]
