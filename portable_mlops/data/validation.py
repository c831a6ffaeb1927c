"""Data constraints derived from a reference whylogs profile, checked with whylogs.

The reference is the profile of the champion's training data; on the first run of a model there is
none and the data's own profile stands in, so only the absolute rules (null limit, rows, classes) bite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
from whylogs.core import DatasetProfileView
from whylogs.core.constraints import ConstraintsBuilder, MetricConstraint
from whylogs.core.constraints.factories import (
    column_is_nullable_fractional,
    column_is_nullable_string,
    frequent_strings_in_reference_set,
    is_in_range,
    null_percentage_below_number,
)

import portable_mlops.compat  # noqa: F401  (before whylogs)
from portable_mlops.errors import DataValidationError
from portable_mlops.params import ValidationParams


def _summary(view: DatasetProfileView, column: str) -> dict[str, Any]:
    col = view.get_column(column)
    return col.to_summary_dict() if col is not None else {}


def column_kind(summary: dict[str, Any]) -> str:
    """``numeric``, ``categorical`` or ``empty`` from a column's whylogs type counters."""
    strings = int(summary.get("types/string", 0) or 0) + int(summary.get("types/object", 0) or 0)
    numbers = int(summary.get("types/fractional", 0) or 0) + int(summary.get("types/integral", 0) or 0)
    if strings:
        return "categorical"
    return "numeric" if numbers else "empty"


def null_fraction(summary: dict[str, Any]) -> float:
    """Fraction of a column's values that are null or NaN."""
    n = int(summary.get("counts/n", 0) or 0)
    return int(summary.get("counts/null", 0) or 0) / n if n else 0.0


def target_classes(view: DatasetProfileView, target: str) -> set[str]:
    """The label values a profile saw, as strings (whylogs' frequent-items sketch)."""
    items = _summary(view, target).get("frequent_items/frequent_strings") or []
    return {str(item.value) for item in items}  # type: ignore[attr-defined, union-attr]


@dataclass(frozen=True)
class Rule:
    """One named constraint on one column."""

    column: str
    text: str
    constraint: MetricConstraint | None = None


@dataclass(frozen=True)
class RuleResult:
    """A rule and whether the data met it, with what was observed (and the fix, when it is not the usual)."""

    column: str
    rule: str
    passed: bool
    observed: str
    fix: str | None = None


#: The command that makes this run's holdout the model's reference set, on purpose.
REPLACE_REFERENCE = "python run.py --pipeline training --replace-reference 'REASON'"


def label_shift(reference: pd.Series, labels: pd.Series) -> tuple[float, dict[str, tuple[float, float]]]:
    """Total variation distance between two label distributions (half the sum of the share differences,
    0: identical, 1: disjoint), with each class's share in the reference and in ``labels``."""
    ours = labels.astype(str).value_counts(normalize=True)
    theirs = reference.astype(str).value_counts(normalize=True)
    classes = sorted(set(ours.index) | set(theirs.index))
    shares = {c: (float(theirs.get(c, 0.0)), float(ours.get(c, 0.0))) for c in classes}
    return 0.5 * sum(abs(a - b) for a, b in shares.values()), shares


def numeric_label_shift(reference: pd.Series, labels: pd.Series) -> tuple[float, str]:
    """Kolmogorov-Smirnov distance between two numeric label distributions (the largest gap between
    their cumulative distributions, 0: identical, 1: disjoint), with their quartiles for the message."""
    from scipy.stats import ks_2samp

    ref, ours = reference.dropna().astype(float), labels.dropna().astype(float)
    distance = float(ks_2samp(ref, ours).statistic)
    quartiles = "/".join(f"{q:.4g}" for q in ref.quantile([0.25, 0.5, 0.75]))
    now = "/".join(f"{q:.4g}" for q in ours.quantile([0.25, 0.5, 0.75]))
    return distance, f"quartiles {quartiles} -> {now}"


def check_label_shift(
    frame: pd.DataFrame,
    reference: pd.DataFrame | None,
    target: str,
    params: ValidationParams,
    task: str = "classification",
) -> list[RuleResult]:
    """New training labels against the model's reference set: a distribution that moved further than
    ``max_label_shift`` fails before anything is trained: flipped or relabelled classes (total variation
    of the class shares), or a regression target in other units or shifted (Kolmogorov-Smirnov distance)."""
    if reference is None or target not in reference.columns or target not in frame.columns:
        return []
    if task == "regression":
        distance, shown = numeric_label_shift(reference[target], frame[target])
        measure = "Kolmogorov-Smirnov distance"
    else:
        distance, shares = label_shift(reference[target], frame[target])
        shown = ", ".join(f"{c} {ref:.0%} -> {new:.0%}" for c, (ref, new) in shares.items())
        measure = "total variation"
    return [
        RuleResult(
            target,
            f"label distribution within {params.max_label_shift} of the reference set's ({measure})",
            distance <= params.max_label_shift,
            f"{measure} {distance:.3f}: {shown}",
            fix=(
                "fix the labels; if their distribution changed on purpose, replace the reference set: "
                + REPLACE_REFERENCE
            ),
        )
    ]


def check_reference_columns(frame: pd.DataFrame, reference: pd.DataFrame | None, target: str) -> list[RuleResult]:
    """Training columns against the model's reference set: the gate scores every candidate on that set,
    so a column it lacks fails here, before training, instead of in the gate after registration."""
    if reference is None:
        return []
    missing = sorted(set(frame.columns) - set(reference.columns) - {target})
    return [
        RuleResult(
            ", ".join(missing) if missing else "(every column)",
            "present in the model's reference set, on which the gate judges every candidate",
            not missing,
            f"not in the reference set: {', '.join(missing)}" if missing else "all present",
            fix=(
                "drop the new column(s), or, when the model is to use them, replace the reference set on purpose: "
                f"{REPLACE_REFERENCE} (or train it under a new --model-name)"
            ),
        )
    ]


def reference_checks(
    frame: pd.DataFrame,
    reference: pd.DataFrame | None,
    target: str,
    params: ValidationParams,
    replace_reason: str | None = None,
    task: str = "classification",
) -> list[RuleResult]:
    """Training data against the model's fixed reference set (its columns and its label distribution);
    none when this run replaces the reference set on purpose (``replace_reason``): its holdout becomes it."""
    if replace_reason:
        return []
    return check_reference_columns(frame, reference, target) + check_label_shift(frame, reference, target, params, task)


def _range_rule(column: str, summary: dict[str, Any], params: ValidationParams) -> list[Rule]:
    lo, hi = float(summary["distribution/min"]), float(summary["distribution/max"])  # type: ignore[arg-type]
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    slack = params.range_slack * span
    low, high = round(lo - slack, 6), round(hi + slack, 6)
    return [Rule(column, f"values within [{low:g}, {high:g}]", is_in_range(column, low, high))]


def build_rules(
    reference: DatasetProfileView, target: str, params: ValidationParams, task: str = "classification"
) -> list[Rule]:
    """Turn a reference profile into whylogs constraints: types, null fractions, ranges, and the
    label's classes (a classification) or its numbers and range (a regression)."""
    rules: list[Rule] = []
    for column in reference.get_columns():
        summary = _summary(reference, column)
        if column == target and task == "regression":
            rules.append(Rule(column, "numeric values", column_is_nullable_fractional(column)))
            rules += _range_rule(column, summary, params)
            continue
        if column == target:
            classes = target_classes(reference, target)
            rules.append(
                Rule(column, f"classes within {sorted(classes)}", frequent_strings_in_reference_set(column, classes))
            )
            continue
        kind = column_kind(summary)
        limit = min(params.max_null_fraction, null_fraction(summary) + params.null_fraction_slack)
        rules.append(Rule(column, f"null fraction <= {limit:.2f}", null_percentage_below_number(column, limit)))
        if kind == "numeric":
            rules.append(Rule(column, "numeric values", column_is_nullable_fractional(column)))
            rules += _range_rule(column, summary, params)
        elif kind == "categorical":
            rules.append(Rule(column, "text (categorical) values", column_is_nullable_string(column)))
    return rules


def _observed(view: DatasetProfileView, column: str, rule: str, target: str) -> str:
    summary = _summary(view, column)
    if not summary:
        return "column missing"
    if column == target and rule.startswith("classes"):
        return f"classes {sorted(target_classes(view, target))}"
    if rule.startswith("null"):
        return f"null fraction {null_fraction(summary):.2f}"
    if rule.startswith("values within"):
        return f"min {summary.get('distribution/min')}, max {summary.get('distribution/max')}"
    return "found " + (column_kind(summary) if column_kind(summary) != "empty" else "only missing values")


def check_profile(
    profile: DatasetProfileView,
    reference: DatasetProfileView,
    target: str,
    params: ValidationParams,
    require_target: bool = True,
    task: str = "classification",
) -> list[RuleResult]:
    """Check a profile against the rules derived from ``reference``; every rule gets a result.

    With ``require_target=False`` (a batch to score) the label column may be absent; if present, its
    classes (a regression: its numbers and range) are still checked.
    """
    rules = build_rules(reference, target, params, task)
    present = set(profile.get_columns())
    results = [
        RuleResult(column, "required column", column in present, "present" if column in present else "missing")
        for column in reference.get_columns()
        if require_target or column != target
    ]
    builder = ConstraintsBuilder(dataset_profile_view=profile)
    checked = [rule for rule in rules if rule.column in present and rule.constraint is not None]
    for rule in checked:
        builder.add_constraint(rule.constraint)  # type: ignore[arg-type]
    report = builder.build().generate_constraints_report()
    for rule, outcome in zip(checked, report, strict=True):
        results.append(
            RuleResult(rule.column, rule.text, outcome.failed == 0, _observed(profile, rule.column, rule.text, target))
        )
    for column in profile.get_columns():
        if column != target:
            fraction = null_fraction(_summary(profile, column))
            results.append(
                RuleResult(
                    column,
                    f"null fraction <= {params.max_null_fraction:.2f} (absolute limit)",
                    fraction <= params.max_null_fraction,
                    f"null fraction {fraction:.2f}",
                )
            )
    return results


def check_rows(
    frame: pd.DataFrame,
    target: str,
    params: ValidationParams,
    require_target: bool = True,
    task: str = "classification",
) -> list[RuleResult]:
    """Rules that need the rows themselves: enough rows and, for training, two or more well-filled
    classes (a regression: a label that varies)."""
    rows = RuleResult("*", f"at least {params.min_rows} rows", len(frame) >= params.min_rows, f"{len(frame)} rows")
    if not require_target:
        return [rows]
    if task == "regression":
        distinct = int(frame[target].nunique())
        return [rows, RuleResult(target, "at least 2 distinct values", distinct >= 2, f"{distinct} distinct values")]
    counts = frame[target].value_counts()
    return [
        rows,
        RuleResult(target, "at least 2 classes", len(counts) >= 2, f"classes {sorted(map(str, counts.index))}"),
        RuleResult(
            target,
            f"at least {params.min_class_rows} rows per class",
            bool(len(counts) and counts.min() >= params.min_class_rows),
            ", ".join(f"{k}: {v}" for k, v in counts.items()),
        ),
    ]


def raise_on_failures(results: list[RuleResult], has_champion: bool) -> None:
    """Raise one :class:`DataValidationError` naming each failed column and rule."""
    failed = [r for r in results if not r.passed]
    if not failed:
        return
    shown = "; ".join(f"column '{r.column}': {r.rule} ({r.observed})" for r in failed[:3])
    more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
    fix = next((r.fix for r in failed if r.fix), None) or (
        "fix the data, or train it as a new model with --model-name if it changed on purpose"
        if has_champion
        else "fix the data"
    )
    raise DataValidationError(f"data validation failed: {shown}{more}; {fix}")


def _frequent(view: Any, column: str) -> set[str] | None:
    metric = view.get_column(column).get_metric("frequent_items") if column in view.get_columns() else None
    if metric is None:
        return None
    return {str(item.value) for item in metric.to_summary_dict().get("frequent_strings", [])}


def schema_drift(profile: Any, reference: Any, target: str, complete_below: int = 100) -> dict[str, list[str]]:
    """What a batch has that the reference (the champion's training data) had not, handled gracefully.

    ``extra_columns``: columns the reference lacks (ignored when scoring; a new model may use them).
    ``unseen:<column>``: text values not among the reference's frequent values, for columns whose
    reference sketch is complete (fewer than ``complete_below`` distinct values); the model's encoder
    scores them as "none of the known categories".
    """
    known = set(reference.get_columns())
    out: dict[str, list[str]] = {}
    extra = sorted(c for c in profile.get_columns() if c not in known and c != target)
    if extra:
        out["extra_columns"] = extra
    for column in sorted(known & set(profile.get_columns()) - {target}):
        seen = _frequent(reference, column)
        now = _frequent(profile, column)
        if not seen or now is None or len(seen) >= complete_below:
            continue
        new = sorted(now - seen)
        if new:
            out[f"unseen:{column}"] = new[:5]
    return out
