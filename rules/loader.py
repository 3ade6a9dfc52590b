"""Load and check a rules file: schema errors and semantic errors, every one as file:line.

Public API: `load_rules(path=None) -> RulesFile` (default: the shipped
config/sop.yaml) raising `config.yamlfile.ConfigFileError`; `DEFAULT_RULES`.
"""

from __future__ import annotations

from pathlib import Path

from config.yamlfile import ConfigFileError, Path_, Problem, line_of, load_located, validate_located
from rules.checks import check_rules
from rules.schema import RulesFile

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "config" / "sop.yaml"


class Located:
    """Collects problems for one file, each located by its path in the YAML document."""

    def __init__(self, path: Path, lines: dict[Path_, int]) -> None:
        self.path = path
        self.lines = lines
        self.problems: list[Problem] = []

    def add(self, where: Path_, message: str) -> None:
        """Record a problem at a document path (e.g. ("tasks", 2, "due", "offset"))."""
        label = ".".join(str(p) for p in where) or "(top level)"
        line = line_of(self.lines, where)
        self.problems.append(Problem(str(self.path), line, f"{label}: {message}"))


def load_rules(path: Path | None = None) -> RulesFile:
    """Read, validate and check a rules file.

    Args:
        path: the rules file; None for the shipped default (config/sop.yaml).

    Returns:
        The validated `rules.schema.RulesFile`.

    Raises:
        ConfigFileError: every problem found, each with file and line.
    """
    source = Path(path) if path is not None else DEFAULT_RULES
    data, lines = load_located(source)
    if data is not None and not isinstance(data, dict):
        raise ConfigFileError([Problem(str(source), 1, "(top level): expected a mapping")])
    rules = validate_located(source, data, lines, RulesFile)
    report = Located(source, lines)
    check_rules(rules, report)
    if report.problems:
        raise ConfigFileError(sorted(report.problems, key=lambda p: p.line))
    return rules
