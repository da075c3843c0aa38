"""The request and response the API front passes between its steps, and the errors API Gateway answers
itself."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


class ApiError(Exception):
    """A response API Gateway produces itself: {"message": ...} with a status code."""

    def __init__(self, status: int, message: str, error_type: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type


NOT_FOUND = (404, "Not Found")
INTERNAL = (500, "Internal Server Error")


@dataclass
class HttpRequest:
    method: str
    raw_path: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name]
        return ",".join(values) if values else None


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    preflight: bool = False  # a preflight answer carries its own CORS headers, or deliberately none


def error_response(error: ApiError) -> HttpResponse:
    """API Gateway's own error response: {"message": ...} with the error's status."""
    body = json.dumps({"message": error.message}).encode()
    return HttpResponse(error.status, [("content-type", "application/json")], body)
