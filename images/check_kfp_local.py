"""Prove images/kfp_local.py on podman: compiled container-component pipelines, env, failures, races.

Run from the repository root with the project's venv (kfp 2.16.1, docker 7.1.0)::

    .venv/bin/python -m images.check_kfp_local --image localhost/pmlops-step:<hash> [--stress 40]

What it does, each step printing one JSON line:

1. compiles four pipelines with kfp's Compiler into YAML (only the YAML is run):
   ``ok``: ``write-env`` (checks its own container env: ``GREETING`` and
   ``KFP_RUN_ID={{$.pipeline_job_name}}`` set with ``set_env_variable`` the way ZenML's Kubeflow
   orchestrator does; writes an output parameter) -> ``check-inputs`` (gets it as an input
   parameter placeholder, asserts it equals its own ``KFP_RUN_ID``). No KFP artifacts: kfp.local does
   not collect output artifacts of container components (only a Python executor's output file
   declares them), and ZenML's compiled tasks pass none (data goes through ZenML's artifact store).
   ``fail``: ``write-env`` -> ``exit-three`` (exits 3) -> ``check-inputs``. ``quick`` (``true``) and
   ``quick-fail`` (exit 3): one instant task each, for the stress runs.
2. runs ``ok`` with the fixed runner: must succeed, outputs checked on the host.
3. runs ``fail`` with the fixed runner: must raise and name ``exit-three``; ``check-inputs`` never runs.
4. runs ``fail`` with stock kfp.local (auto_remove, no env): shows what goes wrong there.
5. with ``--stress N``: N runs each of ``quick`` and ``quick-fail``, stock vs fixed, counting
   wrong states, crashes and hangs (no result within 60 s; logs in <workdir>/stress.log).
"""

# No `from __future__ import annotations`: kfp reads the component signatures' annotations as objects.
import argparse
import contextlib
import io
import json
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from kfp import compiler, dsl

from images import kfp_local, podman

WRITE = r"""
import os, sys, pathlib
run_id = os.environ.get("KFP_RUN_ID", "<unset>")
greeting = os.environ.get("GREETING", "<unset>")
print(f"write-env: GREETING={greeting} KFP_RUN_ID={run_id}")
if greeting != "hello from the spec" or "{{" in run_id or run_id == "<unset>":
    sys.exit(5)
pathlib.Path(sys.argv[1]).parent.mkdir(parents=True, exist_ok=True)
pathlib.Path(sys.argv[1]).write_text(run_id)
"""

CHECK = r"""
import os, sys, pathlib
run_id, out = sys.argv[1], pathlib.Path(sys.argv[2])
print(f"check-inputs: parameter={run_id} own KFP_RUN_ID={os.environ.get('KFP_RUN_ID')}")
if os.environ.get("KFP_RUN_ID") != run_id:
    sys.exit(6)
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text("checked " + run_id)
"""


def build_pipelines(image: str, out_dir: Path) -> dict[str, Path]:
    """Define and compile the test pipelines; return name -> compiled YAML path."""

    @dsl.container_component
    def write_env(run_id: dsl.OutputPath(str)) -> dsl.ContainerSpec:  # type: ignore[valid-type]
        return dsl.ContainerSpec(image=image, command=["python", "-c", WRITE], args=[run_id])

    @dsl.container_component
    def check_inputs(run_id: str, verdict: dsl.OutputPath(str)) -> dsl.ContainerSpec:  # type: ignore[valid-type]
        return dsl.ContainerSpec(image=image, command=["python", "-c", CHECK], args=[run_id, verdict])

    @dsl.container_component
    def exit_three() -> dsl.ContainerSpec:
        return dsl.ContainerSpec(image=image, command=["sh", "-c", "echo exiting 3; exit 3"])

    @dsl.container_component
    def quick() -> dsl.ContainerSpec:
        return dsl.ContainerSpec(image=image, command=["true"])

    def with_env(task: Any) -> Any:
        task.set_env_variable("GREETING", "hello from the spec")
        task.set_env_variable("KFP_RUN_ID", "{{$.pipeline_job_name}}")  # what ZenML's orchestrator sets
        return task

    @dsl.pipeline(name="pmlops-ok")
    def ok() -> str:
        first = with_env(write_env())
        second = with_env(check_inputs(run_id=first.outputs["run_id"]))
        return second.outputs["verdict"]

    @dsl.pipeline(name="pmlops-fail")
    def fail() -> None:
        first = with_env(write_env())
        boom = exit_three().after(first)
        with_env(check_inputs(run_id=first.outputs["run_id"])).after(boom)

    @dsl.pipeline(name="pmlops-quick")
    def quick_pipeline() -> None:
        quick()

    @dsl.pipeline(name="pmlops-quick-fail")
    def quick_fail_pipeline() -> None:
        exit_three()

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, func in {"ok": ok, "fail": fail, "quick": quick_pipeline, "quick-fail": quick_fail_pipeline}.items():
        paths[name] = out_dir / f"{name}.yaml"
        compiler.Compiler().compile(func, str(paths[name]))
    return paths


def run_stock(path: Path, docker_host: str, root: Path, **run_args: Any) -> Any:
    """Run a compiled pipeline with unmodified kfp.local (auto_remove, task env ignored)."""
    from kfp import components, local

    os.environ["DOCKER_HOST"] = docker_host
    try:
        local.init(runner=local.DockerRunner(**run_args), pipeline_root=str(root), raise_on_error=True)
        return components.load_component_from_file(str(path))()
    finally:
        os.environ.pop("DOCKER_HOST", None)


def attempt(func: Any, *args: Any, **kwargs: Any) -> tuple[str, str, str]:
    """Call func; return (state, error, captured stdout+logging) where state is SUCCESS/FAILURE/CRASH.

    FAILURE means kfp.local reported a failed task ("finished with status FAILURE"); CRASH is any
    other exception (e.g. the docker SDK's "no such container").
    """
    import logging

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    logging.getLogger().addHandler(handler)
    try:
        with contextlib.redirect_stdout(buffer):
            func(*args, **kwargs)
        return "SUCCESS", "", buffer.getvalue()
    except RuntimeError as exc:
        state = "FAILURE" if "finished with status" in str(exc) else "CRASH"
        return state, " ".join(str(exc).split())[:200], buffer.getvalue()
    except Exception as exc:  # noqa: BLE001 - any other exception is what "crash" means here
        return "CRASH", f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}", buffer.getvalue()
    finally:
        logging.getLogger().removeHandler(handler)


def attempt_with_timeout(timeout: float, func: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
    """Like :func:`attempt` (no capture) in a daemon thread; state HANG when no result after ``timeout`` s.

    A hung run (podman 4.3's log stream that never ends) keeps its thread blocked on the socket until
    the service stops; the next run starts regardless.
    """
    result: dict[str, tuple[str, str]] = {}

    def target() -> None:
        try:
            func(*args, **kwargs)
            result["r"] = ("SUCCESS", "")
        except RuntimeError as exc:
            state = "FAILURE" if "finished with status" in str(exc) else "CRASH"
            result["r"] = (state, " ".join(str(exc).split())[:200])
        except Exception as exc:  # noqa: BLE001 - any other exception is what "crash" means here
            result["r"] = ("CRASH", f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}")

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    return result.get("r", ("HANG", f"no result after {timeout:.0f} s"))


def strip_ansi(text: str) -> str:
    """Remove kfp.local's colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def main() -> int:
    """Run the checks (see the module docstring); exit 0 when every expectation holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True)
    parser.add_argument("--stress", type=int, default=0)
    parser.add_argument("--workdir", type=Path, help="default: a new directory under /tmp")
    args = parser.parse_args()
    args.workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pmlops-kfp-"))
    paths = build_pipelines(args.image, args.workdir / "compiled")
    spec = kfp_local.load_pipeline_documents(paths["ok"])[0]
    env_in_spec = {k: v["container"].get("env") for k, v in spec["deploymentSpec"]["executors"].items()}
    print(json.dumps({"compiled": {k: str(v) for k, v in paths.items()}, "env_in_spec": env_in_spec}))
    env = podman.podman_env()
    podman.check_podman(env)
    good = True
    with podman.podman_service(env) as host:
        run_args = {"network_mode": "host"}
        t0 = time.monotonic()
        state, err, logs = attempt(
            kfp_local.run_compiled_pipeline, paths["ok"], host, args.workdir / "root-ok", **run_args
        )
        verdicts = list((args.workdir / "root-ok").rglob("verdict"))
        verdict = verdicts[0].read_text() if verdicts else None
        ok = state == "SUCCESS" and verdict is not None and verdict.startswith("checked pmlops-ok-")
        good &= ok
        print(
            json.dumps(
                {
                    "check": "ok pipeline, fixed runner",
                    "state": state,
                    "verdict": verdict,
                    "pass": ok,
                    "seconds": round(time.monotonic() - t0, 1),
                    "error": err,
                }
            )
        )
        print(strip_ansi(logs))
        t0 = time.monotonic()
        state, err, logs = attempt(
            kfp_local.run_compiled_pipeline, paths["fail"], host, args.workdir / "root-fail", **run_args
        )
        ok = state == "FAILURE" and "exit-three" in err and "check-inputs: parameter" not in logs
        good &= ok
        print(
            json.dumps(
                {
                    "check": "fail pipeline, fixed runner",
                    "state": state,
                    "pass": ok,
                    "seconds": round(time.monotonic() - t0, 1),
                    "error": err,
                }
            )
        )
        state, err, logs = attempt(run_stock, paths["fail"], host, args.workdir / "root-stock", **run_args)
        task_states = dict(re.findall(r"Task '([\w-]+)' finished with status (\w+)", strip_ansi(logs)))
        print(
            json.dumps(
                {
                    "check": "fail pipeline, stock kfp.local",
                    "state": state,
                    "error": strip_ansi(err),
                    "task_states": task_states,
                }
            )
        )
        print(strip_ansi(logs)[-1500:])
        if args.stress:
            stress_log = args.workdir / "stress.log"
            lines = []
            with stress_log.open("w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                for label, runner in (("stock", run_stock), ("fixed", kfp_local.run_compiled_pipeline)):
                    for name, expected in (("quick", "SUCCESS"), ("quick-fail", "FAILURE")):
                        counts: dict[str, int] = {}
                        errors: set[str] = set()
                        t0 = time.monotonic()
                        for i in range(args.stress):
                            root = args.workdir / f"root-{label}-{name}-{i}"
                            state, err = attempt_with_timeout(60, runner, paths[name], host, root, **run_args)
                            counts[state] = counts.get(state, 0) + 1
                            if err:
                                errors.add(strip_ansi(err)[:120])
                        seconds = time.monotonic() - t0
                        if label == "fixed":
                            good &= counts.get(expected, 0) == args.stress
                        lines.append(
                            {
                                "check": f"stress {label} {name}",
                                "expected": expected,
                                "runs": args.stress,
                                "states": counts,
                                "errors": sorted(errors),
                                "seconds_per_run": round(seconds / args.stress, 2),
                            }
                        )
            for line in lines:
                print(json.dumps(line))
    leftovers = podman._podman(["ps", "-a", "--format", "{{.Names}}"], env).stdout.split()
    print(json.dumps({"containers_left": leftovers, "all_pass": bool(good)}))
    return 0 if good else 1


if __name__ == "__main__":
    raise SystemExit(main())
