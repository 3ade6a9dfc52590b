"""Three-way field diff: change against the base, policies on conflicts, blanks never win."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.convert import CODECS
from sync.diff import MISSING, FieldRule, Times, diff_field, diff_pair
from sync.mapping import Side
from tests.sync.mapping_support import compiled

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
BOTH: frozenset[Side] = frozenset({"salesforce", "hubspot"})


def rule(policy: str = "two_way", kind: str = "string", name: str = "title", **kw) -> FieldRule:
    return FieldRule(name, policy, kw.pop("writable", BOTH), canon=CODECS[kind].canon, **kw)


def decide(r: FieldRule, sf, hs, base, times: Times | None = None):
    changes, new_base, held = diff_field(r, sf, hs, base, times)
    return [(c.target_system, c.old, c.new) for c in changes], new_base, held


def test_unchanged_field_yields_nothing() -> None:
    assert decide(rule(), "CEO", "CEO", "CEO") == ([], "CEO", None)


@pytest.mark.parametrize("policy", ["salesforce_wins", "hubspot_wins", "newest_wins", "two_way"])
def test_a_change_on_one_side_flows_to_the_other_whatever_the_policy(policy: str) -> None:
    assert decide(rule(policy), "CEO", "Owner", "Owner")[:2] == (
        [("hubspot", "Owner", "CEO")],
        "CEO",
    )
    assert decide(rule(policy), "Owner", "CEO", "Owner")[:2] == (
        [("salesforce", "Owner", "CEO")],
        "CEO",
    )


def test_change_record_says_who_decided_and_why() -> None:
    changes, _, _ = diff_field(rule("two_way"), "CEO", "Owner", "Owner")
    assert changes[0].policy == "two_way"
    assert changes[0].reason == "changed on salesforce only"
    assert changes[0].conflict is False


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("salesforce_wins", [("hubspot", "Owner", "CEO")]),
        ("hubspot_wins", [("salesforce", "CEO", "Owner")]),
    ],
)
def test_both_changed_side_wins_policies(policy: str, expected) -> None:
    changes, base, _ = decide(rule(policy), "CEO", "Owner", "VP")
    assert changes == expected
    assert base == expected[0][2]
    full, _, _ = diff_field(rule(policy), "CEO", "Owner", "VP")
    assert full[0].conflict is True and full[0].reason.startswith("changed on both")


def test_newest_wins_uses_the_field_change_time_over_the_record_time() -> None:
    times = Times(
        salesforce=LATER,
        hubspot=T0,
        salesforce_fields={"title": T0},
        hubspot_fields={"title": T0 + timedelta(minutes=5)},
    )
    assert decide(rule("newest_wins"), "CEO", "Owner", "VP", times)[0] == [
        ("salesforce", "CEO", "Owner")
    ]


def test_newest_wins_falls_back_to_the_record_modified_time() -> None:
    times = Times(salesforce=LATER, hubspot=T0)
    assert decide(rule("newest_wins"), "CEO", "Owner", "VP", times)[0] == [
        ("hubspot", "Owner", "CEO")
    ]
    times = Times(salesforce=T0, hubspot=LATER)
    assert decide(rule("newest_wins"), "CEO", "Owner", "VP", times)[0] == [
        ("salesforce", "CEO", "Owner")
    ]


def test_newest_wins_tie_goes_to_salesforce() -> None:
    times = Times(salesforce=T0, hubspot=T0)
    assert decide(rule("newest_wins"), "CEO", "Owner", "VP", times)[0] == [
        ("hubspot", "Owner", "CEO")
    ]


def test_two_way_never_lets_a_newer_blank_win() -> None:
    times = Times(salesforce=T0, hubspot=LATER)
    changes, base, _ = decide(rule("two_way"), "CEO", "", "VP", times)
    assert changes == [("hubspot", None, "CEO")]
    assert base == "CEO"


def test_prefer_non_blank_takes_the_value_then_the_newest() -> None:
    assert decide(rule("prefer_non_blank"), None, "Owner", "VP")[0] == [
        ("salesforce", None, "Owner")
    ]
    times = Times(salesforce=LATER, hubspot=T0)
    assert decide(rule("prefer_non_blank"), "CEO", "Owner", "VP", times)[0] == [
        ("hubspot", "Owner", "CEO")
    ]


def optout(policy: str = "most_restrictive") -> FieldRule:
    return FieldRule("email_opt_out", policy, BOTH, canon=CODECS["boolean"].canon)


def test_most_restrictive_opt_out_on_salesforce_reaches_hubspot() -> None:
    assert decide(optout(), True, "false", False)[:2] == ([("hubspot", False, True)], True)


def test_most_restrictive_opt_out_on_hubspot_reaches_salesforce() -> None:
    assert decide(optout(), False, "true", False)[:2] == ([("salesforce", False, True)], True)


def test_most_restrictive_holds_against_a_one_sided_opt_in() -> None:
    # Re-subscribing on one side only does not lift the other side's opt-out.
    assert decide(optout(), False, True, True)[:2] == ([("salesforce", False, True)], True)


def test_most_restrictive_on_first_sync() -> None:
    assert decide(optout(), True, False, None)[0] == [("hubspot", False, True)]
    changes, _, _ = diff_field(optout(), False, True)
    assert changes[0].reason.startswith("first sync; most restrictive")
    # An unset HubSpot checkbox reads as false: nothing to write.
    assert decide(optout(), False, None, MISSING)[0] == []


def test_never_is_read_only() -> None:
    assert decide(rule("never"), "CEO", "Owner", "VP")[:2] == ([], MISSING)
    assert decide(rule("never"), "CEO", "CEO", None)[:2] == ([], "CEO")


def test_a_one_sided_blank_is_held_and_the_base_kept() -> None:
    changes, base, held = decide(rule("two_way"), None, "CEO", "CEO")
    assert changes == []
    assert base is MISSING
    assert held is not None and "blank never overwrites hubspot" in held


def test_blank_overwrites_when_the_mapping_says_so() -> None:
    r = rule("newest_wins", blank_overwrites=True)
    assert decide(r, None, "CEO", "CEO")[:2] == ([("hubspot", "CEO", None)], None)


def test_two_way_never_writes_a_blank_whatever_the_mapping_says() -> None:
    r = rule("two_way", blank_overwrites=True)
    assert decide(r, None, "CEO", "CEO")[0] == []


def test_first_sync_takes_the_policy_winner_and_fills_blanks_from_the_other_side() -> None:
    assert decide(rule("salesforce_wins"), "CEO", "Owner", MISSING)[0] == [
        ("hubspot", "Owner", "CEO")
    ]
    changes, base, _ = diff_field(rule("salesforce_wins"), None, "Owner")
    assert [(c.target_system, c.new) for c in changes] == [("salesforce", "Owner")]
    assert changes[0].reason.startswith("first sync; salesforce wins; a blank never overwrites")
    assert base == "Owner"


def test_owner_side_reasserts_a_field_the_other_side_may_not_write() -> None:
    visits = rule("hubspot_wins", "integer", writable=frozenset({"salesforce"}))
    changes, base, _ = decide(visits, 99, "4", 4)
    assert changes == [("salesforce", 99, 4)] and base == 4
    assert decide(visits, 4, "7", 4)[0] == [("salesforce", 4, 7)]


def test_a_change_that_may_not_flow_is_held_without_a_policy_owner() -> None:
    last = rule("newest_wins", "datetime", writable=frozenset({"salesforce"}))
    changes, _, held = decide(last, LATER, T0, T0)
    assert changes == [] and held is not None and "hubspot is not written" in held


def test_values_that_mean_the_same_are_no_change() -> None:
    moment = rule("two_way", "datetime")
    sf, hs, base = (
        "2026-03-10T18:00:00.000+0000",
        "2026-03-10T18:00:00Z",
        "2026-03-10T18:00:00+00:00",
    )
    assert decide(moment, sf, hs, base)[0] == []
    assert decide(rule("two_way", "number"), 10.0, "10", "10.0")[0] == []


def test_hubspot_analytics_touch_changes_nothing() -> None:
    mapping = compiled()
    lead, contact = (
        mapping.converter("salesforce", "Lead"),
        mapping.converter("hubspot", "contacts"),
    )
    sf = lead.to_canonical({"Email": "a@x.com", "Title": "CEO", "Website_Visits__c": 4.0})[0]
    hs = contact.to_canonical(
        {"email": "a@x.com", "jobtitle": "CEO", "hs_analytics_num_visits": "4"}
    )[0]
    base = diff_pair(mapping.rules(lead, contact), sf, hs, None).base
    touched = Times(salesforce=T0, hubspot=T0 + timedelta(days=1))  # lastmodifieddate moved
    result = diff_pair(mapping.rules(lead, contact), sf, hs, base, touched)
    assert result.changes == [] and result.held == []


def test_own_writes_become_the_base_and_do_not_echo() -> None:
    rules = {"title": rule("two_way"), "phone": rule("two_way", "phone", "phone")}
    base = {"title": "VP", "phone": "555"}
    sf, hs = {"title": "CEO", "phone": "555"}, {"title": "VP", "phone": "555-1"}
    first = diff_pair(rules, sf, hs, base)
    assert sorted((c.field, c.target_system) for c in first.changes) == [
        ("phone", "salesforce"),
        ("title", "hubspot"),
    ]
    # Apply the writes, store the new base: the next run finds nothing to do.
    sf.update(first.for_side("salesforce"))
    hs.update(first.for_side("hubspot"))
    assert diff_pair(rules, sf, hs, first.base).changes == []
    assert first.base == {"title": "CEO", "phone": "555-1"}


def test_fields_one_side_does_not_carry_are_left_alone() -> None:
    rules = {"company": rule("two_way")}
    assert diff_pair(rules, {}, {"company": "Acme"}, None).changes == []


def test_a_base_stored_as_json_compares_equal_to_the_live_value() -> None:
    from datetime import date

    from sync.convert import to_json_value

    moment = datetime(2026, 3, 10, 18, 0, 0, 125000, tzinfo=UTC)
    assert decide(
        rule("two_way", "datetime"), moment, moment + timedelta(hours=1), to_json_value(moment)
    )[0] == [("salesforce", moment, moment + timedelta(hours=1))]
    day = date(2026, 4, 1)
    assert to_json_value(day) == "2026-04-01"
    changes, base, _ = decide(
        rule("salesforce_wins", "date"), day, date(2026, 5, 1), to_json_value(day)
    )
    assert changes == [("salesforce", day, date(2026, 5, 1))] and base == date(2026, 5, 1)


def test_a_base_that_no_longer_reads_counts_as_a_first_sync() -> None:
    from sync.picklists import picklist_codec, value_table

    codec = picklist_codec(value_table(["Retail", "Other"], {}, {}), multi=False)
    industry = FieldRule("industry", "salesforce_wins", BOTH, canon=codec.canon)
    changes, new_base, _ = diff_field(industry, "Retail", "Other", "Aerospace")
    assert new_base == "Retail"
    assert [(c.target_system, c.new) for c in changes] == [("hubspot", "Retail")]
    assert changes[0].reason.startswith("first sync")
