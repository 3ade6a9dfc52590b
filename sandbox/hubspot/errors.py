"""HubSpot's error bodies and the exception handlers raise to answer with one."""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.http import Response


def correlation_id() -> str:
    """A fresh id like the ones HubSpot stamps on every error."""
    return str(uuid.uuid4())


def error_body(message: str, category: str, **extra: Any) -> dict[str, Any]:
    """The top-level error JSON HubSpot answers with."""
    return {
        "status": "error",
        "message": message,
        "correlationId": correlation_id(),
        "category": category,
        **extra,
    }


class ApiError(Exception):
    """Raised inside a handler; the app turns it into HubSpot's error answer."""

    def __init__(self, status: int, message: str, category: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category
        self.extra = extra

    def response(self) -> Response:
        """The HTTP answer for this error."""
        return Response(self.status, error_body(self.message, self.category, **self.extra))


def validation(message: str, **extra: Any) -> ApiError:
    """A 400 VALIDATION_ERROR."""
    return ApiError(400, message, "VALIDATION_ERROR", **extra)


def not_found(message: str = "resource not found") -> ApiError:
    """A 404 OBJECT_NOT_FOUND."""
    return ApiError(404, message, "OBJECT_NOT_FOUND")


def standard_error(
    status: str, category: str, message: str, context: dict[str, list[str]]
) -> dict[str, Any]:
    """One entry of a 207's `errors` list (the SDK's StandardError needs every key)."""
    return {
        "status": status,
        "category": category,
        "message": message,
        "context": context,
        "errors": [],
        "links": {},
    }
