"""Salesforce field history: when tracked fields last changed, from the `{Object}History` rows.

Only fields an admin turned history tracking on for have rows; others answer nothing
and the sync keeps the record's modified time for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from integrations import sf_writes, soql
from integrations.sf_records import parse_sf_datetime

# object -> (history object, its field naming the record); objects left out have none here.
HISTORY_OBJECTS = {"Lead": ("LeadHistory", "LeadId"), "Contact": ("ContactHistory", "ContactId")}
HISTORY_IDS_BATCH = 200  # record ids per query (the IN list stays well inside the URL limit)

Pages = Callable[[str], Iterable[dict[str, Any]]]  # SOQL text -> its records, every page


def read_history(
    pages: Pages, object: str, ids: Sequence[str], fields: Sequence[str]
) -> dict[str, dict[str, datetime]]:
    """When each tracked field of each record last changed.

    Args:
        pages: runs one SOQL query (all pages).
        object: Lead or Contact (other objects answer {}).
        ids: record ids.
        fields: field API names.

    Returns:
        record id -> field -> time of its newest history row (fields with none left out).
    """
    known = HISTORY_OBJECTS.get(object)
    wanted = list(dict.fromkeys(ids))
    if known is None or not wanted or not fields:
        return {}
    history, parent = known
    names = ", ".join(soql.quote(f) for f in dict.fromkeys(fields))
    found: dict[str, dict[str, datetime]] = {}
    for chunk in sf_writes.chunks(wanted, HISTORY_IDS_BATCH):
        where = f"{parent} IN {soql.id_list(chunk)} AND Field IN ({names})"
        text = soql.select(history, [parent, "Field", "CreatedDate"], where)
        for row in pages(text):
            at, name = parse_sf_datetime(row["CreatedDate"]), str(row["Field"])
            times = found.setdefault(str(row[parent]), {})
            if name not in times or at > times[name]:
                times[name] = at
    return found
