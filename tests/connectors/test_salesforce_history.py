"""Salesforce read_history through simple-salesforce: LeadHistory rows of tracked fields only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from integrations.base import WriteRow
from integrations.sf_records import parse_sf_datetime
from tests.connectors.sf_support import connector, load_leads, sandbox
from tests.sandbox.clients import salesforce_raw


@pytest.fixture
def sb(make_sandbox: Callable[..., Any]) -> Any:
    return sandbox(make_sandbox)


def _admin(sb: Any, path: str, body: Any) -> Any:
    answer = salesforce_raw(sb).post(f"{sb.salesforce_url}/__admin/{path}", json=body)
    answer.raise_for_status()
    return answer.json()


def _edit_as_other_user(sb: Any, record_id: str, **fields: Any) -> str:
    """Another user's edit; returns the record's new LastModifiedDate."""
    answer = _admin(sb, "edit_as_other_user", {"id": record_id, "fields": fields})
    return str(answer["LastModifiedDate"])


def test_tracked_fields_answer_their_last_change_untracked_ones_nothing(sb: Any) -> None:
    lead, other = load_leads(sb, 2, Phone="555-0100", Title="Roofer")
    sf = connector(sb)
    sf.update("Lead", [WriteRow({"Phone": "555-0101"}, id=lead)])
    edited = _edit_as_other_user(sb, lead, Phone="555-0102", Rating="Hot")
    _admin(sb, "clock", {"advance_seconds": 5})
    _edit_as_other_user(sb, lead, Rating="Cold")  # untracked: no history row
    times = sf.read_history("Lead", [lead, other], ["Phone", "Title", "Rating"])
    assert times == {lead: {"Phone": parse_sf_datetime(edited)}}
    (record,) = sf.read_by_ids("Lead", [lead], ["Phone"])
    assert record.modified is not None and record.modified > times[lead]["Phone"]


def test_objects_without_field_history_answer_nothing(sb: Any) -> None:
    assert connector(sb).read_history("Account", ["001000000000001AAA"], ["Phone"]) == {}
