"""Lambda's Invoke API (`POST /2015-03-31/functions/<function>/invocations`) served by the local runner.

moto cannot run a function here (it runs code in Docker only). `InvokeApi` serves the Invoke operation on a
loopback port of its own and registers that port with the emulator (local.patches), which from then on
hands every Invoke it receives to it: `aws --endpoint-url <emulator> lambda invoke`, boto3's
`lambda.invoke` and a function that invokes another through the emulator (the redrive invoking the consumer)
all run the function on the local runner. Stopping the API unregisters it, and Invoke is moto's again.

What it answers, as Lambda does:
- `X-Amz-Invocation-Type` RequestResponse (default): 200, the function's response as the body;
  `X-Amz-Function-Error: Unhandled` with the error document when the function failed or timed out;
  `X-Amz-Executed-Version`;
- Event: 202 at once, the function runs afterwards; DryRun: 204 once the function is found;
- 404 ResourceNotFoundException for an unknown function, version or alias; 400
  InvalidRequestContentException for a body that is not JSON; 429 TooManyRequestsException when the
  function's reserved concurrency is taken; 500 ServiceException when the runner cannot run it at all.

Not served: `X-Amz-Log-Type: Tail` (the log lines are in the function's log group), client context.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from botocore.exceptions import ClientError

from local import client
from local.constants import HOST
from local.lambda_runtime.functions import resolve_function
from local.lambda_runtime.invoke import Invoker, Throttled
from local.lifecycle import Lifecycle
from local.patches import RUNNER_PATH

log = logging.getLogger(__name__)

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<function>[^/]+)/invocations/?$")


class InvokeApi(Lifecycle):
    """Serves Invoke for the emulator at `endpoint`'s functions through `invoker` (see the module doc)."""

    def __init__(self, endpoint: str, invoker: Invoker, port: int = 0) -> None:
        self.endpoint = endpoint
        self._invoker = invoker
        self._lambda = client("lambda", endpoint)
        self._server = ThreadingHTTPServer((HOST, port), _handler_class(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, name="invoke-api", daemon=True)
        self._thread.start()
        _register(self.endpoint, "PUT", {"url": self.url})
        return self

    def stop(self) -> None:
        try:
            _register(self.endpoint, "DELETE", {"url": self.url})
        except OSError as error:  # the emulator stopped first: nothing left to unregister from
            log.info("could not unregister the Invoke API from %s: %s", self.endpoint, error)
        self._server.shutdown()
        self._server.server_close()

    def answer(
        self, function: str, qualifier: str | None, invocation_type: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) of Lambda's answer to an Invoke of `function` (name or ARN)."""
        target = f"{function}:{qualifier}" if qualifier else function
        try:
            payload = json.loads(body) if body.strip() else {}
        except ValueError as error:
            return _error(
                400, "InvalidRequestContentException", f"Could not parse request body into json: {error}"
            )
        try:
            config = resolve_function(self._lambda, target)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ServiceException")
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500))
            return _error(status, code, error.response.get("Error", {}).get("Message", str(error)))
        if invocation_type == "DryRun":
            return 204, {}, b""
        if invocation_type == "Event":
            threading.Thread(target=self._run_async, args=(target, payload), daemon=True).start()
            return 202, {}, b""
        if invocation_type != "RequestResponse":
            return _error(400, "InvalidParameterValueException", f"Invalid InvocationType: {invocation_type}")
        try:
            result = self._invoker.invoke(target, payload)
        except Throttled as error:
            return _error(429, "TooManyRequestsException", str(error))
        except Exception as error:
            log.exception("could not run %s", target)
            return _error(500, "ServiceException", f"the local runner could not run {config.name}: {error}")
        headers = {"Content-Type": "application/json", "X-Amz-Executed-Version": result.executed_version}
        if result.error is not None:
            headers["X-Amz-Function-Error"] = "Unhandled"
            return 200, headers, json.dumps(result.error).encode()
        return 200, headers, json.dumps(result.payload).encode()

    def _run_async(self, target: str, payload: Any) -> None:
        try:
            self._invoker.invoke(target, payload)
        except Exception:
            log.exception("asynchronous invocation of %s could not run", target)


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json", "X-Amzn-ErrorType": code}
    return (
        status,
        headers,
        json.dumps({"Type": "User" if status < 500 else "Service", "message": message}).encode(),
    )


def _register(endpoint: str, method: str, body: dict[str, str]) -> None:
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - the emulator's loopback URL
        endpoint + RUNNER_PATH, data=json.dumps(body).encode(), method=method
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


def _handler_class(api: InvokeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            matched = INVOKE_PATH.match(parsed.path)
            if matched is None:
                status, headers, payload = _error(404, "UnknownOperationException", f"no route {parsed.path}")
            else:
                qualifier = urllib.parse.parse_qs(parsed.query).get("Qualifier", [None])[0]
                status, headers, payload = api.answer(
                    urllib.parse.unquote(matched["function"]),
                    qualifier,
                    self.headers.get("X-Amz-Invocation-Type") or "RequestResponse",
                    body,
                )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("invoke api: " + format, *args)

    return Handler
