"""Podman without a registry and without touching the machine's configuration (no zenml import).

Plain functions for the project's container work on machines like ours (rootful podman 4.3 from
Debian, no Docker engine, no reachable registry, no CAP_SYS_RESOURCE, hybrid cgroups):

* :func:`write_containers_conf` / :func:`podman_env` - a project-owned ``containers.conf`` with the
  three adjustments podman needs here, used through ``CONTAINERS_CONF`` (``/etc`` is never edited).
* :func:`check_podman` - ``podman info`` works, or a one-line error that names the fix.
* :func:`ensure_debian_image` / :func:`ensure_python_base` - the base images, built from Debian's
  mirror (``debootstrap`` + ``podman import``) when missing, tagged by a content hash of what defines
  them so they are rebuilt only when that changes.
* :func:`build_image` - ``podman build`` a Dockerfile with build args, tagged by a content hash of the
  Dockerfile, the files it copies (the lock) and the build args: rebuilt exactly when they change.
* :func:`podman_service` - ``podman system service --time=0 unix://<socket>`` (the Docker-compatible
  API that the ``docker`` SDK and ``kfp.local.DockerRunner`` speak) as a context manager.

Command line (reproduces the step image build)::

    python images/podman.py base                      # prints the python base image reference
    python images/podman.py step --requirements R --wheelhouse W
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Where podman.py keeps what it generates (containers.conf, staged build contexts, logs).
DEFAULT_STATE_DIR = Path(os.environ.get("PMLOPS_PODMAN_STATE", "/tmp/pmlops-podman"))

#: The three adjustments (see docs/stack-facts): ulimits podman may set without CAP_SYS_RESOURCE,
#: runc + cgroupfs because crun/systemd reject the hybrid cgroup layout, a file events logger
#: because there is no journald.
CONTAINERS_CONF = """\
# Written by images/podman.py; used through CONTAINERS_CONF, the machine's files stay untouched.
[containers]
# Podman's default raises RLIMIT_NOFILE to a value that needs CAP_SYS_RESOURCE.
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
# crun: "cgroups in hybrid mode not supported"; runc with cgroupfs works on a v1/v2 hybrid.
runtime = "runc"
cgroup_manager = "cgroupfs"
# No journald/systemd here.
events_logger = "file"
"""

DEBIAN_REPOSITORY = "localhost/pmlops-debian"
PYTHON_REPOSITORY = "localhost/pmlops-python"
STEP_REPOSITORY = "localhost/pmlops-step"
SERVING_REPOSITORY = "localhost/pmlops-serving"
#: Bump when the debootstrap recipe below changes in a way the hash inputs do not show.
DEBOOTSTRAP_RECIPE = "minbase-v1"
IMAGE_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class PodmanError(RuntimeError):
    """Podman is missing, misconfigured, or a podman command failed (message is one line)."""


@dataclass(frozen=True)
class BuildResult:
    """An image reference and whether this call built it (``False``: reused) and how long it took."""

    ref: str
    built: bool
    seconds: float


# --------------------------------------------------------------------------------------------- config
def write_containers_conf(path: Path | None = None) -> Path:
    """Write the project's containers.conf to ``path`` (default: under the state dir) and return it."""
    path = path or DEFAULT_STATE_DIR / "containers.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != CONTAINERS_CONF:
        path.write_text(CONTAINERS_CONF)
    return path


def podman_env(conf: Path | None = None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return ``base`` (default: ``os.environ``) plus ``CONTAINERS_CONF`` pointing at our containers.conf."""
    env = dict(os.environ if base is None else base)
    env["CONTAINERS_CONF"] = str(conf or write_containers_conf())
    return env


def _podman(
    args: Sequence[str], env: Mapping[str, str], *, check: bool = True, capture: bool = True, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run ``podman <args>``; on failure raise PodmanError with the command and the last stderr line."""
    proc = subprocess.run(["podman", *args], env=dict(env), text=True, capture_output=capture, **kwargs)  # type: ignore[call-overload]
    if check and proc.returncode != 0:
        last = (proc.stderr or "").strip().splitlines()[-1:] or ["(no output)"]
        raise PodmanError(f"podman {' '.join(args[:3])} failed ({proc.returncode}): {last[0]}")
    return proc


def check_podman(env: Mapping[str, str], smoke_image: str | None = None) -> str:
    """Return podman's version if it works with ``env``; else raise a one-line PodmanError naming the fix.

    ``podman info`` must succeed and report the OCI runtime our containers.conf sets (``podman info``
    itself succeeds without the adjustments; a container start is what fails). With ``smoke_image``
    a ``podman run --rm --network host <image> true`` is tried as well.
    """
    fix = (
        f"point CONTAINERS_CONF at {env.get('CONTAINERS_CONF') or DEFAULT_STATE_DIR / 'containers.conf'}"
        " (images/podman.py write_containers_conf/podman_env)"
    )
    if shutil.which("podman", path=env.get("PATH")) is None:
        raise PodmanError("podman not found: apt-get install podman runc fuse-overlayfs (no Docker engine needed)")
    proc = _podman(["info", "--format", "json"], env, check=False)
    if proc.returncode != 0:
        raise PodmanError(f"podman info failed ({' '.join(proc.stderr.split())[-160:]}): {fix}")
    info = json.loads(proc.stdout)
    runtime = info["host"]["ociRuntime"]["name"]
    if runtime != "runc" or not env.get("CONTAINERS_CONF"):
        raise PodmanError(f"podman uses OCI runtime {runtime!r} without our containers.conf: {fix}")
    if smoke_image:
        run = _podman(["run", "--rm", "--network", "host", smoke_image, "true"], env, check=False)
        if run.returncode != 0:
            err = " ".join(run.stderr.split())
            raise PodmanError(f"podman run {smoke_image} failed ({err[-160:]}): {fix}")
    return str(info["version"]["Version"])


# --------------------------------------------------------------------------------------------- hashing
def content_hash(files: Sequence[Path] = (), extra: Mapping[str, str] | None = None, length: int = 12) -> str:
    """Return a short sha256 over the contents of ``files`` (in order, names ignored) and ``extra``.

    A directory contributes every file below it (sorted relative paths and contents).
    """
    digest = hashlib.sha256()
    for item in files:
        paths = sorted(p for p in item.rglob("*") if p.is_file()) if item.is_dir() else [item]
        for path in paths:
            rel = str(path.relative_to(item)) if item.is_dir() else ""
            digest.update(f"file:{rel}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    for key, value in sorted((extra or {}).items()):
        digest.update(f"{key}={value}\0".encode())
    return digest.hexdigest()[:length]


def image_exists(ref: str, env: Mapping[str, str]) -> bool:
    """True when ``ref`` is in podman's local storage."""
    return _podman(["image", "exists", ref], env, check=False).returncode == 0


def image_size(ref: str, env: Mapping[str, str]) -> int:
    """Return the image's size in bytes as podman reports it (uncompressed, all layers)."""
    return int(_podman(["image", "inspect", "--format", "{{.Size}}", ref], env).stdout.strip())


def tag(ref: str, alias: str, env: Mapping[str, str]) -> None:
    """Add the moving tag ``alias`` to ``ref`` (e.g. ``...:bookworm`` next to ``...:bookworm-<hash>``)."""
    _podman(["tag", ref, alias], env)


# --------------------------------------------------------------------------------------------- base images
def apt_mirror(sources: Sequence[Path] = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))) -> str:
    """Return the Debian mirror this machine's apt uses (first non-security ``deb`` URI), read-only."""
    files: list[Path] = []
    for src in sources:
        if src.is_dir():
            files += sorted(p for p in src.iterdir() if p.suffix in {".list", ".sources"})
        elif src.is_file():
            files.append(src)
    for path in files:
        for line in path.read_text().splitlines():
            line = line.strip()
            uri = ""
            if line.startswith("URIs:"):
                uri = line.split()[1]
            elif line.startswith("deb "):
                uri = next(w for w in line.split()[1:] if not w.startswith("["))
            if uri and "security" not in uri and "/debian" in uri:
                return uri
    return "http://deb.debian.org/debian"


def ensure_debian_image(
    env: Mapping[str, str], suite: str = "bookworm", mirror: str | None = None, workdir: Path | None = None
) -> BuildResult:
    """Make ``localhost/pmlops-debian:<suite>-<hash>`` from Debian's mirror unless it exists.

    ``debootstrap --variant=minbase <suite> <dir> <mirror>``, apt caches removed, then
    ``tar -C <dir> -c . | podman import``. The hash covers suite, variant, mirror and the recipe
    version; the packages are whatever the mirror serves at build time (a snapshot mirror would make
    the content reproducible too). Also tags ``localhost/pmlops-debian:<suite>``.
    """
    mirror = mirror or apt_mirror()
    digest = content_hash(extra={"suite": suite, "mirror": mirror, "recipe": DEBOOTSTRAP_RECIPE})
    ref = f"{DEBIAN_REPOSITORY}:{suite}-{digest}"
    if image_exists(ref, env):
        return BuildResult(ref, False, 0.0)
    if shutil.which("debootstrap") is None:
        raise PodmanError("debootstrap not found: apt-get install debootstrap")
    start = time.monotonic()
    workdir = workdir or DEFAULT_STATE_DIR
    workdir.mkdir(parents=True, exist_ok=True)
    rootfs = Path(tempfile.mkdtemp(prefix=f"rootfs-{suite}-", dir=workdir))
    try:
        log = workdir / f"debootstrap-{suite}.log"
        with log.open("w") as out:
            proc = subprocess.run(
                ["debootstrap", "--variant=minbase", suite, str(rootfs), mirror], stdout=out, stderr=subprocess.STDOUT
            )
        if proc.returncode != 0:
            raise PodmanError(f"debootstrap {suite} {mirror} failed ({proc.returncode}): see {log}")
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for path in (rootfs / junk).glob("*"):
                if path.is_file():
                    path.unlink()
        tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        changes = ["--change", f"ENV {IMAGE_PATH_ENV}", "--change", "ENV LANG=C.UTF-8", "--change", 'CMD ["/bin/bash"]']
        imp = subprocess.run(
            ["podman", "import", *changes, "-", ref], stdin=tar.stdout, env=dict(env), capture_output=True, text=True
        )
        assert tar.stdout is not None
        tar.stdout.close()
        if tar.wait() != 0 or imp.returncode != 0:
            raise PodmanError(f"podman import of {rootfs} failed: {(imp.stderr.strip().splitlines() or ['?'])[-1]}")
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
    tag(ref, f"{DEBIAN_REPOSITORY}:{suite}", env)
    return BuildResult(ref, True, time.monotonic() - start)


def host_extra_ca_certs(directory: Path = Path("/usr/local/share/ca-certificates")) -> list[Path]:
    """The host's locally added CA certificates (e.g. a TLS-intercepting proxy's), read-only."""
    return sorted(directory.glob("*.crt")) if directory.is_dir() else []


def ensure_python_base(
    env: Mapping[str, str], debian_ref: str | None = None, extra_ca_certs: Sequence[Path] | None = None
) -> BuildResult:
    """Make ``localhost/pmlops-python:3.11-bookworm-<hash>`` (images/base/Dockerfile) unless it exists.

    Debian's python3 (3.11 on bookworm), python3-venv and ca-certificates, plus a venv at
    ``/opt/venv`` first on PATH so that ``python`` is the venv's. ``extra_ca_certs`` (default: the
    host's /usr/local/share/ca-certificates/*.crt) are added to the system trust store so HTTPS through
    an intercepting proxy works in containers; pass ``[]`` for an image without them. Also tags
    ``localhost/pmlops-python:3.11-bookworm`` so Dockerfiles can use it as ``BASE_IMAGE``.
    """
    debian_ref = debian_ref or ensure_debian_image(env).ref
    certs = host_extra_ca_certs() if extra_ca_certs is None else list(extra_ca_certs)
    dockerfile = HERE / "base" / "Dockerfile"
    context = DEFAULT_STATE_DIR / "context-python-base"
    shutil.rmtree(context, ignore_errors=True)
    (context / "extra-ca").mkdir(parents=True)
    for cert in certs:
        shutil.copy(cert, context / "extra-ca" / cert.name)
    result = build_image(
        dockerfile,
        PYTHON_REPOSITORY,
        env,
        context_dir=context,
        build_args={"DEBIAN_IMAGE": debian_ref},
        tag_prefix="3.11-bookworm-",
    )
    tag(result.ref, f"{PYTHON_REPOSITORY}:3.11-bookworm", env)
    return result


# --------------------------------------------------------------------------------------------- builds
def build_image(
    dockerfile: Path,
    repository: str,
    env: Mapping[str, str],
    *,
    context_files: Mapping[str, Path] | None = None,
    context_dir: Path | None = None,
    build_args: Mapping[str, str] | None = None,
    volumes: Sequence[str] = (),
    tag_prefix: str = "",
    force: bool = False,
    no_cache: bool = False,
    log: Path | None = None,
    prepare: Callable[[], object] | None = None,
) -> BuildResult:
    """Build ``dockerfile`` as ``<repository>:<tag_prefix><hash>`` unless that tag exists.

    The hash covers the Dockerfile, the build context's files and the build args, so the image is
    rebuilt exactly when one of them changes and reused otherwise. The context is either
    ``context_dir`` or a fresh directory holding ``context_files`` (name in context -> source file),
    which keeps big trees such as a virtualenv out of the context. ``volumes`` are
    ``podman build -v`` mounts (e.g. ``"/tmp/wheelhouse:/wheels:ro"``): available to RUN, never stored
    in a layer, and not hashed (derive them from hashed files, like a wheelhouse from the lock).
    ``force`` rebuilds even when the tag exists (podman's layer cache still applies, unless ``no_cache``).
    ``prepare`` runs only when the image is built, before the build (e.g. filling the wheelhouse it mounts).
    """
    if context_dir is None:
        with tempfile.TemporaryDirectory(prefix="context-", dir=_state_dir()) as tmp:
            for name, src in (context_files or {}).items():
                shutil.copy(src, Path(tmp) / name)
            return build_image(
                dockerfile,
                repository,
                env,
                context_dir=Path(tmp),
                build_args=build_args,
                volumes=volumes,
                tag_prefix=tag_prefix,
                force=force,
                no_cache=no_cache,
                log=log,
                prepare=prepare,
            )
    args = dict(build_args or {})
    digest = content_hash([dockerfile, context_dir], extra={f"arg:{k}": v for k, v in args.items()})
    ref = f"{repository}:{tag_prefix}{digest}"
    if not force and image_exists(ref, env):
        return BuildResult(ref, False, 0.0)
    if prepare is not None:
        prepare()
    cmd = ["build", "--file", str(dockerfile), "--tag", ref, "--label", f"pmlops.content-hash={digest}"]
    if no_cache:
        cmd.append("--no-cache")
    for key, value in args.items():
        cmd += ["--build-arg", f"{key}={value}"]
    for volume in volumes:
        cmd += ["--volume", volume]
    cmd.append(str(context_dir))
    log = log or _state_dir() / f"build-{repository.rsplit('/', 1)[-1]}-{digest}.log"
    start = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.run(["podman", *cmd], env=dict(env), stdout=out, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        tail = log.read_text().strip().splitlines()[-1:] or ["?"]
        raise PodmanError(f"podman build of {dockerfile} failed ({proc.returncode}): {tail[0]} (log: {log})")
    return BuildResult(ref, True, seconds)


def build_step_image(
    requirements: Path,
    env: Mapping[str, str],
    *,
    wheelhouse: Path | None = None,
    base_image: str | None = None,
    force: bool = False,
    no_cache: bool = False,
    prepare: Callable[[], object] | None = None,
) -> BuildResult:
    """Build images/step/Dockerfile on ``base_image`` (default: our Python base) with ``requirements``.

    With ``wheelhouse`` the wheels are mounted at /wheels and pip installs with
    ``--no-index --find-links /wheels`` (no network inside the build).
    """
    base_image = base_image or ensure_python_base(env).ref
    args = {"BASE_IMAGE": base_image}
    volumes: list[str] = []
    if wheelhouse is not None:
        args["PIP_INSTALL_ARGS"] = "--no-index --find-links /wheels"
        volumes.append(f"{wheelhouse.resolve()}:/wheels:ro")
    return build_image(
        HERE / "step" / "Dockerfile",
        STEP_REPOSITORY,
        env,
        context_files={"requirements.txt": requirements},
        build_args=args,
        volumes=volumes,
        force=force,
        no_cache=no_cache,
        prepare=prepare,
    )


def _state_dir() -> Path:
    DEFAULT_STATE_DIR.mkdir(parents=True, exist_ok=True)
    return DEFAULT_STATE_DIR


# --------------------------------------------------------------------------------------------- service
def _ping(sock: Path, timeout: float = 1.0) -> bool:
    """True when the Docker-compatible API at ``sock`` answers ``GET /_ping`` with 200."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(sock))
            conn.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")
            return conn.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


@contextlib.contextmanager
def podman_service(
    env: Mapping[str, str], socket_path: Path | None = None, startup_timeout: float = 20.0
) -> Iterator[str]:
    """Run ``podman system service --time=0 unix://<socket>`` for the ``with`` block; yield its URL.

    The URL (``unix:///tmp/...sock``) is what ``docker.DockerClient(base_url=...)`` and ``DOCKER_HOST``
    take. The service gets ``env`` (so containers it starts use our containers.conf) and is stopped
    (SIGTERM, then SIGKILL after 10 s) and its socket removed on exit. Only this process is touched.
    """
    own_dir: Path | None = None
    if socket_path is None:
        own_dir = Path(tempfile.mkdtemp(prefix="pmlops-podman-"))
        socket_path = own_dir / "podman.sock"
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    log = (_state_dir() / "service.log").open("w")
    proc = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{socket_path}"],
        env=dict(env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while not _ping(socket_path):
            if proc.poll() is not None:
                raise PodmanError(f"podman system service exited {proc.returncode}: see {log.name}")
            if time.monotonic() > deadline:
                raise PodmanError(f"podman system service did not answer on {socket_path} in {startup_timeout} s")
            time.sleep(0.1)
        yield f"unix://{socket_path}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        socket_path.unlink(missing_ok=True)
        if own_dir is not None:
            shutil.rmtree(own_dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------- containers
def run_container(
    image: str,
    command: Sequence[str],
    env: Mapping[str, str],
    *,
    container_env: Mapping[str, str] | None = None,
    network: str = "host",
    volumes: Sequence[str] = (),
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """``podman run --rm --network <network>`` a command; returns the finished process (not checked)."""
    cmd = ["run", "--rm", "--network", network]
    for key, value in (container_env or {}).items():
        cmd += ["--env", f"{key}={value}"]
    for volume in volumes:
        cmd += ["--volume", volume]
    return _podman([*cmd, image, *command], env, check=False, timeout=timeout)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``check``, ``base`` or ``step`` (prints JSON with the reference, time and size)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("check", help="write containers.conf and run podman info")
    sub.add_parser("base", help="ensure the Debian and Python base images")
    step = sub.add_parser("step", help="build the step image")
    step.add_argument("--requirements", type=Path, required=True)
    step.add_argument("--wheelhouse", type=Path)
    step.add_argument("--base-image")
    step.add_argument("--force", action="store_true", help="rebuild even if the hash tag exists")
    args = parser.parse_args(argv)
    env = podman_env()
    try:
        version = check_podman(env)
        if args.cmd == "check":
            print(json.dumps({"podman": version, "CONTAINERS_CONF": env["CONTAINERS_CONF"]}))
            return 0
        results = []
        if args.cmd == "base":
            results = [ensure_debian_image(env)]
            results.append(ensure_python_base(env, results[0].ref))
        else:
            results = [
                build_step_image(
                    args.requirements, env, wheelhouse=args.wheelhouse, base_image=args.base_image, force=args.force
                )
            ]
    except PodmanError as exc:
        print(f"error: {exc}")
        return 1
    for r in results:
        print(
            json.dumps(
                {
                    "ref": r.ref,
                    "built": r.built,
                    "seconds": round(r.seconds, 1),
                    "size_mb": round(image_size(r.ref, env) / 1e6, 1),
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
