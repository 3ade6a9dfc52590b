"""Field history: a `{Object}History` row for each change of a field marked history_tracked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.salesforce.org import Org

HISTORY_PREFIX = "017"  # key prefix of every standard history object


def history_object(obj_name: str) -> str:
    """The history object of an object (`Lead` -> `LeadHistory`)."""
    return f"{obj_name}History"


def track(
    org: Org,
    obj_name: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    user_id: str | None = None,
) -> None:
    """Write one history row per tracked field whose value changed (call under the store lock).

    Only objects with a history object in the schema are tracked, and only values that
    really changed, so plain touches and unchanged writes leave no history.
    """
    history = org.objects.get(history_object(obj_name))
    obj = org.objects.get(obj_name)
    if history is None or obj is None:
        return
    # One edit, one time: the rows carry the modified time the write stamped on the record.
    now = after.get("LastModifiedDate") or org.now()
    for meta in obj.fields.values():
        old, new = before.get(meta.name), after.get(meta.name)
        if not meta.history_tracked or old == new:
            continue
        record_id = org.minter.mint(HISTORY_PREFIX)
        row = {
            "Id": record_id,
            "IsDeleted": False,
            f"{obj_name}Id": after["Id"],
            "Field": meta.name,
            "DataType": meta.type,
            "OldValue": old,
            "NewValue": new,
            "CreatedDate": now,
            "CreatedById": user_id or org.integration_user_id,
            # The store orders every object by modified time; history rows never change.
            "LastModifiedDate": now,
            "SystemModstamp": now,
        }
        org.store.put(history.name, row)
