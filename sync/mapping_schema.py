"""A compiled mapping checked against what the CRMs describe (for `crmops doctor`).

The mapping file is validated on load without any CRM; whether its native fields
exist, are writable and accept the picklist values it writes can only be told
against `Connector.describe`. Public API: `schema_problems(compiled, schemas)`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from integrations.base import FieldInfo
from sync.compiled import CompiledMapping
from sync.converter import ASSOCIATION_PREFIX, FieldIO, ObjectConverter

Schemas = Mapping[tuple[str, str], Mapping[str, FieldInfo]]  # (system, API object) -> fields


def schema_problems(compiled: CompiledMapping, schemas: Schemas) -> list[str]:
    """Every mismatch between the mapping and the described fields, as readable lines.

    Args:
        compiled: the compiled mapping.
        schemas: (system, API object) -> field name -> FieldInfo; objects left out are skipped.

    Returns:
        One line per problem: a missing field, a writable field the CRM will not let
        crmops write, a picklist value the CRM does not offer.
    """
    problems: list[str] = []
    for conv in compiled.converters.values():
        fields = schemas.get((conv.system, conv.api_object))
        if fields is None:
            continue
        for io in conv.fields:
            problems.extend(_field_problems(conv, io, fields))
        for role, native in conv.identity.items():
            if native not in fields:
                problems.append(f"{_where(conv, native)} (identity {role}): no such field")
    return problems


def _where(conv: ObjectConverter, native: str) -> str:
    return f"{conv.system} {conv.variant}.{native}"


def _field_problems(
    conv: ObjectConverter, io: FieldIO, fields: Mapping[str, FieldInfo]
) -> Iterator[str]:
    for native in io.natives:
        if native.startswith(ASSOCIATION_PREFIX):
            continue
        where = f"{_where(conv, native)} (field {io.name})"
        info = fields.get(native)
        if info is None:
            yield f"{where}: no such field"
            continue
        if io.writable and not info.updateable:
            yield f"{where}: read only in the CRM; list it under read_only or change direction"
        offered = set(info.picklist)
        missing = [v for v in (io.choices or {}).get(native, ()) if offered and v not in offered]
        if missing:
            yield f"{where}: values not in the CRM's picklist: {', '.join(missing)}"
