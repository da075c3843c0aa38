"""The API front: an HTTP server on 127.0.0.1 that plays API Gateway for one HTTP API of the emulator.

Everything comes from the emulator's API Gateway v2 configuration, read through its API (and re-read at most
once a second, so a `terraform apply` takes effect without a restart): the stages, the routes and their
authorization, the integrations, the authorizers and the CORS configuration. A request is handled the way API
Gateway handles it:

1. stage (routing): a path starting with a named stage goes to that stage; anything else to `$default`;
2. CORS (cors): a preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered from the
   API's CORS configuration, without a route; CORS headers are added to every other response from an allowed
   origin;
3. route (routing): the best match of `METHOD /path` (exact paths, then path variables, then greedy
   `{proxy+}`, a method before ANY), else `$default`, else 404 {"message":"Not Found"};
4. authorization (authorizers): `AWS_IAM` verifies the SigV4 signature (sigv4) -> 403; `JWT` checks the
   token of the authorizer's identity source offline -> 401, and the route's scopes -> 403 (see `check_jwt`);
5. integration (integration): an `AWS_PROXY` Lambda integration with payload format 2.0; the function must
   grant apigateway.amazonaws.com lambda:InvokeFunction for the route's execute-api ARN (as on AWS, 500
   otherwise); it is invoked through the Lambda runner, within the integration timeout (503 after it);
6. event and response (events): the payload format 2.0 event; the response mapped back from the function's
   result (`statusCode`/`headers`/`cookies`/`body`/`isBase64Encoded`, or the inferred format for any other
   JSON), 500 {"message":"Internal Server Error"} when the function fails or returns something API Gateway
   cannot map;
7. access log (access_log): one event in the stage's access log group, in the stage's format;
8. metrics (local.metrics): Count, 4xx, 5xx and Latency under AWS/ApiGateway, by ApiId and Stage.

The modules named are those of local.apigw; this one holds `ApiFront`, which runs the steps, and the HTTP
server around it.

Not emulated: payload format 1.0, HTTP (non-Lambda) integrations, Lambda (REQUEST) authorizers, throttling,
custom domains, mutual TLS, request parameter mapping.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from local import client
from local.apigw.access_log import AccessLog, request_values
from local.apigw.authorizers import authorize
from local.apigw.config import CONFIG_TTL_S, ApiConfig
from local.apigw.cors import cors_headers, preflight_response
from local.apigw.events import build_event, map_response
from local.apigw.integration import LambdaInvocations, execute_api_arn, function_arn_of, lambda_integration
from local.apigw.messages import INTERNAL, NOT_FOUND, ApiError, HttpRequest, HttpResponse, error_response
from local.apigw.routing import match_route, select_stage
from local.constants import HOST
from local.lambda_runtime.invoke import Invoker
from local.lifecycle import Lifecycle
from local.metrics import API_GATEWAY_NAMESPACE, COUNT, MILLISECONDS, NO_METRICS, Metrics

log = logging.getLogger(__name__)


class ApiFront(Lifecycle):
    """Serves one HTTP API of the emulator on http://127.0.0.1:<port>, invoking functions via `invoker`."""

    def __init__(
        self, endpoint: str, api_id: str, invoker: Invoker, port: int = 0, metrics: Metrics = NO_METRICS
    ) -> None:
        self.api_id = api_id
        self._metrics = metrics
        self._apigw = client("apigatewayv2", endpoint)
        self._invocations = LambdaInvocations(client("lambda", endpoint), invoker)
        self.access_log = AccessLog(client("logs", endpoint))
        self._config: ApiConfig | None = None
        self._config_at = 0.0
        self._config_lock = threading.Lock()
        self._server = ThreadingHTTPServer((HOST, port), _handler_class(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, name="api-front", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._invocations.close()
        self.access_log.close()

    def config(self) -> ApiConfig:
        with self._config_lock:
            if self._config is None or time.monotonic() - self._config_at > CONFIG_TTL_S:
                self._config = ApiConfig.load(self._apigw, self.api_id)
                self._config_at = time.monotonic()
            return self._config

    def handle(self, request: HttpRequest) -> HttpResponse:
        """The response to `request`, through every step of the module doc."""
        started = time.monotonic()
        now = datetime.now(UTC)
        request_id = base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")[:14] + "="
        log_values = request_values(request, request_id, self.api_id, now)
        config = self.config()
        stage: dict[str, Any] | None = None
        try:
            stage, path = select_stage(config, request.raw_path)
            log_values["stage"] = stage["StageName"]
            response = self._handle_in_stage(config, stage, path, request, request_id, now, log_values)
        except ApiError as error:
            log_values["error.message"] = error.message
            log_values["error.responseType"] = error.error_type
            response = error_response(error)
        if not response.preflight:
            response.headers.extend(cors_headers(config.cors, request.header("origin")).items())
        response.headers.append(("apigw-requestid", request_id))
        log_values["status"] = response.status
        log_values["responseLength"] = len(response.body)
        log_values["responseLatency"] = int((time.monotonic() - started) * 1000)
        if stage is not None:
            self.access_log.write(stage, log_values)
            self._publish(stage["StageName"], response.status, log_values["responseLatency"])
        return response

    def _publish(self, stage_name: str, status: int, latency_ms: int) -> None:
        # API Gateway's HTTP API metrics: one data point of each per request, by ApiId and Stage.
        dimensions = {"ApiId": self.api_id, "Stage": stage_name}
        self._metrics.put(API_GATEWAY_NAMESPACE, "Count", 1, COUNT, dimensions)
        self._metrics.put(API_GATEWAY_NAMESPACE, "4xx", int(400 <= status < 500), COUNT, dimensions)
        self._metrics.put(API_GATEWAY_NAMESPACE, "5xx", int(status >= 500), COUNT, dimensions)
        self._metrics.put(API_GATEWAY_NAMESPACE, "Latency", latency_ms, MILLISECONDS, dimensions)

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
        preflight = preflight_response(config.cors, request)
        if preflight is not None:
            return preflight

        matched = match_route(config.routes, request.method, path)
        if matched is None:
            raise ApiError(*NOT_FOUND, "MISSING_AUTHENTICATION_TOKEN")
        route, path_params = matched
        log_values["routeKey"] = route.key

        authorizer = authorize(config, route, request)
        integration = lambda_integration(config, route)
        function_arn = function_arn_of(integration)
        source_arn = execute_api_arn(config.api_id, stage["StageName"], request.method, path)
        self._invocations.check_permission(function_arn, source_arn)

        event = build_event(
            request, route, path_params, stage["StageName"], config.api_id, request_id, authorizer, now
        )
        result = self._invocations.invoke(integration, function_arn, event, log_values)
        return map_response(result.payload)


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
                response = error_response(ApiError(*INTERNAL))
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
