"""The mapping file's schema (config/mapping.yaml) and its loader with file:line errors.

Public API: `load_mapping(path=None) -> Mapping` raising `config.yamlfile.ConfigFileError`;
`DEFAULT_MAPPING`; the models below. `sync.compiled.compile_mapping` turns a `Mapping`
into fast per-object converters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from config.yamlfile import ConfigFileError, Problem, load_located, validate_located

DEFAULT_MAPPING = Path(__file__).resolve().parent.parent / "config" / "mapping.yaml"

Side = Literal["salesforce", "hubspot"]
SIDES: tuple[Side, Side] = ("salesforce", "hubspot")
PairName = Literal["person", "company", "deal", "owner"]
PAIR_NAMES: tuple[PairName, ...] = ("person", "company", "deal", "owner")
Policy = Literal[
    "salesforce_wins",
    "hubspot_wins",
    "newest_wins",
    "prefer_non_blank",
    "two_way",
    "most_restrictive",
    "never",
]
FieldType = Literal[
    "string",
    "email",
    "phone",
    "url",
    "domain",
    "number",
    "integer",
    "boolean",
    "date",
    "datetime",
    "picklist",
    "multiselect",
    "owner",
    "reference",
    "stage",
]
Direction = Literal["both", "to_salesforce", "to_hubspot", "none"]
Style = Literal["same", "upper_snake", "lower_snake"]
# One native name, several (a stage spread over fields), or per object of that side.
NativeNames = str | list[str] | dict[str, str | list[str]]


class Strict(BaseModel):
    """Base for every mapping-file model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ObjectSpec(Strict):
    """One object of a side; a variant (PersonAccount) names its API object and selector."""

    object: str | None = None
    when: dict[str, Any] = Field(default_factory=dict)
    read_only_when: dict[str, Any] = Field(default_factory=dict)
    read_only: list[str] = Field(default_factory=list)
    create_defaults: dict[str, Any] = Field(default_factory=dict)


class IdentitySpec(Strict):
    """Native fields identity matching reads, beyond the mapped ones."""

    other_id: NativeNames | None = None
    converted_to: NativeNames | None = None
    merged_into: NativeNames | None = None
    merged_ids: NativeNames | None = None
    domain: NativeNames | None = None


class SideSpec(Strict):
    """One system's half of a pair: its objects, identity fields and create defaults."""

    objects: dict[str, ObjectSpec] = Field(min_length=1)
    identity: IdentitySpec = Field(default_factory=IdentitySpec)
    create_as: str | None = None


class FieldMap(Strict):
    """One canonical field: its type, policy, direction and native names on each side."""

    type: FieldType
    policy: Policy = "two_way"
    direction: Direction | None = None
    blank_overwrites: bool | None = None
    salesforce: NativeNames | None = None
    hubspot: NativeNames | None = None
    values: Any = None  # a value-set name or {canonical: {side: native} | null}; checked later
    values_from: Literal["rules.lead", "rules.opportunity"] | None = None
    style: dict[Side, Style] = Field(default_factory=dict)
    labels_to_ids: Side | None = None
    target: PairName | None = None
    derive_any_of: list[str] | None = None


class PairSpec(Strict):
    """A pair of objects kept in step: both sides and the fields between them."""

    salesforce: SideSpec
    hubspot: SideSpec
    fields: dict[str, FieldMap] = Field(min_length=1)


class Pairs(Strict):
    """The pairs a mapping syncs; an unknown pair name is an unknown key."""

    person: PairSpec | None = None
    company: PairSpec | None = None
    deal: PairSpec | None = None
    owner: PairSpec | None = None

    def items(self) -> list[tuple[str, PairSpec]]:
        """(name, pair) for every pair present."""
        return [(name, pair) for name in PAIR_NAMES if (pair := getattr(self, name)) is not None]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and getattr(self, name, None) is not None

    def __getitem__(self, name: str) -> PairSpec:
        pair = getattr(self, name, None)
        if pair is None:
            raise KeyError(name)
        return pair


class Options(Strict):
    """Run-wide choices: task mirroring, what deletes and erasures do, blank handling."""

    mirror_tasks: bool = False
    on_delete: Literal["unlink_and_report", "delete_other"] = "unlink_and_report"
    on_erasure: Literal["tombstone"] = "tombstone"
    blank_overwrites: bool = False
    fuzzy_threshold: int = Field(default=90, ge=50, le=100)


class Mapping(Strict):
    """The whole mapping file."""

    version: Literal[1]
    options: Options = Field(default_factory=Options)
    value_sets: dict[str, list[str]] = Field(default_factory=dict)
    pairs: Pairs


def load_mapping(path: Path | str | None = None) -> Mapping:
    """Read, validate and check a mapping file.

    Args:
        path: the mapping file; None for the shipped default (config/mapping.yaml).

    Returns:
        The validated mapping.

    Raises:
        ConfigFileError: every problem found, each with file and line.
    """
    from sync.mapping_checks import check_mapping

    source = Path(path) if path is not None else DEFAULT_MAPPING
    data, lines = load_located(source)
    if data is not None and not isinstance(data, dict):
        raise ConfigFileError([Problem(str(source), 1, "(top level): expected a mapping")])
    mapping = validate_located(source, data, lines, Mapping)
    problems = check_mapping(mapping, source, lines)
    if problems:
        raise ConfigFileError(sorted(problems, key=lambda p: p.line))
    return mapping
