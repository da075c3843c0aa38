"""Payload format 2.0: the event API Gateway sends a Lambda proxy integration, and how it maps the
function's result back to an HTTP response."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from local.apigw.config import Route
from local.apigw.messages import INTERNAL, ApiError, HttpRequest, HttpResponse
from local.constants import ACCOUNT_ID

# API Gateway passes these request bodies as text; every other body reaches the function base64-encoded.
_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|javascript|xml|x-www-form-urlencoded|[\w.+-]+\+(json|xml)))(;.*)?$", re.I
)


def build_event(
    request: HttpRequest,
    route: Route,
    path_params: dict[str, str],
    stage: str,
    api_id: str,
    request_id: str,
    authorizer: dict[str, Any] | None,
    now: datetime,
) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway sends the function for this request."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        lname = name.lower()
        if lname == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[lname] = f"{headers[lname]},{value}" if lname in headers else value
    host = headers.get("host", "")
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-forwarded-proto", "http")
    headers.setdefault("x-forwarded-port", host.rpartition(":")[2] if ":" in host else "80")
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(now.timestamp()):08x}-{uuid.uuid4().hex[:24]}")

    query: dict[str, str] = {}
    for pair in request.raw_query.split("&") if request.raw_query else []:
        key, _, value = pair.partition("=")
        key, value = unquote_plus(key), unquote_plus(value)
        query[key] = f"{query[key]},{value}" if key in query else value

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": api_id,
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route.key,
        "stage": stage,
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    event["requestContext"] = context
    if request.body:
        content_type = headers.get("content-type", "")
        text = None
        if _TEXT_TYPES.match(content_type):
            with contextlib.suppress(UnicodeDecodeError):
                text = request.body.decode()
        event["body"] = text if text is not None else base64.b64encode(request.body).decode()
        event["isBase64Encoded"] = text is None
    else:
        event["isBase64Encoded"] = False
    if path_params:
        event["pathParameters"] = path_params
    event["stageVariables"] = None
    return {k: v for k, v in event.items() if v is not None}


def map_response(payload: Any) -> HttpResponse:
    """The HTTP response API Gateway makes of a format 2.0 function result (ApiError 500 if it cannot)."""
    if isinstance(payload, dict) and "statusCode" in payload:
        status = payload["statusCode"]
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise ApiError(*INTERNAL)
        raw_headers = payload.get("headers")
        raw_headers = {} if raw_headers is None else raw_headers
        if not isinstance(raw_headers, dict):
            raise ApiError(*INTERNAL)
        headers = [(str(k).lower(), _header_value(v)) for k, v in raw_headers.items()]
        for cookie in payload.get("cookies") or []:
            headers.append(("set-cookie", str(cookie)))
        body = payload.get("body")
        if body is None:
            data = b""
        elif not isinstance(body, str):
            data = json.dumps(body).encode()
        elif payload.get("isBase64Encoded"):
            try:
                data = base64.b64decode(body, validate=True)
            except binascii.Error:
                raise ApiError(*INTERNAL) from None
        else:
            data = body.encode()
        if not any(name == "content-type" for name, _ in headers) and data:
            headers.append(("content-type", "text/plain; charset=utf-8"))
        return HttpResponse(status, headers, data)
    # The inferred format: any other JSON is the body of a 200 application/json response.
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return HttpResponse(200, [("content-type", "application/json")], text.encode())


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
