"""Shared benchmark helpers: machine info, tables, memory, child processes."""

from __future__ import annotations

import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _read(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine_info() -> dict[str, str]:
    """Commit, cores, CPU model, RAM and Python version of this run."""
    mem_kb = _read("/proc/meminfo", "MemTotal")
    ram = f"{int(mem_kb.split()[0]) / 1024 / 1024:.1f} GiB" if mem_kb else "unknown"
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": _git("rev-parse", "--short", "HEAD")
        + (" (tree has uncommitted edits)" if dirty else ""),
        "nproc": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0),
        "cpu": _read("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "ram": ram,
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
        "utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }


def print_machine(title: str) -> None:
    """Print the benchmark's title and one line of machine facts."""
    info = machine_info()
    print(f"== {title}")
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned table (numbers right-aligned, with thousands separators)."""

    def cell(value: Any) -> str:
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return f"{value:,}"
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
        return str(value)

    text = [[cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in text]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for raw, row in zip(rows, text, strict=True):
        parts = [
            c.rjust(w) if isinstance(v, int | float) else c.ljust(w)
            for v, c, w in zip(raw, row, widths, strict=True)
        ]
        print("  ".join(parts))
    sys.stdout.flush()


def ratio(a: float, b: float) -> str:
    """`a / b` as text, `n/a` when b is 0."""
    return f"{a / b:.2f}x" if b else "n/a"


def ceil_div(n: int, d: int) -> int:
    """⌈n/d⌉."""
    return math.ceil(n / d)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """Samples another process's RSS (psutil) every `every` seconds; `peak_mb` is the max."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        import psutil

        self._process = psutil.Process(pid)
        self._every = every
        self._stop = threading.Event()
        self.peak_mb = 0.0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = self._process.memory_info().rss / 1024 / 1024
            except Exception:  # the process ended
                return
            self.peak_mb = max(self.peak_mb, rss)
            self._stop.wait(self._every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def child_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment with this checkout first on the path, so a clone measures itself."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **(extra or {})}


def total(calls: dict[str, int]) -> int:
    """All calls in a by-endpoint count."""
    return sum(calls.values())


class Measured:
    """What one crmops process did: exit code, wall seconds, its own peak RSS, its output."""

    def __init__(self, code: int, seconds: float, usage: Any, out: str, err: str) -> None:
        self.code = code
        self.seconds = seconds
        self.peak_mb = usage.ru_maxrss / 1024
        self.cpu_seconds = usage.ru_utime + usage.ru_stime  # the rest of the wall is waiting
        self.out = out
        self.err = err


def run_measured(args: Sequence[str], env: dict[str, str], cwd: Path) -> Measured:
    """Run a command and reap it with wait4, so its peak RSS is its own (ru_maxrss, KiB)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(args), env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(process.returncode, seconds, usage, out.read(), err.read())
