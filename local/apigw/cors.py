"""CORS as API Gateway answers it for an HTTP API with a CORS configuration: preflights, and the headers
added to every other response to an allowed origin."""

from __future__ import annotations

from typing import Any

from local.apigw.messages import HttpRequest, HttpResponse


def _origin_allowed(cors: dict[str, Any], origin: str) -> bool:
    origins = cors.get("AllowOrigins") or []
    return "*" in origins or origin in origins


def cors_headers(cors: dict[str, Any] | None, origin: str | None) -> dict[str, str]:
    """Headers API Gateway adds to a (non-preflight) response for a request from `origin`."""
    if not cors or not origin or not _origin_allowed(cors, origin):
        return {}
    credentials = bool(cors.get("AllowCredentials"))
    headers = {
        "access-control-allow-origin": origin if credentials or "*" not in cors["AllowOrigins"] else "*"
    }
    if credentials:
        headers["access-control-allow-credentials"] = "true"
    if cors.get("ExposeHeaders"):
        headers["access-control-expose-headers"] = ",".join(cors["ExposeHeaders"])
    return headers


def preflight(cors: dict[str, Any], origin: str, method: str, request_headers: str | None) -> dict[str, str]:
    """Headers of API Gateway's 204 answer to a preflight; none when the origin or method is not allowed."""
    methods = [m.upper() for m in cors.get("AllowMethods") or []]
    if not _origin_allowed(cors, origin) or ("*" not in methods and method.upper() not in methods):
        return {}
    headers = cors_headers(cors, origin)
    headers["access-control-allow-methods"] = ",".join(methods)
    allowed = [h.lower() for h in cors.get("AllowHeaders") or []]
    if allowed:
        requested = request_headers or ""
        headers["access-control-allow-headers"] = (
            requested if "*" in allowed and requested else ",".join(allowed)
        )
    if cors.get("MaxAge") is not None:
        headers["access-control-max-age"] = str(cors["MaxAge"])
    return headers


def preflight_response(cors: dict[str, Any] | None, request: HttpRequest) -> HttpResponse | None:
    """The answer to `request` when it is a CORS preflight (OPTIONS with Origin and
    Access-Control-Request-Method) and the API has a CORS configuration; else None."""
    origin = request.header("origin")
    requested_method = request.header("access-control-request-method")
    if not cors or request.method != "OPTIONS" or not origin or not requested_method:
        return None
    headers = preflight(cors, origin, requested_method, request.header("access-control-request-headers"))
    return HttpResponse(204, list(headers.items()), preflight=True)
