"""A whylogs profile materializer whose visualization renders without network access.

ZenML's ``WhylogsMaterializer`` renders whylogs' notebook HTML, which loads its JavaScript from CDNs
and shows a blank page offline; with whylogs 1.6.4 ZenML also does not register it by itself. This one
stores the same ``profile.pb`` and renders a plain HTML summary.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from whylogs.core import DatasetProfileView
from zenml.enums import ArtifactType, VisualizationType
from zenml.io import fileio
from zenml.materializers.base_materializer import BaseMaterializer

import portable_mlops.compat  # noqa: F401  (before whylogs)
from portable_mlops.data.reports import profile_report

PROFILE_FILENAME = "profile.pb"
HTML_FILENAME = "profile.html"


class ProfileMaterializer(BaseMaterializer):
    """Stores a whylogs ``DatasetProfileView`` as ``profile.pb`` with an offline HTML summary."""

    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (DatasetProfileView,)
    ASSOCIATED_ARTIFACT_TYPE: ClassVar[ArtifactType] = ArtifactType.DATA_ANALYSIS

    def load(self, data_type: type[Any]) -> DatasetProfileView:
        """Read the profile back from the artifact store."""
        with self.get_temporary_directory(delete_at_exit=True) as temp_dir:
            local = os.path.join(str(temp_dir), PROFILE_FILENAME)
            fileio.copy(os.path.join(self.uri, PROFILE_FILENAME), local)
            return DatasetProfileView.read(local)

    def save(self, data: DatasetProfileView) -> None:
        """Write the profile's protobuf to the artifact store."""
        with self.get_temporary_directory(delete_at_exit=True) as temp_dir:
            local = os.path.join(str(temp_dir), PROFILE_FILENAME)
            data.write(local)
            fileio.copy(local, os.path.join(self.uri, PROFILE_FILENAME))

    def save_visualizations(self, data: DatasetProfileView) -> dict[str, VisualizationType]:
        """Render the per-column summary as self-contained HTML."""
        path = os.path.join(self.uri, HTML_FILENAME).replace("\\", "/")
        with fileio.open(path, "w") as handle:
            handle.write(profile_report(data))
        return {path: VisualizationType.HTML}
