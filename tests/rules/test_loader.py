"""Every kind of malformed rules file gives located problems and exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cli import app
from commands import exit_codes
from config.yamlfile import ConfigFileError
from rules.loader import DEFAULT_RULES, load_rules

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rules"
CASES: list[dict[str, Any]] = yaml.safe_load((FIXTURES / "malformed_cases.yaml").read_text())


def _write_case(case: dict[str, Any], folder: Path) -> tuple[Path, int]:
    text = DEFAULT_RULES.read_text()
    assert text.count(case["old"]) >= 1, case["name"]
    text = text.replace(case["old"], case["new"], 1)
    lines = text.splitlines()
    start = 0
    if "after" in case:
        start = next(i for i, line in enumerate(lines) if case["after"] in line)
    line = next(i for i, text_line in enumerate(lines) if i >= start and case["at"] in text_line)
    path = folder / "sop.yaml"
    path.write_text(text)
    return path, line + 1


def test_there_are_at_least_fifteen_cases() -> None:
    assert len(CASES) >= 15
    assert len({c["name"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_malformed_file_is_located(case: dict[str, Any], tmp_path: Path) -> None:
    path, line = _write_case(case, tmp_path)
    with pytest.raises(ConfigFileError) as caught:
        load_rules(path)
    found = [(p.file, p.line) for p in caught.value.problems if case["message"] in p.message]
    assert found, [str(p) for p in caught.value.problems]
    assert (str(path), line) in found, [str(p) for p in caught.value.problems]


def test_shipped_rules_are_valid() -> None:
    rules = load_rules()
    assert rules.timezone == "America/New_York"
    assert load_rules(DEFAULT_RULES) == rules


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    text = DEFAULT_RULES.read_text().replace("horizon: 24h", "horizon: soon")
    path.write_text(text.replace("timezone: America/New_York", "timezone: Mars/Base"))
    with pytest.raises(ConfigFileError) as caught:
        load_rules(path)
    messages = " | ".join(p.message for p in caught.value.problems)
    assert "Mars/Base" in messages and "'soon' is not a duration" in messages


def test_top_level_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigFileError, match="expected a mapping"):
        load_rules(path)


def test_missing_file_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="cannot read file"):
        load_rules(tmp_path / "absent.yaml")


def test_check_command_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["rules", "check", str(DEFAULT_RULES)])
    assert ok.exit_code == exit_codes.OK and ok.stdout.startswith("OK")
    path, line = _write_case(CASES[0], tmp_path)
    bad = runner.invoke(app, ["rules", "check", str(path)])
    assert bad.exit_code == exit_codes.BAD_INPUT
    assert f"{path}:{line}: horizonn: unknown key" in bad.stderr


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_check_command_locates_every_kind_and_writes_nothing(
    case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the CLI: exit 2, `file:line: message` on stderr, no file created or changed."""
    folder = tmp_path / "work"
    folder.mkdir()
    path, line = _write_case(case, folder)
    monkeypatch.chdir(folder)
    before = _tree(tmp_path)

    result = CliRunner().invoke(app, ["rules", "check", str(path)])

    assert result.exit_code == exit_codes.BAD_INPUT
    assert result.stdout == ""
    located = [row for row in result.stderr.splitlines() if row.startswith(f"{path}:{line}: ")]
    assert any(case["message"] in row for row in located), result.stderr
    assert _tree(tmp_path) == before
