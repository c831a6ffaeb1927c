"""The training pipeline's work as a plain Python script: the denominator of training_overhead_ratio.

The same data, the same plain functions the steps call (``portable_mlops``), the same search, MLflow
logging, registration and gate, in one process, with no orchestrator, no artifact store and no
ZenML metadata. Nothing is cached. The first run of a model validates the data against its own
profile, later runs against the champion's training profile, as the pipeline does.

python -m benchmarks.baseline --config configs/training.yaml --tracking-uri sqlite:///mlflow.db
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    import pandas as pd
    from whylogs.core import DatasetProfileView

    from portable_mlops import params as p
    from portable_mlops.cli.config import load_config
    from portable_mlops.data.loading import features, load_source, split_frame
    from portable_mlops.data.profiling import profile_frame
    from portable_mlops.data.validation import check_label_shift, check_profile, check_rows, raise_on_failures
    from portable_mlops.evaluation.holdout import Champion, evaluate_candidate
    from portable_mlops.lifecycle.gate import Scores, decide
    from portable_mlops.lifecycle.promotion import gate_scores
    from portable_mlops.lifecycle.registry import version_by_alias
    from portable_mlops.modeling.training import train_best
    from portable_mlops.names import Aliases

    parameters = load_config(config_path)["parameters"]
    source = p.DataSource(**parameters["source"])
    split, search = p.SplitParams(**parameters.get("split", {})), p.SearchParams(**parameters.get("search", {}))
    validation, gate = (
        p.ValidationParams(**parameters.get("validation", {})),
        p.GateParams(**parameters.get("gate", {})),
    )
    evaluation = p.EvaluationParams(**parameters.get("evaluation", {}))
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    mlflow.set_experiment("baseline")
    client = mlflow.MlflowClient()
    artifacts.mkdir(parents=True, exist_ok=True)
    reference_file = artifacts / f"{model_name}-champion-profile.bin"
    reference_set_file = artifacts / f"{model_name}-reference-set.parquet"

    frame = load_source(source)
    profile = profile_frame(frame)
    reference = DatasetProfileView.deserialize(reference_file.read_bytes()) if reference_file.exists() else None
    results = check_rows(frame, source.target, validation, source.require_target) + check_profile(
        profile, reference or profile, source.target, validation, source.require_target
    )
    reference_set = pd.read_parquet(reference_set_file) if reference_set_file.exists() else None
    results += check_label_shift(frame, reference_set, source.target, validation)
    raise_on_failures(results, has_champion=reference is not None)
    train, test = split_frame(frame, source.target, split)
    first = reference_set is None
    if reference_set is None:  # the model's first run keeps its holdout as the reference set
        test.to_parquet(reference_set_file)
        reference_set = test

    with mlflow.start_run(run_name="baseline-training") as parent:
        trained = train_best(train, source, search)
        champion = version_by_alias(client, model_name, Aliases.CHAMPION)
        champion_model = mlflow.sklearn.load_model(f"models:/{model_name}@{Aliases.CHAMPION}") if champion else None
        result = evaluate_candidate(
            trained.model,
            test,
            trained.candidates.to_dict(orient="records"),
            source,
            evaluation,
            dict(client.get_run(trained.run_id).data.metrics),
            Champion(str(champion.version), champion_model) if champion else None,
        )
        mlflow.log_metrics(result.logged)

        model_id = trained.model_uri.removeprefix("models:/")
        try:
            client.get_registered_model(model_name)
        except mlflow.exceptions.MlflowException:
            client.create_registered_model(model_name)
        version = client.create_model_version(
            model_name, trained.model_uri, run_id=parent.info.run_id, model_id=model_id
        )
        sets = [(features(f, source.target), f[source.target]) for f in (test, reference_set)]

        def scores(model: Any) -> Scores:
            return gate_scores(model, sets[0], sets[1], gate)

        theirs = scores(champion_model) if champion_model is not None else None
        mine = gate_scores(trained.model, sets[0], sets[1], gate, measured=result.metrics, reference_is_holdout=first)
        decision = decide(mine, theirs, gate, result.quality.failures)
        alias = Aliases.CHAMPION if decision.promote else Aliases.CHALLENGER
        client.set_registered_model_alias(model_name, alias, version.version)
        if decision.promote:
            reference_file.write_bytes(profile.serialize())
    click.echo(f"baseline: version {version.version} -> {alias} ({decision.reason})")


if __name__ == "__main__":
    main()
