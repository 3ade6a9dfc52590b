"""What one run works with: the store, both connectors, the compiled mapping and `now`.

Public API: `Job`, `open_job(...)`, `complete_job(job)`. Opening binds the store to the
connected org and portal (refusing another) and compiles the mapping. The run-time
tables (owners of both CRMs, HubSpot deal stage ids) cost API calls, so a lazy job
fetches them only once there is a record to convert: an incremental run that finds
no change reads nothing else.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from integrations.base import Connector
from sync.compiled import CompileContext, CompiledMapping, compile_mapping, stage_values_from_rules
from sync.mapping import Mapping as MappingFile
from sync.mapping import Side, load_mapping
from sync.store import StateStore

PAIRS: tuple[str, ...] = ("company", "person", "deal")  # companies first: others point at them


@dataclass
class Job:
    """Everything one run works with."""

    store: StateStore
    connectors: Mapping[Side, Connector]
    compiled: CompiledMapping
    now: datetime
    mapping: MappingFile | None = None
    stages: dict[str, Any] = field(default_factory=dict)
    pairs: tuple[str, ...] = PAIRS
    complete: bool = False


def open_job(
    store: StateStore,
    connectors: Mapping[Side, Connector],
    now: datetime,
    *,
    mapping_file: Path | None = None,
    rules_file: Path | None = None,
    pairs: Sequence[str] = PAIRS,
    lazy: bool = False,
) -> Job:
    """Bind the store to the connected org and portal, and compile the mapping.

    Args:
        store: the state store.
        connectors: both CRMs.
        now: the run's time.
        mapping_file: None for the shipped mapping.
        rules_file: None for the shipped rules (their stage table names stages).
        pairs: the pairs this run syncs (deal stages are only fetched for deals).
        lazy: leave owners and deal stages for `complete_job` (called when needed).

    Raises:
        StoreBoundElsewhere: the store belongs to another org or portal.
        ConfigFileError: the mapping or rules file is invalid.
    """
    store.bind(connectors["salesforce"].identity(), connectors["hubspot"].identity())
    mapping, stages = _config(_stamp(mapping_file), _stamp(rules_file))
    compiled = compile_mapping(mapping, CompileContext(stage_values=stages))
    job = Job(store, connectors, compiled, now, mapping, stages, tuple(pairs))
    if not lazy:
        complete_job(job)
    return job


def complete_job(job: Job) -> None:
    """Fetch owners (and deal stages) and compile the mapping with them, once."""
    if job.complete or job.mapping is None:
        return
    hubspot: Any = job.connectors["hubspot"]
    context = CompileContext(
        stage_values=job.stages,
        deal_stage_ids=hubspot.deal_stage_ids() if "deal" in job.pairs else {},
        owners=_owners(job.connectors),
    )
    job.compiled = compile_mapping(job.mapping, context)
    job.complete = True


def _owners(connectors: Mapping[Side, Connector]) -> dict[str, dict[str, str]]:
    """Native owner id -> email on each side (owners are matched by email)."""
    users = connectors["salesforce"].read_all("User", ["Email"])
    hubspot: Any = connectors["hubspot"]
    return {
        "salesforce": {u.id: u.fields.get("Email") or "" for u in users},
        "hubspot": {str(o["id"]): o.get("email") or "" for o in hubspot.owners()},
    }


def _stamp(path: Path | None) -> tuple[Path | None, int]:
    """A file and its modification time: the cache key of its loaded form."""
    return path, (path.stat().st_mtime_ns if path is not None and path.exists() else 0)


@functools.lru_cache(maxsize=4)
def _config(
    mapping_file: tuple[Path | None, int], rules_file: tuple[Path | None, int]
) -> tuple[MappingFile, dict[str, Any]]:
    """The mapping and the rules' stage table, loaded once per file version (YAML is slow)."""
    from rules.loader import load_rules

    stages = stage_values_from_rules(load_rules(rules_file[0]))
    return load_mapping(mapping_file[0]), stages
