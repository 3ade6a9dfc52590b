"""One Salesforce-side sandbox per test module, put back to a fresh org before each test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest

from sandbox.options import FaultOptions, SandboxOptions
from sandbox.runtime import Sandbox
from tests.sandbox.clients import salesforce_raw


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    running = Sandbox(SandboxOptions(size=0))
    yield running
    running.stop()


@pytest.fixture
def sandbox(shared_sandbox: Sandbox) -> Sandbox:
    """The module's sandbox with its data, counters, limits and faults reset."""
    raw = salesforce_raw(shared_sandbox)
    raw.post(shared_sandbox.salesforce_url + "/__admin/reset").raise_for_status()
    raw.post(
        shared_sandbox.salesforce_url + "/__admin/faults", json=asdict(FaultOptions())
    ).raise_for_status()
    shared_sandbox.options.duplicate_rule_action = "allow"
    return shared_sandbox


def admin(sandbox: Any, path: str, body: Any = None) -> Any:
    """POST an admin call and return its JSON answer."""
    answer = salesforce_raw(sandbox).post(f"{sandbox.salesforce_url}/__admin/{path}", json=body)
    answer.raise_for_status()
    return answer.json() if answer.content else None


def calls(sandbox: Any) -> dict[str, int]:
    """Calls counted so far, by endpoint."""
    answer = salesforce_raw(sandbox).get(f"{sandbox.salesforce_url}/__admin/calls")
    counts: dict[str, int] = answer.json()["by_endpoint"]
    return counts
