"""Doctor's findings and the checks that produce them, each saying exactly what to fix."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from config.settings import Settings
from integrations.base import Connector, FieldInfo, FieldSpec, System
from integrations.errors import AuthError, BudgetExhausted, CrmError, RetryableError
from integrations.provisioning import HUBSPOT_PROPERTIES, SALESFORCE_FIELDS
from integrations.sf_schema import mismatch

Status = Literal["ok", "warn", "error"]
BAD_CONFIG = 2
UNREACHABLE = 3
# Warn when less than this share of the daily API budget is left.
LOW_BUDGET_SHARE = 0.1
SPECS: dict[System, tuple[FieldSpec, ...]] = {
    "salesforce": SALESFORCE_FIELDS,
    "hubspot": HUBSPOT_PROPERTIES,
}
ENV_HINT: dict[str, str] = {
    "salesforce": "CRMOPS_SALESFORCE__SESSION_ID (or the variables of your auth flow)",
    "hubspot": "CRMOPS_HUBSPOT__ACCESS_TOKEN",
}
Connect = Callable[[Settings, System], Connector]
# Object -> field name -> what describe says.
Described = Mapping[str, Mapping[str, FieldInfo]]


@dataclass(frozen=True)
class Finding:
    """One check's outcome; `fix` says what to do when it is not ok."""

    system: str
    check: str
    status: Status
    message: str
    fix: str = ""
    exit_code: int = 0


@dataclass
class Report:
    """Everything doctor found, in check order."""

    findings: list[Finding] = field(default_factory=list)
    # System -> endpoint -> calls doctor made (shown at the end, kept in --json).
    calls: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, *findings: Finding) -> None:
        """Append findings."""
        self.findings.extend(findings)

    @property
    def exit_code(self) -> int:
        """0 when nothing is an error, else the most serious error's code."""
        return max((f.exit_code for f in self.findings if f.status == "error"), default=0)

    def as_json(self) -> dict[str, Any]:
        """Plain data for `--json`."""
        return {
            "exit_code": self.exit_code,
            "findings": [asdict(f) for f in self.findings],
            "api_calls": self.calls,
        }


def ok(system: str, check: str, message: str) -> Finding:
    """A passing check."""
    return Finding(system, check, "ok", message)


def error(system: str, check: str, message: str, fix: str, code: int = BAD_CONFIG) -> Finding:
    """A failing check with its fix and exit code."""
    return Finding(system, check, "error", message, fix, code)


def crm_error_finding(system: str, check: str, problem: CrmError) -> Finding:
    """A finding for a CRM error: refused credentials, out of budget, or unreachable."""
    if isinstance(problem, AuthError):
        return error(
            system,
            check,
            f"{system} refused the credentials ({problem})",
            f"set a valid {ENV_HINT[system]}; check it has not expired or been revoked",
        )
    if isinstance(problem, BudgetExhausted):
        return error(
            system, check, str(problem), "wait for the daily API budget to reset", UNREACHABLE
        )
    if isinstance(problem, RetryableError):
        return error(
            system,
            check,
            f"cannot reach {system} ({problem})",
            "check the instance URL / host, the network and CRMOPS_CA_BUNDLE",
            UNREACHABLE,
        )
    if problem.status == 403:
        return error(
            system,
            check,
            str(problem),
            "give the integration user (Salesforce profile / permission set) or the "
            "private app (HubSpot scopes) access to what the message names",
        )
    return error(system, check, str(problem), "see the CRM's message above")


def check_fields(system: str, specs: Sequence[FieldSpec], described: Described) -> list[Finding]:
    """Fields crmops provisions: each must exist with a fitting type."""
    findings = []
    for spec in specs:
        info = described[spec.object].get(spec.name)
        where = f"{spec.object}.{spec.name}"
        if info is None:
            findings.append(
                error(
                    system,
                    "field",
                    f"{where} is missing",
                    "run `crmops init` (or `crmops init --dry-run` to preview)",
                )
            )
        elif system == "salesforce" and (wrong := mismatch(spec, info)):
            findings.append(
                error(
                    system,
                    "field",
                    f"{where} {wrong}",
                    f"delete {where} in Setup and run `crmops init`",
                )
            )
    if not findings:
        findings.append(ok(system, "field", f"all {len(specs)} crmops fields exist"))
    return findings


def check_writable(
    system: str,
    writes: Mapping[str, Iterable[str]],
    described: Described,
) -> list[Finding]:
    """Fields crmops writes must be editable by the integration user."""
    findings = []
    for obj, names in writes.items():
        for name in sorted(names):
            info = described[obj].get(name)
            if info is not None and not info.updateable:
                findings.append(
                    error(
                        system,
                        "permission",
                        f"{obj}.{name} is read-only for the integration user, and crmops writes it",
                        f"grant Edit on {obj}.{name} in field-level security (Setup > Object "
                        f"Manager > {obj} > Fields > {name} > Set Field-Level Security), or map "
                        "the field as read_only",
                    )
                )
    if not findings:
        findings.append(ok(system, "permission", "no field crmops writes is read-only"))
    return findings


def check_picklists(
    system: str, values: Mapping[str, set[str]], described: Described
) -> list[Finding]:
    """Picklist values crmops writes must be ones the org allows."""
    findings = []
    for target, wanted in values.items():
        obj, _, name = target.partition(".")
        info = described[obj].get(name)
        if info is None:
            findings.append(
                error(
                    system,
                    "picklist",
                    f"{target} does not exist",
                    f"create {target} or fix the mapping",
                )
            )
            continue
        for value in sorted(wanted - set(info.picklist)):
            kind = "restricted picklist refuses it" if info.restricted else "it would be junk"
            findings.append(
                error(
                    system,
                    "picklist",
                    f"{target} has no value '{value}' that crmops writes ({kind})",
                    f"add '{value}' to {target}'s picklist values, or map the value to one of: "
                    + ", ".join(info.picklist),
                )
            )
    if not findings:
        findings.append(ok(system, "picklist", "every picklist value crmops writes is allowed"))
    return findings


def check_budget(system: str, connector: Connector) -> Finding:
    """What the CRM says is left of today's API budget."""
    usage = connector.usage()
    if usage.remaining is None or usage.limit is None:
        return ok(system, "budget", "the CRM did not report its API budget")
    text = f"{usage.remaining} of {usage.limit} API calls left today"
    if usage.remaining == 0:
        return error(system, "budget", text, "wait for the daily budget to reset", UNREACHABLE)
    if usage.remaining < usage.limit * LOW_BUDGET_SHARE:
        return Finding(system, "budget", "warn", text, "runs may stop early for budget")
    return ok(system, "budget", text)


def check_hubspot_scopes(system: str, connector: Connector) -> list[Finding]:
    """The private app's scopes: each one crmops needs must be granted (HubSpot only)."""
    probe = getattr(connector, "scopes", None)
    if probe is None:
        return []
    found = probe()
    where = "HubSpot Settings > Integrations > Private Apps > the crmops app > Scopes"
    if found.missing:
        return [
            error(
                system,
                "scopes",
                "the private app lacks scopes crmops needs: " + ", ".join(found.missing),
                f"add {', '.join(found.missing)} in {where}; the token stays the same",
            )
        ]
    if found.unverified:
        return [
            Finding(
                system,
                "scopes",
                "warn",
                "read access to contacts, companies, deals and tasks works; HubSpot did not "
                "list the token's scopes, so these are unchecked: " + ", ".join(found.unverified),
                f"make sure the app has them ({where})",
            )
        ]
    return [ok(system, "scopes", "the private app has every scope crmops needs")]
