"""Identity matching of records whose stable id is linked in one system only (one-sided)."""

from __future__ import annotations

from sync.identity import match_records
from tests.sync.test_identity import hs, pairs, sf, unmatched


def test_two_one_sided_records_match_by_email() -> None:
    links = {("salesforce", "00Q1"): "A", ("hubspot", "901"): "B"}
    result = match_records(
        "person", [sf("00Q1", "a@x.com")], [hs("901", "a@x.com")], links, one_sided={"A", "B"}
    )
    assert pairs(result) == [("00Q1", "901", "email")]
    assert result.linked == {"A": {"salesforce": "00Q1"}, "B": {"hubspot": "901"}}
    assert unmatched(result) == {"salesforce": [], "hubspot": []}


def test_without_one_sided_ids_linked_records_are_taken() -> None:
    links = {("salesforce", "00Q1"): "A", ("hubspot", "901"): "B"}
    result = match_records("person", [sf("00Q1", "a@x.com")], [hs("901", "a@x.com")], links)
    assert pairs(result) == []


def test_a_one_sided_record_matches_an_unlinked_one_and_a_stored_id() -> None:
    links = {("salesforce", "00Q1"): "A", ("salesforce", "00Q2"): "C"}
    result = match_records(
        "person",
        [sf("00Q1", "a@x.com"), sf("00Q2", "b@x.com", other_id="902")],
        [hs("901", "a@x.com"), hs("902", "other@x.com")],
        links,
        one_sided={"A", "C"},
    )
    assert pairs(result) == [("00Q1", "901", "email"), ("00Q2", "902", "stored_id")]


def test_an_unmatched_one_sided_record_is_offered_for_creation() -> None:
    links = {("hubspot", "901"): "B"}
    result = match_records("person", [], [hs("901", "a@x.com")], links, one_sided={"B"})
    assert unmatched(result) == {"salesforce": [], "hubspot": ["901"]}


def test_one_sided_records_sharing_an_email_on_one_side_go_to_review() -> None:
    links = {("salesforce", "00Q1"): "A", ("salesforce", "00Q2"): "C", ("hubspot", "901"): "B"}
    result = match_records(
        "person",
        [sf("00Q1", "a@x.com"), sf("00Q2", "a@x.com")],
        [hs("901", "a@x.com")],
        links,
        one_sided={"A", "B", "C"},
    )
    assert pairs(result) == []
    assert [r.kind for r in result.review] == ["duplicate"]


def test_a_one_sided_record_beside_a_paired_one_is_not_matched_to_it() -> None:
    links = {("salesforce", "00Q1"): "S", ("hubspot", "901"): "S", ("hubspot", "902"): "B"}
    result = match_records(
        "person",
        [sf("00Q1", "a@x.com")],
        [hs("901", "a@x.com"), hs("902", "a@x.com")],
        links,
        one_sided={"B"},
    )
    assert pairs(result) == []
    assert [r.kind for r in result.review] == ["duplicate"]


def test_a_converted_leads_one_sided_id_moves_to_its_contact_which_then_matches() -> None:
    links = {("salesforce", "00Q1"): "A", ("hubspot", "901"): "B"}
    lead = sf("00Q1", "a@x.com", converted_to="0031")
    contact = sf("0031", "a@x.com", object="Contact")
    result = match_records(
        "person", [lead, contact], [hs("901", "a@x.com")], links, one_sided={"A", "B"}
    )
    assert [(m.from_id, m.to_id) for m in result.moves] == [("00Q1", "0031")]
    assert pairs(result) == [("0031", "901", "email")]
    assert result.review == []
