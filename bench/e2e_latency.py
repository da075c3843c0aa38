"""End-to-end latency on the local stack: from a POST /products response to the consumer's log line for that
item.

A bounded loop on loopback sends the requests at a fixed rate and notes when each response arrived; the
consumer's log group (through the CloudWatch Logs API, as a user reads it) is then searched for each item's
INSERT line. The line's own timestamp, written by the consumer's Logger on this machine's clock, ends the
interval.

Brings up a stack of its own (the same steps as `make up`, with its state in .build/bench/e2e_stack, beside
any stack `make up` runs), so every run starts from the module's defaults and an empty table, and takes it
down afterwards; `--use-running` measures the stack `make up` left running instead.

Run: python -m bench.e2e_latency [--requests 200] [--rate 20] [--use-running]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.stats import BUILD_DIR, percentile

# Bounds of the load loop: it stops at whichever comes first.
MAX_REQUESTS = 1_000
MAX_LOOP_SECONDS = 120.0
LOG_WAIT_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 10.0
# A stack of our own when none is running: its own state directory and names, beside any `make up` stack.
STACK_STATE_DIR = BUILD_DIR / "e2e_stack"
STACK_NAME = "cdc-bench-e2e"
# The body of the original example.
PRODUCT = {"name": "my product", "price": 10, "category": "furniture"}

Signer = Callable[[str, str, dict[str, str], bytes], dict[str, str]]


@dataclass
class E2ELatencyResult:
    requests: int
    matched: int
    rate_per_second: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    batching_window_seconds: float
    batch_size: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> E2ELatencyResult:
        return cls(**data)


@dataclass(frozen=True)
class Sent:
    product_id: str
    responded_at: float  # time.time() when the 201 response had been read


def sigv4_signer(access_key: str, secret_key: str, region: str) -> Signer:
    """Headers of a SigV4-signed execute-api request, for routes whose authorization is AWS_IAM."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    auth = SigV4Auth(Credentials(access_key, secret_key), "execute-api", region)

    def sign(method: str, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        auth.add_auth(request)
        return dict(request.headers.items())

    return sign


def send_products(api_url: str, count: int, rate: float, sign: Signer | None) -> list[Sent]:
    """POST `count` products at `rate` per second on one keep-alive connection, bounded in count and time."""
    if not 0 < count <= MAX_REQUESTS:
        raise ValueError(f"count must be 1..{MAX_REQUESTS}")
    parsed = urllib.parse.urlsplit(api_url)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"the load loop only targets loopback, not {parsed.hostname}")
    path = parsed.path.rstrip("/") + "/products"
    url = urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, path, "", ""))
    body = json.dumps(PRODUCT).encode()
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=REQUEST_TIMEOUT_SECONDS)
    sent: list[Sent] = []
    started = time.monotonic()
    try:
        for index in range(count):
            # Open loop: each request leaves at its slot, however long the previous one took.
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if time.monotonic() - started > MAX_LOOP_SECONDS:
                break
            headers = {"Content-Type": "application/json", "Host": parsed.netloc}
            if sign is not None:
                headers = sign("POST", url, headers, body)
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            responded_at = time.time()
            if response.status != 201:
                raise RuntimeError(f"POST {path} answered {response.status}: {payload[:500]!r}")
            sent.append(Sent(str(json.loads(payload)["id"]), responded_at))
    finally:
        connection.close()
    return sent


def _log_events(logs: Any, group: str, start_ms: int) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
    while True:
        page = logs.filter_log_events(**kwargs)
        yield from page.get("events", [])
        token = page.get("nextToken")
        if not token or not page.get("events"):
            return
        kwargs["nextToken"] = token


def logged_at(event: dict[str, Any]) -> tuple[str, float] | None:
    """(product id, time) of a consumer INSERT line, or None for any other log event.

    The time is the Logger's own timestamp in the line (when the record was logged); the log event's timestamp
    (when the runner forwarded the line) stands in only for a line without one.
    """
    try:
        line = json.loads(event["message"])
    except (ValueError, TypeError):
        return None
    if not isinstance(line, dict) or line.get("eventName") != "INSERT":
        return None
    keys = line.get("keys") or line.get("Keys") or {}
    pk = keys.get("PK") if isinstance(keys, dict) else None
    if not isinstance(pk, str) or not pk.startswith("Product#"):
        return None
    stamp = line.get("timestamp")
    when = _parse_timestamp(stamp) if isinstance(stamp, str) else None
    return pk.removeprefix("Product#"), when if when is not None else event["timestamp"] / 1000


def _parse_timestamp(stamp: str) -> float | None:
    """Seconds since the epoch of a Logger timestamp: Powertools' default format, or RFC 3339."""
    try:
        return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f%z").timestamp()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def wait_for_lines(logs: Any, group: str, sent: list[Sent], timeout: float) -> dict[str, float]:
    """When each product's INSERT line was logged, polling the log group until all are there or time is up."""
    wanted = {item.product_id for item in sent}
    start_ms = int(min(item.responded_at for item in sent) * 1000) - 60_000
    found: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while True:
        for event in _log_events(logs, group, start_ms):
            seen = logged_at(event)
            if seen is not None and seen[0] in wanted:
                found.setdefault(seen[0], seen[1])
        if len(found) == len(wanted) or time.monotonic() > deadline:
            return found
        time.sleep(1.0)


def summarize(
    sent: list[Sent], found: dict[str, float], rate: float, window: float, batch_size: int
) -> E2ELatencyResult:
    latencies = [
        (found[item.product_id] - item.responded_at) * 1000 for item in sent if item.product_id in found
    ]
    if not latencies:
        raise RuntimeError("no consumer log line was found for any request")
    return E2ELatencyResult(
        requests=len(sent),
        matched=len(latencies),
        rate_per_second=rate,
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        max_ms=max(latencies),
        batching_window_seconds=window,
        batch_size=batch_size,
    )


@dataclass(frozen=True)
class Stack:
    """Where a running local stack answers."""

    api_url: str
    emulator_endpoint: str
    consumer_function: str
    authorization: str  # the API routes' authorization type: AWS_IAM requests are signed


def mapping_settings(lambda_client: Any, function: str) -> tuple[float, int]:
    """(batching window in seconds, batch size) of the event source mapping that feeds the consumer."""
    # By ARN: moto's server matches FunctionName against the mapping's function ARN only.
    arn = lambda_client.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    mappings = lambda_client.list_event_source_mappings(FunctionName=arn)["EventSourceMappings"]
    if not mappings:
        raise RuntimeError(f"no event source mapping feeds {function}")
    mapping = mappings[0]
    # Lambda leaves the window out of the answer when it is 0, as moto's server does.
    return float(mapping.get("MaximumBatchingWindowInSeconds", 0)), int(mapping.get("BatchSize", 100))


def measure(stack: Stack, requests: int = 200, rate: float = 20.0) -> E2ELatencyResult:
    from local import client
    from local.constants import ACCESS_KEY, REGION, SECRET_KEY

    window, batch_size = mapping_settings(client("lambda", stack.emulator_endpoint), stack.consumer_function)
    sign = sigv4_signer(ACCESS_KEY, SECRET_KEY, REGION) if stack.authorization == "AWS_IAM" else None
    sent = send_products(stack.api_url, requests, rate, sign)
    logs = client("logs", stack.emulator_endpoint)
    found = wait_for_lines(logs, f"/aws/lambda/{stack.consumer_function}", sent, LOG_WAIT_SECONDS)
    return summarize(sent, found, rate, window, batch_size)


def route_authorization(apigateway: Any, api_id: str) -> str:
    """Authorization type of the API's POST /products route (AWS_IAM requests must be signed)."""
    routes = apigateway.get_routes(ApiId=api_id)["Items"]
    route = next((r for r in routes if r["RouteKey"] == "POST /products"), None)
    if route is None:
        raise RuntimeError(f"API {api_id} has no POST /products route")
    return str(route.get("AuthorizationType", "NONE"))


def stack_from_state(state: dict[str, Any]) -> Stack:
    """The stack described by the local stack's state file (.local/stack.json)."""
    from local import client

    outputs = state["outputs"]
    endpoint = str(state["endpoint"])
    return Stack(
        api_url=str(state["api_url"]),
        emulator_endpoint=endpoint,
        consumer_function=str(outputs["consumer_function_name"]),
        authorization=route_authorization(client("apigatewayv2", endpoint), str(outputs["api_id"])),
    )


def _running_stack() -> dict[str, Any] | None:
    """The state of a stack `make up` left running, if its processes are still there."""
    from local import stack
    from local.constants import STATE_DIR

    state_file = STATE_DIR / stack.STACK_STATE
    serve_pid = STATE_DIR / "serve.pid"
    if not (state_file.exists() and serve_pid.exists()):
        return None
    try:
        pid = int(serve_pid.read_text().strip())
    except ValueError:
        return None
    if not Path(f"/proc/{pid}").exists():
        return None
    state: dict[str, Any] = json.loads(state_file.read_text())
    return state


@contextlib.contextmanager
def local_stack(use_running: bool) -> Iterator[Stack]:
    """A stack of our own, up and down around the run; or, when asked, the one `make up` left running."""
    from local import stack

    if use_running:
        running = _running_stack()
        if running is None:
            raise RuntimeError("no running local stack: start one with `make up`")
        yield stack_from_state(running)
        return
    state_dir = STACK_STATE_DIR
    with contextlib.redirect_stdout(sys.stderr):
        stack.up(state_dir=state_dir, name=STACK_NAME)
    try:
        yield stack_from_state(json.loads((state_dir / stack.STACK_STATE).read_text()))
    finally:
        with contextlib.redirect_stdout(sys.stderr):
            stack.down(state_dir)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second")
    parser.add_argument(
        "--use-running", action="store_true", help="measure the stack `make up` left running instead"
    )
    parser.add_argument("--out", type=Path, default=BUILD_DIR / "e2e_latency.json")
    args = parser.parse_args(argv)
    with local_stack(args.use_running) as stack:
        result = measure(stack, args.requests, args.rate)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    print(
        f"{result.matched}/{result.requests} items: p50 {result.p50_ms:.0f} ms, p95 {result.p95_ms:.0f} ms, "
        f"max {result.max_ms:.0f} ms (batching window {result.batching_window_seconds:g} s)"
    )


if __name__ == "__main__":
    main()
