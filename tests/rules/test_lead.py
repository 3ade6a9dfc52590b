"""Canonical records from plain mappings: per-field errors, extra fields, datetimes in UTC."""

from __future__ import annotations

from datetime import UTC

import pytest

from rules.lead import CanonicalLead, CanonicalOpportunity, RecordError


def problems(data: object, extra: dict[str, str] | None = None) -> dict[str, str]:
    with pytest.raises(RecordError) as caught:
        CanonicalLead.from_mapping(data, extra)  # type: ignore[arg-type]
    return dict(caught.value.problems)


def test_every_bad_field_is_named() -> None:
    found = problems(
        {
            "id": "L1",
            "employees": "many",
            "created_at": "2026-03-10",
            "opted_out": "maybe",
            "budget": 5,
            "title": 7,
        }
    )
    assert found == {
        "employees": "expected an integer",
        "created_at": "datetime has no UTC offset (add e.g. -04:00 or Z)",
        "opted_out": "expected true or false",
        "budget": "expected a string or true/false",
        "title": "expected a string",
    }


def test_missing_id_and_unknown_field() -> None:
    found = problems({"employeez": 5})
    assert found["id"] == "required field is missing"
    assert found["employeez"].startswith("unknown field")


def test_not_an_object() -> None:
    assert problems(["x"]) == {"(record)": "expected an object"}


def test_values_are_converted() -> None:
    lead = CanonicalLead.from_mapping(
        {
            "id": "L1",
            "employees": "40",
            "opted_out": "TRUE",
            "created_at": "2026-03-10T09:00:00Z",
            "budget": True,
            "website_visits": 3.0,
            "stage": None,
        }
    )
    assert lead.employees == 40 and lead.website_visits == 3
    assert lead.opted_out is True and lead.budget is True and lead.stage is None
    assert lead.created_at is not None and lead.created_at.tzinfo is UTC


def test_declared_extra_fields_are_typed_and_undeclared_nested_extra_kept() -> None:
    declared = {"roof_age_years": "int", "storm_claim_at": "datetime"}
    lead = CanonicalLead.from_mapping(
        {
            "id": "L1",
            "roof_age_years": "12",
            "extra": {"storm_claim_at": "2026-01-02T00:00:00Z", "note": "raw"},
        },
        declared,
    )
    assert lead.extra["roof_age_years"] == 12
    assert lead.extra["storm_claim_at"].tzinfo is UTC
    assert lead.extra["note"] == "raw"
    assert problems({"id": "L1", "roof_age_years": "old"}, declared) == {
        "roof_age_years": "expected an integer"
    }


def test_opportunity_fields() -> None:
    opportunity = CanonicalOpportunity.from_mapping(
        {"id": "006A", "amount": "1200.50", "contract_end_at": "2026-06-01T00:00:00-04:00"}
    )
    assert opportunity.amount == 1200.5
    with pytest.raises(RecordError, match="amount: expected a number"):
        CanonicalOpportunity.from_mapping({"id": "006A", "amount": "lots"})
