"""SOQL tokens: the lexer and quoted-string rules (backslash escapes as Salesforce reads them)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:\\.|[^'\\])*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::\d+)?)
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


class SoqlError(Exception):
    """A query Salesforce would refuse; `code` is the errorCode it answers with."""

    def __init__(self, message: str, code: str = "MALFORMED_QUERY") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind and text."""

    kind: str
    text: str

    @property
    def upper(self) -> str:
        """The text upper-cased, for keyword tests."""
        return self.text.upper()


def tokenize(text: str) -> list[Token]:
    """Split a query into tokens.

    Raises:
        SoqlError: a character that starts no token.
    """
    tokens, position = [], 0
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None:
            raise SoqlError(f"unexpected token: '{text[position : position + 20]}'")
        kind = found.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, found.group()))
        position = found.end()
    return tokens


def unquote(literal: str) -> str:
    """The value of a quoted SOQL string, backslash escapes resolved."""
    body, out, index = literal[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            index += 1
            nxt = body[index]
            # \% and \_ stay escaped: they only mean something to LIKE.
            out.append("\\" + nxt if nxt in "%_" else _ESCAPES.get(nxt, nxt))
        else:
            out.append(char)
        index += 1
    return "".join(out)
