"""Materializers of our own."""

from materializers.frame import HashedPandasMaterializer
from materializers.profile import ProfileMaterializer

__all__ = ["HashedPandasMaterializer", "ProfileMaterializer"]
