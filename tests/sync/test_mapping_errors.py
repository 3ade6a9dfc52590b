"""Malformed mapping files: every problem named with its file and line."""

from __future__ import annotations

import pytest

from config.yamlfile import ConfigFileError
from sync.mapping import load_mapping
from tests.sync.mapping_support import FIXTURES

CASES = [
    ("bad_policy.yaml", 12, "pairs.person.fields.email.policy: Input should be 'salesforce_wins'"),
    ("bad_type.yaml", 11, "pairs.person.fields.email.type: Input should be 'string'"),
    ("values_not_mapping.yaml", 14, "values: expected a value-set name or a mapping"),
    (
        "value_entry_not_mapping.yaml",
        16,
        "values.Real Estate: expected a mapping like {hubspot: NATIVE}",
    ),
    ("mapped_twice.yaml", 16, "salesforce Contact.Email is already mapped by field 'email'"),
    ("unknown_pair.yaml", 4, "pairs.people: unknown key"),
    ("unknown_key.yaml", 12, "pairs.person.fields.email.polcy: unknown key"),
    ("restrictive_not_boolean.yaml", 13, "most_restrictive applies to boolean"),
    (
        "unknown_object.yaml",
        14,
        "salesforce.Leed: unknown salesforce object (known: Lead, Contact)",
    ),
    ("unknown_value_set.yaml", 14, "values: unknown value set 'industries'"),
    ("stage_without_table.yaml", 12, "a stage field needs `values_from`"),
    ("reference_unknown_target.yaml", 13, "company_id.target: unknown pair 'company'"),
    ("mirror_tasks_on.yaml", 4, "mirroring tasks to the other CRM is not supported yet"),
    ("delete_other.yaml", 4, "'delete_other' is not supported yet"),
    ("reference_both_ways.yaml", 19, "company_id.direction: a reference is synced Salesforce"),
    ("derived_unknown_field.yaml", 16, "derive_any_of.1: unknown field 'sms_opt_out'"),
    ("never_with_direction.yaml", 13, "a `never` field is read only: direction must be none"),
    ("duplicate_key.yaml", 11, "not valid YAML: duplicate key 'email'"),
    ("two_way_blank.yaml", 13, "two_way never writes a blank; use newest_wins"),
    (
        "object_in_two_pairs.yaml",
        14,
        "salesforce object 'Account' already belongs to pair 'person'",
    ),
]


@pytest.mark.parametrize(("name", "line", "message"), CASES, ids=[c[0] for c in CASES])
def test_malformed_mapping_is_located(name: str, line: int, message: str) -> None:
    path = FIXTURES / name
    with pytest.raises(ConfigFileError) as caught:
        load_mapping(path)
    problems = caught.value.problems
    assert len(problems) == 1, problems
    assert problems[0].file == str(path)
    assert problems[0].line == line
    assert message in problems[0].message
    assert f"{path}:{line}: " in str(caught.value)


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_mapping(FIXTURES / "several_problems.yaml")
    found = [(p.line, p.message.split(": ", 1)[1]) for p in caught.value.problems]
    assert found == [
        (7, "'Contact' is not one of its objects"),
        (12, "writes salesforce but the field has no salesforce name"),
        (13, "only picklist and multiselect fields have a style"),
    ]


def test_missing_file_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigFileError, match="cannot read file"):
        load_mapping(tmp_path / "absent.yaml")


def test_top_level_list_is_refused(tmp_path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- version: 1\n", encoding="utf-8")
    with pytest.raises(ConfigFileError, match=r"list.yaml:1: \(top level\): expected a mapping"):
        load_mapping(path)
