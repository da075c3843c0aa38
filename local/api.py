"""The API front: an HTTP server on 127.0.0.1 that plays API Gateway for one HTTP API of the emulator.

Everything comes from the emulator's API Gateway v2 configuration, read through its API (and re-read at most
once a second, so a `terraform apply` takes effect without a restart): the stages, the routes and their
authorization, the integrations, the authorizers and the CORS configuration. A request is handled the way API
Gateway handles it:

1. stage: a path starting with a named stage goes to that stage; anything else to `$default`;
2. CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered from the API's CORS
   configuration, without a route; CORS headers are added to every other response from an allowed origin;
3. route: the best match of `METHOD /path` (exact paths, then path variables, then greedy `{proxy+}`, a
   method before ANY), else `$default`, else 404 {"message":"Not Found"};
4. authorization: `AWS_IAM` verifies the SigV4 signature (local.sigv4) -> 403; `JWT` checks the token of the
   authorizer's identity source offline -> 401, and the route's scopes -> 403 (see `check_jwt`);
5. integration: an `AWS_PROXY` Lambda integration with payload format 2.0; the function must grant
   apigateway.amazonaws.com lambda:InvokeFunction for the route's execute-api ARN (as on AWS, 500 otherwise);
   it is invoked through the Lambda runner, within the integration timeout (503 after it);
6. response: mapped back from the function's result (`statusCode`/`headers`/`cookies`/`body`/
   `isBase64Encoded`, or the inferred format for any other JSON), 500 {"message":"Internal Server Error"} when
   the function fails or returns something API Gateway cannot map;
7. access log: one event in the stage's access log group, in the stage's format.

Not emulated: payload format 1.0, HTTP (non-Lambda) integrations, Lambda (REQUEST) authorizers, throttling,
custom domains, mutual TLS, request parameter mapping.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fnmatch
import json
import logging
import queue
import re
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, unquote_plus

from local import ACCESS_KEY, ACCOUNT_ID, REGION, SECRET_KEY, client, sigv4
from local.invoke import Invoker

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
CONFIG_TTL_S = 1.0
DEFAULT_INTEGRATION_TIMEOUT_MS = 30_000
# API Gateway passes these request bodies as text; every other body reaches the function base64-encoded.
_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|javascript|xml|x-www-form-urlencoded|[\w.+-]+\+(json|xml)))(;.*)?$", re.I
)


class ApiError(Exception):
    """A response API Gateway produces itself: {"message": ...} with a status code."""

    def __init__(self, status: int, message: str, error_type: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type


NOT_FOUND = (404, "Not Found")
INTERNAL = (500, "Internal Server Error")


# -- configuration ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str
    target: str | None
    authorization_type: str
    authorizer_id: str | None
    scopes: tuple[str, ...]

    @property
    def method(self) -> str:
        return self.key.split(" ", 1)[0] if self.key != "$default" else "ANY"

    @property
    def segments(self) -> list[str]:
        return self.key.split(" ", 1)[1].strip("/").split("/") if self.key != "$default" else []


@dataclass(frozen=True)
class ApiConfig:
    api_id: str
    name: str
    cors: dict[str, Any] | None
    stages: dict[str, dict[str, Any]]
    routes: list[Route]
    integrations: dict[str, dict[str, Any]]
    authorizers: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, apigw: Any, api_id: str) -> ApiConfig:
        api = apigw.get_api(ApiId=api_id)
        routes = [
            Route(
                key=item["RouteKey"],
                target=item.get("Target"),
                authorization_type=item.get("AuthorizationType", "NONE"),
                authorizer_id=item.get("AuthorizerId"),
                scopes=tuple(item.get("AuthorizationScopes") or ()),
            )
            for item in _all(apigw.get_routes, ApiId=api_id)
        ]
        return cls(
            api_id=api_id,
            name=api.get("Name", ""),
            cors=api.get("CorsConfiguration") or None,
            stages={stage["StageName"]: stage for stage in _all(apigw.get_stages, ApiId=api_id)},
            routes=routes,
            integrations={i["IntegrationId"]: i for i in _all(apigw.get_integrations, ApiId=api_id)},
            # Read one by one: moto does not implement GetAuthorizers.
            authorizers={
                authorizer_id: apigw.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
                for authorizer_id in {route.authorizer_id for route in routes if route.authorizer_id}
            },
        )


def _all(operation: Any, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = operation(**kwargs, **({"NextToken": token} if token else {}))
        items.extend(page.get("Items", []))
        token = page.get("NextToken")
        if not token:
            return items


# -- routing ---------------------------------------------------------------------------------------------


def match_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route API Gateway picks for `method path`, with its path parameters (decoded)."""
    parts = path.strip("/").split("/") if path.strip("/") else [""]
    candidates: list[tuple[tuple[int, int, int, int], Route, dict[str, str]]] = []
    for route in routes:
        if route.key == "$default" or route.method not in (method, "ANY"):
            continue
        params = _match_segments(route.segments, parts)
        if params is None:
            continue
        greedy = bool(route.segments) and route.segments[-1].endswith("+}")
        literals = sum(1 for segment in route.segments if not segment.startswith("{"))
        # Exact paths beat path variables beat greedy variables; then more literal segments; then a method
        # beats ANY.
        rank = (int(greedy), -literals, -len(route.segments), int(route.method == "ANY"))
        candidates.append((rank, route, params))
    if candidates:
        _, route, params = min(candidates, key=lambda c: c[0])
        return route, params
    default = next((route for route in routes if route.key == "$default"), None)
    return (default, {}) if default is not None else None


def _match_segments(pattern: list[str], parts: list[str]) -> dict[str, str] | None:
    if pattern == [""] or not pattern:
        return {} if parts == [""] else None
    params: dict[str, str] = {}
    for index, segment in enumerate(pattern):
        if segment.startswith("{") and segment.endswith("+}"):
            rest = parts[index:]
            if not rest or rest == [""]:
                return None
            params[segment[1:-2]] = unquote("/".join(rest))
            return params
        if index >= len(parts):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            if parts[index] == "":
                return None
            params[segment[1:-1]] = unquote(parts[index])
        elif segment != parts[index]:
            return None
    return params if len(parts) == len(pattern) else None


# -- authorization ---------------------------------------------------------------------------------------


def check_jwt(
    token: str | None,
    issuer: str,
    audiences: list[str],
    scopes: tuple[str, ...],
    now: float | None = None,
) -> dict[str, Any]:
    """The token's claims if API Gateway's JWT authorizer accepts it, else ApiError (401; 403 for scopes).

    Checked offline, as API Gateway does: the token is a JWT with an RSA algorithm, `iss` equals the issuer,
    `aud` (or `client_id` for access tokens) is one of the audiences, `exp` is in the future, `nbf` and `iat`
    are not, and with route scopes, the `scope`/`scp` claim holds one of them. NOT checked: the signature,
    because the issuer's JWKS (`{issuer}/.well-known/openid-configuration`) cannot be fetched offline, so any
    token with the right claims passes here.
    """
    unauthorized = ApiError(401, "Unauthorized")
    if not token:
        raise unauthorized
    token = token.removeprefix("Bearer ").strip()
    pieces = token.split(".")
    if len(pieces) != 3:
        raise unauthorized
    try:
        header = json.loads(_b64url(pieces[0]))
        claims = json.loads(_b64url(pieces[1]))
    except (ValueError, binascii.Error):
        raise unauthorized from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise unauthorized
    if not str(header.get("alg", "")).startswith(("RS", "PS")):
        raise unauthorized  # API Gateway's JWT authorizers accept RSA-signed tokens only
    now = time.time() if now is None else now
    if claims.get("iss") != issuer:
        raise unauthorized
    audience = claims.get("aud") if claims.get("aud") is not None else claims.get("client_id")
    token_audiences = audience if isinstance(audience, list) else [audience]
    if not set(token_audiences) & set(audiences):
        raise unauthorized
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now:
        raise unauthorized
    for claim in ("nbf", "iat"):
        value = claims.get(claim)
        if value is not None and (not isinstance(value, int | float) or value > now):
            raise unauthorized
    if scopes:
        granted = claims.get("scope", claims.get("scp", ""))
        granted_set = set(granted.split() if isinstance(granted, str) else granted or [])
        if not granted_set & set(scopes):
            raise ApiError(403, "Forbidden")
    return claims


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _claims_for_event(claims: dict[str, Any]) -> dict[str, str]:
    # API Gateway hands claims to the function as strings; lists in the "[a b]" form.
    result: dict[str, str] = {}
    for key, value in claims.items():
        if isinstance(value, list):
            result[key] = "[" + " ".join(str(v) for v in value) + "]"
        elif isinstance(value, str):
            result[key] = value
        else:
            result[key] = json.dumps(value)
    return result


def permission_allows(policy: dict[str, Any], source_arn: str) -> bool:
    """Does the function's resource policy let API Gateway invoke it for `source_arn`?"""
    for statement in policy.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal", {})
        service = principal.get("Service") if isinstance(principal, dict) else principal
        services = service if isinstance(service, list) else [service]
        if "apigateway.amazonaws.com" not in services and "*" not in services:
            continue
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if not any(action in ("lambda:InvokeFunction", "lambda:*") for action in actions):
            continue
        condition = statement.get("Condition", {})
        patterns = [
            value
            for operator in ("ArnLike", "ArnEquals", "StringLike", "StringEquals")
            for value in _as_list(condition.get(operator, {}).get("AWS:SourceArn"))
        ]
        if not patterns or any(fnmatch.fnmatchcase(source_arn, pattern) for pattern in patterns):
            return True
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# -- CORS ------------------------------------------------------------------------------------------------


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


# -- events and responses --------------------------------------------------------------------------------


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


def _error_response(error: ApiError) -> HttpResponse:
    body = json.dumps({"message": error.message}).encode()
    return HttpResponse(error.status, [("content-type", "application/json")], body)


def function_arn_of(integration: dict[str, Any]) -> str:
    """The Lambda function ARN an AWS_PROXY integration calls (a function ARN or an invoke ARN)."""
    uri = integration.get("IntegrationUri", "")
    match = re.search(r"functions/(arn:[^/]+)/invocations", uri)
    return match.group(1) if match else uri


# -- access logs -----------------------------------------------------------------------------------------


class _AccessLog:
    """Writes access log events from a thread of its own, as API Gateway delivers them: after the response."""

    def __init__(self, logs: Any) -> None:
        self._logs = logs
        self._streams: set[tuple[str, str]] = set()
        self._queue: queue.Queue[tuple[str, str, dict[str, Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._send_loop, name="api-access-log", daemon=True)
        self._thread.start()

    def write(self, stage: dict[str, Any], values: Mapping[str, Any]) -> None:
        settings = stage.get("AccessLogSettings") or {}
        destination, template = settings.get("DestinationArn"), settings.get("Format")
        if not destination or not template:
            return
        group = destination.split(":log-group:", 1)[-1].removesuffix(":*")

        def substitute(match: re.Match[str]) -> str:
            value = values.get(match.group(1))
            text = "-" if value is None or value == "" else str(value)
            return json.dumps(text)[1:-1]  # the format is JSON: keep quotes and backslashes escaped

        message = re.sub(r"\$context\.([A-Za-z0-9_.]+)", substitute, template)
        stream = f"{stage['StageName']}-{datetime.now(UTC).strftime('%Y-%m-%d')}"
        self._queue.put((group, stream, {"timestamp": int(time.time() * 1000), "message": message}))

    def flush(self) -> None:
        """Returns once every event written so far has been sent."""
        self._queue.join()

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _send_loop(self) -> None:
        while True:
            first = self._queue.get()
            items = [first]
            with contextlib.suppress(queue.Empty):
                while len(items) < 1000:
                    items.append(self._queue.get_nowait())
            batches: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for item in items:
                if item is not None:
                    batches.setdefault(item[:2], []).append(item[2])
            for (group, stream), events in batches.items():
                try:
                    self._send(group, stream, events)
                except Exception:
                    log.exception("writing the access log to %s failed", group)
            for _ in items:
                self._queue.task_done()
            if None in items:
                return

    def _send(self, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        try:
            if (group, stream) not in self._streams:
                with contextlib.suppress(self._logs.exceptions.ResourceAlreadyExistsException):
                    self._logs.create_log_stream(logGroupName=group, logStreamName=stream)
                self._streams.add((group, stream))
            self._logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
        except self._logs.exceptions.ResourceNotFoundException:
            log.warning("access log group %s does not exist", group)


# -- the server ------------------------------------------------------------------------------------------


class ApiFront:
    """Serves one HTTP API of the emulator on http://127.0.0.1:<port>, invoking functions via `invoker`."""

    def __init__(self, endpoint: str, api_id: str, invoker: Invoker, port: int = 0) -> None:
        self.api_id = api_id
        self._invoker = invoker
        self._apigw = client("apigatewayv2", endpoint)
        self._lambda = client("lambda", endpoint)
        self.access_log = _AccessLog(client("logs", endpoint))
        self._policies: dict[str, tuple[float, dict[str, Any]]] = {}
        self._config: ApiConfig | None = None
        self._config_at = 0.0
        self._config_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="api-invoke")
        self._server = ThreadingHTTPServer((HOST, port), _handler_class(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> ApiFront:
        self._thread = threading.Thread(target=self._server.serve_forever, name="api-front", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.access_log.close()

    def __enter__(self) -> ApiFront:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def config(self) -> ApiConfig:
        with self._config_lock:
            if self._config is None or time.monotonic() - self._config_at > CONFIG_TTL_S:
                self._config = ApiConfig.load(self._apigw, self.api_id)
                self._config_at = time.monotonic()
            return self._config

    def handle(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        now = datetime.now(UTC)
        request_id = base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")[:14] + "="
        log_values: dict[str, Any] = {
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity.sourceIp": request.source_ip,
            "identity.userAgent": request.header("user-agent"),
            "httpMethod": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "apiId": self.api_id,
            "domainName": request.header("host"),
        }
        config = self.config()
        stage: dict[str, Any] | None = None
        try:
            stage, path = self._stage(config, request.raw_path)
            log_values["stage"] = stage["StageName"]
            response = self._handle_in_stage(config, stage, path, request, request_id, now, log_values)
        except ApiError as error:
            log_values["error.message"] = error.message
            log_values["error.responseType"] = error.error_type
            response = _error_response(error)
        if not response.preflight:
            response.headers.extend(cors_headers(config.cors, request.header("origin")).items())
        response.headers.append(("apigw-requestid", request_id))
        log_values["status"] = response.status
        log_values["responseLength"] = len(response.body)
        log_values["responseLatency"] = int((time.monotonic() - started) * 1000)
        if stage is not None:
            self.access_log.write(stage, log_values)
        return response

    def _stage(self, config: ApiConfig, raw_path: str) -> tuple[dict[str, Any], str]:
        first, _, rest = raw_path.lstrip("/").partition("/")
        if first and first != "$default" and first in config.stages:
            return config.stages[first], "/" + rest
        if "$default" in config.stages:
            return config.stages["$default"], raw_path
        raise ApiError(*NOT_FOUND)

    def _handle_in_stage(
        self,
        config: ApiConfig,
        stage: dict[str, Any],
        path: str,
        request: HttpRequest,
        request_id: str,
        now: datetime,
        log_values: dict[str, Any],
    ) -> HttpResponse:
        origin = request.header("origin")
        requested_method = request.header("access-control-request-method")
        if config.cors and request.method == "OPTIONS" and origin and requested_method:
            headers = preflight(
                config.cors, origin, requested_method, request.header("access-control-request-headers")
            )
            return HttpResponse(204, list(headers.items()), preflight=True)

        matched = match_route(config.routes, request.method, path)
        if matched is None:
            raise ApiError(*NOT_FOUND, "MISSING_AUTHENTICATION_TOKEN")
        route, path_params = matched
        log_values["routeKey"] = route.key

        authorizer = self._authorize(config, route, request)
        integration = config.integrations.get((route.target or "").removeprefix("integrations/"))
        if integration is None or integration.get("IntegrationType") != "AWS_PROXY":
            raise ApiError(*INTERNAL, "INTEGRATION_FAILURE")
        if integration.get("PayloadFormatVersion", "1.0") != "2.0":
            log.error("payload format %s is not emulated", integration.get("PayloadFormatVersion"))
            raise ApiError(*INTERNAL, "INTEGRATION_FAILURE")
        function_arn = function_arn_of(integration)
        source_arn = (
            f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{config.api_id}/{stage['StageName']}/"
            f"{request.method}{path if path.startswith('/') else '/' + path}"
        )
        if not self._permitted(function_arn, source_arn):
            log.error(
                "%s does not allow apigateway.amazonaws.com to invoke it for %s", function_arn, source_arn
            )
            raise ApiError(*INTERNAL, "INTEGRATION_FAILURE")

        event = build_event(
            request, route, path_params, stage["StageName"], config.api_id, request_id, authorizer, now
        )
        timeout_ms = integration.get("TimeoutInMillis") or DEFAULT_INTEGRATION_TIMEOUT_MS
        started = time.monotonic()
        future = self._pool.submit(self._invoker.invoke, function_arn, event)
        try:
            result = future.result(timeout=timeout_ms / 1000)
        except FutureTimeout:
            log_values["integrationErrorMessage"] = "timeout"
            raise ApiError(503, "Service Unavailable", "INTEGRATION_TIMEOUT") from None
        except Exception:
            log.exception("invoking %s failed", function_arn)
            raise ApiError(*INTERNAL, "INTEGRATION_FAILURE") from None
        finally:
            log_values["integrationLatency"] = int((time.monotonic() - started) * 1000)
            log_values["integration.latency"] = log_values["integrationLatency"]
        log_values["integrationStatus"] = 200
        log_values["integration.status"] = 200
        if result.error is not None:
            log_values["integration.error"] = result.error.get("errorMessage")
            log_values["integrationErrorMessage"] = result.error.get("errorMessage")
            raise ApiError(*INTERNAL, "INTEGRATION_FAILURE")
        return map_response(result.payload)

    def _authorize(self, config: ApiConfig, route: Route, request: HttpRequest) -> dict[str, Any] | None:
        if route.authorization_type == "AWS_IAM":
            verdict = sigv4.verify(
                request.method,
                request.header("host") or "",
                request.raw_path,
                request.raw_query,
                request.headers,
                request.body,
                region=REGION,
                secrets={ACCESS_KEY: SECRET_KEY},
            )
            if not verdict.ok:
                raise ApiError(403, verdict.message, "ACCESS_DENIED")
            return {
                "iam": {
                    "accessKey": verdict.access_key,
                    "accountId": ACCOUNT_ID,
                    "callerId": ACCOUNT_ID,
                    "cognitoIdentity": None,
                    "principalOrgId": None,
                    "userArn": f"arn:aws:iam::{ACCOUNT_ID}:root",
                    "userId": ACCOUNT_ID,
                }
            }
        if route.authorization_type == "JWT":
            authorizer = config.authorizers.get(route.authorizer_id or "")
            if authorizer is None:
                raise ApiError(*INTERNAL, "AUTHORIZER_CONFIGURATION_ERROR")
            jwt = authorizer.get("JwtConfiguration") or {}
            source = (authorizer.get("IdentitySource") or ["$request.header.Authorization"])[0]
            token = request.header(source.removeprefix("$request.header.").lower())
            claims = check_jwt(token, jwt.get("Issuer", ""), list(jwt.get("Audience") or []), route.scopes)
            return {"jwt": {"claims": _claims_for_event(claims), "scopes": list(route.scopes) or None}}
        if route.authorization_type != "NONE":
            log.error("authorization type %s is not emulated", route.authorization_type)
            raise ApiError(*INTERNAL, "AUTHORIZER_CONFIGURATION_ERROR")
        return None

    def _permitted(self, function_arn: str, source_arn: str) -> bool:
        # The resource policy is re-read at most once a second, like the API's configuration.
        cached = self._policies.get(function_arn)
        if cached is None or time.monotonic() - cached[0] > CONFIG_TTL_S:
            try:
                policy = json.loads(self._lambda.get_policy(FunctionName=function_arn)["Policy"])
            except self._lambda.exceptions.ResourceNotFoundException:
                policy = {}
            cached = self._policies[function_arn] = (time.monotonic(), policy)
        return permission_allows(cached[1], source_arn)


_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "date"}


def _handler_class(front: ApiFront) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def version_string(self) -> str:
            return "local-api-gateway"

        def _serve(self) -> None:
            raw_path, _, raw_query = self.path.partition("?")
            request = HttpRequest(
                method=self.command,
                raw_path=raw_path,
                raw_query=raw_query,
                headers=list(self.headers.items()),
                body=self._read_body(),
                source_ip=self.client_address[0],
                protocol=self.request_version,
            )
            try:
                response = front.handle(request)
            except Exception:
                log.exception("the API front failed on %s %s", self.command, self.path)
                response = _error_response(ApiError(*INTERNAL))
            self.send_response(response.status)
            for name, value in response.headers:
                if name not in _HOP_BY_HOP:  # the server frames the body itself
                    self.send_header(name, value)
            self.send_header("content-length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        def _read_body(self) -> bytes:
            if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
                chunks: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("content-length") or 0)
            return self.rfile.read(length) if length else b""

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s - %s", self.client_address[0], format % args)

    return Handler
