"""Where the compiled mapping meets the rules engine: its stage table in, its records out.

Public API: `stage_values_from_rules(rules)` (a rules file's stage table, in the shape
`sync.compiled.CompileContext.stage_values` takes) and `rules_record(values, record_id,
system, kind)` (canonical values as the rules read them). Both are re-exported by
`sync.compiled`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.mapping import Side


def stage_values_from_rules(rules: Any) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """The stage table of a loaded rules file (`rules.schema.RulesFile.stage_values`).

    Returns:
        system -> `lead` / `opportunity` -> canonical stage -> {native field: value}, the
        shape `CompileContext.stage_values` takes.
    """
    return {
        system: {"lead": dict(crm.lead), "opportunity": dict(crm.opportunity)}
        for system, crm in rules.stage_values.items()
    }


def rules_record(
    values: Mapping[str, Any], record_id: str, system: Side, kind: str = "lead"
) -> dict[str, Any]:
    """The canonical values the rules read (`rules.lead.RECORD_TYPES[kind]`), with id and crm.

    Sync-only fields (the opt-out channels, the company link) are left out, so
    `CanonicalLead.from_mapping` accepts the result as it is.
    """
    from rules.lead import RECORD_TYPES

    known = RECORD_TYPES[kind].FIELD_TYPES
    record = {name: value for name, value in values.items() if name in known}
    record.update(id=record_id, crm=system)
    return record
