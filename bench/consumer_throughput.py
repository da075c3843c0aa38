"""Consumer throughput: records per second through the consumer's handler, in-process, beside two baselines.

Every variant starts from the event as Lambda's runtime receives it (a JSON document) and ends when each
record's log line has been written, so the three timings cover the same work: (a) the Powertools-docs baseline
and (b) the json floor, measured in the same process and interleaved round by round, so a machine that slows
down part-way slows every variant alike. All three write to the same line-buffered file on /dev/null: one
write per line, as Lambda's runtime passes each stdout line through unbuffered.

Each batch size is measured for each record mix of bench.events: ``products`` (the products table's items)
and ``numbers`` (items that are mostly numbers, where keeping every DynamoDB number exact costs most).

Run: python -m bench.consumer_throughput [--sizes 100 1000 5000] [--mixes products numbers] [--rounds N]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bench.events import MIXES, mean_record_bytes, stream_event
from bench.stats import BUILD_DIR, REPO_ROOT, median

DEFAULT_SIZES = (100, 1_000, 5_000)
CONSUMER_MODULE = "consumer.handler"
BASELINE_MODULE = "bench.baselines.powertools_docs"
VARIANTS = ("consumer", "powertools_docs", "json_floor")
# What the function's configuration sets in Lambda; tracing is off here because X-Ray is not reachable.
FUNCTION_ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": "bench-consumer",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_METRICS_NAMESPACE": "bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "AWS_DEFAULT_REGION": "us-east-1",
}

Handler = Callable[[dict[str, Any], Any], Any]
Run = Callable[[str], None]


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of Lambda's context object that Powertools reads."""

    function_name: str = "bench-consumer"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:bench-consumer"
    memory_limit_in_mb: int = 256
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    log_group_name: str = "/aws/lambda/bench-consumer"
    log_stream_name: str = "2026/11/26/[$LATEST]bench"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class SizeResult:
    records: int
    rounds: int
    median_seconds: dict[str, float]
    records_per_second: dict[str, float]
    # Medians of the per-round ratios (consumer time / other time): below 1 means the consumer is faster.
    ratio_to_baseline: float
    ratio_to_floor: float


@dataclass
class MixResult:
    mix: str
    mean_record_bytes: float
    sizes: list[SizeResult] = field(default_factory=list)


@dataclass
class ThroughputResult:
    sink: str
    mixes: list[MixResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ThroughputResult:
        mixes = [
            MixResult(
                mix=mix["mix"],
                mean_record_bytes=mix["mean_record_bytes"],
                sizes=[SizeResult(**size) for size in mix["sizes"]],
            )
            for mix in data["mixes"]
        ]
        return cls(sink=data["sink"], mixes=mixes)

    def all_sizes(self) -> list[SizeResult]:
        return [size for mix in self.mixes for size in mix.sizes]


def import_handler(module_name: str) -> Handler:
    """The `lambda_handler` of a module, importing from lambda_src/ as Lambda does from /var/task."""
    source = str(REPO_ROOT / "lambda_src")
    if source not in sys.path:
        sys.path.insert(0, source)
    handler: Handler = importlib.import_module(module_name).lambda_handler
    return handler


def _powertools_loggers(module_prefixes: tuple[str, ...]) -> list[logging.Logger]:
    """The standard-library loggers behind every Powertools Logger defined in the given modules."""
    from aws_lambda_powertools import Logger

    found: dict[str, logging.Logger] = {}
    for name, module in list(sys.modules.items()):
        if not any(name == prefix or name.startswith(prefix + ".") for prefix in module_prefixes):
            continue
        for value in vars(module).values():
            if isinstance(value, Logger):
                std_logger = logging.getLogger(value.name)
                # A child Logger propagates to its parent's handler: that is the one that writes.
                while std_logger is not None and not std_logger.handlers:
                    std_logger = std_logger.parent  # type: ignore[assignment]
                if std_logger is not None:
                    found[std_logger.name] = std_logger
    return list(found.values())


@contextlib.contextmanager
def logging_to(sink: TextIO, module_prefixes: tuple[str, ...]) -> Iterator[None]:
    """Point the modules' log handlers and print() at `sink` for the duration, then restore them."""
    swapped: list[tuple[logging.StreamHandler[Any], Any]] = []
    for std_logger in _powertools_loggers(module_prefixes):
        for handler in std_logger.handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                previous = handler.setStream(sink)
                if previous is not None:  # None: it already wrote to `sink`, and goes on doing so after
                    swapped.append((handler, previous))
    try:
        with contextlib.redirect_stdout(sink):
            yield
    finally:
        for handler, previous in swapped:
            handler.setStream(previous)


def _handler_run(handler: Handler, context: LambdaContext, records: int) -> Run:
    def run(event_json: str) -> None:
        response = handler(json.loads(event_json), context)
        failures = (response or {}).get("batchItemFailures", [])
        if failures:
            raise RuntimeError(
                f"{len(failures)} of {records} records failed: the benchmark needs a clean batch"
            )

    return run


def _floor_run(sink: TextIO) -> Run:
    from bench.baselines import json_floor

    def run(event_json: str) -> None:
        json_floor.handle(event_json, sink)

    return run


def _check_lines(
    run: Run, event_json: str, records: int, module_prefixes: tuple[str, ...], name: str
) -> None:
    """One untimed run into a real file: every record must produce its log line there, not on stdout."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as check_sink:
        with logging_to(check_sink, module_prefixes):
            if name == "json_floor":
                _floor_run(check_sink)(event_json)
            else:
                run(event_json)
        check_sink.seek(0)
        lines = sum(1 for _ in check_sink)
    if lines < records:
        raise RuntimeError(
            f"{name} wrote {lines} log lines for {records} records: its logger was not redirected"
        )


def default_rounds(records: int) -> int:
    """Enough rounds for a stable median while keeping the whole run to seconds."""
    return max(7, min(51, 10_000 // records))


def measure(
    sizes: tuple[int, ...] = DEFAULT_SIZES,
    rounds: int | None = None,
    consumer: Handler | None = None,
    mixes: tuple[str, ...] = MIXES,
) -> ThroughputResult:
    consumer = consumer or import_handler(CONSUMER_MODULE)
    baseline = importlib.import_module(BASELINE_MODULE).lambda_handler
    module_prefixes = ("consumer", BASELINE_MODULE, getattr(consumer, "__module__", "consumer"))
    context = LambdaContext()
    result = ThroughputResult(sink=f"{os.devnull}, line-buffered")
    with open(os.devnull, "w", buffering=1, encoding="utf-8") as sink:
        for mix in mixes:
            record_bytes: list[float] = []
            mix_result = MixResult(mix=mix, mean_record_bytes=0.0)
            for size in sizes:
                event = stream_event(size, mix=mix)
                record_bytes.append(mean_record_bytes(event))
                mix_result.sizes.append(
                    _measure_size(
                        json.dumps(event), size, rounds, consumer, baseline, context, sink, module_prefixes
                    )
                )
            mix_result.mean_record_bytes = sum(record_bytes) / len(record_bytes)
            result.mixes.append(mix_result)
    return result


def _measure_size(
    event_json: str,
    size: int,
    rounds: int | None,
    consumer: Handler,
    baseline: Handler,
    context: LambdaContext,
    sink: TextIO,
    module_prefixes: tuple[str, ...],
) -> SizeResult:
    runs: dict[str, Run] = {
        "consumer": _handler_run(consumer, context, size),
        "powertools_docs": _handler_run(baseline, context, size),
        "json_floor": _floor_run(sink),
    }
    for name, run in runs.items():
        _check_lines(run, event_json, size, module_prefixes, name)
    size_rounds = rounds or default_rounds(size)
    timings: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with logging_to(sink, module_prefixes):
        for round_index in range(size_rounds):
            # Rotate the order each round so no variant always runs right after another's garbage.
            order = VARIANTS[round_index % 3 :] + VARIANTS[: round_index % 3]
            for name in order:
                gc.collect()
                started = time.perf_counter()
                runs[name](event_json)
                timings[name].append(time.perf_counter() - started)
    medians = {name: median(values) for name, values in timings.items()}
    return SizeResult(
        records=size,
        rounds=size_rounds,
        median_seconds=medians,
        records_per_second={name: size / seconds for name, seconds in medians.items()},
        ratio_to_baseline=median(
            [c / b for c, b in zip(timings["consumer"], timings["powertools_docs"], strict=True)]
        ),
        ratio_to_floor=median(
            [c / f for c, f in zip(timings["consumer"], timings["json_floor"], strict=True)]
        ),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--mixes", nargs="+", choices=MIXES, default=list(MIXES), help="record mixes")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per size (default: by size)")
    parser.add_argument("--out", type=Path, default=BUILD_DIR / "consumer_throughput.json")
    args = parser.parse_args(argv)
    for name, value in FUNCTION_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    result = measure(tuple(args.sizes), args.rounds, mixes=tuple(args.mixes))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    for mix in result.mixes:
        for size in mix.sizes:
            rates = ", ".join(f"{name} {rate:,.0f}/s" for name, rate in size.records_per_second.items())
            print(
                f"{mix.mix:>8} {size.records:>6} records x {size.rounds} rounds: {rates}; "
                f"consumer/baseline {size.ratio_to_baseline:.2f}, consumer/floor {size.ratio_to_floor:.2f}"
            )


if __name__ == "__main__":
    main()
