"""The rules file's schema: pydantic models, every one refusing unknown keys."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Priority = Literal["High", "Normal", "Low"]
FieldType = Literal["str", "int", "float", "bool", "datetime"]
ObjectName = Literal["lead", "opportunity"]


class Strict(BaseModel):
    """Base for every rules-file model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Condition(Strict):
    """One test on a field; exactly one operator is given (checked by the loader).

    `any` / `all` combine nested conditions; the rest test `field`.
    """

    field: str | None = None
    in_: list[Any] | None = Field(default=None, alias="in")
    not_in: list[Any] | None = None
    eq: Any = None
    gte: float | None = None
    gt: float | None = None
    lte: float | None = None
    lt: float | None = None
    set: bool | None = None
    future: bool | None = None
    after_field: str | None = None
    within: str | None = None
    older_than: str | None = None
    passed: str | None = None
    any: list[Condition] | None = None
    all: list[Condition] | None = None


OPERATORS = (
    "in_",
    "not_in",
    "eq",
    "gte",
    "gt",
    "lte",
    "lt",
    "set",
    "future",
    "after_field",
    "within",
    "older_than",
    "passed",
    "any",
    "all",
)


class NumericTier(Strict):
    """Points when a number (of `field`, or the criterion's field) is at least `min`."""

    min: float
    points: int
    field: str | None = None


class WordsTier(Strict):
    """Points when the text contains one of the words (whole-word, case-insensitive)."""

    words: list[str] = Field(min_length=1)
    points: int


class ValuesTier(Strict):
    """Points when the normalised text equals one of the normalised values."""

    values: list[str] = Field(min_length=1)
    points: int


class RecencyTier(Strict):
    """Points when the datetime is within `within` of now (no `within`: any time)."""

    within: str | None = None
    points: int


class NumericCriterion(Strict):
    """Numeric tiers: the first tier whose minimum is met wins."""

    kind: Literal["numeric"]
    name: str
    field: str
    tiers: list[NumericTier] = Field(min_length=1)


class WordsCriterion(Strict):
    """Whole-word lists: the first tier with a matching word wins."""

    kind: Literal["words"]
    name: str
    field: str
    tiers: list[WordsTier] = Field(min_length=1)


class MembershipCriterion(Strict):
    """Set membership after normalising (trim, case, `_`/`-` as spaces)."""

    kind: Literal["one_of"]
    name: str
    field: str
    tiers: list[ValuesTier] = Field(min_length=1)


class RecencyCriterion(Strict):
    """Recency of a datetime: the first tier whose window holds wins."""

    kind: Literal["recency"]
    name: str
    field: str
    tiers: list[RecencyTier] = Field(min_length=1)


class FlagCriterion(Strict):
    """Points when the field is true / non-empty."""

    kind: Literal["flag"]
    name: str
    field: str
    points: int


Criterion = Annotated[
    NumericCriterion | WordsCriterion | MembershipCriterion | RecencyCriterion | FlagCriterion,
    Field(discriminator="kind"),
]


class Category(Strict):
    """A scoring category: its criteria add up, then the cap applies."""

    name: str
    cap: int = Field(ge=0)
    criteria: list[Criterion]


class Band(Strict):
    """A temperature band over whole scores, inclusive at both ends."""

    name: str
    min: int
    max: int
    salesforce_rating: str


class Scoring(Strict):
    """Score categories and temperature bands."""

    categories: list[Category] = Field(min_length=1)
    bands: list[Band] = Field(min_length=1)


class Stage(Strict):
    """A stage; `when` is its criterion (none: only a human moves a record there)."""

    name: str
    when: list[Condition] | None = None
    reason: str | None = None
    terminal: bool = False
    branch_from: list[str] | None = None


class DueSpec(Strict):
    """A due time: anchor field (or `now`) plus an offset on a clock; `when` picks this SLA."""

    when: list[Condition] | None = None
    anchor: str
    offset: str = "0m"
    clock: Literal["calendar", "business"] = "calendar"


class PriorityChoice(Strict):
    """A priority with the condition that selects it (first match wins)."""

    when: list[Condition] | None = None
    value: Priority


class TaskStep(Strict):
    """One step of a cadence: its name (part of the key), subject and offset from the anchor."""

    step: str
    subject: str
    offset: str


class Repeat(Strict):
    """A repeating task: due every `every` after the due time's base (k = 1, 2, ...)."""

    every: str


class TaskRule(Strict):
    """A task rule: when it applies, what the task says, when it is due and who owns it."""

    name: str
    object: ObjectName = "lead"
    kind: Literal["scheduled", "triggered"]
    when: list[Condition] = Field(default_factory=list)
    subject: str
    due: DueSpec | list[DueSpec]
    steps: list[TaskStep] | None = None
    repeat: Repeat | None = None
    priority: Priority | list[PriorityChoice] = "Normal"
    outreach: bool
    assign_to: Literal["owner", "manager", "senior_sales", "escalation"] = "owner"
    step: str = "once"


class BusinessHours(Strict):
    """Opening days and hours, plus holidays, in the org's time zone."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)
    open: str
    close: str
    holidays: list[date] = Field(default_factory=list)


class RoutingRule(Strict):
    """Where a lead without a usable owner goes: a team (round-robin) or the senior-sales owner."""

    name: str
    when: list[Condition] = Field(default_factory=list)
    team: str


class Routing(Strict):
    """Teams of owner emails, the named owners, and the rules choosing a team."""

    senior_sales_owner: str
    escalation_owner: str
    teams: dict[str, list[str]]
    rules: list[RoutingRule] = Field(min_length=1)


class OptOut(Strict):
    """What an opt-out means: which field says it, and what happens to open outreach tasks."""

    field: str = "opted_out"
    defer_open_outreach: bool = True
    deferral_note: str


class CrmStages(Strict):
    """One CRM's native values per canonical stage (each a mapping of field -> value)."""

    lead: dict[str, dict[str, str]]
    opportunity: dict[str, dict[str, str]]


class RulesFile(Strict):
    """The whole rules file (config/sop.yaml)."""

    timezone: str
    horizon: str
    max_lateness: str
    business_hours: BusinessHours
    extra_fields: dict[ObjectName, dict[str, FieldType]] = Field(default_factory=dict)
    scoring: Scoring
    lead_stages: list[Stage] = Field(min_length=1)
    opportunity_stages: list[Stage] = Field(min_length=1)
    stage_values: dict[Literal["salesforce", "hubspot"], CrmStages]
    routing: Routing
    opt_out: OptOut
    tasks: list[TaskRule]

    def extra_types(self, obj: str) -> dict[str, str]:
        """The declared extra fields of an object (name -> type name)."""
        declared: dict[str, dict[str, str]] = dict(self.extra_fields)  # type: ignore[arg-type]
        return dict(declared.get(obj, {}))
