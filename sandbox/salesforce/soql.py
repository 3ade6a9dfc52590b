"""A parser for the SOQL subset crmops emits; anything else is MALFORMED_QUERY, as in Salesforce."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.salesforce.soqllex import SoqlError, Token, tokenize, unquote

__all__ = ["SoqlError", "Token", "parse", "tokenize", "unquote"]

DATE_LITERALS = {"TODAY", "YESTERDAY", "TOMORROW", "LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO"}
KEYWORDS = {
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "LIKE",
    "ORDER",
    "BY",
    "LIMIT",
    "OFFSET",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "NULL",
    "TRUE",
    "FALSE",
    "COUNT",
}


@dataclass(frozen=True)
class Value:
    """A literal: kind is string, number, date, datetime, null, bool or dateliteral."""

    kind: str
    value: Any


@dataclass(frozen=True)
class Comparison:
    """`field op value`; op is one of = != < > <= >= IN NOT IN LIKE."""

    field: str
    op: str
    value: Value | tuple[Value, ...]


@dataclass(frozen=True)
class Logical:
    """AND / OR over two or more conditions, or NOT over one."""

    op: str
    items: tuple[Condition, ...]


Condition = Comparison | Logical


@dataclass(frozen=True)
class OrderItem:
    """One ORDER BY term."""

    field: str
    descending: bool = False
    nulls_last: bool | None = None


@dataclass
class Query:
    """A parsed SELECT."""

    sobject: str
    fields: list[str] = field(default_factory=list)
    count_only: bool = False
    where: Condition | None = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.position = 0

    def peek(self, offset: int = 0) -> Token | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise SoqlError("unexpected end of query")
        self.position += 1
        return token

    def at(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind in ("ident", "op", "punct") and token.upper in words

    def expect(self, word: str) -> None:
        token = self.next()
        if token.upper != word:
            raise SoqlError(f"unexpected token: '{token.text}'")

    def identifier(self) -> str:
        token = self.next()
        if token.kind != "ident" or token.upper in KEYWORDS:
            raise SoqlError(f"unexpected token: '{token.text}'")
        return token.text

    def integer(self) -> int:
        token = self.next()
        if token.kind != "number" or not token.text.isdigit():
            raise SoqlError(f"unexpected token: '{token.text}'")
        return int(token.text)

    def query(self) -> Query:
        self.expect("SELECT")
        query = Query(sobject="")
        if self.at("COUNT") and self.peek(1) is not None and self.peek(1).text == "(":  # type: ignore[union-attr]
            self.position += 1
            self.expect("(")
            self.expect(")")
            query.count_only = True
        else:
            query.fields = self.field_list()
        self.expect("FROM")
        query.sobject = self.identifier()
        self.clauses(query)
        if self.peek() is not None:
            raise SoqlError(f"unexpected token: '{self.next().text}'")
        return query

    def field_list(self) -> list[str]:
        fields = [self.identifier()]
        while self.at(","):
            self.next()
            fields.append(self.identifier())
        return fields

    def clauses(self, query: Query) -> None:
        if self.at("WHERE"):
            self.next()
            query.where = self.disjunction()
        if self.at("ORDER"):
            self.next()
            self.expect("BY")
            query.order_by = [self.order_item()]
            while self.at(","):
                self.next()
                query.order_by.append(self.order_item())
        if self.at("LIMIT"):
            self.next()
            query.limit = self.integer()
        if self.at("OFFSET"):
            self.next()
            query.offset = self.integer()
            if query.offset > 2000:
                raise SoqlError("Maximum SOQL offset allowed is 2000", "NUMBER_OUTSIDE_VALID_RANGE")

    def order_item(self) -> OrderItem:
        name = self.identifier()
        descending = False
        if self.at("ASC", "DESC"):
            descending = self.next().upper == "DESC"
        nulls_last = None
        if self.at("NULLS"):
            self.next()
            word = self.next().upper
            if word not in ("FIRST", "LAST"):
                raise SoqlError(f"unexpected token: '{word}'")
            nulls_last = word == "LAST"
        return OrderItem(name, descending, nulls_last)

    def disjunction(self) -> Condition:
        items = [self.conjunction()]
        while self.at("OR"):
            self.next()
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else Logical("OR", tuple(items))

    def conjunction(self) -> Condition:
        items = [self.negation()]
        while self.at("AND"):
            self.next()
            items.append(self.negation())
        return items[0] if len(items) == 1 else Logical("AND", tuple(items))

    def negation(self) -> Condition:
        if self.at("NOT"):
            self.next()
            return Logical("NOT", (self.negation(),))
        if self.at("("):
            self.next()
            inner = self.disjunction()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        name = self.identifier()
        if self.at("NOT"):
            self.next()
            self.expect("IN")
            return Comparison(name, "NOT IN", self.value_list())
        if self.at("IN"):
            self.next()
            return Comparison(name, "IN", self.value_list())
        if self.at("LIKE"):
            self.next()
            value = self.value()
            if value.kind != "string":
                raise SoqlError("LIKE needs a quoted string", "INVALID_QUERY_FILTER_OPERATOR")
            return Comparison(name, "LIKE", value)
        token = self.next()
        if token.kind != "op":
            raise SoqlError(f"unexpected token: '{token.text}'")
        return Comparison(name, "!=" if token.text == "<>" else token.text, self.value())

    def value_list(self) -> tuple[Value, ...]:
        self.expect("(")
        values = [self.value()]
        while self.at(","):
            self.next()
            values.append(self.value())
        self.expect(")")
        return tuple(values)

    def value(self) -> Value:
        token = self.next()
        if token.kind == "string":
            return Value("string", unquote(token.text))
        if token.kind in ("date", "datetime"):
            return Value(token.kind, token.text)
        if token.kind == "number":
            return Value("number", float(token.text) if "." in token.text else int(token.text))
        word = token.upper
        if word == "NULL":
            return Value("null", None)
        if word in ("TRUE", "FALSE"):
            return Value("bool", word == "TRUE")
        name, _, days = word.partition(":")
        if token.kind == "ident" and name in DATE_LITERALS and (bool(days) == ("_N_" in name)):
            return Value("dateliteral", (name, int(days or 0)))
        raise SoqlError(f"unexpected token: '{token.text}'")


def parse(text: str) -> Query:
    """Parse one SOQL query.

    Raises:
        SoqlError: the query is outside the supported subset or malformed.
    """
    return _Parser(text).query()
