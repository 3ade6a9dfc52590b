"""Shared fixtures: an isolated environment for every test, and the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads the developer's CRMOPS_* settings, CA overrides, .env or home."""
    import os

    for name in list(os.environ):
        if name.startswith("CRMOPS_") or name in {"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
def make_sandbox() -> Iterator[object]:
    """Start sandboxes with chosen options; all are stopped when the test ends.

    Usage: `sb = make_sandbox(size=20, rate_limits=False)` returns a running
    `sandbox.runtime.Sandbox` (keyword arguments are `SandboxOptions` fields).
    """
    from sandbox.options import SandboxOptions
    from sandbox.runtime import Sandbox

    started: list[Sandbox] = []

    def start(**options: object) -> Sandbox:
        running = Sandbox(SandboxOptions(**options))  # type: ignore[arg-type]
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
