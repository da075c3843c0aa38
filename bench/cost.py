"""Cost per million changes, by component, for the module's defaults and for the original tutorial's settings.

One change is one ``POST /products`` through the HTTP API to the writer, one item written to the table, and
one stream record through the consumer. What the functions do is measured here, in-process:

- the consumer's CPU time per batch and the bytes it logs, on bench.events' ``products`` records, for the
  batch size each setting produces at the assumed change rate;
- the writer's CPU time and logged bytes per request, against moto's in-process DynamoDB (which stands in
  for the network round trip of PutItem), and the size of the item it writes.

Lambda gives a function CPU in proportion to its memory (one vCPU at 1,769 MB), so a duration on Lambda is
the measured CPU time scaled by 1,769 / memory below that size, billed by the started millisecond. The
platform's START / END / REPORT lines are counted with the functions' own lines. Not counted: free tiers,
log storage (billed on compressed bytes per month kept), X-Ray traces, cold starts, data transfer.

Run: python -m bench.cost [--rate 100] [--failure-rate 0.001] [--rounds N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.consumer_throughput import FUNCTION_ENVIRONMENT, LambdaContext, import_handler, logging_to
from bench.events import stream_event
from bench.stats import BUILD_DIR, REPO_ROOT, median

REGION = "us-east-1"
PRICES_AS_OF = "2025-06-01"
# us-east-1 list prices as published on PRICES_AS_OF on each page named here, first tier of each (from the
# pages, not fetched by this script: the machines that run it may have no route to aws.amazon.com). Free tiers
# are left out. Each was checked against a second, dated source, named beside it.
PRICES: dict[str, tuple[float, str, str]] = {
    # Lambda: $0.20 per million requests, any architecture.
    "lambda_request": (0.20 / 1e6, "request", "https://aws.amazon.com/lambda/pricing/"),
    # Lambda on Arm (Graviton2): $0.0000133334 per GB-second, first 7.5 billion GB-seconds a month; on x86:
    # $0.0000166667, first 6 billion (also cloudchipr.com/blog/aws-lambda-pricing, 2024).
    "lambda_gb_second_arm64": (0.0000133334, "GB-second", "https://aws.amazon.com/lambda/pricing/"),
    "lambda_gb_second_x86_64": (0.0000166667, "GB-second", "https://aws.amazon.com/lambda/pricing/"),
    # CloudWatch Logs for Lambda functions: since 2025-05-01 priced as tiered vended logs, whose first tier
    # (10 TB a month) is the former flat rate: Standard $0.50 per GB ingested, Infrequent Access $0.25
    # (duckbillgroup.com, "Lambda logs tiered pricing", May 2025).
    "logs_ingested_standard": (0.50, "GB", "https://aws.amazon.com/cloudwatch/pricing/"),
    "logs_ingested_infrequent_access": (0.25, "GB", "https://aws.amazon.com/cloudwatch/pricing/"),
    # DynamoDB on-demand: $0.625 per million write request units since the price cut of 2024-11-01 (also
    # airbyte.com/data-engineering-resources/dynamodb-pricing, July 2025). Lambda's reads of the table's
    # stream are not charged.
    "dynamodb_write_request_unit": (0.625 / 1e6, "WRU", "https://aws.amazon.com/dynamodb/pricing/on-demand/"),
    # API Gateway HTTP APIs: $1.00 per million requests (first 300 million a month, each up to 512 KB).
    "http_api_request": (1.00 / 1e6, "request", "https://aws.amazon.com/api-gateway/pricing/"),
    # S3 Standard: $0.005 per 1,000 PUT requests (an S3 on-failure destination: one object per failed batch).
    "s3_put": (0.005 / 1000, "PUT", "https://aws.amazon.com/s3/pricing/"),
}
CHANGES = 1_000_000
GB = 1024**3
FULL_VCPU_MB = 1769  # Lambda's memory size with one full vCPU
POLLS_PER_SECOND = 4  # Lambda polls each stream shard four times a second when no batching window waits
DEFAULT_RATE = 100.0  # changes per second on the table's one shard
DEFAULT_FAILURE_RATE = 0.001  # share of consumer batches that fail on every attempt and go to the destination
REQUEST_ID = "5d7b0f61-4f0a-4c9e-9d2e-8b1a5f1f0c3e"
TRACE_ID = "1-6745a1b2-0123456789abcdef01234567"


@dataclass(frozen=True)
class Setting:
    """What decides the cost of one deployment: the variables that matter here, and what gets logged."""

    label: str
    batch_size: int
    batching_window_seconds: float
    maximum_retry_attempts: int
    starting_position: str
    writer_memory_mb: int
    consumer_memory_mb: int
    architecture: str
    tracing: bool
    log_group_class: (
        str  # of the consumer's log group; the writer's stays STANDARD (its metrics are EMF lines)
    )
    log_events: bool  # each invocation also logs its whole event (Powertools' POWERTOOLS_LOGGER_LOG_EVENT)
    consumer_log_mode: str = "full"  # what the consumer logs per change: "full" images or "changes"

    def records_per_batch(self, rate: float) -> int:
        """Records per consumer batch at `rate` changes per second on one shard."""
        per_fill = (
            rate * self.batching_window_seconds if self.batching_window_seconds else rate / POLLS_PER_SECOND
        )
        return max(1, min(self.batch_size, math.ceil(per_fill)))


def module_defaults(variables_tf: Path = REPO_ROOT / "variables.tf") -> Setting:
    """The module's defaults, read from variables.tf."""
    text = variables_tf.read_text()

    def default(name: str) -> str:
        block = re.search(rf'variable "{name}" \{{(.*?)\n\}}', text, re.DOTALL)
        value = re.search(r"^\s*default\s*=\s*(.+)$", block.group(1), re.MULTILINE) if block else None
        if value is None:
            raise ValueError(f"variables.tf has no default for {name}")
        return value.group(1).strip().strip('"')

    return Setting(
        label="module defaults",
        batch_size=int(default("batch_size")),
        batching_window_seconds=float(default("maximum_batching_window_in_seconds")),
        maximum_retry_attempts=int(default("maximum_retry_attempts")),
        starting_position=default("starting_position"),
        writer_memory_mb=int(default("writer_memory_size")),
        consumer_memory_mb=int(default("consumer_memory_size")),
        architecture=default("architecture"),
        tracing=default("tracing_mode") == "Active",
        log_group_class=default("log_group_class"),
        log_events=False,
        consumer_log_mode=default("consumer_log_mode"),
    )


def settings() -> list[Setting]:
    defaults = module_defaults()
    return [
        defaults,
        replace(
            defaults,
            label="defaults, log_group_class = INFREQUENT_ACCESS",
            log_group_class="INFREQUENT_ACCESS",
        ),
        replace(defaults, label='defaults, consumer_log_mode = "changes"', consumer_log_mode="changes"),
        # The original tutorial: a 1 s batching window, LATEST, one retry, every event logged; the same batch
        # size, memory and architecture as the module, so only those settings differ.
        replace(
            defaults,
            label="original tutorial",
            batching_window_seconds=1.0,
            starting_position="LATEST",
            maximum_retry_attempts=1,
            tracing=False,
            log_events=True,
        ),
    ]


@dataclass
class Measured:
    """What one function does per invocation: CPU seconds, bytes it logs, and (writer) the item it writes."""

    cpu_seconds: float
    log_bytes: int
    event_bytes: int  # its incoming event as one JSON line, for settings that log every event
    item_bytes: int = 0


@dataclass
class Component:
    name: str
    quantity: float  # per million changes
    unit: str
    cost: float  # dollars per million changes


@dataclass
class SettingCost:
    setting: Setting
    records_per_batch: int
    consumer_billed_ms: int
    writer_billed_ms: int
    consumer_log_bytes_per_change: float
    writer_log_bytes_per_change: float
    components: list[Component] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(component.cost for component in self.components)


@dataclass
class CostResult:
    region: str
    prices_as_of: str
    rate_per_second: float
    failure_rate: float
    prices: dict[str, tuple[float, str, str]]
    settings: list[SettingCost] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CostResult:
        costs = [
            SettingCost(
                setting=Setting(**item["setting"]),
                components=[Component(**component) for component in item["components"]],
                **{k: v for k, v in item.items() if k not in ("setting", "components")},
            )
            for item in data["settings"]
        ]
        prices = {name: (value[0], value[1], value[2]) for name, value in data["prices"].items()}
        return cls(
            region=data["region"],
            prices_as_of=data["prices_as_of"],
            rate_per_second=data["rate_per_second"],
            failure_rate=data["failure_rate"],
            prices=prices,
            settings=costs,
        )


def platform_lines(memory_mb: int, billed_ms: int, tracing: bool) -> str:
    """The START / END / REPORT lines Lambda writes for each invocation."""
    report = (
        f"REPORT RequestId: {REQUEST_ID}\tDuration: {billed_ms - 0.5:.2f} ms\t"
        f"Billed Duration: {billed_ms} ms\tMemory Size: {memory_mb} MB\tMax Memory Used: 92 MB\t"
    )
    if tracing:
        report += f"\nXRAY TraceId: {TRACE_ID}\tSegmentId: 0123456789abcdef\tSampled: true\t"
    return f"START RequestId: {REQUEST_ID} Version: $LATEST\nEND RequestId: {REQUEST_ID}\n{report}\n"


def billed_ms(cpu_seconds: float, memory_mb: int) -> int:
    """Lambda's billed duration for work that took `cpu_seconds` of one full core here."""
    return max(1, math.ceil(cpu_seconds * max(1.0, FULL_VCPU_MB / memory_mb) * 1000))


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _own_modules(package: str) -> Iterator[None]:
    """Imports of `package` inside the block are its own: a handler module reads its environment when
    imported, so the one measured here must not be one imported earlier (a test run's), nor stay for later."""

    def ours(name: str) -> bool:
        return name == package or name.startswith(package + ".")

    earlier = {name: module for name, module in sys.modules.items() if ours(name)}
    for name in earlier:
        del sys.modules[name]
    try:
        yield
    finally:
        for name in [name for name in sys.modules if ours(name)]:
            del sys.modules[name]
        sys.modules.update(earlier)


def _cpu_median(call: Callable[[], object], rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        started = time.process_time()
        call()
        timings.append(time.process_time() - started)
    return median(timings)


def measure_consumer(records: int, rounds: int, log_mode: str = "full") -> Measured:
    """CPU time and logged bytes of one consumer invocation on a batch of `records`, logged in `log_mode`."""
    with _environment(FUNCTION_ENVIRONMENT), _consumer_log_mode(log_mode):
        handler = import_handler("consumer.handler")
        event_json = json.dumps(stream_event(records))
        context = LambdaContext()
        sink = io.StringIO()
        with logging_to(sink, ("consumer",)):
            handler(json.loads(event_json), context)
            log_bytes = len(sink.getvalue().encode())
            with open(os.devnull, "w", encoding="utf-8") as devnull, logging_to(devnull, ("consumer",)):
                cpu = _cpu_median(lambda: handler(json.loads(event_json), context), rounds)
    if log_bytes == 0:
        raise RuntimeError("the consumer logged nothing: its logger was not redirected")
    return Measured(cpu_seconds=cpu, log_bytes=log_bytes, event_bytes=len(event_json.encode()) + 1)


@contextlib.contextmanager
def _consumer_log_mode(log_mode: str) -> Iterator[None]:
    """The consumer with the per-record function LOG_MODE=`log_mode` chooses when the handler is imported."""
    import_handler("consumer.handler")
    module: Any = sys.modules["consumer.handler"]
    records: Any = sys.modules["consumer.records"]
    previous = module.record_handler
    module.record_handler = records.load_record_handler(None, log_mode)
    try:
        yield
    finally:
        module.record_handler = previous


WRITER_ENVIRONMENT = {
    **FUNCTION_ENVIRONMENT,
    "POWERTOOLS_SERVICE_NAME": "bench-writer",
    "TABLE_NAME": "bench-products",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": REGION,
}
PRODUCT = '{"name": "Oak side table", "price": 149.90, "category": "furniture"}'


def _item_bytes(item: dict[str, dict[str, Any]]) -> int:
    """DynamoDB's size of an item: attribute names plus values (strings in UTF-8, numbers about 1 byte per
    two digits plus one)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        ((kind, data),) = value.items()
        if kind == "N":
            size += len(data.lstrip("-").replace(".", "")) // 2 + 2
        elif kind in ("S", "B"):
            size += len(str(data).encode())
        else:
            size += len(json.dumps(data).encode())
    return size


def measure_writer(rounds: int) -> Measured:
    """CPU time and logged bytes of one writer request (POST /products, no Idempotency-Key), and its item."""
    from moto import mock_aws

    from tests.fixtures.events import http_request

    with _environment(WRITER_ENVIRONMENT), _own_modules("writer"), mock_aws():
        handler = import_handler("writer.handler")
        # The table the writer's store binds from TABLE_NAME, created through a model bound the same way.
        from writer.store import bind_model

        products = bind_model(WRITER_ENVIRONMENT["TABLE_NAME"])
        products.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        event = http_request("POST", "/products", PRODUCT)
        context = LambdaContext(function_name="bench-writer")

        def call() -> None:
            response = handler(json.loads(json.dumps(event)), context)
            if response["statusCode"] != 201:
                raise RuntimeError(f"the writer answered {response['statusCode']}: {response.get('body')}")

        sink = io.StringIO()
        with logging_to(sink, ("writer",)):
            call()
            log_bytes = len(sink.getvalue().encode())
            with open(os.devnull, "w", encoding="utf-8") as devnull, logging_to(devnull, ("writer",)):
                cpu = _cpu_median(call, rounds)
        item = next(iter(products.scan(limit=1))).serialize()
    return Measured(
        cpu_seconds=cpu,
        log_bytes=log_bytes,
        event_bytes=len(json.dumps(event).encode()) + 1,
        item_bytes=_item_bytes(item),
    )


def price(name: str) -> float:
    return PRICES[name][0]


def cost_of(
    setting: Setting, consumer: Measured, writer: Measured, records: int, failure_rate: float
) -> SettingCost:
    """Every component of one million changes under `setting`, from one batch's and one request's figures."""
    batches = CHANGES / records
    failed = batches * failure_rate
    consumer_invocations = batches + failed * setting.maximum_retry_attempts  # retries of failing batches
    consumer_ms = billed_ms(consumer.cpu_seconds, setting.consumer_memory_mb)
    writer_ms = billed_ms(writer.cpu_seconds, setting.writer_memory_mb)
    gb_second = price(f"lambda_gb_second_{setting.architecture}")

    def logged(measured: Measured, memory_mb: int, ms: int) -> int:
        platform = len(platform_lines(memory_mb, ms, setting.tracing).encode())
        return measured.log_bytes + platform + (measured.event_bytes if setting.log_events else 0)

    consumer_bytes = logged(consumer, setting.consumer_memory_mb, consumer_ms) * consumer_invocations
    writer_bytes = logged(writer, setting.writer_memory_mb, writer_ms) * CHANGES
    consumer_logs = f"logs_ingested_{setting.log_group_class.lower()}"
    writer_gb_seconds = CHANGES * writer_ms / 1000 * setting.writer_memory_mb / 1024
    consumer_gb_seconds = consumer_invocations * consumer_ms / 1000 * setting.consumer_memory_mb / 1024
    wru = math.ceil(writer.item_bytes / 1024)
    components = [
        Component("HTTP API requests", CHANGES, "requests", CHANGES * price("http_api_request")),
        Component("writer: Lambda requests", CHANGES, "requests", CHANGES * price("lambda_request")),
        Component("writer: Lambda duration", writer_gb_seconds, "GB-s", writer_gb_seconds * gb_second),
        Component(
            "writer: CloudWatch Logs ingestion",
            writer_bytes / GB,
            "GB, STANDARD",
            writer_bytes / GB * price("logs_ingested_standard"),
        ),
        Component(
            "DynamoDB on-demand writes",
            CHANGES * wru,
            "WRU",
            CHANGES * wru * price("dynamodb_write_request_unit"),
        ),
        Component(
            "consumer: Lambda requests",
            consumer_invocations,
            "requests",
            consumer_invocations * price("lambda_request"),
        ),
        Component("consumer: Lambda duration", consumer_gb_seconds, "GB-s", consumer_gb_seconds * gb_second),
        Component(
            "consumer: CloudWatch Logs ingestion",
            consumer_bytes / GB,
            f"GB, {setting.log_group_class}",
            consumer_bytes / GB * price(consumer_logs),
        ),
        Component("failed batches: S3 PUTs", failed, "PUTs", failed * price("s3_put")),
    ]
    return SettingCost(
        setting=setting,
        records_per_batch=records,
        consumer_billed_ms=consumer_ms,
        writer_billed_ms=writer_ms,
        consumer_log_bytes_per_change=consumer_bytes / CHANGES,
        writer_log_bytes_per_change=writer_bytes / CHANGES,
        components=components,
    )


def measure(
    rate: float = DEFAULT_RATE,
    failure_rate: float = DEFAULT_FAILURE_RATE,
    rounds: int = 15,
    chosen: list[Setting] | None = None,
) -> CostResult:
    if rate <= 0 or not 0 <= failure_rate < 1:
        raise ValueError("rate must be above 0 and failure_rate from 0 up to (not including) 1")
    chosen = chosen or settings()
    writer = measure_writer(rounds)
    consumers: dict[tuple[int, str], Measured] = {}
    result = CostResult(
        region=REGION,
        prices_as_of=PRICES_AS_OF,
        rate_per_second=rate,
        failure_rate=failure_rate,
        prices=PRICES,
    )
    for setting in chosen:
        records = setting.records_per_batch(rate)
        key = (records, setting.consumer_log_mode)
        if key not in consumers:
            consumers[key] = measure_consumer(records, rounds, setting.consumer_log_mode)
        result.settings.append(cost_of(setting, consumers[key], writer, records, failure_rate))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="changes per second on the shard")
    parser.add_argument(
        "--failure-rate", type=float, default=DEFAULT_FAILURE_RATE, help="share of failing batches"
    )
    parser.add_argument("--rounds", type=int, default=15, help="timed invocations per measurement")
    parser.add_argument("--out", type=Path, default=BUILD_DIR / "cost.json")
    args = parser.parse_args(argv)
    result = measure(args.rate, args.failure_rate, args.rounds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    for item in result.settings:
        print(
            f"{item.setting.label}: ${item.total:,.2f} per million changes "
            f"({item.records_per_batch} records per batch)"
        )


if __name__ == "__main__":
    main()
