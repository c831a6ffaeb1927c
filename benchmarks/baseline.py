"""The training pipeline's work as a plain Python script: the denominator of training_overhead_ratio.

The same data, the same plain functions the steps call (``portable_mlops``), the same search, MLflow
logging, registration and gate, in one process, with no orchestrator, no artifact store and no
ZenML metadata. Nothing is cached. The first run of a model validates the data against its own
profile, later runs against the champion's training profile, as the pipeline does.

python -m benchmarks.baseline --config configs/training.yaml --tracking-uri sqlite:///mlflow.db
"""

from __future__ import annotations

from pathlib import Path

import click

import portable_mlops.compat  # noqa: F401  (before whylogs)


@click.command()
@click.option("--config", "config_path", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--tracking-uri", required=True, help="MLflow tracking and registry URI (e.g. sqlite:///x.db).")
@click.option("--model-name", required=True)
@click.option(
    "--artifacts", type=click.Path(path_type=Path), required=True, help="Where the champion's profile is kept."
)
def main(config_path: Path, tracking_uri: str, model_name: str, artifacts: Path) -> None:
    """Load, profile, validate, split, search, evaluate, register and gate: one plain script."""
    import mlflow
    from whylogs.core import DatasetProfileView

    from portable_mlops import params as p
    from portable_mlops.config import load_config
    from portable_mlops.data import features, load_source, split_frame
    from portable_mlops.evaluation import (
        compute_metrics,
        evaluate_holdout,
        evaluation_report,
        score,
    )
    from portable_mlops.forbidden import check_not_used, model_inputs
    from portable_mlops.models import search_family
    from portable_mlops.names import Aliases
    from portable_mlops.performance import predict_ms_per_row
    from portable_mlops.profiling import profile_frame
    from portable_mlops.promotion import decide
    from portable_mlops.registry import version_by_alias
    from portable_mlops.tracking import log_candidate
    from portable_mlops.validation import check_profile, check_rows, raise_on_failures

    parameters = load_config(config_path)["parameters"]
    source = p.DataSource(**parameters["source"])
    split, search = p.SplitParams(**parameters["split"]), p.SearchParams(**parameters["search"])
    validation, gate = p.ValidationParams(**parameters["validation"]), p.GateParams(**parameters["gate"])
    evaluation = p.EvaluationParams(**parameters.get("evaluation", {}))
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    mlflow.set_experiment("baseline")
    client = mlflow.MlflowClient()
    artifacts.mkdir(parents=True, exist_ok=True)
    reference_file = artifacts / f"{model_name}-champion-profile.bin"

    frame = load_source(source)
    profile = profile_frame(frame)
    reference = DatasetProfileView.deserialize(reference_file.read_bytes()) if reference_file.exists() else None
    results = check_rows(frame, source.target, validation, source.require_target) + check_profile(
        profile, reference or profile, source.target, validation, source.require_target
    )
    raise_on_failures(results, has_champion=reference is not None)
    train, test = split_frame(frame, source.target, split)

    with mlflow.start_run(run_name="baseline-training") as parent:
        X, _ = model_inputs(train, source)
        y = train[source.target]
        best, best_uri, best_score = None, "", float("-inf")
        for spec in search.candidates:
            result = search_family(spec, X, y, search)
            scores = {f"cv_{search.metric}": result.cv_score, "fit_seconds": result.fit_seconds}
            _, uri = log_candidate(spec.family, result.estimator, result.params, scores, X)
            if best is None or result.cv_score > best_score:
                best, best_uri, best_score = result.estimator, uri, result.cv_score
        assert best is not None
        check_not_used(best, source.forbidden_features)

        held = evaluate_holdout(best, test, source, evaluation)
        X_test, y_test, metrics, sample = held.X, held.y, held.metrics, held.sample
        importance, quality = held.importance, held.quality
        mlflow.log_metrics({f"holdout_{k}": v for k, v in metrics.items()})
        mlflow.log_metric("predict_ms_per_row", predict_ms_per_row(best, sample[0]))

        champion = version_by_alias(client, model_name, Aliases.CHAMPION)
        champion_model = mlflow.sklearn.load_model(f"models:/{model_name}@{Aliases.CHAMPION}") if champion else None
        champion_metrics = (
            compute_metrics(champion_model, features(test, source.target), y_test) if champion_model else None
        )
        evaluation_report(
            best,
            X_test,
            y_test,
            metrics,
            [],
            (str(champion.version), champion_metrics) if champion and champion_metrics else None,
            quality,
            importance,
            sample,
        )

        model_id = best_uri.removeprefix("models:/")
        try:
            client.get_registered_model(model_name)
        except mlflow.exceptions.MlflowException:
            client.create_registered_model(model_name)
        version = client.create_model_version(model_name, best_uri, run_id=parent.info.run_id, model_id=model_id)
        champion_score = (
            score(champion_model, features(test, source.target), y_test, gate.metric) if champion_model else None
        )
        decision = decide(metrics[gate.metric], champion_score, gate, quality.get("failures", []))
        alias = Aliases.CHAMPION if decision.promote else Aliases.CHALLENGER
        client.set_registered_model_alias(model_name, alias, version.version)
        if decision.promote:
            reference_file.write_bytes(profile.serialize())
    click.echo(f"baseline: version {version.version} -> {alias} ({decision.reason})")


if __name__ == "__main__":
    main()
