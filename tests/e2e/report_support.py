"""Reading a report's HTML page back as tables (html.parser), and checking it against its JSON."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

# Row label -> where its number lives in a JSON object tally (the page's contract).
OBJECT_ROWS = {
    "matched": ("matched",),
    "in sync": ("in_sync",),
    "updated in SF": ("updated", "salesforce"),
    "updated in HS": ("updated", "hubspot"),
    "created in SF": ("created", "salesforce"),
    "created in HS": ("created", "hubspot"),
    "only in SF": ("only_in", "salesforce"),
    "only in HS": ("only_in", "hubspot"),
    "associations missing in HS": ("associations",),
    "conflicts": ("conflicts",),
    "duplicates": ("duplicates",),
    "look-alikes": ("fuzzy",),
    "rejected": ("rejected",),
}
SYSTEM_LABELS = {"salesforce": "Salesforce", "hubspot": "HubSpot"}


class ReportPage(HTMLParser):
    """Collects the page title, headings and every table by its section id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.tags: list[str] = []
        self.title = ""
        self._section = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "section":
            self._section = dict(attrs).get("id") or ""
            self.tables[self._section] = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._section].append(self._row)
            self._row = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._in_title:
            self.title += data


def parse_page(text: str) -> ReportPage:
    """The page parsed; every table is `[headers, *rows]`."""
    page = ReportPage()
    page.feed(text)
    page.close()
    return page


def shown(value: Any) -> str:
    """A number as the page writes it."""
    return "-" if value is None else f"{value:,}"


def rows_by_first_cell(table: list[list[str]]) -> dict[str, dict[str, str]]:
    """Table rows as {first cell: {header: cell}}."""
    headers, *rows = table
    return {row[0]: dict(zip(headers, row, strict=True)) for row in rows}


def _dig(tally: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = tally
    for part in path:
        value = value[part]
    return value


def assert_page_matches(page: ReportPage, data: dict[str, Any]) -> None:
    """Every number of the JSON report's objects, API and SLA figures is on the page."""
    objects = rows_by_first_cell(page.tables["objects"])
    assert set(objects) == set(OBJECT_ROWS)
    for label, path in OBJECT_ROWS.items():
        row = objects[label]
        assert set(row) - {""} == set(data["objects"])
        for name, tally in data["objects"].items():
            assert row[name] == shown(_dig(tally, path)), (name, label)
    api = rows_by_first_cell(page.tables["api"])
    for system, tally in data["api"].items():
        row = api[SYSTEM_LABELS[system]]
        assert row["calls this run"] == shown(tally["calls"])
        assert row["daily limit"] == shown(tally["limit"])
        assert row["remaining today"] == shown(tally["remaining"])
    if data["sla"]:
        sla = rows_by_first_cell(page.tables["sla"])
        for system, tally in data["sla"].items():
            row = sla[SYSTEM_LABELS[system]]
            assert row["new leads"] == shown(tally["new_leads"])
            assert row["answered in SLA"] == shown(tally["in_time"])
            assert row["unanswered, past SLA"] == shown(tally["missed"])
            share = tally["compliance"]
            assert row["compliance"] == ("-" if share is None else f"{share * 100:.1f}%")
        overdue = rows_by_first_cell(page.tables.get("overdue", [["owner"]]))
        for system, tally in data["sla"].items():
            for owner, count in tally["overdue_tasks"].items():
                assert overdue[owner][SYSTEM_LABELS[system]] == shown(count), (system, owner)
