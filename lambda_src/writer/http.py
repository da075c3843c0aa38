"""HTTP as API Gateway's HTTP API delivers it to a Lambda function (payload format 2.0): the request the
writer reads, the response it returns, and the table that picks a handler by method and path.

The writer serves four routes. Powertools' event handler would route them too, but importing it loads every
resolver it has (AppSync, Bedrock, VPC Lattice, ...) and adds about a fifth of ``import boto3`` to each cold
start; this module is what the four routes need.

Requests are matched on their method and path, not on API Gateway's ``routeKey``, so the writer behaves the
same behind the module's routes, a ``$default`` route or a proxy route of the caller's own API.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

# A path parameter, `{name}`: one whole, non-empty segment.
_PARAMETER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Request:
    """One HTTP request: the format 2.0 event, and the Lambda context it arrived with."""

    event: dict[str, Any]
    context: Any = None

    @property
    def request_context(self) -> dict[str, Any]:
        return self.event.get("requestContext") or {}

    @property
    def method(self) -> str:
        return str((self.request_context.get("http") or {}).get("method", "")).upper()

    @property
    def raw_path(self) -> str:
        """The path as the client sent it, with a named stage's prefix (``/prod/products``)."""
        return str(self.event.get("rawPath") or "/")

    @property
    def path(self) -> str:
        """The path the API serves, without a named stage's prefix (``/products``)."""
        stage = self.request_context.get("stage") or "$default"
        prefix = f"/{stage}"
        if stage != "$default" and (self.raw_path == prefix or self.raw_path.startswith(prefix + "/")):
            return self.raw_path[len(prefix) :] or "/"
        return self.raw_path

    @cached_property  # read for the content type, If-Match and Idempotency-Key of one request
    def headers(self) -> dict[str, str]:
        """Header values by lower-case name (API Gateway lower-cases them; a direct invoker may not)."""
        return {name.lower(): value for name, value in (self.event.get("headers") or {}).items()}

    @property
    def body(self) -> str | None:
        body = self.event.get("body")
        return None if body is None else str(body)

    @property
    def is_base64_encoded(self) -> bool:
        return bool(self.event.get("isBase64Encoded"))


@dataclass(frozen=True)
class Response:
    """One HTTP response; ``to_result`` is the value the function returns to API Gateway."""

    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def to_result(self) -> dict[str, Any]:
        return {
            "statusCode": self.status,
            "headers": dict(self.headers),
            "body": self.body,
            "isBase64Encoded": False,
        }


Handler = Callable[..., Response]


class NoSuchResource(Exception):
    """No route serves this path, whatever the method (404)."""


class MethodNotAllowed(Exception):
    """A route serves this path, but not with this method (405); ``allowed`` lists the methods that work."""

    def __init__(self, method: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"method {method} not allowed")
        self.method = method
        self.allowed = allowed


class Routes:
    """Handlers by path template (``/products/{id}``) and method; a template's parameters are passed to its
    handlers as keyword arguments."""

    def __init__(self) -> None:
        self._paths: list[tuple[str, re.Pattern[str], dict[str, Handler]]] = []

    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        """Decorator: serve ``method template`` with the decorated function."""

        def register(handler: Handler) -> Handler:
            self._methods(template)[method.upper()] = handler
            return handler

        return register

    def find(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """The handler for ``method path`` and its path parameters; NoSuchResource or MethodNotAllowed."""
        for _, pattern, methods in self._paths:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            handler = methods.get(method)
            if handler is None:
                raise MethodNotAllowed(method, tuple(sorted(methods)))
            return handler, match.groupdict()
        raise NoSuchResource(path)

    def _methods(self, template: str) -> dict[str, Handler]:
        for known, _, methods in self._paths:
            if known == template:
                return methods
        self._paths.append((template, _pattern(template), {}))
        return self._paths[-1][2]


def _pattern(template: str) -> re.Pattern[str]:
    segments = []
    for segment in template.split("/"):
        parameter = _PARAMETER.fullmatch(segment)
        segments.append(f"(?P<{parameter[1]}>[^/]+)" if parameter else re.escape(segment))
    return re.compile("/".join(segments))
