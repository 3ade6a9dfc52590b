"""Load a YAML file into a pydantic model, reporting every problem as file:line: message."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config file, located."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ConfigFileError(ValueError):
    """A config file that cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Iterator[None]:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value
            lines[(*path, name, "__key__")] = key.start_mark.line + 1
            yield from _walk(value, (*path, name), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*path, index), lines)
    yield None


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys instead of keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_located(path: Path) -> tuple[Any, dict[Path_, int]]:
    """Parse a YAML file; returns the data and the line of every path in it."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigFileError([Problem(name, 0, f"cannot read file: {exc.strerror}")]) from exc
    try:
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ConfigFileError([Problem(name, line, f"not valid YAML: {exc.problem}")]) from exc
    lines: dict[Path_, int] = {}
    if node is not None:
        for _ in _walk(node, (), lines):
            pass
    return data, lines


def line_of(lines: dict[Path_, int], loc: Path_) -> int:
    """The line of the deepest known prefix of `loc` (an unknown key points at its key)."""
    key_line = lines.get((*loc, "__key__"))
    if key_line is not None:
        return key_line
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _describe(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key"
    if error["type"] == "missing":
        return f"{where}: required key is missing"
    return f"{where}: {error['msg']}"


def validate_located(path: Path, data: Any, lines: dict[Path_, int], model: type[M]) -> M:
    """Validate parsed data against a model; every error becomes a located Problem."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            loc = tuple(p for p in error["loc"] if not isinstance(p, str) or p[:1] != "_")
            problems.append(Problem(str(path), line_of(lines, loc), _describe(error)))
        raise ConfigFileError(problems) from exc


def load_model(path: Path, model: type[M]) -> M:
    """Read, parse and validate a YAML config file in one step."""
    data, lines = load_located(path)
    return validate_located(path, data, lines, model)
