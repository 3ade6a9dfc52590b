"""Batching helpers: slices of a sequence, chunks of a stream, streams run side by side."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def slices(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """`items` in consecutive slices of at most `size` (none for an empty sequence)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Items in lists of `size` (the last one shorter, never empty unless `items` is)."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    yield chunk


def merged(streams: Sequence[Callable[[], Iterator[T]]], ahead: int) -> Iterator[T]:
    """Items of every stream, each run in its own thread, in the order they arrive.

    At most `ahead` items per stream wait in the queue. A stream's error is raised
    to the consumer; when the consumer stops early, the streams stop at their next
    item.
    """
    items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=max(1, ahead * len(streams)))
    stop = threading.Event()

    def run(stream: Callable[[], Iterator[T]]) -> None:
        try:
            for item in stream():
                if stop.is_set():
                    return
                items.put(("item", item))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            items.put(("error", exc))
        finally:
            items.put(("done", None))

    threads = [threading.Thread(target=run, args=(s,), daemon=True) for s in streams]
    for thread in threads:
        thread.start()
    try:
        remaining = len(threads)
        while remaining:
            kind, item = items.get()
            if kind == "done":
                remaining -= 1
            elif kind == "error":
                raise item
            else:
                yield item
    finally:
        stop.set()
        while any(t.is_alive() for t in threads):  # unblock producers waiting to put
            with contextlib.suppress(queue.Empty):
                items.get(timeout=0.05)
