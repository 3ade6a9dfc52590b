from __future__ import annotations

from collections.abc import Iterator

import pytest

from integrations.streams import chunked, merged


def test_chunked_keeps_every_item_in_order() -> None:
    assert list(chunked(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert list(chunked([], 3)) == [[]]


def test_merged_yields_every_item_of_every_stream() -> None:
    streams = [lambda: iter(range(0, 50)), lambda: iter(range(50, 120))]
    assert sorted(merged(streams, ahead=2)) == list(range(120))


def test_a_stream_error_reaches_the_consumer() -> None:
    def broken() -> Iterator[int]:
        yield 1
        raise RuntimeError("page refused")

    with pytest.raises(RuntimeError, match="page refused"):
        list(merged([broken, lambda: iter(range(10))], ahead=1))


def test_stopping_early_stops_the_streams() -> None:
    produced: list[int] = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    items = merged([endless], ahead=1)
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()  # type: ignore[attr-defined]
    settled = len(produced)
    assert settled < 10 and len(produced) == settled
