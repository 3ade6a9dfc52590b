"""The shipped mapping: loads, compiles, and builds the canonical records the rules read."""

from __future__ import annotations

from dataclasses import fields

from rules.lead import CanonicalLead
from sync.mapping import load_mapping
from tests.sync.mapping_support import compiled

# Sync-only person fields: the channels opted_out is derived from, and the company link.
SYNC_ONLY = {"email_opt_out", "do_not_call", "company_id"}


def test_shipped_mapping_loads_with_every_pair() -> None:
    mapping = load_mapping()
    assert [name for name, _ in mapping.pairs.items()] == ["person", "company", "deal", "owner"]
    assert mapping.options.on_delete == "unlink_and_report"
    assert mapping.options.mirror_tasks is False


def test_person_fields_are_the_rules_canonical_names() -> None:
    person = load_mapping().pairs["person"]
    lead_fields = {f.name for f in fields(CanonicalLead)}
    assert set(person.fields) - SYNC_ONLY <= lead_fields


def test_defaults_follow_ownership() -> None:
    person = load_mapping().pairs["person"].fields
    assert person["website_visits"].policy == "hubspot_wins"
    assert person["stage"].policy == "salesforce_wins"
    assert person["owner_id"].policy == "salesforce_wins"
    assert person["email"].policy == "two_way"
    assert person["email_opt_out"].policy == "most_restrictive"
    deal = load_mapping().pairs["deal"].fields
    assert deal["amount"].policy == deal["close_date"].policy == "salesforce_wins"


def test_lead_stage_reads_and_writes_through_the_rules_table() -> None:
    mapping = compiled()
    lead = mapping.converter("salesforce", "Lead")
    contact = mapping.converter("hubspot", "contacts")
    assert lead.to_canonical({"Status": "Working - Engaged"})[0]["stage"] == "engaged"
    both = {"hs_lead_status": "OPEN_DEAL", "lifecyclestage": "customer"}
    assert contact.to_canonical(both)[0]["stage"] == "sold"
    # Only the first field known: the first stage with that value.
    assert contact.to_canonical({"hs_lead_status": "OPEN_DEAL"})[0]["stage"] == "qualified"
    assert contact.to_native({"stage": "engaged"})[0] == {
        "hs_lead_status": "CONNECTED",
        "lifecyclestage": "marketingqualifiedlead",
    }
    assert lead.to_native({"stage": "lost"})[0] == {"Status": "Closed - Not Converted"}


def test_an_unmapped_status_is_reported() -> None:
    lead = compiled().converter("salesforce", "Lead")
    values, problems = lead.to_canonical({"Status": "Nurturing"})
    assert "stage" not in values
    assert problems[0].field == "stage" and "Nurturing" in problems[0].message


def test_stage_table_comes_from_outside() -> None:
    table = {"salesforce": {"lead": {"new": {"Status": "Nurturing"}}}}
    lead = compiled(stage_values=table).converter("salesforce", "Lead")
    assert lead.to_canonical({"Status": "Nurturing"})[0]["stage"] == "new"


def test_deal_stage_ids_are_looked_up_by_label() -> None:
    deals = compiled().converter("hubspot", "deals")
    assert deals.to_canonical({"dealstage": "8812002"})[0]["stage"] == "proposal"
    assert deals.to_native({"stage": "closed_won"})[0] == {"dealstage": "closedwon"}
    values, problems = deals.to_canonical({"dealstage": "999"})
    assert "stage" not in values and "unknown deal stage id" in problems[0].message
    no_ids = compiled(deal_stage_ids={}).converter("hubspot", "deals")
    assert "not in the pipeline" in no_ids.to_native({"stage": "proposal"})[1][0].message


def test_owners_compare_by_email_across_systems() -> None:
    mapping = compiled()
    sf = mapping.converter("salesforce", "Lead").to_canonical({"OwnerId": "005000000000001AAA"})
    hs = mapping.converter("hubspot", "contacts").to_canonical({"hubspot_owner_id": "101"})
    assert sf[0]["owner_id"] == hs[0]["owner_id"] == "ana.sales@example.com"
    native = mapping.converter("hubspot", "contacts").to_native(
        {"owner_id": "ben.sales@example.com"}
    )
    assert native[0] == {"hubspot_owner_id": "102"}
    _, problems = mapping.converter("hubspot", "contacts").to_canonical({"hubspot_owner_id": "999"})
    assert "matches no owner by email" in problems[0].message


def test_rules_can_keep_native_owner_ids() -> None:
    lead = compiled(owner_values="native").converter("salesforce", "Lead")
    assert lead.to_canonical({"OwnerId": "005X"})[0]["owner_id"] == "005X"


def test_company_reference_follows_links_and_associations() -> None:
    mapping = compiled()
    contact = mapping.converter("salesforce", "Contact")
    hs = mapping.converter("hubspot", "contacts")
    assert contact.to_canonical({"AccountId": "001000000000001AAA"})[0]["company_id"] == "c0ffee"
    assert hs.to_canonical({"associations.companies": ["5001"]})[0]["company_id"] == "c0ffee"
    assert hs.to_native({"company_id": "c0ffee"})[0] == {"associations.companies": "5001"}
    assert hs.associations == {"associations.companies"}
    _, problems = hs.to_canonical({"associations.companies": ["7777"]})
    assert "not linked yet" in problems[0].message


def test_opted_out_is_derived_from_the_named_channels() -> None:
    lead = compiled().converter("salesforce", "Lead")
    assert (
        lead.to_canonical({"HasOptedOutOfEmail": False, "DoNotCall": True})[0]["opted_out"] is True
    )
    assert (
        lead.to_canonical({"HasOptedOutOfEmail": False, "DoNotCall": False})[0]["opted_out"]
        is False
    )
    assert lead.to_canonical({})[0]["opted_out"] is False
    hs = compiled().converter("hubspot", "contacts")
    assert hs.to_canonical({"hs_email_optout": "true"})[0]["opted_out"] is True


def test_person_accounts_pair_with_contacts_and_business_accounts_with_companies() -> None:
    mapping = compiled()
    person = mapping.classify("salesforce", "Account", {"IsPersonAccount": True})
    business = mapping.classify("salesforce", "Account", {"IsPersonAccount": False})
    assert person is not None and (person.pair, person.variant) == ("person", "PersonAccount")
    assert business is not None and (business.pair, business.variant) == ("company", "Account")
    values = person.to_canonical({"PersonEmail": "Pat@Home.example", "LastName": "Lee"})[0]
    assert values["email"] == "pat@home.example"


def test_converted_leads_are_read_only() -> None:
    lead = compiled().converter("salesforce", "Lead")
    assert lead.is_read_only({"IsConverted": True})
    assert not lead.is_read_only({"IsConverted": False})


def test_read_fields_cover_mapped_identity_and_selector_fields() -> None:
    mapping = compiled()
    lead = mapping.converter("salesforce", "Lead").read_fields
    assert {"Email", "Status", "HubSpot_Id__c", "ConvertedContactId", "IsConverted"} <= set(lead)
    account = mapping.converter("salesforce", "PersonAccount").read_fields
    assert {"PersonEmail", "IsPersonAccount"} <= set(account)
    assert len(lead) == len(set(lead))


def test_read_only_fields_are_neither_written_nor_targeted() -> None:
    mapping = compiled()
    lead, contact = (
        mapping.converter("salesforce", "Lead"),
        mapping.converter("hubspot", "contacts"),
    )
    _, problems = contact.to_native({"website_visits": 3})
    assert "read only" in problems[0].message
    rules = mapping.rules(lead, contact)
    assert rules["website_visits"].writable == {"salesforce"}
    assert rules["contact_verified_at"].writable == {"hubspot"}
    assert rules["created_at"].writable == frozenset()
    assert "company_id" not in rules  # a Lead has no AccountId


def test_stage_table_of_the_shipped_rules_file_compiles() -> None:
    from rules.loader import load_rules
    from sync.compiled import stage_values_from_rules

    table = stage_values_from_rules(load_rules())
    mapping = compiled(stage_values=table)
    deals = mapping.converter("hubspot", "deals")
    assert deals.to_native({"stage": "proposal"})[0] == {"dealstage": "8812002"}
    assert deals.to_canonical({"dealstage": "closedwon"})[0]["stage"] == "closed_won"
    lead = mapping.converter("salesforce", "Lead")
    assert lead.to_canonical({"Status": "Qualified"})[0]["stage"] == "qualified"
    contact = mapping.converter("hubspot", "contacts")
    sold = {"hs_lead_status": "CONNECTED", "lifecyclestage": "customer"}
    assert contact.to_canonical(sold)[0]["stage"] == "sold"


def test_a_record_found_on_one_side_is_created_as_the_other_sides_object() -> None:
    mapping = compiled()
    contact = mapping.converter("hubspot", "contacts")
    target = mapping.create_target(contact)
    assert target is not None and target.variant == "Lead"
    assert target.create_defaults == {"Company": "[not provided]"}
    values = contact.to_canonical(
        {
            "email": "a@x.com",
            "jobtitle": "",
            "hs_analytics_num_visits": "3",
            "createdate": "1773165600000",
        }
    )[0]
    created = mapping.create_values(contact, target, values)
    # Blanks are left out, read-only (`never`) fields are not written, visits flow to Salesforce.
    assert created["email"] == "a@x.com" and created["website_visits"] == 3
    assert "title" not in created and "created_at" not in created
    lead = mapping.converter("salesforce", "Lead")
    back = mapping.create_values(lead, contact, {"email": "a@x.com", "website_visits": 3})
    assert back == {"email": "a@x.com"}
    assert mapping.create_target(mapping.converter("salesforce", "User")) is None


def test_native_change_times_become_field_change_times() -> None:
    from datetime import UTC, datetime

    contact = compiled().converter("hubspot", "contacts")
    early, late = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
    times = contact.field_times(
        {"hs_lead_status": early, "lifecyclestage": late, "jobtitle": early}
    )
    assert times == {"stage": late, "title": early}


def test_the_rules_read_the_records_this_mapping_builds() -> None:
    from rules.lead import CanonicalLead
    from sync.compiled import rules_record

    lead = compiled(owner_values="native").converter("salesforce", "Lead")
    values, problems = lead.to_canonical(
        {
            "Email": "Pat@X.com",
            "NumberOfEmployees": 12,
            "Industry": "Real Estate",
            "Website_Visits__c": 4.0,
            "Demo_Requested_At__c": "2026-03-08T14:00:00.000+0000",
            "HasOptedOutOfEmail": True,
            "Status": "Working - Contacted",
            "OwnerId": "005000000000001AAA",
        }
    )
    assert problems == []
    record = CanonicalLead.from_mapping(rules_record(values, "00Q1", "salesforce"))
    assert (record.id, record.crm, record.email, record.employees) == (
        "00Q1",
        "salesforce",
        "pat@x.com",
        12,
    )
    assert record.website_visits == 4 and record.opted_out is True and record.stage == "contacted"
    assert record.owner_id == "005000000000001AAA"
