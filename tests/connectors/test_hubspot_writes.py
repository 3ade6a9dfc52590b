"""HubSpot writes through the real SDK against the sandbox: batches, isolation, keys, tasks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.base import TaskSpec, WriteRow
from integrations.provisioning import HUBSPOT_PROPERTIES
from tests.connectors.hubspot_support import calls, connector, live


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox(size=10)


@pytest.fixture
def hs(sb: Any) -> Any:
    made = connector(sb)
    made.provision(HUBSPOT_PROPERTIES, dry_run=False)
    return made


def rows(n: int, prefix: str = "w") -> list[WriteRow]:
    return [WriteRow({"email": f"{prefix}{i}@example.com", "firstname": "Ada"}) for i in range(n)]


def test_1001_creates_take_exactly_11_batch_calls(sb: Any, hs: Any) -> None:
    results = hs.create("contacts", rows(1_001))
    assert calls(sb, "objects.batch.create") == 11
    assert len(results) == 1_001 and all(r.ok and r.created for r in results)
    assert len({r.id for r in results}) == 1_001


def test_1001_updates_take_exactly_11_batch_calls_in_input_order(sb: Any, hs: Any) -> None:
    made = hs.create("contacts", rows(1_001))
    changes = [WriteRow({"firstname": f"N{i}"}, id=r.id) for i, r in enumerate(made)]
    results = hs.update("contacts", changes)
    assert calls(sb, "objects.batch.update") == 11
    assert [r.id for r in results] == [r.id for r in made]
    assert live(sb, "contacts", "firstname", "N1000") == 1


def test_a_batch_with_one_duplicate_email_writes_the_other_99(sb: Any, hs: Any) -> None:
    hs.create("contacts", [WriteRow({"email": "taken@example.com"})])
    batch = rows(100, "dup")
    batch[42] = WriteRow({"email": "TAKEN@example.com", "firstname": "Dup"})
    results = hs.create("contacts", batch)
    assert [i for i, r in enumerate(results) if not r.ok] == [42]
    assert results[42].error_code == "CONFLICT" and "Existing ID" in (results[42].message or "")
    assert sum(r.ok for r in results) == 99
    assert live(sb, "contacts", "email", "dup0@example.com") == 1
    # refused whole, the holder's email looked up, the 99 resent
    assert calls(sb, "objects.batch.create") == 3


def test_a_batch_with_a_bad_option_value_isolates_that_input(sb: Any, hs: Any) -> None:
    batch = [WriteRow({**r.fields, "lead_source": "Website"}) for r in rows(100, "opt")]
    batch[7] = WriteRow({"email": "opt7@example.com", "lead_source": "Carrier pigeon"})
    results = hs.create("contacts", batch)
    assert [i for i, r in enumerate(results) if not r.ok] == [7]
    assert results[7].error_code == "VALIDATION_ERROR" and results[7].fields == ("lead_source",)
    assert calls(sb, "objects.batch.create") == 2


def test_an_unknown_property_fails_every_input_writing_it_in_two_calls(sb: Any, hs: Any) -> None:
    batch = rows(100, "unk")
    for i in (3, 50, 99):
        batch[i] = WriteRow({"email": f"unk{i}@example.com", "no_such_property": "x"})
    results = hs.create("contacts", batch)
    assert [i for i, r in enumerate(results) if not r.ok] == [3, 50, 99]
    assert calls(sb, "objects.batch.create") == 2


def test_updates_of_missing_ids_come_back_per_record(sb: Any, hs: Any) -> None:
    made = hs.create("contacts", rows(2, "upd"))
    results = hs.update(
        "contacts",
        [
            WriteRow({"firstname": "X"}, id=made[0].id),
            WriteRow({"firstname": "X"}, id="123456789"),
            WriteRow({"firstname": "X"}, id="'; DROP"),
        ],
    )
    assert [r.ok for r in results] == [True, False, False]
    assert results[1].error_code == "OBJECT_NOT_FOUND"
    assert results[2].error_code == "INVALID_ID"


def test_keyed_creates_are_upserts_and_never_duplicate(sb: Any, hs: Any) -> None:
    keyed = [WriteRow({"name": f"Co {i}"}, key=f"001SF{i:012d}") for i in range(3)]
    first = hs.create("companies", keyed)
    again = hs.create("companies", keyed)
    assert all(r.created for r in first) and not any(r.created for r in again)
    assert [r.id for r in first] == [r.id for r in again]
    assert calls(sb, "objects.batch.upsert") == 2
    assert live(sb, "companies", "salesforce_id", "001SF000000000001") == 1


def test_upsert_by_email(sb: Any, hs: Any) -> None:
    made = hs.create("contacts", [WriteRow({"email": "up@example.com", "firstname": "A"})])
    results = hs.upsert(
        "contacts",
        "email",
        [WriteRow({"email": "UP@example.com", "firstname": "B"}), WriteRow({"firstname": "C"})],
    )
    assert results[0].ok and results[0].id == made[0].id and not results[0].created
    assert results[1].error_code == "MISSING_KEY"


def test_lifecycle_stage_moves_back_only_through_clear_then_set(sb: Any, hs: Any) -> None:
    made = hs.create(
        "contacts", [WriteRow({"email": "lc@example.com", "lifecyclestage": "customer"})]
    )
    back = [WriteRow({"lifecyclestage": "lead"}, id=made[0].id)]
    hs.update("contacts", back)
    assert live(sb, "contacts", "lifecyclestage", "customer") >= 1
    before = calls(sb, "objects.batch.update")
    assert all(r.ok for r in hs.clear_then_set("contacts", back))
    assert calls(sb, "objects.batch.update") - before == 2
    assert sb.hubspot.store.get("contacts", int(made[0].id)).props["lifecyclestage"] == "lead"


def task(key: str, who: str | None, status: str = "open") -> TaskSpec:
    due = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    return TaskSpec(key, "Call back", due, "High", None, who_id=who, status=status)  # type: ignore[arg-type]


def test_tasks_upsert_by_key_and_link_new_ones_once(sb: Any, hs: Any) -> None:
    people = hs.create("contacts", rows(150, "t"))
    tasks = [task(f"task-{i}", p.id) for i, p in enumerate(people)]
    first = hs.write_tasks(tasks)
    assert all(r.ok and r.created for r in first)
    assert calls(sb, "objects.batch.upsert") == 2
    assert calls(sb, "associations.batch.default") == 2
    again = hs.write_tasks([task(f"task-{i}", p.id, "completed") for i, p in enumerate(people)])
    assert [r.id for r in again] == [r.id for r in first] and not any(r.created for r in again)
    assert calls(sb, "associations.batch.default") == 2
    stored = sb.hubspot.store.get("tasks", int(first[0].id)).props
    assert stored["hs_task_status"] == "COMPLETED" and stored["hs_task_priority"] == "HIGH"
    assert stored["hs_timestamp"] == "2026-12-01T15:30:00.000Z"


def test_a_task_linked_to_a_missing_contact_is_reported(sb: Any, hs: Any) -> None:
    person = hs.create("contacts", rows(1, "link"))[0]
    results = hs.write_tasks([task("a", person.id), task("b", "987654321"), task("c", "bad id")])
    assert results[0].ok
    assert not results[1].ok and results[1].id and "linking" in (results[1].message or "")
    assert results[2].error_code == "INVALID_ID"


def test_a_record_named_twice_in_one_update_fails_only_its_repeat(sb: Any, hs: Any) -> None:
    a, b = hs.create("contacts", rows(2, "twice"))
    results = hs.update(
        "contacts",
        [
            WriteRow({"firstname": "First"}, id=a.id),
            WriteRow({"firstname": "Second"}, id=a.id),
            WriteRow({"firstname": "Other"}, id=b.id),
        ],
    )
    assert [r.ok for r in results] == [True, False, True]
    assert "Duplicate IDs" in (results[1].message or "")
    assert calls(sb, "objects.batch.update") == 2


def test_tasks_lacking_their_required_due_time_fail_alone(sb: Any, hs: Any) -> None:
    due = {"hs_timestamp": "2026-12-01T15:30:00Z", "hs_task_subject": "Call"}
    batch = [WriteRow(dict(due)) for _ in range(20)]
    batch[4] = batch[11] = WriteRow({"hs_task_subject": "No due time"})
    results = hs.create("tasks", batch)
    assert [i for i, r in enumerate(results) if not r.ok] == [4, 11]
    assert calls(sb, "objects.batch.create") == 2


def test_a_batch_refused_as_a_whole_costs_five_calls_not_two_per_input(sb: Any, hs: Any) -> None:
    batch = [WriteRow({"lastname": f"L{i}"}) for i in range(100)]
    results = hs.upsert("contacts", "lastname", batch)
    assert not any(r.ok for r in results)
    assert "not a unique property" in (results[0].message or "")
    assert calls(sb, "objects.batch.upsert") == 5


def test_batches_are_written_several_at_a_time_up_to_the_concurrency(sb: Any) -> None:
    """Latency does not idle the budget: batches overlap, never more than `concurrency`."""
    import threading

    hs = connector(sb, concurrency=3)
    lock = threading.Lock()
    state = {"now": 0, "most": 0}
    passed = sb.hubspot.dispatch

    def counting(request: Any) -> Any:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        try:
            return passed(request)
        finally:
            with lock:
                state["now"] -= 1

    sb.hubspot.dispatch = counting
    sb.hubspot.faults.configure({"latency_ms": 50})
    results = hs.create("contacts", rows(1_000, "c"))
    assert all(r.ok for r in results) and calls(sb, "objects.batch.create") == 10
    assert 2 <= state["most"] <= 3


def test_answers_are_read_raw_so_a_changed_status_code_loses_nothing(sb: Any) -> None:
    """The SDK's model for a create expects 201 and gives None on a 200; the raw answer does not."""
    import dataclasses

    hs = connector(sb)
    passed = sb.hubspot.dispatch

    def two_hundred(request: Any) -> Any:
        answer = passed(request)
        return dataclasses.replace(answer, status=200) if answer.status == 201 else answer

    sb.hubspot.dispatch = two_hundred
    results = hs.create("contacts", rows(3, "raw"))
    assert all(r.ok and r.created and r.id for r in results)
    assert live(sb, "contacts", "email", "raw2@example.com") == 1


def test_a_new_task_is_linked_to_its_contact_and_its_deal(sb: Any, hs: Any) -> None:
    (person,) = hs.create("contacts", rows(1, "both"))
    (deal,) = hs.create("deals", [WriteRow({"dealname": "Roof"})])
    due = datetime(2026, 12, 1, tzinfo=UTC)
    spec = TaskSpec("k-both", "Call", due, "Low", None, who_id=person.id, what_id=deal.id)
    (made,) = hs.write_tasks([spec])
    assert made.ok and made.created
    links = sb.hubspot.store.query(
        "SELECT to_type, to_id FROM associations WHERE from_type='tasks' AND from_id=?",
        (int(made.id or 0),),
    )
    assert sorted((str(t), str(i)) for t, i in links) == [
        ("contacts", person.id),
        ("deals", deal.id),
    ]
