"""A host-side wheelhouse for container builds (no zenml import).

:func:`download_wheelhouse` fetches every pin of a lock that applies to the *image's* platform
(CPython 3.11, manylinux x86_64; environment markers are evaluated for it) into a directory on the
host, so the build installs with ``pip install --no-index --find-links`` and needs no network (and
no TLS through a proxy) inside the build. Pure-Python packages published only as sdists are built
into wheels on the host. The directory is shared by every build (pip skips wheels already there).

    python -m images.wheelhouse --requirements requirements/runtime.lock --dest ~/.cache/portable-mlops/wheels
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

#: Platform of the images (Debian bookworm has glibc 2.36; python:3.11-slim is bookworm-based too).
IMAGE_PLATFORM = "manylinux_2_36_x86_64"
#: pip does not expand an explicit ``--platform manylinux_2_36`` to the older manylinux tags a glibc
#: 2.36 system accepts (numpy's wheel is manylinux_2_28): every one is listed.
IMAGE_PLATFORMS = [f"manylinux_2_{minor}_x86_64" for minor in range(36, 4, -1)] + [
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
]
IMAGE_PYTHON = "3.11"
IMAGE_ABI = "cp311"


def normalize(name: str) -> str:
    """Return the PEP 503 normalised form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


#: The image's environment, for the lock's markers (``xgboost-cpu ; sys_platform == 'linux'``).
IMAGE_ENVIRONMENT = {
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
    "python_version": IMAGE_PYTHON,
    "python_full_version": f"{IMAGE_PYTHON}.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def read_pins(lock: Path) -> dict[str, str]:
    """Map normalised name -> ``name==version`` for every pin of ``lock`` whose marker holds in the image
    (comments, annotations and blanks skipped)."""
    from packaging.markers import Marker

    pins: dict[str, str] = {}
    for raw in lock.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate(IMAGE_ENVIRONMENT):
            continue
        name = re.split(r"[=<>!~ \[]", requirement.strip(), maxsplit=1)[0]
        pins[normalize(name)] = requirement.strip()
    return pins


def download_wheelhouse(requirements: Path, dest: Path, python: str = sys.executable) -> list[Path]:
    """Put a wheel for every pin of ``requirements`` into ``dest`` for the image platform.

    Binary wheels are downloaded for CPython 3.11 / manylinux x86_64 (the pip cache is used, so a
    second run is fast). Pins that have no wheel at all (sdist-only projects such as pybars3 and
    PyMeta3) are built on the host with ``pip wheel --no-deps``; the result must be a pure-Python
    ``py3-none-any`` wheel, otherwise this raises (a host-compiled wheel may not fit the image).
    Returns the wheels built on the host.
    """
    dest.mkdir(parents=True, exist_ok=True)
    pins = [line for line in read_pins(requirements).values()]
    platform_args = [
        "--only-binary=:all:",
        *(arg for platform in IMAGE_PLATFORMS for arg in ("--platform", platform)),
        "--python-version",
        IMAGE_PYTHON,
        "--implementation",
        "cp",
        "--abi",
        IMAGE_ABI,
    ]
    missing: list[str] = []
    todo = [pin for pin in pins if _wheel_for(dest, pin) is None]
    while todo:  # one bulk download; a pin without a fitting wheel is set aside and the rest retried
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as req:
            req.write("\n".join(todo) + "\n")
            req.flush()
            proc = subprocess.run(
                [
                    python,
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--no-deps",
                    *platform_args,
                    "-d",
                    str(dest),
                    "-r",
                    req.name,
                ],
                capture_output=True,
                text=True,
            )
        if proc.returncode == 0:
            break
        match = re.search(r"No matching distribution found for (\S+)", proc.stderr)
        failed = [pin for pin in todo if match and normalize(pin) == normalize(match.group(1))]
        if not failed:
            raise RuntimeError(f"pip download failed: {proc.stderr.strip().splitlines()[-1:]}")
        missing += failed
        todo = [pin for pin in todo if pin not in failed and _wheel_for(dest, pin) is None]
    built: list[Path] = []
    for pin in missing:
        subprocess.run([python, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dest), pin], check=True)
        wheel = _wheel_for(dest, pin)
        if wheel is None or (not wheel.name.endswith("-py3-none-any.whl") and "-py2.py3-none-any" not in wheel.name):
            raise RuntimeError(f"{pin}: no wheel for {IMAGE_PLATFORM} and the host-built one is not pure Python")
        built.append(wheel)
    return built


def _wheel_for(dest: Path, pin: str) -> Path | None:
    """Return the wheel of ``dest`` matching ``name==version``, if any."""
    name, _, version = pin.partition("==")
    wanted = normalize(name).replace("-", "_")
    for wheel in dest.glob("*.whl"):
        parts = wheel.name.split("-")
        if normalize(parts[0]).replace("-", "_") == wanted and parts[1] == version:
            return wheel
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: fill a wheelhouse for the image platform from a lock."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", type=Path, required=True)
    parser.add_argument("--dest", type=Path, required=True)
    args = parser.parse_args(argv)
    built = download_wheelhouse(args.requirements, args.dest)
    count = len(list(args.dest.glob("*.whl")))
    print(f"{args.dest}: {count} wheels; built on the host: {' '.join(p.name for p in built) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
