"""The SOQL parser and compiler alone, and the id checksum (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sandbox.salesforce.ids import IdMinter, to18
from sandbox.salesforce.schema import load_objects
from sandbox.salesforce.soql import Comparison, Logical, SoqlError, parse, unquote
from sandbox.salesforce.soqlsql import Compiler


def test_quoted_strings_resolve_backslash_escapes() -> None:
    assert unquote(r"'O\'Brien'") == "O'Brien"
    assert unquote(r"'a\\b\nc'") == "a\\b\nc"
    assert unquote(r"'50\%'") == r"50\%"  # stays escaped for LIKE


def test_precedence_and_not_in() -> None:
    query = parse("SELECT Id FROM Lead WHERE A = 1 OR B = 2 AND NOT C NOT IN ('x')")
    assert isinstance(query.where, Logical) and query.where.op == "OR"
    right = query.where.items[1]
    assert isinstance(right, Logical) and right.op == "AND"
    negated = right.items[1]
    assert isinstance(negated, Logical) and negated.op == "NOT"
    inner = negated.items[0]
    assert isinstance(inner, Comparison) and inner.op == "NOT IN"


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT Id FROM Lead GROUP BY Id",
        "SELECT Id, (SELECT Id FROM Tasks) FROM Lead",
        "SELECT Id FROM Lead WHERE Id IN (SELECT WhoId FROM Task)",
        "SELECT Id FROM Lead LIMIT -1",
        "SELECT FROM Lead",
        "DELETE FROM Lead",
        'SELECT Id FROM Lead WHERE Name = "double"',
    ],
)
def test_outside_the_subset_is_malformed(soql: str) -> None:
    with pytest.raises(SoqlError) as caught:
        parse(soql)
    assert caught.value.code == "MALFORMED_QUERY"


def test_compiles_indexed_columns_and_date_literals() -> None:
    compiler = Compiler(load_objects(), datetime(2026, 3, 10, 12, tzinfo=UTC))
    compiled = compiler.compile(
        parse(
            "SELECT Id FROM Lead WHERE SystemModstamp >= 2026-03-10T18:00:00+02:00 "
            "AND CreatedDate = LAST_N_DAYS:2 ORDER BY SystemModstamp, Id"
        )
    )
    assert (
        compiled.where == "(r.modstamp >= ? AND (json_extract(r.data, '$.CreatedDate') >= ? "
        "AND json_extract(r.data, '$.CreatedDate') < ?))"
    )
    assert compiled.params == [
        "2026-03-10T16:00:00.000+0000",
        "2026-03-08T00:00:00.000+0000",
        "2026-03-11T00:00:00.000+0000",
    ]
    assert compiled.order == "r.modstamp ASC, r.id ASC"


def test_ids_carry_the_case_checksum() -> None:
    assert to18("001D000000IqhSL") == "001D000000IqhSLIAZ"
    minted = IdMinter().mint("00Q")
    assert len(minted) == 18 and to18(minted[:15]) == minted
