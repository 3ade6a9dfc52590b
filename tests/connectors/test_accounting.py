from __future__ import annotations

import threading

import pytest

from integrations.accounting import BudgetGuard, Meter, endpoint_key
from integrations.errors import BudgetExhausted


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [
        ("get", "/services/data/v59.0/query/?q=SELECT", "GET /query"),
        ("GET", "/services/data/v59.0/query/01gxx0000004ABCAA2-2000", "GET /query/{id}"),
        (
            "PATCH",
            "/services/data/v59.0/sobjects/Lead/00Q5e00000AbCdEAAZ",
            "PATCH /sobjects/Lead/{id}",
        ),
        ("POST", "/services/data/v59.0/composite/sobjects", "POST /composite/sobjects"),
        ("PATCH", "/crm/v3/objects/contacts/123456", "PATCH /crm/v3/objects/contacts/{id}"),
    ],
)
def test_endpoint_key_folds_ids(method: str, path: str, key: str) -> None:
    assert endpoint_key(method, path, strip_prefix="/services/data/v59.0") == key


def test_meter_counts_each_call_per_endpoint() -> None:
    meter = Meter("salesforce")
    for _ in range(3):
        meter.begin("GET /query")
    meter.begin("POST /composite/sobjects")
    usage = meter.snapshot()
    assert usage.calls == {"GET /query": 3, "POST /composite/sobjects": 1}
    assert usage.total == 4


def test_fixed_cap_raises_before_the_call_that_would_exceed_it() -> None:
    meter = Meter("salesforce", guard=BudgetGuard(limit_calls=2))
    meter.begin("GET /query")
    meter.begin("GET /query")
    with pytest.raises(BudgetExhausted, match="RUN_BUDGET_CAP"):
        meter.begin("GET /query")
    assert meter.usage.total == 2


def test_share_cap_is_fixed_from_the_first_remaining_seen() -> None:
    meter = Meter("salesforce", guard=BudgetGuard(share=0.2))
    meter.begin("GET /limits")
    meter.observe(limit=1000, remaining=50)
    assert meter.guard.limit_calls == 1 + 10
    meter.observe(limit=1000, remaining=5)  # later answers do not move the cap
    assert meter.guard.limit_calls == 11
    for _ in range(10):
        meter.begin("GET /query")
    with pytest.raises(BudgetExhausted):
        meter.begin("GET /query")
    assert (meter.usage.limit, meter.usage.remaining) == (1000, 5)


def test_no_cap_without_limit_or_share() -> None:
    meter = Meter("hubspot")
    meter.observe(limit=None, remaining=0)
    for _ in range(100):
        meter.begin("GET /x")
    assert meter.usage.total == 100


def test_meter_is_thread_safe() -> None:
    meter = Meter("hubspot")

    def work() -> None:
        for _ in range(1000):
            meter.begin("POST /search")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert meter.usage.calls["POST /search"] == 4000
