"""The ``whylogs_drift`` data validator: whylogs profiling, constraint validation and drift detection.

ZenML 0.98's whylogs data validator only profiles (``data_validation`` is not implemented), stamps
profiles with a timezone-naive time that whylogs rejects, and carries WhyLabs upload settings for a
platform that was shut down. This flavor profiles with whylogs offline and adds:

- ``data_validation``: constraints derived from a reference profile (columns, types, nulls, ranges,
  classes), checked with whylogs' constraint factories;
- ``drift_detection``: per-column drift p-values (KS / chi-square, from whylogs) with a batch verdict
  that holds the false-alarm rate at ``alpha``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from zenml.data_validators.base_data_validator import (
    BaseDataValidator,
    BaseDataValidatorConfig,
    BaseDataValidatorFlavor,
)

if TYPE_CHECKING:
    import pandas as pd
    from whylogs.core import DatasetProfileView

    from portable_mlops.data.validation import RuleResult
    from portable_mlops.monitoring.drift import DriftReport
    from portable_mlops.params import DriftParams, ValidationParams

FLAVOR_NAME = "whylogs_drift"


class WhylogsDriftDataValidatorConfig(BaseDataValidatorConfig):
    """No settings: thresholds are run parameters (``configs/*.yaml``), not stack settings."""


class WhylogsDriftDataValidator(BaseDataValidator):
    """Profiles, validates and detects drift with whylogs, entirely offline."""

    NAME: ClassVar[str] = "whylogs (profiles, constraints, drift)"
    FLAVOR: ClassVar[type[BaseDataValidatorFlavor]]

    def data_profiling(
        self,
        dataset: pd.DataFrame,
        comparison_dataset: Any | None = None,
        profile_list: Sequence[Any] | None = None,
        dataset_timestamp: datetime | None = None,
        **kwargs: Any,
    ) -> DatasetProfileView:
        """Profile ``dataset`` with whylogs, stamped with a timezone-aware time (now, UTC, by default)."""
        from portable_mlops.data.profiling import profile_frame

        return profile_frame(dataset, dataset_timestamp)

    def data_validation(
        self,
        dataset: DatasetProfileView,
        comparison_dataset: DatasetProfileView | None = None,
        check_list: Sequence[Any] | None = None,
        *,
        target: str | None = None,
        params: ValidationParams | None = None,
        require_target: bool = True,
        task: str = "classification",
        **kwargs: Any,
    ) -> list[RuleResult]:
        """Check a profile against constraints derived from ``comparison_dataset`` (itself if None).

        ``target`` names the label column (required); ``params`` holds the tolerances; ``task`` says
        whether the label holds classes or numbers.
        """
        from portable_mlops.data.validation import check_profile
        from portable_mlops.params import ValidationParams

        if target is None:
            raise ValueError("data_validation needs target=<label column>")
        return check_profile(
            dataset, comparison_dataset or dataset, target, params or ValidationParams(), require_target, task
        )

    def drift_detection(
        self,
        dataset: DatasetProfileView,
        comparison_dataset: DatasetProfileView,
        params: DriftParams,
        exclude: list[str] | None = None,
    ) -> DriftReport:
        """Per-column drift of ``dataset`` against ``comparison_dataset`` and the batch verdict."""
        from portable_mlops.monitoring.drift import detect_drift

        return detect_drift(dataset, comparison_dataset, params, exclude)


class WhylogsDriftDataValidatorFlavor(BaseDataValidatorFlavor):
    """Flavor of :class:`WhylogsDriftDataValidator`."""

    @property
    def name(self) -> str:
        """The flavor's name in stack files."""
        return FLAVOR_NAME

    @property
    def config_class(self) -> type[WhylogsDriftDataValidatorConfig]:
        """The (empty) configuration class."""
        return WhylogsDriftDataValidatorConfig

    @property
    def implementation_class(self) -> type[WhylogsDriftDataValidator]:
        """The validator class."""
        return WhylogsDriftDataValidator


WhylogsDriftDataValidator.FLAVOR = WhylogsDriftDataValidatorFlavor


def active_validator() -> WhylogsDriftDataValidator:
    """The active stack's ``whylogs_drift`` data validator; a clear error when the stack has none."""
    from zenml.client import Client

    from portable_mlops.errors import StackSetupError

    validator = Client().active_stack.data_validator
    if not isinstance(validator, WhylogsDriftDataValidator):
        found = f"'{validator.flavor}'" if validator is not None else "none"
        raise StackSetupError(
            f"the active stack's data validator is {found}, but these pipelines need the '{FLAVOR_NAME}' flavor; "
            "use a stack from stacks/ (python run.py --stack local) or add a whylogs_drift data validator"
        )
    return validator
