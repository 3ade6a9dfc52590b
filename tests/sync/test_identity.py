"""Identity matching: links, stored ids, emails, domains; duplicates and look-alikes to review."""

from __future__ import annotations

from sync.identity import Candidate, LinkMove, Merge, candidate_of, ids_to_look_up, match_records
from tests.sync.mapping_support import compiled


def sf(rid: str, email: str | None = None, **kw) -> Candidate:
    return Candidate("salesforce", kw.pop("object", "Lead"), rid, email, **kw)


def hs(rid: str, email: str | None = None, **kw) -> Candidate:
    return Candidate("hubspot", kw.pop("object", "contacts"), rid, email, **kw)


def pairs(result) -> list[tuple[str, str, str]]:
    return sorted((m.salesforce_id, m.hubspot_id, m.how) for m in result.matches)


def unmatched(result) -> dict[str, list[str]]:
    return {side: sorted(c.id for c in cs) for side, cs in result.unmatched.items()}


def test_emails_match_whatever_their_case_and_spaces() -> None:
    mapping = compiled()
    lead = mapping.converter("salesforce", "Lead")
    contact = mapping.converter("hubspot", "contacts")
    a = candidate_of(lead, "00Q1", {}, lead.to_canonical({"Email": "  Jo.Doe@Example.COM "})[0])
    b = candidate_of(contact, "901", {}, contact.to_canonical({"email": "jo.doe@example.com"})[0])
    result = match_records("person", [a], [b], {})
    assert pairs(result) == [("00Q1", "901", "email")]
    assert result.matches[0].salesforce_object == "Lead"
    assert unmatched(result) == {"salesforce": [], "hubspot": []}


def test_several_salesforce_records_with_one_email_go_to_review_never_linked() -> None:
    result = match_records(
        "person",
        [sf("00Q1", "a@x.com"), sf("0031", "a@x.com", object="Contact")],
        [hs("901", "a@x.com")],
        {},
    )
    assert result.matches == []
    (item,) = result.review
    assert item.kind == "duplicate"
    assert set(item.records) == {("salesforce", "00Q1"), ("salesforce", "0031"), ("hubspot", "901")}
    assert "2 salesforce records share email 'a@x.com'" in item.reason
    assert unmatched(result) == {"salesforce": [], "hubspot": []}


def test_salesforce_duplicates_without_a_hubspot_record_are_not_offered_for_creation() -> None:
    result = match_records("person", [sf("00Q1", "a@x.com"), sf("00Q2", "a@x.com")], [], {})
    assert [r.kind for r in result.review] == ["duplicate"]
    assert unmatched(result)["salesforce"] == []


def test_a_new_record_sharing_a_linked_persons_email_goes_to_review() -> None:
    links = {("salesforce", "00Q1"): "S1", ("hubspot", "901"): "S1"}
    result = match_records(
        "person", [sf("00Q1", "a@x.com"), sf("00Q2", "a@x.com")], [hs("901", "a@x.com")], links
    )
    assert result.linked == {"S1": {"salesforce": "00Q1", "hubspot": "901"}}
    assert [r.kind for r in result.review] == ["duplicate"]
    assert unmatched(result) == {"salesforce": [], "hubspot": []}


def test_a_link_in_the_store_comes_first() -> None:
    links = {("salesforce", "00Q1"): "S1", ("hubspot", "902"): "S1"}
    result = match_records(
        "person", [sf("00Q1", "a@x.com")], [hs("901", "a@x.com"), hs("902", "b@x.com")], links
    )
    assert result.linked == {"S1": {"salesforce": "00Q1", "hubspot": "902"}}
    assert result.matches == []
    # 901 shares the email of a linked Salesforce record: a person decides.
    assert [r.kind for r in result.review] == ["duplicate"]


def test_stored_other_system_ids_link_before_email() -> None:
    result = match_records(
        "person",
        [sf("00Q1", "old@x.com", other_id="901"), sf("00Q2", "b@x.com")],
        [hs("901", "new@x.com"), hs("902", "c@x.com", other_id="00Q2")],
        {},
    )
    assert pairs(result) == [("00Q1", "901", "stored_id"), ("00Q2", "902", "stored_id")]


def test_a_stored_id_of_a_record_linked_elsewhere_is_a_conflict() -> None:
    links = {("hubspot", "901"): "S9"}
    result = match_records("person", [sf("00Q1", "a@x.com", other_id="901")], [], links)
    assert result.matches == []
    assert [(r.kind, r.records) for r in result.review] == [
        ("conflict", (("salesforce", "00Q1"), ("hubspot", "901")))
    ]


def test_converted_lead_moves_its_link_to_the_contact_keeping_the_stable_id() -> None:
    links = {("salesforce", "00Q1"): "S1", ("hubspot", "901"): "S1"}
    lead = sf("00Q1", "a@x.com", converted_to="0031")
    contact = sf("0031", "a@x.com", object="Contact")
    result = match_records("person", [lead, contact], [hs("901", "a@x.com")], links)
    assert result.moves == [LinkMove("S1", "salesforce", "00Q1", "0031", "converted")]
    assert result.linked == {"S1": {"salesforce": "0031", "hubspot": "901"}}
    assert result.matches == [] and result.review == []
    assert unmatched(result) == {"salesforce": [], "hubspot": []}


def test_an_unlinked_converted_lead_steps_aside_for_its_contact() -> None:
    lead = sf("00Q1", "a@x.com", converted_to="0031")
    contact = sf("0031", "a@x.com", object="Contact")
    result = match_records("person", [lead, contact], [hs("901", "a@x.com")], {})
    assert pairs(result) == [("0031", "901", "email")]
    assert result.moves == [] and result.review == []


def test_person_accounts_pair_with_hubspot_contacts_by_person_email() -> None:
    mapping = compiled()
    account = mapping.classify("salesforce", "Account", {"IsPersonAccount": True})
    assert account is not None
    native = {"IsPersonAccount": True, "PersonEmail": "Pat@Home.example", "LastName": "Lee"}
    candidate = candidate_of(account, "001P", native, account.to_canonical(native)[0])
    result = match_records("person", [candidate], [hs("905", "pat@home.example")], {})
    assert [(m.salesforce_object, m.how) for m in result.matches] == [("PersonAccount", "email")]


def test_salesforce_merge_moves_the_link_to_the_master_record() -> None:
    links = {("salesforce", "0032"): "S2"}
    loser = sf("0032", "a@x.com", object="Contact", merged_into="0031")
    result = match_records("person", [loser], [], links)
    assert result.moves == [LinkMove("S2", "salesforce", "0032", "0031", "merged")]


def test_hubspot_merge_moves_the_link_to_the_winner() -> None:
    links = {("hubspot", "901"): "S1"}
    winner = hs("950", "a@x.com", merged_ids=("901",))
    result = match_records("person", [], [winner], links)
    assert result.moves == [LinkMove("S1", "hubspot", "901", "950", "merged")]
    assert result.linked == {"S1": {"hubspot": "950"}}


def test_merging_two_linked_records_is_a_conflict_for_review() -> None:
    links = {("hubspot", "901"): "S1", ("hubspot", "950"): "S2"}
    result = match_records(
        "person", [], [hs("950", "a@x.com")], links, merges=[Merge("hubspot", "901", "950")]
    )
    assert result.moves == []
    assert [r.kind for r in result.review] == ["conflict"]


def test_fuzzy_look_alikes_are_listed_for_review_and_never_linked() -> None:
    a = sf("00Q1", "jon@acme.com", name="Jon Smith", company="Acme")
    b = hs("901", "john.smith@gmail.com", name="John Smith", company="Acme Inc.")
    c = sf("00Q2", "zed@x.com", name="Zed Zulu", company="Zeta")
    result = match_records("person", [a, c], [b], {}, fuzzy_threshold=85)
    assert result.matches == []
    (item,) = result.review
    assert item.kind == "fuzzy" and item.records == (("salesforce", "00Q1"), ("hubspot", "901"))
    assert item.detail["score"] >= 85
    assert unmatched(result) == {"salesforce": ["00Q2"], "hubspot": []}


def test_unmatched_records_are_create_candidates_on_each_side() -> None:
    result = match_records(
        "person",
        [sf("00Q1", "a@x.com", name="Ann Able")],
        [hs("901", "b@x.com", name="Bob Brown")],
        {},
    )
    assert unmatched(result) == {"salesforce": ["00Q1"], "hubspot": ["901"]}
    assert result.review == []


def test_companies_match_by_domain_then_normalised_name() -> None:
    result = match_records(
        "company",
        [
            sf("0011", object="Account", name="Acme, Inc.", domain="acme.com"),
            sf("0012", object="Account", name="Bolt LLC"),
        ],
        [
            hs("701", object="companies", name="ACME", domain="acme.com"),
            hs("702", object="companies", name="bolt"),
        ],
        {},
    )
    assert pairs(result) == [("0011", "701", "domain"), ("0012", "702", "name")]


def test_companies_sharing_a_domain_go_to_review() -> None:
    result = match_records(
        "company",
        [
            sf("0011", object="Account", name="Acme East", domain="acme.com"),
            sf("0012", object="Account", name="Acme West", domain="acme.com"),
        ],
        [hs("701", object="companies", name="Acme", domain="acme.com")],
        {},
    )
    assert result.matches == []
    assert [r.kind for r in result.review] == ["duplicate"]


def test_ids_to_look_up_name_every_record_and_the_ids_they_point_at() -> None:
    wanted = ids_to_look_up(
        [sf("00Q1", other_id="901", converted_to="0031"), hs("950", merged_ids=("902",))]
    )
    assert wanted == {
        ("salesforce", "00Q1"),
        ("hubspot", "901"),
        ("salesforce", "0031"),
        ("hubspot", "950"),
        ("hubspot", "902"),
    }
