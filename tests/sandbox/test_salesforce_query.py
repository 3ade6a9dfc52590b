"""SOQL query and queryAll through simple-salesforce: paging, filters, errors."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.sandbox.clients import salesforce_client
from tests.sandbox.salesforce_support import admin, calls, sandbox, shared_sandbox

__all__ = ["sandbox", "shared_sandbox"]
V = "/services/data/v59.0"


def _leads(sf: Any, count: int, **extra: Any) -> list[str]:
    records = [
        {"attributes": {"type": "Lead"}, "LastName": f"Lead{i:04d}", "Company": "Acme", **extra}
        for i in range(count)
    ]
    ids = []
    for start in range(0, count, 200):
        chunk = records[start : start + 200]
        answer = sf.restful(
            "composite/sobjects", method="POST", json={"allOrNone": True, "records": chunk}
        )
        ids += [row["id"] for row in answer]
    return ids


def test_query_all_iter_pages_lazily(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    _leads(sf, 450)
    admin(sandbox, "calls/reset")
    sf.headers["Sforce-Query-Options"] = "batchSize=200"
    rows = sf.query_all_iter("SELECT Id, LastName FROM Lead ORDER BY LastName")
    first = [next(rows) for _ in range(200)]
    assert calls(sandbox) == {"query": 1}
    next(rows)
    assert calls(sandbox) == {"query": 1, "query.more": 1}
    rest = list(rows)
    assert len(first) + 1 + len(rest) == 450
    assert first[0]["LastName"] == "Lead0000"
    assert first[0]["attributes"]["type"] == "Lead"


def test_next_records_url_is_root_relative_and_sizes_add_up(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    _leads(sf, 250)
    sf.headers["Sforce-Query-Options"] = "batchSize=200"
    page = sf.query("SELECT Id FROM Lead")
    assert page["totalSize"] == 250 and page["done"] is False and len(page["records"]) == 200
    assert page["nextRecordsUrl"].startswith(f"{V}/query/01g")
    assert page["nextRecordsUrl"].endswith("-200")
    second = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
    assert second["done"] is True and len(second["records"]) == 50
    assert "nextRecordsUrl" not in second


def test_where_operators_and_escaped_quotes(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    sf.Lead.create(
        {
            "LastName": "O'Brien",
            "Company": "Acme",
            "Rating": "Hot",
            "NumberOfEmployees": 12,
            "Email": "ob@example.com",
        }
    )
    sf.Lead.create(
        {"LastName": "Smith", "Company": "Beta", "Rating": "Cold", "NumberOfEmployees": 300}
    )
    sf.Lead.create(
        {
            "LastName": "Jones",
            "Company": "Gamma",
            "NumberOfEmployees": 50,
            "HasOptedOutOfEmail": True,
        }
    )

    def names(where: str) -> list[str]:
        soql = f"SELECT LastName FROM Lead WHERE {where} ORDER BY LastName"
        return [r["LastName"] for r in sf.query_all(soql)["records"]]

    assert names(r"LastName = 'O\'Brien'") == ["O'Brien"]
    assert names("LastName = 'smith'") == ["Smith"]  # string equality ignores case
    assert names("Rating IN ('Hot', 'Cold')") == ["O'Brien", "Smith"]
    assert names("Rating NOT IN ('Hot')") == ["Jones", "Smith"]
    assert names("Rating = NULL") == ["Jones"]
    assert names("Rating != 'Hot'") == ["Jones", "Smith"]
    assert names("NumberOfEmployees >= 50 AND NOT (Company LIKE 'B%')") == ["Jones"]
    assert names("HasOptedOutOfEmail = TRUE OR Email LIKE '%@example.com'") == ["Jones", "O'Brien"]
    assert names("CreatedDate = LAST_N_DAYS:1 AND NumberOfEmployees < 13") == ["O'Brien"]
    assert names("CreatedDate > 2020-01-01T00:00:00Z") == ["Jones", "O'Brien", "Smith"]


def test_order_by_several_fields_limit_offset_and_count(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    for name, rating in [("A", "Hot"), ("B", None), ("C", "Cold"), ("D", "Hot")]:
        sf.Lead.create({"LastName": name, "Company": "X", "Rating": rating})
    rows = sf.query("SELECT LastName FROM Lead ORDER BY Rating DESC NULLS FIRST, LastName DESC")
    assert [r["LastName"] for r in rows["records"]] == ["B", "D", "A", "C"]
    rows = sf.query("SELECT LastName FROM Lead ORDER BY LastName LIMIT 2 OFFSET 1")
    assert [r["LastName"] for r in rows["records"]] == ["B", "C"]
    assert rows["totalSize"] == 2
    assert sf.query("SELECT COUNT() FROM Lead WHERE Rating = 'Hot'")["totalSize"] == 2


def test_relationship_fields(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    user = sf.query("SELECT Id, Email FROM User")["records"][0]
    sf.Lead.create({"LastName": "Owned", "Company": "X", "OwnerId": user["Id"]})
    row = sf.query(f"SELECT Id, Owner.Email FROM Lead WHERE Owner.Email = '{user['Email']}'")
    assert row["records"][0]["Owner"]["Email"] == user["Email"]
    assert row["records"][0]["Owner"]["attributes"]["type"] == "User"


def test_query_all_includes_deleted(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    kept = sf.Lead.create({"LastName": "Kept", "Company": "X"})["id"]
    gone = sf.Lead.create({"LastName": "Gone", "Company": "X"})["id"]
    assert sf.Lead.delete(gone) == 204
    live = sf.query_all("SELECT Id FROM Lead")["records"]
    every = sf.query_all("SELECT Id, IsDeleted FROM Lead", include_deleted=True)["records"]
    assert [r["Id"] for r in live] == [kept]
    assert {r["Id"]: r["IsDeleted"] for r in every} == {kept: False, gone: True}


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id FROM Lead WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead GROUP BY Name", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead WHERE LastName = 'unterminated", "MALFORMED_QUERY"),
        ("SELECT Nope__c FROM Lead", "INVALID_FIELD"),
        ("SELECT Id FROM Nope", "INVALID_TYPE"),
        ("SELECT Id FROM Lead WHERE CreatedDate > '2026-01-01'", "INVALID_FIELD"),
    ],
)
def test_bad_soql_is_a_400_list(sandbox: Any, soql: str, code: str) -> None:
    sf = salesforce_client(sandbox)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query(soql)
    assert caught.value.status == 400
    content: Any = caught.value.content
    assert content[0]["errorCode"] == code


def test_date_literals_on_a_date_field(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    for name, close in [("Early", "2026-03-01"), ("Late", "2026-06-30")]:
        sf.Opportunity.create({"Name": name, "StageName": "Prospecting", "CloseDate": close})
    rows = sf.query("SELECT Name, CloseDate FROM Opportunity WHERE CloseDate < 2026-04-01")
    assert [(r["Name"], r["CloseDate"]) for r in rows["records"]] == [("Early", "2026-03-01")]
    rows = sf.query("SELECT Name FROM Opportunity WHERE CloseDate >= 2026-06-30")
    assert [r["Name"] for r in rows["records"]] == ["Late"]


def test_page_size_defaults_to_2000_and_batch_size_is_kept_within_200_2000(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    _leads(sf, 2001)
    sizes = {}
    for option in (None, "batchSize=50", "batchSize=5000", "batchSize=700"):
        if option:
            sf.headers["Sforce-Query-Options"] = option
        sizes[option] = len(sf.query("SELECT Id FROM Lead")["records"])
    assert sizes == {None: 2000, "batchSize=50": 200, "batchSize=5000": 2000, "batchSize=700": 700}
