"""Runs every benchmark and writes BENCHMARKS.md (what `make bench` does).

Each benchmark runs in a process of its own and leaves its figures in .build/bench/<name>.json; the report is
rendered from those files, so `--render-only` rewrites BENCHMARKS.md from the last run without measuring.
A benchmark that fails is named in its section and makes the command exit non-zero after the file is written.

Run: python -m bench.report [--only NAME ...] [--render-only] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.cold_start import HANDLER_LABELS, ColdStartResult, ModeResult
from bench.consumer_throughput import ThroughputResult
from bench.cost import CostResult
from bench.deploy_loop import DeployLoopResult
from bench.e2e_latency import E2ELatencyResult
from bench.package_size import (
    CODE_PACKAGE_TARGET,
    LAMBDA_UNZIPPED_LIMIT,
    LAMBDA_ZIPPED_LIMIT,
    PackageSizeResult,
)
from bench.stats import BUILD_DIR, REPO_ROOT, Machine, machine, median, tool_version

CONSUMER_TO_BASELINE_TARGET = 1.0
CONSUMER_TO_FLOOR_TARGET = 1.5
IMPORT_TO_BOTO3_TARGET = 1.2
DEPLOYED_TO_CACHED_TOLERANCE = 0.10

Result = (
    ThroughputResult | ColdStartResult | PackageSizeResult | E2ELatencyResult | DeployLoopResult | CostResult
)


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    command: str
    load: Callable[[dict[str, Any]], Result]


BENCHMARKS = (
    Benchmark(
        "consumer_throughput",
        "Consumer throughput",
        "python -m bench.consumer_throughput",
        ThroughputResult.from_json,
    ),
    Benchmark("cold_start", "Cold start", "python -m bench.cold_start", ColdStartResult.from_json),
    Benchmark("package_size", "Package size", "python -m bench.package_size", PackageSizeResult.from_json),
    Benchmark("e2e_latency", "End-to-end latency", "python -m bench.e2e_latency", E2ELatencyResult.from_json),
    Benchmark("deploy_loop", "Deploy loop", "python -m bench.deploy_loop", DeployLoopResult.from_json),
    Benchmark("cost", "Cost per million changes", "python -m bench.cost", CostResult.from_json),
)


def result_path(name: str, results_dir: Path = BUILD_DIR) -> Path:
    return results_dir / f"{name}.json"


def run(benchmark: Benchmark, results_dir: Path = BUILD_DIR) -> str | None:
    """Run one benchmark in its own process; the error text when it failed."""
    out = result_path(benchmark.name, results_dir)
    out.unlink(missing_ok=True)
    print(f"==> {benchmark.title}: {benchmark.command}", flush=True)
    completed = subprocess.run(
        [sys.executable, "-m", f"bench.{benchmark.name}", "--out", str(out)],
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if completed.returncode == 0 and out.exists():
        return None
    sys.stderr.write(completed.stderr)
    lines = [line for line in completed.stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {completed.returncode}"


def load(benchmark: Benchmark, results_dir: Path = BUILD_DIR) -> Result | None:
    path = result_path(benchmark.name, results_dir)
    if not path.exists():
        return None
    result: Result = benchmark.load(json.loads(path.read_text()))
    return result


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _bytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:,.2f} MiB"
    if size >= 1024:
        return f"{size / 1024:,.1f} KiB"
    return f"{size:,} B"


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _reproduce(command: str) -> str:
    return f"Reproduce: `make bench` (all tables), or this table alone: `.venv/bin/{command}`."


MIX_DESCRIPTIONS = {
    "products": "the products table's items: strings, a few numbers (one of 38 digits), a map, a list, a "
    "set; a MODIFY changes the price, version and time",
    "numbers": "items that are mostly numbers: 20 readings in a list, a nested map of statistics, a set; a "
    "MODIFY rewrites the item",
}


def render_throughput(result: ThroughputResult) -> list[str]:
    lines = [
        "Records per second through each handler, in-process, from the event's JSON to the last log line "
        "(median of the rounds; NEW_AND_OLD_IMAGES, 60% MODIFY / 30% INSERT / 10% REMOVE; logs go to "
        f"{result.sink}), for each record mix. The ratios are the medians of the per-round ratios of batch "
        "times (consumer time / other time): below 1.00 the consumer is faster. Targets, at every batch size "
        f"and in every mix: consumer / baseline <= {CONSUMER_TO_BASELINE_TARGET:.2f}, consumer / floor <= "
        f"{CONSUMER_TO_FLOOR_TARGET:.2f}.",
        "",
        "- *consumer*: `consumer.handler.lambda_handler` from `lambda_src/`.",
        "- *Powertools docs*: `bench/baselines/powertools_docs.py`, BatchProcessor + "
        "`process_partial_response` + a record handler that logs the same fields with Logger, as Powertools' "
        "documentation shows.",
        "- *json floor*: `bench/baselines/json_floor.py`, `json.loads` of the event and one `json.dumps` "
        "line per record.",
    ]
    for mix in result.mixes:
        rows = []
        for size in mix.sizes:
            rate = size.records_per_second
            rows.append(
                [
                    f"{size.records:,}",
                    str(size.rounds),
                    f"{rate['consumer']:,.0f}",
                    f"{rate['powertools_docs']:,.0f}",
                    f"{rate['json_floor']:,.0f}",
                    f"{size.ratio_to_baseline:.2f}",
                    f"{size.ratio_to_floor:.2f} ({_met(size.ratio_to_floor <= CONSUMER_TO_FLOOR_TARGET)})",
                ]
            )
        description = MIX_DESCRIPTIONS.get(mix.mix, mix.mix)
        lines += [
            "",
            f"**Mix `{mix.mix}`**: {description}; records average {mix.mean_record_bytes:,.0f} bytes of "
            "DynamoDB JSON.",
            "",
            *_table(
                [
                    "batch",
                    "rounds",
                    "consumer rec/s",
                    "Powertools docs rec/s",
                    "json floor rec/s",
                    "consumer / baseline",
                    f"consumer / floor (target {CONSUMER_TO_FLOOR_TARGET:.2f})",
                ],
                rows,
            ),
        ]
    return lines


def _import_time(mode: ModeResult, label: str) -> str:
    """Median wall clock / CPU time of an import ("-" for the bare interpreter, which imports nothing)."""
    if not label.startswith("import "):
        return "-"
    cpu = mode.median_import_cpu.get(label)
    return _ms(mode.median_import[label]) + (f" / {_ms(cpu)}" if cpu is not None else "")


def _vs_boto3(mode: ModeResult, label: str) -> str:
    value = mode.ratio_to_boto3.get(label)
    if value is not None:
        return f"{value:.2f}x"
    return "1.00x" if label == "import boto3" else "-"


def render_cold_start(result: ColdStartResult) -> list[str]:
    deployed, cached = result.mode("as_deployed"), result.mode("cached")
    if deployed is None or cached is None:
        return ["The result holds no as-deployed and cached measurements: run the benchmark again."]
    rows = []
    for label in deployed.median_import:
        agreement = result.deployed_to_cached.get(label)
        rows.append(
            [
                f"`{label}`",
                _import_time(deployed, label),
                _vs_boto3(deployed, label),
                _import_time(cached, label),
                _vs_boto3(cached, label),
                f"{agreement:.2f}" if agreement is not None else "-",
                f"{_ms(deployed.median_process[label])} / {_ms(cached.median_process[label])}",
            ]
        )
    lines = [
        f"Each command runs in a fresh Python {result.python} interpreter (`-I`), with sys.path set as in "
        "Lambda: the function's code package, the layer's `python/`, then boto3 as the runtime provides it. "
        "*import* is timed inside the interpreter around the import statement, wall clock / CPU time; "
        "*process* is the whole interpreter from start to exit. Commands and modes are interleaved run by "
        "run; each ratio is the median of the per-run ratios of CPU time, which other processes on a shared "
        "machine do not stretch as they stretch the wall clock.",
        "",
        "- *as deployed*: the code zip and the layer zip the builder makes, unpacked with their byte code "
        "and made read-only, as Lambda's /var/task and /opt are; the interpreter runs with `-B`, so it "
        "loads the shipped byte code and writes none. "
        f"Target: each handler <= {IMPORT_TO_BOTO3_TARGET:.1f}x `import boto3`.",
        "- *cached*: the same trees, but every module's byte code compiled by this interpreter into a cache "
        "of its own beforehand (the shipped byte code unused): the best case. "
        f"Target: as deployed within {DEPLOYED_TO_CACHED_TOLERANCE:.0%} of cached.",
        "",
        f"{deployed.runs} runs of each command in each mode:",
        "",
        *_table(
            [
                "command",
                "as deployed: import (wall / CPU)",
                "vs import boto3",
                "cached: import (wall / CPU)",
                "vs import boto3",
                "as deployed / cached",
                "process (as deployed / cached)",
            ],
            rows,
        ),
        "",
    ]
    for label, modules in result.compiled_as_deployed.items():
        if modules:
            shown = ", ".join(f"`{module}`" for module in modules[:5])
            more = f" and {len(modules) - 5} more" if len(modules) > 5 else ""
            lines.append(
                f"`{label}` as deployed compiled {len(modules)} packaged modules from source: {shown}{more}."
            )
        else:
            lines.append(f"`{label}` as deployed loaded the shipped byte code of every packaged module.")
    lines += [
        "",
        "Where each handler's import spends its time: self time summed by top-level package, from one "
        "`-X importtime` run as deployed:",
        "",
    ]
    for label, imports in result.slowest_imports.items():
        listed = ", ".join(f"`{module}` {micros / 1000:.1f} ms" for module, micros in imports)
        lines.append(f"- `{label}`: {listed}")
    return lines


def render_package_size(result: PackageSizeResult) -> list[str]:
    rows = []
    for package in result.packages:
        largest = ", ".join(f"`{name}` {_bytes(size)}" for name, size in package.largest[:5])
        target = ""
        if package.kind == "code":
            target = f" ({_met(package.zipped_bytes < CODE_PACKAGE_TARGET)})"
        rows.append(
            [
                f"{package.kind} `{package.file}`",
                _bytes(package.zipped_bytes) + target,
                _bytes(package.unzipped_bytes),
                str(package.files),
                largest,
            ]
        )
    total_rows = []
    for function, (zipped, unzipped) in result.function_totals().items():
        total_rows.append(
            [
                function,
                f"{_bytes(zipped)} ({zipped / LAMBDA_ZIPPED_LIMIT:.1%} of 50 MiB)",
                f"{_bytes(unzipped)} ({unzipped / LAMBDA_UNZIPPED_LIMIT:.1%} of 250 MiB)",
            ]
        )
    architecture = f" for {result.architecture}" if result.architecture else ""
    return [
        f"The zips `scripts/build_package.py` builds{architecture} (what `terraform apply` uploads). "
        "Targets: "
        f"each code package under {CODE_PACKAGE_TARGET // 1024} KiB zipped; each function (code plus layers) "
        "well inside Lambda's 50 MiB zipped / 250 MiB unzipped quotas.",
        "",
        *_table(["package", "zipped", "unzipped", "files", "largest (unzipped)"], rows),
        "",
        *_table(["function", "code + layers, zipped", "code + layers, unzipped"], total_rows),
    ]


def render_e2e(result: E2ELatencyResult) -> list[str]:
    return [
        f"{result.requests} `POST /products` requests at {result.rate_per_second:g} per second from one "
        "loop on "
        "loopback; for each, the time from its response to the timestamp of the consumer's log line for that "
        f"item (found for {result.matched} of {result.requests}). The event source mapping batches up to "
        f"{result.batch_size} records and waits up to {result.batching_window_seconds:g} s to fill a batch.",
        "",
        *_table(
            ["requests", "p50", "p95", "max", "batching window"],
            [
                [
                    str(result.matched),
                    f"{result.p50_ms:,.0f} ms",
                    f"{result.p95_ms:,.0f} ms",
                    f"{result.max_ms:,.0f} ms",
                    f"{result.batching_window_seconds:g} s",
                ]
            ],
        ),
    ]


def render_deploy(result: DeployLoopResult) -> list[str]:
    rows = []
    for label, values in (
        ("`terraform apply` from empty", result.apply_seconds),
        ("no-op `terraform plan`", result.plan_seconds),
    ):
        rows.append(
            [
                label,
                str(len(values)),
                f"{median(values):.1f} s",
                f"{min(values):.1f} s",
                f"{max(values):.1f} s",
            ]
        )
    return [
        f"`examples/local` ({result.resources} resources) against the embedded emulator (moto's server on "
        "127.0.0.1, started empty before each apply, with an empty state); the packages are built before the "
        "first timed apply, as on any apply after a developer's first. The plans follow the last apply and "
        "must propose nothing (`-detailed-exitcode` 0).",
        "",
        *_table(["step", "runs", "median", "min", "max"], rows),
    ]


def _dollars(amount: float) -> str:
    return f"${amount:,.4f}" if amount < 0.01 else f"${amount:,.2f}"


def _price(value: float, unit: str) -> str:
    if value < 0.001:
        return f"${value * 1e6:,.6g} per million {unit}s"
    return f"${value:,.6g} per {unit}"


def render_cost(result: CostResult) -> list[str]:
    costs = result.settings
    labels = [item.setting.label for item in costs]
    rows = []
    for index, component in enumerate(costs[0].components):
        cells = [component.name]
        for item in costs:
            mine = item.components[index]
            digits = 0 if mine.quantity >= 100 else 2
            cells.append(f"{_dollars(mine.cost)} ({mine.quantity:,.{digits}f} {mine.unit})")
        rows.append(cells)
    rows.append(["**total**", *[f"**{_dollars(item.total)}**" for item in costs]])

    def row(title: str, cell: Callable[[Any], str]) -> list[str]:
        return [title, *[cell(item) for item in costs]]

    setting_rows = [
        row("records per consumer batch", lambda item: str(item.records_per_batch)),
        row(
            "batching window / retries / starting position",
            lambda item: (
                f"{item.setting.batching_window_seconds:g} s / {item.setting.maximum_retry_attempts} / "
                f"{item.setting.starting_position}"
            ),
        ),
        row(
            "memory (writer / consumer), architecture",
            lambda item: (
                f"{item.setting.writer_memory_mb} / {item.setting.consumer_memory_mb} MB, "
                f"{item.setting.architecture}"
            ),
        ),
        row(
            "every event logged; X-Ray line in REPORT",
            lambda item: (
                f"{'yes' if item.setting.log_events else 'no'}; {'yes' if item.setting.tracing else 'no'}"
            ),
        ),
        row(
            "billed ms per consumer batch / per writer request",
            lambda item: f"{item.consumer_billed_ms} / {item.writer_billed_ms}",
        ),
        row(
            "log bytes per change (consumer / writer)",
            lambda item: (
                f"{item.consumer_log_bytes_per_change:,.0f} / {item.writer_log_bytes_per_change:,.0f}"
            ),
        ),
    ]
    prices = [
        f"- `{name}`: {_price(value, unit)} ({url})" for name, (value, unit, url) in result.prices.items()
    ]
    return [
        f"Dollars per million changes in {result.region}, at list prices as published on "
        f"{result.prices_as_of} (free tiers left out). One change: one `POST /products` (no Idempotency-Key) "
        "through the HTTP API and the writer, one item written, one stream record through the consumer. "
        f"Assumed: {result.rate_per_second:g} changes per second on one shard (a batch holds what arrives in "
        "the batching window, or in a quarter second, Lambda's polling interval, without one); "
        f"{result.failure_rate:.1%} of consumer batches fail on every attempt, are retried as the setting "
        "says, then written to the module's default on-failure destination, an S3 bucket (an SQS queue, "
        "on_failure_destination_type sqs, costs $0.40 per million messages instead). Durations are CPU "
        "time measured here, in-process "
        "(consumer on bench.events' `products` records; writer against moto's in-process DynamoDB), scaled "
        "by Lambda's CPU share (1,769 MB / memory) and billed by the started millisecond. Log bytes are the "
        "functions' own lines plus Lambda's START / END / REPORT lines. Not counted: log storage, X-Ray "
        "traces, cold starts, data transfer.",
        "",
        *_table(["component", *labels], rows),
        "",
        *_table(["setting", *labels], setting_rows),
        "",
        "Prices (us-east-1), one per component, kept in `PRICES` in `bench/cost.py`:",
        "",
        *prices,
    ]


def summary(results: dict[str, Result | None]) -> list[list[str]]:
    """Rows of (target, measured, verdict) for every target a result exists for."""
    rows = []
    throughput = results.get("consumer_throughput")
    if isinstance(throughput, ThroughputResult) and throughput.all_sizes():
        worst_baseline = max(size.ratio_to_baseline for size in throughput.all_sizes())
        worst_floor = max(size.ratio_to_floor for size in throughput.all_sizes())
        rows.append(
            [
                "consumer at least as fast as the Powertools-docs baseline",
                f"consumer / baseline <= {worst_baseline:.2f} (worst batch size and mix)",
                _met(worst_baseline <= CONSUMER_TO_BASELINE_TARGET),
            ]
        )
        rows.append(
            [
                f"consumer within {CONSUMER_TO_FLOOR_TARGET:.1f}x of the json floor",
                f"consumer / floor <= {worst_floor:.2f} (worst batch size and mix)",
                _met(worst_floor <= CONSUMER_TO_FLOOR_TARGET),
            ]
        )
    cold = results.get("cold_start")
    if isinstance(cold, ColdStartResult):
        deployed = cold.mode("as_deployed")
        if deployed is not None:
            for label, ratio in deployed.ratio_to_boto3.items():
                rows.append(
                    [
                        f"`{label}` as deployed <= {IMPORT_TO_BOTO3_TARGET:.1f}x `import boto3`",
                        f"{ratio:.2f}x",
                        _met(ratio <= IMPORT_TO_BOTO3_TARGET),
                    ]
                )
        for label, ratio in cold.deployed_to_cached.items():
            if label in HANDLER_LABELS:
                rows.append(
                    [
                        f"`{label}` as deployed within {DEPLOYED_TO_CACHED_TOLERANCE:.0%} of cached",
                        f"as deployed / cached = {ratio:.2f}",
                        _met(abs(ratio - 1) <= DEPLOYED_TO_CACHED_TOLERANCE),
                    ]
                )
    sizes = results.get("package_size")
    if isinstance(sizes, PackageSizeResult):
        for package in sizes.packages:
            if package.kind == "code":
                rows.append(
                    [
                        f"`{package.file}` under {CODE_PACKAGE_TARGET // 1024} KiB zipped",
                        _bytes(package.zipped_bytes),
                        _met(package.zipped_bytes < CODE_PACKAGE_TARGET),
                    ]
                )
        for function, (zipped, unzipped) in sizes.function_totals().items():
            rows.append(
                [
                    f"{function}: within 50 MiB zipped / 250 MiB unzipped",
                    f"{_bytes(zipped)} / {_bytes(unzipped)}",
                    _met(zipped < LAMBDA_ZIPPED_LIMIT and unzipped < LAMBDA_UNZIPPED_LIMIT),
                ]
            )
    return rows


RENDERERS: dict[str, Callable[[Any], list[str]]] = {
    "consumer_throughput": render_throughput,
    "cold_start": render_cold_start,
    "package_size": render_package_size,
    "e2e_latency": render_e2e,
    "deploy_loop": render_deploy,
    "cost": render_cost,
}


def render(
    results: dict[str, Result | None],
    errors: dict[str, str],
    host: Machine,
    tools: dict[str, str],
    generated: datetime,
) -> str:
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by `make bench` (bench/report.py): edit the generator, not this file. -->",
        "",
        f"Measured {generated:%Y-%m-%d %H:%M} UTC on {host.describe()}; "
        + ", ".join(f"{name} {version}" for name, version in tools.items())
        + ".",
        "",
        "Shared machines are noisy: absolute figures move from run to run, so every figure here stands "
        "beside "
        "its baseline measured in the same run, and the targets are ratios. Medians throughout.",
        "",
        "## Targets",
        "",
        *_table(["target", "measured", "verdict"], summary(results)),
    ]
    for benchmark in BENCHMARKS:
        lines += ["", f"## {benchmark.title}", "", _reproduce(benchmark.command), ""]
        result = results.get(benchmark.name)
        if result is None:
            reason = errors.get(benchmark.name, "no result from this run")
            lines.append(f"Not measured in this run: {reason}")
        else:
            lines += RENDERERS[benchmark.name](result)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="+", choices=[b.name for b in BENCHMARKS], help="run only these")
    parser.add_argument("--render-only", action="store_true", help="render from the last run's results")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    errors: dict[str, str] = {}
    if not args.render_only:
        for benchmark in BENCHMARKS:
            if args.only and benchmark.name not in args.only:
                continue
            error = run(benchmark)
            if error is not None:
                errors[benchmark.name] = error
    results = {benchmark.name: load(benchmark) for benchmark in BENCHMARKS}
    tools = {"terraform": tool_version(["terraform", "version"])}
    args.out.write_text(render(results, errors, machine(), tools, datetime.now(UTC)))
    print(f"==> wrote {args.out}")
    for name, error in errors.items():
        print(f"==> {name} failed: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
