"""Shared builders for the sync-logic tests: the default mapping compiled with test tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sync.compiled import CompileContext, CompiledMapping, compile_mapping
from sync.mapping import load_mapping

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mapping"
DEAL_STAGE_IDS = {
    "Prospecting": "appointmentscheduled",
    "Qualification": "qualifiedtobuy",
    "Needs Analysis": "8812001",
    "Proposal": "8812002",
    "Negotiation": "8812003",
    "Closed Won": "closedwon",
    "Closed Lost": "closedlost",
}
OWNERS = {
    "salesforce": {
        "005000000000001AAA": "Ana.Sales@example.com",
        "005000000000002AAA": "ben.sales@example.com",
    },
    "hubspot": {"101": "ana.sales@example.com", "102": "ben.sales@example.com"},
}


def stage_values() -> dict[str, Any]:
    """The fallback stage table (same shape as config/sop.yaml's `stage_values`)."""
    return yaml.safe_load((FIXTURES / "stage_values.yaml").read_text(encoding="utf-8"))


class DictReferences:
    """Links for reference fields, from plain dicts."""

    def __init__(self, links: dict[tuple[str, str, str], str]) -> None:
        self.to_stable = links
        self.to_native = {
            (system, pair, stable): rid for (system, pair, rid), stable in links.items()
        }

    def stable_id(self, system: str, pair: str, record_id: str) -> str | None:
        return self.to_stable.get((system, pair, record_id))

    def record_id(self, system: str, pair: str, stable_id: str) -> str | None:
        return self.to_native.get((system, pair, stable_id))


REFERENCES = DictReferences(
    {
        ("salesforce", "company", "001000000000001AAA"): "c0ffee",
        ("hubspot", "company", "5001"): "c0ffee",
    }
)


def compiled(**overrides: Any) -> CompiledMapping:
    """The shipped mapping compiled with the test stage table, deal stage ids, owners and links."""
    context = {
        "stage_values": stage_values(),
        "deal_stage_ids": DEAL_STAGE_IDS,
        "owners": OWNERS,
        "references": REFERENCES,
        **overrides,
    }
    return compile_mapping(load_mapping(), CompileContext(**context))
