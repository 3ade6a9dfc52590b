"""`crmops doctor` and `crmops init`: check and prepare each CRM.

`diagnose` runs every check it can and collects findings (it stops early for a
system only when the next check cannot run: no config, no connection). Each
finding names the system, what is wrong, and the fix. `provision_all` is init.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from config.settings import Settings, SettingsError
from integrations import factory
from integrations.base import Connector, System
from integrations.doctor_checks import (
    ENV_HINT,
    SPECS,
    Connect,
    Finding,
    Report,
    check_budget,
    check_fields,
    check_hubspot_scopes,
    check_picklists,
    check_writable,
    crm_error_finding,
    error,
    ok,
)
from integrations.errors import CrmError
from integrations.provisioning import (
    HUBSPOT_WRITTEN_PROPERTIES,
    SALESFORCE_PICKLIST_VALUES,
    SALESFORCE_WRITTEN_FIELDS,
)

# Doctor should answer quickly: one retry, not the full policy, before calling a CRM unreachable.
DOCTOR_ATTEMPTS = 2
DEFAULT_WRITES: dict[str, Mapping[str, Iterable[str]]] = {
    "salesforce": SALESFORCE_WRITTEN_FIELDS,
    "hubspot": HUBSPOT_WRITTEN_PROPERTIES,
}
DEFAULT_PICKLISTS: dict[str, Mapping[str, set[str]]] = {
    "salesforce": SALESFORCE_PICKLIST_VALUES,
    "hubspot": {},
}


def _quick_connect(settings: Settings, system: System) -> Connector:
    return factory.connect(settings, system, attempts=DOCTOR_ATTEMPTS)


def _configured(settings: Settings, system: System) -> bool:
    return settings.salesforce.configured if system == "salesforce" else settings.hubspot.configured


def _connector(settings: Settings, system: System, connect: Connect) -> Connector | Finding:
    if not _configured(settings, system):
        return error(system, "config", f"{system} is not configured", f"set {ENV_HINT[system]}")
    try:
        return connect(settings, system)
    except SettingsError as problem:
        return error(system, "config", str(problem), "set the variables named above")
    except CrmError as problem:
        return crm_error_finding(system, "connect", problem)


def diagnose_system(
    settings: Settings,
    system: System,
    connect: Connect,
    writes: Mapping[str, Iterable[str]],
    picklists: Mapping[str, set[str]],
    calls: dict[str, dict[str, int]] | None = None,
) -> list[Finding]:
    """Every check for one CRM: config, identity, scopes, fields, permissions, picklists, budget.

    `calls`, when given, receives the API calls the checks made, per endpoint.
    """
    built = _connector(settings, system, connect)
    if isinstance(built, Finding):
        return [built]
    try:
        return _checks(system, built, writes, picklists)
    finally:
        if calls is not None:
            calls[system] = dict(built.usage().calls)


def _checks(
    system: System,
    built: Connector,
    writes: Mapping[str, Iterable[str]],
    picklists: Mapping[str, set[str]],
) -> list[Finding]:
    specs = SPECS[system]
    objects = {s.object for s in specs} | set(writes) | {t.partition(".")[0] for t in picklists}
    findings: list[Finding] = []
    try:
        kind = "org id" if system == "salesforce" else "portal id"
        findings.append(ok(system, "identity", f"connected: {kind} {built.identity()}"))
        findings += check_hubspot_scopes(system, built)
        described = {obj: built.describe(obj) for obj in sorted(objects)}
        findings += check_fields(system, specs, described)
        findings += check_writable(system, writes, described)
        findings += check_picklists(system, picklists, described)
    except CrmError as problem:
        findings.append(crm_error_finding(system, "connect", problem))
    findings.append(check_budget(system, built))
    return findings


def diagnose(
    settings: Settings | None,
    settings_problem: str | None = None,
    *,
    systems: Sequence[System] | None = None,
    connect: Connect | None = None,
    writes: Mapping[System, Mapping[str, Iterable[str]]] | None = None,
    picklists: Mapping[System, Mapping[str, set[str]]] | None = None,
) -> Report:
    """Run doctor's checks.

    Args:
        settings: the loaded settings, or None when they failed to load.
        settings_problem: why they failed (names the variables).
        systems: which CRMs to check; by default the configured ones.
        connect: builds a connector (tests may pass their own).
        writes: per system, object -> fields crmops writes (default: the rules' fields).
        picklists: per system, "Object.Field" -> values crmops writes.

    Returns:
        The findings; `exit_code` is 0, 2 (configuration) or 3 (unreachable, no budget).
    """
    report = Report()
    if settings is None:
        report.add(
            error(
                "config",
                "config",
                settings_problem or "settings did not load",
                "fix the variables named above (environment or .env)",
            )
        )
        return report
    report.add(ok("config", "config", "settings loaded"))
    chosen = list(systems or [s for s in SPECS if _configured(settings, s)])
    if not chosen:
        report.add(
            error(
                "config",
                "config",
                "no CRM is configured",
                f"set {ENV_HINT['salesforce']} and/or {ENV_HINT['hubspot']}",
            )
        )
    for system in chosen:
        report.add(*diagnose_system(
            settings, system, connect or _quick_connect,
            (writes or DEFAULT_WRITES).get(system, {}),
            (picklists or DEFAULT_PICKLISTS).get(system, {}),
            report.calls,
        ))  # fmt: skip
    return report


def provision_all(
    settings: Settings,
    systems: Sequence[System],
    dry_run: bool,
    connect: Connect | None = None,
    calls: dict[str, dict[str, int]] | None = None,
) -> dict[str, list[str]]:
    """`crmops init`: create the missing crmops fields in each CRM; what was (would be) done.

    `calls`, when given, receives each CRM's API calls per endpoint (also on failure).

    Raises:
        SettingsError: a chosen CRM is not configured.
        CrmError: a CRM refused or could not be reached.
    """
    done: dict[str, list[str]] = {}
    for system in systems:
        connector = (connect or factory.connect)(settings, system)
        try:
            done[system] = connector.provision(SPECS[system], dry_run)
        finally:
            if calls is not None:
                calls[system] = dict(connector.usage().calls)
    return done
