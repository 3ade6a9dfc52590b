"""`crmops purge`: journals, reports and run summaries past retention go; the rest stays."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from sync.store import StateStore
from sync.store_types import PlannedWrite

runner = CliRunner()
NOW = datetime.now(UTC)


def _run(store: StateStore, folder: Path, tag: str) -> Path:
    run_id = store.start_run("nightly")
    ids = store.journal_planned(
        run_id, [PlannedWrite("hubspot", "contacts", tag, "email", "a@x.example", "b@x.example")]
    )
    store.journal_mark(ids, "written")
    report = folder / f"report-{tag}.html"
    report.write_text("<html></html>")
    store.add_artifact("report", str(report), run_id)
    store.finish_run(run_id, "ok", 0, {"hubspot": {"GET /x": 1}}, {"figures": tag})
    return report


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A store with one run 120 days old and one from yesterday, each with a report file."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("CRMOPS_STATE_URL", url)
    moment = [NOW - timedelta(days=120)]
    with StateStore(url, clock=lambda: moment[0]) as store:
        old = _run(store, tmp_path, "old")
        moment[0] = NOW - timedelta(days=1)
        new = _run(store, tmp_path, "new")
    return old, new


def _purge(*args: str) -> dict[str, int]:
    result = runner.invoke(app, ["purge", *args, "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert isinstance(shown["counts"], dict)
    return shown["counts"]


def test_dry_run_counts_and_deletes_nothing(state: tuple[Path, Path]) -> None:
    old, new = state
    counts = _purge("--older-than", "90d", "--dry-run")
    assert counts["journal"] == 1 and counts["artifacts"] == 1 and counts["files"] == 1
    assert counts["run_summaries"] == 1
    assert old.exists() and new.exists()
    assert _purge("--older-than", "90d", "--dry-run") == counts  # nothing changed


def test_purge_deletes_what_is_past_retention_only(state: tuple[Path, Path]) -> None:
    old, new = state
    counts = _purge("--older-than", "90d")
    assert (counts["journal"], counts["artifacts"], counts["files"]) == (1, 1, 1)
    assert not old.exists() and new.exists()
    again = _purge("--older-than", "90d")
    assert again["journal"] == again["artifacts"] == again["files"] == 0
    assert _purge("--older-than", "12h")["files"] == 1  # a shorter retention reaches yesterday
    assert not new.exists()


def test_default_retention_comes_from_settings(
    state: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRMOPS_RETENTION_DAYS", "200")
    assert _purge("--dry-run")["journal"] == 0
    monkeypatch.setenv("CRMOPS_RETENTION_DAYS", "30")
    assert _purge("--dry-run")["journal"] == 1


def test_table_output_names_each_kind(state: tuple[Path, Path]) -> None:
    result = runner.invoke(app, ["purge", "--older-than", "4w", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would delete what is older than 28 days" in result.stdout
    assert "journal: 1" in result.stdout and "files: 1" in result.stdout


@pytest.mark.parametrize("age", ["90", "ninety days", "90x", "-5d"])
def test_a_bad_age_exits_2(state: tuple[Path, Path], age: str) -> None:
    result = runner.invoke(app, ["purge", "--older-than", age])
    assert result.exit_code == 2
    assert "--older-than" in result.output
