"""A crmops sandbox in its own process for the benchmarks, and crmops processes pointed at it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from benchmarks.common import ROOT, child_environment

LOOPBACK = "https://127.0.0.1:"
SANDBOX_SEARCH_LAG = 10.0  # seconds; `sandbox serve --search-lag` default
SYSTEMS = ("salesforce", "hubspot")


RATE_LIMITED_MARK = "benchmark: 429 answers received: "


def crmops_command(count_429: bool = False) -> list[str]:
    """The crmops CLI of this checkout, with this interpreter (see `child_environment`).

    Args:
        count_429: count the 429 answers crmops's HubSpot transport receives and print
            them to stderr at exit (see `count_rate_limited`, `rate_limited_in`).
    """
    start = "import benchmarks.sandbox_process as b; b.count_rate_limited(); " if count_429 else ""
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
