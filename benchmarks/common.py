"""Shared benchmark helpers: machine info, a sandbox in its own process, memory, tables."""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_START_SECONDS = 1800.0  # a million-person seed load takes minutes, not hours
LOOPBACK = "https://127.0.0.1:"
SANDBOX_SEARCH_LAG = 10.0  # seconds; `sandbox serve --search-lag` default


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


RATE_LIMITED_MARK = "benchmark: 429 answers received: "


def crmops_command(count_429: bool = False) -> list[str]:
    """The crmops CLI of this checkout, with this interpreter (see `child_environment`).

    Args:
        count_429: count the 429 answers crmops's HubSpot transport receives and print
            them to stderr at exit (see `count_rate_limited`, `rate_limited_in`).
    """
    start = "import benchmarks.common as b; b.count_rate_limited(); " if count_429 else ""
    return [sys.executable, "-c", start + "import cli; cli.main()"]


def count_rate_limited() -> None:
    """Wrap the HubSpot transport's error sorting to count 429s; print the count at exit.

    Every failed HubSpot call passes `integrations.hubspot_http.sort_exception` once,
    so this counts what the crmops process received without changing what it does.
    """
    import atexit

    from integrations import hubspot_http

    seen = [0]
    original = hubspot_http.sort_exception

    def counting(exc: BaseException) -> Any:
        error = original(exc)
        if error is not None and error.status == 429:
            seen[0] += 1
        return error

    hubspot_http.sort_exception = counting
    atexit.register(lambda: print(f"{RATE_LIMITED_MARK}{seen[0]}", file=sys.stderr, flush=True))


def rate_limited_in(stderr: str) -> int | None:
    """The 429 count a `crmops_command(count_429=True)` process printed, if any."""
    for line in reversed(stderr.splitlines()):
        if line.startswith(RATE_LIMITED_MARK):
            return int(line[len(RATE_LIMITED_MARK) :])
    return None


def child_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment with this checkout first on the path, so a clone measures itself."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **(extra or {})}


def _die_with_parent() -> None:
    """Linux: SIGTERM this child when the benchmark dies, so no sandbox is left running."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


PR_SET_PDEATHSIG = 1


class SandboxProcess:
    """`crmops sandbox serve` in its own process, on 127.0.0.1, stopped on exit.

    Args:
        size: people per system in the seed data.
        db: SQLite file for the data (file-backed), or None for memory.
        rate_limits: False passes --no-rate-limits.
        latency_ms: latency added to every counted call.
        faults: extra NAME=VALUE faults.
        extra: further `sandbox serve` arguments.
    """

    def __init__(
        self,
        size: int,
        db: Path | None = None,
        *,
        rate_limits: bool = False,
        latency_ms: float = 0.0,
        faults: Sequence[str] = (),
        extra: Sequence[str] = (),
    ) -> None:
        args = [*crmops_command(), "sandbox", "serve", "--port", "0", "--size", str(size)]
        args += ["--db", str(db)] if db else []
        args += [] if rate_limits else ["--no-rate-limits"]
        args += ["--latency-ms", str(latency_ms)] if latency_ms else []
        for fault in faults:
            args += ["--fault", fault]
        self.args = [*args, *extra]
        self.info: dict[str, Any] = {}
        self.start_seconds = 0.0
        self._process: subprocess.Popen[str] | None = None
        self._session: requests.Session | None = None

    @property
    def pid(self) -> int:
        """The sandbox process id."""
        assert self._process is not None
        return self._process.pid

    def __enter__(self) -> SandboxProcess:
        started = time.perf_counter()
        self._process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=child_environment(),
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()  # blocks until the seed is loaded
        if not line:
            raise RuntimeError(f"sandbox did not start: {' '.join(self.args)}")
        self.info = json.loads(line)
        self.start_seconds = time.perf_counter() - started
        for key in ("salesforce_url", "hubspot_url"):
            assert self.info[key].startswith(LOOPBACK), self.info[key]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """SIGTERM the sandbox and wait for it."""
        if self._session is not None:
            self._session.close()
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def admin(self, system: str, method: str, path: str, body: Any = None) -> Any:
        """Call a sandbox admin route (never counted), e.g. ("hubspot", "POST", "/options")."""
        url = self.info[f"{system}_url"] + "/__admin" + path
        if self._session is None:
            self._session = requests.Session()
            self._session.trust_env = False  # 127.0.0.1 and the sandbox CA only
            self._session.verify = self.info["ca_bundle"]
        answer = self._session.request(method, url, json=body, timeout=120)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def calls(self) -> dict[str, dict[str, int]]:
        """Calls each system has answered since the last reset, by endpoint."""
        return {s: self.admin(s, "GET", "/calls")["by_endpoint"] for s in SYSTEMS}

    def reset_calls(self) -> None:
        """Start both call counters from zero."""
        for system in SYSTEMS:
            self.admin(system, "POST", "/calls/reset")

    def connect(self) -> tuple[Any, Any]:
        """Both crmops connectors on this sandbox (integrations.factory.connect_to)."""
        from integrations.factory import connect_to

        return connect_to(
            salesforce_url=self.info["salesforce_url"],
            session_id=self.info["salesforce_session_id"],
            hubspot_url=self.info["hubspot_url"],
            token=self.info["hubspot_token"],
            ca_bundle=self.info["ca_bundle"],
        )

    def environment(self) -> dict[str, str]:
        """CRMOPS_* variables pointing a crmops process at this sandbox."""
        return {
            "CRMOPS_SALESFORCE__AUTH": "session",
            "CRMOPS_SALESFORCE__INSTANCE_URL": self.info["salesforce_url"],
            "CRMOPS_SALESFORCE__SESSION_ID": self.info["salesforce_session_id"],
            "CRMOPS_HUBSPOT__ACCESS_TOKEN": self.info["hubspot_token"],
            "CRMOPS_HUBSPOT__HOST": self.info["hubspot_url"],
            "CRMOPS_CA_BUNDLE": self.info["ca_bundle"],
        }


SYSTEMS = ("salesforce", "hubspot")


def total(calls: dict[str, int]) -> int:
    """All calls in a by-endpoint count."""
    return sum(calls.values())


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    """(result, wall seconds) of `work()`."""
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def run_child(module: str, args: Sequence[str], env: dict[str, str] | None = None) -> Any:
    """Run `python -m module args` in a fresh process; its last stdout line is JSON.

    A fresh process per size keeps each peak-RSS figure its own (ru_maxrss only grows).
    """
    answer = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=child_environment(env),
    )
    if answer.returncode != 0:
        sys.stderr.write(answer.stderr[-4000:])
        raise RuntimeError(f"{module} {' '.join(args)} failed ({answer.returncode})")
    return json.loads(answer.stdout.strip().splitlines()[-1])


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


def crmops_environment(sb: SandboxProcess, state: Path) -> dict[str, str]:
    """The environment of a crmops process on this sandbox with its state under `state`."""
    return child_environment(
        {
            **sb.environment(),
            "CRMOPS_STATE_URL": f"sqlite:///{state}/state.db",
            "CRMOPS_REPORTS_DIR": str(state / "reports"),
            # crmops reads HubSpot changes up to now - lag; the sandbox's search trails writes
            # by SANDBOX_SEARCH_LAG (its default), so crmops is told the same, as an admin would.
            "CRMOPS_HUBSPOT__SEARCH_LAG_SECONDS": str(SANDBOX_SEARCH_LAG),
        }
    )
