"""Every scoring row of sop-rules.md section 2, caps, bands and their edges."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from rules.compiler import Compiled
from rules.engine import compile_rules, evaluate_lead
from rules.lead import CanonicalLead
from rules.loader import DEFAULT_RULES, load_rules
from tests.rules.conftest import NOW, lead


def points(compiled: Compiled, criterion: str, **fields: Any) -> int:
    decision = evaluate_lead(compiled, lead(**fields), NOW)
    return sum(e.points for e in decision.breakdown if e.criterion == criterion)


@pytest.mark.parametrize(
    ("employees", "expected"), [(5000, 15), (500, 15), (499, 10), (50, 10), (49, 5), (1, 5), (0, 0)]
)
def test_employees(compiled: Compiled, employees: int, expected: int) -> None:
    assert points(compiled, "employees", employees=employees) == expected


@pytest.mark.parametrize(
    ("industry", "expected"),
    [
        ("Construction", 10),
        ("Real Estate", 10),
        ("Property Management", 10),
        ("Insurance", 10),
        ("REAL_ESTATE", 10),
        ("  property-management ", 10),
        ("Hospitality", 5),
        ("Retail", 5),
        ("Healthcare", 5),
        ("Education", 5),
        ("GOVERNMENT", 5),
        ("Software", 0),
        ("Real Estate Investment", 0),
    ],
)
def test_industry(compiled: Compiled, industry: str, expected: int) -> None:
    assert points(compiled, "industry", industry=industry) == expected


DECISION_MAKER = (
    "owner president ceo founder principal partner chief vp svp evp director head cfo coo cto cmo"
)


@pytest.mark.parametrize("word", [*DECISION_MAKER.split(), "vice president"])
def test_title_decision_maker_words(compiled: Compiled, word: str) -> None:
    assert points(compiled, "title", title=f"Regional {word.title()}") == 10


@pytest.mark.parametrize(
    "word", ["manager", "supervisor", "coordinator", "administrator", "officer"]
)
def test_title_staff_words(compiled: Compiled, word: str) -> None:
    assert points(compiled, "title", title=f"Office {word.upper()}") == 5


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Homeowner", 0),
        ("Co-owner", 10),
        ("Vice Chair", 0),
        ("President, Vice", 10),
        ("Vice-President of Sales", 10),
        ("Director and Office Manager", 10),
        ("Headquarters clerk", 0),
        ("Sales Manager", 5),
        ("", 0),
    ],
)
def test_title_whole_words(compiled: Compiled, title: str, expected: int) -> None:
    assert points(compiled, "title", title=title) == expected


@pytest.mark.parametrize(
    ("visits", "expected"), [(10, 20), (9, 15), (3, 15), (2, 10), (1, 10), (0, 0)]
)
def test_website_visits(compiled: Compiled, visits: int, expected: int) -> None:
    assert points(compiled, "website visits", website_visits=visits) == expected


@pytest.mark.parametrize(("downloads", "expected"), [(3, 15), (2, 10), (1, 10), (0, 0)])
def test_content_downloads(compiled: Compiled, downloads: int, expected: int) -> None:
    assert points(compiled, "content downloads", content_downloads=downloads) == expected


@pytest.mark.parametrize(
    ("clicks", "opens", "expected"),
    [(1, 0, 15), (1, 5, 15), (0, 2, 10), (0, 0, 0), (None, None, 0)],
)
def test_email(compiled: Compiled, clicks: int | None, opens: int | None, expected: int) -> None:
    assert points(compiled, "email", email_clicks=clicks, email_opens=opens) == expected


# now - 7 calendar days keeps 14:00 wall time across the 8 March DST change: 14:00 EST.
@pytest.mark.parametrize(
    ("moment", "demo", "pricing"),
    [
        ("2026-03-10T13:00:00-04:00", 20, 15),
        ("2026-03-03T14:00:00-05:00", 20, 15),
        ("2026-03-03T13:59:00-05:00", 15, 10),
        ("2025-12-01T09:00:00-05:00", 15, 10),
    ],
)
def test_demo_and_pricing_recency(compiled: Compiled, moment: str, demo: int, pricing: int) -> None:
    assert points(compiled, "demo request", demo_requested_at=moment) == demo
    assert points(compiled, "pricing inquiry", pricing_inquiry_at=moment) == pricing


@pytest.mark.parametrize(("forms", "expected"), [(5, 10), (2, 10), (1, 5), (0, 0)])
def test_form_submissions(compiled: Compiled, forms: int, expected: int) -> None:
    assert points(compiled, "form submissions", form_submissions=forms) == expected


def test_null_signals_score_zero(compiled: Compiled) -> None:
    decision = evaluate_lead(compiled, lead(), NOW)
    assert decision.score == 0 and decision.breakdown == ()
    assert (decision.temperature, decision.salesforce_rating) == ("Cold", "Cold")


def test_caps_add_negative_entries_so_breakdown_sums_to_score(compiled: Compiled) -> None:
    busy = lead(
        employees=900,
        industry="Insurance",
        title="CEO",
        website_visits=12,
        content_downloads=4,
        email_clicks=2,
        demo_requested_at=NOW - timedelta(days=1),
        pricing_inquiry_at=NOW - timedelta(days=1),
        form_submissions=3,
    )
    decision = evaluate_lead(compiled, busy, NOW)
    entries = {e.criterion: e.points for e in decision.breakdown}
    assert entries["demographics cap"] == -10  # 15 + 10 + 10 = 35
    assert entries["engagement cap"] == -20  # 20 + 15 + 10 = 45
    assert "behaviour cap" not in entries  # 20 + 15 + 15 = 50, exactly the cap
    assert decision.score == 100 == sum(entries.values())


def test_bands_and_salesforce_rating_cover_every_score(compiled: Compiled) -> None:
    expected = {
        0: ("Cold", "Cold"),
        29: ("Cold", "Cold"),
        30: ("Cool", "Cold"),
        49: ("Cool", "Cold"),
        50: ("Warm", "Warm"),
        69: ("Warm", "Warm"),
        70: ("Hot", "Hot"),
        89: ("Hot", "Hot"),
        90: ("Extremely Hot", "Hot"),
        100: ("Extremely Hot", "Hot"),
    }
    for score, band in expected.items():
        assert compiled.bands[score] == band


@pytest.fixture(scope="module")
def tunable(tmp_path_factory: pytest.TempPathFactory) -> Compiled:
    """The shipped rules with demographics driven by an extra field `points` (0-25), so any
    score can be built: the rules file's extension point, used as an admin would."""
    text = DEFAULT_RULES.read_text()
    tiers = ", ".join(f"{{min: {k}, points: {k}}}" for k in range(25, 0, -1))
    text = text.replace("extra_fields: {}", "extra_fields: {lead: {points: int}}")
    old = (
        "field: employees\n          tiers: "
        "[{min: 500, points: 15}, {min: 50, points: 10}, {min: 1, points: 5}]"
    )
    assert old in text
    text = text.replace(old, f"field: points\n          tiers: [{tiers}]")
    path = Path(tmp_path_factory.mktemp("rules")) / "tunable.yaml"
    path.write_text(text)
    return compile_rules(load_rules(path))


def lead_scoring(compiled: Compiled, score: int) -> CanonicalLead:
    """A lead that scores exactly `score` under the tunable rules."""
    behaviour = {"website_visits": 10, "content_downloads": 3, "email_clicks": 1}  # 50
    engagement = {"demo_requested_at": "2026-03-09T10:00:00-04:00", "form_submissions": 2}  # 25
    base, fields = max(
        (
            (b, f)
            for b, f in (
                (0, {}),
                (25, engagement),
                (50, behaviour),
                (75, {**behaviour, **engagement}),
            )
            if b <= score
        ),
        key=lambda pair: pair[0],
    )
    data = {
        "id": "00QEDGE",
        "owner_id": "005A",
        "stage": "engaged",
        **fields,
        "points": score - base,
    }
    return CanonicalLead.from_mapping(data, compiled.extra_types["lead"])


@pytest.mark.parametrize(
    ("score", "temperature", "hot", "escalated", "immediate"),
    [
        (29, "Cold", False, False, False),
        (30, "Cool", False, False, False),
        (49, "Cool", False, False, False),
        (50, "Warm", False, False, False),
        (69, "Warm", False, False, False),
        (70, "Hot", True, False, False),
        (85, "Hot", True, False, False),
        (86, "Hot", True, True, False),
        (89, "Hot", True, True, False),
        (90, "Extremely Hot", True, True, True),
    ],
)
def test_band_edges_and_score_triggered_tasks(
    tunable: Compiled, score: int, temperature: str, hot: bool, escalated: bool, immediate: bool
) -> None:
    decision = evaluate_lead(tunable, lead_scoring(tunable, score), NOW)
    assert decision.score == score == sum(e.points for e in decision.breakdown)
    assert decision.temperature == temperature
    rules = {t.rule for t in decision.tasks}
    assert ("hot_lead" in rules, "escalate_manager" in rules, "immediate_human" in rules) == (
        hot,
        escalated,
        immediate,
    )
