#!/usr/bin/env python3
"""Set up crmops in a local virtual environment, then run the demo or the test suite.

Usage:
    python3 dev.py demo [ARGS...]   set up, then run `crmops demo` against the embedded sandbox
    python3 dev.py test [ARGS...]   set up, then run ruff, mypy and the whole pytest suite
    python3 dev.py setup            only set up (or refresh) .venv

Needs nothing but Python 3.11+: it creates `.venv` beside this file and installs
the project into it (again only when pyproject.toml changed).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".crmops-installed"


def _python() -> Path:
    return BIN / ("python.exe" if os.name == "nt" else "python")


def _run(*args: str | Path) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT)


def setup() -> None:
    """Create .venv and install the project with its dev extras, if not current."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and _python().exists():
        return
    if not _python().exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing crmops and its dependencies into .venv ...", flush=True)
    quiet = ["-q", "--disable-pip-version-check"]
    if _run(_python(), "-m", "pip", "install", *quiet, "--upgrade", "pip") != 0:
        sys.exit("could not upgrade pip in .venv")
    if _run(_python(), "-m", "pip", "install", *quiet, "-e", ".[dev,bench]") != 0:
        sys.exit("could not install crmops into .venv")
    STAMP.write_text(wanted)


def test(extra: list[str]) -> int:
    """Run lint, format check, type check and the tests; the first failure decides."""
    steps: list[list[str | Path]] = [
        [BIN / "ruff", "check", "."],
        [BIN / "ruff", "format", "--check", "."],
        [BIN / "mypy"],
        [_python(), "-m", "pytest", "-n", "2", "--dist", "loadfile", *extra],
    ]
    for step in steps:
        print("$", " ".join(str(Path(s).name) if i == 0 else str(s) for i, s in enumerate(step)))
        code = _run(*step)
        if code != 0:
            return code
    return 0


def main(argv: list[str]) -> int:
    """Dispatch the subcommand."""
    if not argv or argv[0] not in {"demo", "test", "setup"}:
        print(__doc__)
        return 2
    setup()
    command, rest = argv[0], argv[1:]
    if command == "setup":
        return 0
    if command == "demo":
        return _run(BIN / "crmops", "demo", *rest)
    return test(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
