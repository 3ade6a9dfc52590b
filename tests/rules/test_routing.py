"""Routing (sop-rules.md 4b): first matching rule, stable round-robin within a team."""

from __future__ import annotations

from rules.compiler import Compiled
from rules.engine import compile_rules, evaluate_lead
from rules.loader import load_rules
from tests.rules.conftest import NOW, lead

SALES = {"ana.sales@example.com", "ben.sales@example.com", "cara.sales@example.com"}
COMMERCIAL = {"dan.commercial@example.com", "eve.commercial@example.com"}


def routed(compiled: Compiled, **fields: object) -> tuple[str, str]:
    decision = evaluate_lead(compiled, lead(owner_id=None, **fields), NOW)
    assert decision.routing is not None
    return decision.routing.team, decision.routing.owner_email


def test_referral_and_repeat_customers_go_to_senior_sales(compiled: Compiled) -> None:
    for source in ("Referral", "Repeat Customer"):
        assert routed(compiled, lead_source=source, service_type="Commercial") == (
            "senior_sales",
            "sam.senior@example.com",
        )


def test_commercial_service_goes_to_commercial_team(compiled: Compiled) -> None:
    for service in ("Commercial", "New Construction"):
        team, owner = routed(compiled, service_type=service, lead_source="Website")
        assert team == "commercial" and owner in COMMERCIAL


def test_everything_else_goes_to_sales_team(compiled: Compiled) -> None:
    team, owner = routed(compiled, service_type="Emergency", lead_source="Phone")
    assert team == "sales" and owner in SALES


def test_round_robin_is_stable_and_spreads(compiled: Compiled) -> None:
    again = compile_rules(load_rules())
    owners = {}
    for index in range(30):
        record_id = f"00Q{index:05d}"
        first = routed(compiled, id=record_id)
        assert routed(again, id=record_id) == first
        owners[record_id] = first[1]
    assert set(owners.values()) == SALES


def test_usable_owner_is_kept(compiled: Compiled) -> None:
    decision = evaluate_lead(compiled, lead(stage="new", created_at=NOW.isoformat()), NOW)
    assert decision.routing is None
    assert decision.tasks[0].assignee == "005OWNER"


def test_unusable_owner_routes_and_tasks_follow(compiled: Compiled) -> None:
    decision = evaluate_lead(
        compiled,
        lead(stage="new", created_at=NOW.isoformat(), owner_id="00GQUEUE"),
        NOW,
        owner_usable=False,
    )
    assert decision.routing is not None
    (task,) = decision.tasks
    assert (task.assignee, task.assignee_kind) == (decision.routing.owner_email, "email")


def test_evaluate_leads_keeps_order(compiled: Compiled) -> None:
    from rules.engine import evaluate_leads

    ids = [f"00QORDER{i}" for i in range(5)]
    assert [d.record_id for d in evaluate_leads(compiled, [lead(id=i) for i in ids], NOW)] == ids
