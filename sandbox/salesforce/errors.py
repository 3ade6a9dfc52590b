"""Salesforce's error shapes: JSON lists for HTTP errors, per-record errors inside collections."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sandbox.http import Response


class RecordError(Exception):
    """One record refused; inside a collection it becomes that record's `errors` entry."""

    status = 400

    def __init__(self, code: str, message: str, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = list(fields)

    def as_record_error(self) -> dict[str, Any]:
        """The `{statusCode, message, fields}` entry of a collection answer."""
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}

    def as_response(self) -> Response:
        """The HTTP answer when a single-record call fails this way."""
        body: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields:
            body["fields"] = self.fields
        return Response(self.status, [body])


class NotFound(RecordError):
    """No record with that id (404 on single-record calls)."""

    status = 404

    def __init__(
        self, code: str = "NOT_FOUND", message: str = "The requested resource does not exist"
    ) -> None:
        super().__init__(code, message)


class RequestError(Exception):
    """The whole request is refused (bad JSON, too many records), whatever allOrNone says."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def as_response(self) -> Response:
        """The HTTP answer."""
        return error(self.status, self.code, self.message)


def error(status: int, code: str, message: str) -> Response:
    """An HTTP error with Salesforce's list body."""
    return Response(status, [{"message": message, "errorCode": code}])
