"""Batch isolation without HTTP: bad inputs set aside or bisected, good ones written."""

from __future__ import annotations

from collections.abc import Sequence

from integrations.base import WriteResult
from integrations.hubspot_batch import BatchRejected, chunks, locate_by_value, write_isolating


class FakeBatchApi:
    """Refuses a whole batch naming its first bad input (or not); counts calls."""

    def __init__(self, bad: set[str], names_input: bool) -> None:
        self.bad = bad
        self.names_input = names_input
        self.calls = 0
        self.written: list[str] = []

    def send(self, items: Sequence[str]) -> list[WriteResult]:
        self.calls += 1
        for item in items:
            if item in self.bad:
                message = f"Contact already exists: {item}" if self.names_input else "conflict"
                raise BatchRejected(409, "CONFLICT", message)
        self.written.extend(items)
        return [WriteResult(ok=True, id=item.upper(), created=True) for item in items]


def emails(n: int) -> list[str]:
    return [f"person{i:03d}@example.com" for i in range(n)]


def locate(rejected: BatchRejected, items: Sequence[str]) -> list[int]:
    return locate_by_value(rejected, [[item] for item in items])


def test_named_bad_input_costs_two_extra_calls_and_the_rest_is_written() -> None:
    items = emails(100)
    api = FakeBatchApi({items[37]}, names_input=True)
    results = write_isolating(items, api.send, locate)
    assert api.calls == 2
    assert [r.ok for r in results].count(False) == 1
    assert results[37].error_code == "CONFLICT"
    assert results[36].id == items[36].upper() and results[38].id == items[38].upper()
    assert sorted(api.written) == sorted(set(items) - {items[37]})


def test_unnamed_bad_inputs_are_found_by_bisection() -> None:
    items = emails(100)
    bad = {items[3], items[64], items[99]}
    api = FakeBatchApi(bad, names_input=False)
    results = write_isolating(items, api.send, locate)
    failed = [items[i] for i, r in enumerate(results) if not r.ok]
    assert set(failed) == bad
    assert len(api.written) == 97
    assert api.calls <= 45  # about 2 log2(100) per bad input, plus the batch-wide probe


def test_wrong_guess_never_blames_a_good_input() -> None:
    items = emails(10)
    api = FakeBatchApi({items[2]}, names_input=False)

    def misleading(rejected: BatchRejected, batch: Sequence[str]) -> list[int]:
        return [0] if batch and batch[0] == items[0] else []

    results = write_isolating(items, api.send, misleading)
    assert results[0].ok  # tried alone once the rest failed too
    assert [i for i, r in enumerate(results) if not r.ok] == [2]
    assert len(api.written) == 9


def test_locate_needs_exactly_one_match() -> None:
    rejected = BatchRejected(400, "VALIDATION_ERROR", "Website was not one of the options")
    assert locate_by_value(rejected, [["Website"], ["Website"]]) == []
    assert locate_by_value(rejected, [["Phone"], ["Email"]]) == []
    assert locate_by_value(rejected, [["Phone"], ["WEBSITE"]]) == [1]


def test_every_input_sharing_a_named_defect_is_set_aside_at_once() -> None:
    items = emails(100)
    bad = {items[i] for i in range(0, 100, 10)}
    api = FakeBatchApi(bad, names_input=False)

    def same_defect(rejected: BatchRejected, batch: Sequence[str]) -> list[int]:
        return [i for i, item in enumerate(batch) if item in bad]

    results = write_isolating(items, api.send, same_defect)
    assert api.calls == 2
    assert [i for i, r in enumerate(results) if not r.ok] == list(range(0, 100, 10))


def test_chunks_are_full_batches() -> None:
    assert [len(c) for c in chunks(list(range(1001)))] == [100] * 10 + [1]


def test_a_refusal_of_the_whole_batch_is_not_bisected_to_the_end() -> None:
    items = emails(100)
    api = FakeBatchApi(set(items), names_input=False)
    results = write_isolating(items, api.send, locate)
    assert api.calls == 5  # the batch, its halves, the first input of each
    assert not any(r.ok for r in results)
    assert all("refused for the whole batch" in (r.message or "") for r in results)


def test_inputs_all_named_by_the_error_fail_without_more_calls() -> None:
    items = emails(10)
    api = FakeBatchApi(set(items), names_input=False)
    results = write_isolating(items, api.send, lambda _r, batch: list(range(len(batch))))
    assert api.calls == 1 and not any(r.ok for r in results)
