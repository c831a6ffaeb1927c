"""The serving image of the models the step image trains is named before any training."""

from __future__ import annotations

from pathlib import Path

from images.build import step_model_requirements


def test_the_requirements_read_from_the_lock_are_those_mlflow_writes_for_a_model_trained_here(tmp_path: Path) -> None:
    """This environment pins the serving packages as requirements/runtime.lock does (one universal
    resolution), so a model logged here carries exactly what the step image's models carry."""
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    from portable_mlops.modeling.tracking import pip_requirements

    model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    mlflow.sklearn.save_model(model, str(tmp_path / "model"), pip_requirements=pip_requirements())
    written = (tmp_path / "model" / "requirements.txt").read_text()
    assert step_model_requirements().splitlines() == written.splitlines()


def test_the_linux_build_of_xgboost_is_pinned_under_xgboost(tmp_path: Path) -> None:
    lock = tmp_path / "runtime.lock"
    lock.write_text(
        "mlflow==1.0  # via x\nscikit-learn==2.0\npandas==3.0\nnumpy==4.0\nscipy==5.0\ncloudpickle==6.0\n"
        "xgboost==7.0 ; sys_platform != 'linux'\nxgboost-cpu==7.1 ; sys_platform == 'linux'  # via y\n"
    )
    assert "xgboost==7.1" in step_model_requirements(lock).splitlines()
    assert "xgboost==7.0" not in step_model_requirements(lock).splitlines()
