"""The small request/response model and router every sandbox API is written against."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One HTTP request as the sandbox apps see it."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes = b""
    path: str = ""
    query: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self.path = parts.path
        self.query = parse_qs(parts.query, keep_blank_values=True)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header, case-insensitively."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.body or b"null")


@dataclass
class Response:
    """A status, a JSON-able body (or raw bytes, or None for no body) and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # Set by the fault layer: the write happened but the client never hears back.
    drop_connection: bool = False

    def encoded(self) -> bytes:
        """The body as bytes on the wire."""
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode()


Handler = Callable[..., Response]


@dataclass
class Route:
    """A method and path pattern, the handler, and the endpoint name calls are counted under."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    endpoint: str


class Router:
    """Maps method + path to a handler; named regex groups become keyword arguments."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, pattern: str, handler: Handler, endpoint: str) -> None:
        """Register a route; `pattern` must match the whole path."""
        self.routes.append(Route(method, re.compile(pattern + r"\Z"), handler, endpoint))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for a request and its path arguments, or None."""
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, found.groupdict()
        return None

    def allows_path(self, path: str) -> bool:
        """True when some route matches the path with another method (for 405)."""
        return any(route.pattern.match(path) for route in self.routes)
