"""The report as one static HTML page: self-contained, no script, every value escaped."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from sync.report_view import Section, headline, sections

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1d2330}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ccd3dd;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#eef2f7}td.n{text-align:right;font-variant-numeric:tabular-nums}
p.note{color:#5b6475;font-size:.85rem}.status-ok{color:#1b7f3b}.status-bad{color:#b3261e}
"""


def _cell(text: str) -> str:
    numeric = text.replace(",", "").replace(".", "").replace("%", "").lstrip("-").isdigit()
    return f'<td class="n">{escape(text)}</td>' if numeric else f"<td>{escape(text)}</td>"


def _table(section: Section) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in section.headers)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in section.rows)
    note = f'<p class="note">{escape(section.note)}</p>' if section.note else ""
    return (
        f'<section id="{escape(section.key)}"><h2>{escape(section.title)}</h2>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}</section>"
    )


def render(data: Mapping[str, Any]) -> str:
    """The whole page for a report's JSON form (`Report.as_json()`)."""
    title = headline(data)
    status = "status-ok" if data.get("exit_code", 0) == 0 else "status-bad"
    notes = "".join(f'<p class="note">{escape(str(n))}</p>' for n in data.get("notes", []))
    tables = "\n".join(_table(s) for s in sections(data))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n"
        f'<body><h1 class="{status}">{escape(title)}</h1>{notes}\n{tables}\n</body></html>\n'
    )
