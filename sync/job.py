"""What one run works with: the store, both connectors, the compiled mapping and `now`.

Public API: `Job`, `open_job(...)`, `complete_job(job)`. Opening binds the store to the
connected org and portal (refusing another) and compiles the mapping. The run-time
tables (owners of both CRMs, HubSpot deal stage ids) cost API calls, so a lazy job
fetches them only once there is a record to convert: an incremental run that finds
no change reads nothing else. They rarely change, so they are kept in the state
store between runs and read again once a day (`TABLES_TTL`), or at once when a run
meets a value they do not know (`refresh_job`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from integrations.base import Connector
from sync.compiled import CompileContext, CompiledMapping, compile_mapping, stage_values_from_rules
from sync.mapping import Mapping as MappingFile
from sync.mapping import Side, load_mapping
from sync.store import StateStore

PAIRS: tuple[str, ...] = ("company", "person", "deal")  # companies first: others point at them
TABLES_KEY = "lookup_tables"  # state store key of the cached owners and deal stage ids
TABLES_TTL = timedelta(days=1)  # cached tables are read again after this long


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
    cached: bool = False  # the owners and stages came from the store's cache
    tables: dict[str, Any] = field(default_factory=dict)  # owners and stages compiled in


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
        lazy: leave owners and deal stages for `complete_job` (called when needed,
            from the store's cache); otherwise they are read from the CRMs now.

    Raises:
        StoreBoundElsewhere: the store belongs to another org or portal.
        ConfigFileError: the mapping or rules file is invalid.
    """
    store.bind(connectors["salesforce"].identity(), connectors["hubspot"].identity())
    mapping, stages = _config(_stamp(mapping_file), _stamp(rules_file))
    compiled = compile_mapping(mapping, CompileContext(stage_values=stages))
    job = Job(store, connectors, compiled, now, mapping, stages, tuple(pairs))
    if not lazy:
        # Whole reads (reconcile, nightly) cost hundreds of calls: four more read the
        # tables fresh, and refresh the cache the incremental runs take them from.
        complete_job(job, cache=False)
    return job


def complete_job(job: Job, *, cache: bool = True) -> None:
    """Compile the mapping with owners (and deal stages), once per run.

    Args:
        job: the run.
        cache: take the tables from the store's cache while it is younger than a day;
            False always reads them from the CRMs (and refreshes the cache).
    """
    if job.complete or job.mapping is None:
        return
    tables = _cached_tables(job) if cache else None
    job.cached = tables is not None
    _compile(job, _fetch_tables(job) if tables is None else tables)


def _compile(job: Job, tables: dict[str, Any]) -> None:
    """Compile the mapping with these owners and stages."""
    if job.mapping is None:
        return
    context = CompileContext(
        stage_values=job.stages,
        deal_stage_ids=tables["stages"] or {},
        owners=tables["owners"],
    )
    job.compiled = compile_mapping(job.mapping, context)
    job.tables = tables
    job.complete = True


def refresh_job(job: Job, unknown: Collection[str]) -> bool:
    """Read owners and stages again when cached ones lack a value a record names.

    Args:
        job: the run.
        unknown: the values missing from the tables (`sync.quiet.unknown`); those
            already missing when the tables were last read cost no new read.

    Returns:
        Whether the tables changed (the mapping is then recompiled with them).
    """
    checked = set(job.tables.get("unknown") or [])
    if not job.cached or job.mapping is None or not set(unknown) - checked:
        return False
    before = {k: job.tables.get(k) for k in ("owners", "stages")}
    fresh = _fetch_tables(job, sorted(checked | set(unknown)))
    job.cached = False
    if {k: fresh.get(k) for k in before} == before:
        job.tables = fresh
        return False
    _compile(job, fresh)
    return True


def _fetch_tables(job: Job, unknown: Sequence[str] = ()) -> dict[str, Any]:
    """Owners and deal stage ids read from the CRMs, and kept in the store's cache.

    `unknown`: values that were missing and made this read; still missing after it,
    they do not make another read before the tables expire.
    """
    hubspot: Any = job.connectors["hubspot"]
    tables = {
        "fetched": job.now.isoformat(),
        "owners": _owners(job.connectors),
        "stages": hubspot.deal_stage_ids() if "deal" in job.pairs else None,
        "unknown": list(unknown),
    }
    job.store.set_cached(TABLES_KEY, json.dumps(tables, sort_keys=True))
    return tables


def table_fields(job: Job) -> frozenset[tuple[str, str]]:
    """(pair, field) of the mapped fields whose values convert through owners or stage ids."""
    if job.mapping is None:
        return frozenset()
    return frozenset(
        (pair, name)
        for pair, spec in job.mapping.pairs.items()
        for name, f in spec.fields.items()
        if f.type == "owner" or (f.type == "stage" and f.labels_to_ids)
    )


def _cached_tables(job: Job) -> dict[str, Any] | None:
    """The cached owners and stages, unless missing, a day old, or lacking stages a deal needs."""
    raw = job.store.cached(TABLES_KEY)
    if raw is None:
        return None
    try:
        tables = json.loads(raw)
        fetched = datetime.fromisoformat(tables["fetched"])
    except (ValueError, KeyError, TypeError):
        return None
    if not timedelta(0) <= job.now - fetched < TABLES_TTL:
        return None
    if "deal" in job.pairs and tables.get("stages") is None:
        return None
    return dict(tables)


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
