"""Shared helpers for the rules tests: the shipped rules compiled once, leads by keyword."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rules.compiler import Compiled
from rules.engine import compile_rules
from rules.lead import CanonicalLead, CanonicalOpportunity
from rules.loader import load_rules

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rules"
NEW_YORK = ZoneInfo("America/New_York")
# Worked examples' now: Tuesday 2026-03-10 14:00 EDT.
NOW = datetime(2026, 3, 10, 14, 0, tzinfo=NEW_YORK)


def at(text: str) -> datetime:
    """An aware datetime from ISO text."""
    return datetime.fromisoformat(text)


def lead(**fields: Any) -> CanonicalLead:
    """A canonical lead with an id and owner unless given."""
    fields.setdefault("id", "00QTEST")
    fields.setdefault("owner_id", "005OWNER")
    return CanonicalLead.from_mapping(fields)


def opportunity(**fields: Any) -> CanonicalOpportunity:
    """A canonical opportunity with an id and owner unless given."""
    fields.setdefault("id", "006TEST")
    fields.setdefault("owner_id", "005OWNER")
    return CanonicalOpportunity.from_mapping(fields)


def fixture_json(name: str) -> Any:
    """A JSON fixture from fixtures/rules/."""
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(scope="session")
def compiled() -> Compiled:
    """The shipped config/sop.yaml, compiled."""
    return compile_rules(load_rules())
