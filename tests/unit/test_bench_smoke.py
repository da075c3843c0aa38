"""Smoke run of `make bench`: each benchmark's code path with tiny sizes, and the report with every table.

No timing is asserted (these machines are shared and noisy): only that each benchmark measures what it says it
measures, and that BENCHMARKS.md shows every table and target.
"""

from __future__ import annotations

import importlib.util
import io
import json
import py_compile
import re
import threading
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, cast

import boto3
import pytest

from bench import consumer_throughput, cost, report
from bench.baselines import json_floor, powertools_docs
from bench.cold_start import ColdStartResult, compiled_from_source, parse_importtime
from bench.cold_start import measure as measure_cold_start
from bench.consumer_throughput import BASELINE_MODULE, VARIANTS, LambdaContext, ThroughputResult, logging_to
from bench.deploy_loop import DeployLoopResult
from bench.e2e_latency import E2ELatencyResult, Sent, logged_at, send_products, sigv4_signer, summarize
from bench.events import MIXES, mean_record_bytes, stream_event
from bench.package_size import discover
from bench.package_size import measure as measure_package_size
from bench.stats import Machine, percentile

HANDLER_LABELS = {"import writer.handler", "import consumer.handler"}


@pytest.fixture
def function_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in consumer_throughput.FUNCTION_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


@contextmanager
def _function_environment() -> Iterator[None]:
    """The functions' environment, for a measurement taken once per module and read by several tests."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in consumer_throughput.FUNCTION_ENVIRONMENT.items():
            monkeypatch.setenv(name, value)
        yield


def _write_zip(path: Path, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def _byte_code(source: str, work: Path) -> bytes:
    """Unchecked-hash byte code of `source` for this interpreter, as the builder ships it."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / "module.py"
    path.write_text(source)
    compiled = work / "module.pyc"
    py_compile.compile(
        str(path),
        cfile=str(compiled),
        doraise=True,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    return compiled.read_bytes()


@pytest.fixture
def packages(tmp_path: Path) -> Path:
    return _make_packages(tmp_path)


def _make_packages(tmp_path: Path) -> Path:
    """Code zips and a layer shaped like the builder's, small enough to unpack and import in milliseconds."""
    out = tmp_path / "packages"
    out.mkdir()
    for function in ("writer", "consumer"):
        _write_zip(
            out / f"{function}.zip",
            {
                f"{function}/__init__.py": "",
                f"{function}/handler.py": "import json\nimport benchlayer\n",
                f"{function}/notes.txt": "x" * 3000,
                "shared/__init__.py": "",
            },
        )
    layer_init = "VALUE = 1\n" + "#" * 20_000
    _write_zip(
        out / "layer-x86_64.zip",
        {
            # Shipped with its byte code, as the builder ships every module; the code zips' modules are not.
            "python/benchlayer/__init__.py": layer_init,
            "python/benchlayer/" + importlib.util.cache_from_source("__init__.py"): _byte_code(
                layer_init, tmp_path / "compile"
            ),
            "python/benchlayer/extra.py": "#" * 5_000,
            "python/benchlayer-1.0.dist-info/METADATA": "Name: benchlayer\n",
            "python/tiny.py": "",
        },
    )
    return out


# ---- events and baselines ----------------------------------------------------------------------------------


def test_stream_event_is_a_deterministic_new_and_old_images_batch() -> None:
    event = stream_event(300, seed=3)

    assert event == stream_event(300, seed=3)
    assert event != stream_event(300, seed=4)
    records = event["Records"]
    assert {record["eventName"] for record in records} == {"INSERT", "MODIFY", "REMOVE"}
    for record in records:
        change = record["dynamodb"]
        assert change["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert ("NewImage" in change) == (record["eventName"] != "REMOVE")
        assert ("OldImage" in change) == (record["eventName"] != "INSERT")
    image = next(r["dynamodb"]["NewImage"] for r in records if r["eventName"] == "MODIFY")
    assert {"S", "N", "M", "L", "SS", "BOOL"} <= {next(iter(value)) for value in image.values()}
    # More significant digits than a float holds: the consumer must keep them exact.
    assert len(Decimal(image["ledger_balance"]["N"]).as_tuple().digits) > 17
    assert 900 < mean_record_bytes(event) < 1600


def test_numbers_mix_is_mostly_numbers_with_a_list_of_20_and_a_nested_map() -> None:
    event = stream_event(50, mix="numbers")

    assert event == stream_event(50, mix="numbers")
    image = next(r["dynamodb"]["NewImage"] for r in event["Records"] if r["eventName"] == "MODIFY")
    assert len(image["readings"]["L"]) == 20
    assert all(set(value) == {"N"} for value in image["readings"]["L"])
    assert "M" in image["stats"]["M"]["percentiles"]
    for record in event["Records"]:
        keys = record["dynamodb"]["Keys"]
        for image in (record["dynamodb"].get("NewImage"), record["dynamodb"].get("OldImage")):
            if image is not None:
                assert {name: image[name] for name in keys} == keys
    assert mean_record_bytes(event) > mean_record_bytes(stream_event(50))
    with pytest.raises(ValueError, match="products, numbers"):
        stream_event(1, mix="strings")


def test_json_floor_writes_each_record_back_as_one_line() -> None:
    event = stream_event(5)
    sink = io.StringIO()

    json_floor.handle(json.dumps(event), sink)

    assert [json.loads(line) for line in sink.getvalue().splitlines()] == event["Records"]


def test_powertools_docs_baseline_logs_each_record_deserialized(function_environment: None) -> None:
    event = stream_event(4)
    sink = io.StringIO()

    with logging_to(sink, (BASELINE_MODULE,)):
        response = powertools_docs.lambda_handler(json.loads(json.dumps(event)), cast(Any, LambdaContext()))

    assert response == {"batchItemFailures": []}
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["stream record"] * 4
    for line, record in zip(lines, event["Records"], strict=True):
        assert line["eventName"] == record["eventName"]
        assert line["keys"]["PK"] == record["dynamodb"]["Keys"]["PK"]["S"]


# ---- the benchmarks, tiny ----------------------------------------------------------------------------------


# The measurements are taken once and read by every test that checks them (and by the report's test).
@pytest.fixture(scope="module")
def throughput() -> ThroughputResult:
    with _function_environment():
        return consumer_throughput.measure(sizes=(3, 8), rounds=2)


def test_consumer_throughput_measures_every_variant_without_writing_to_stdout(
    throughput: ThroughputResult, capsys: pytest.CaptureFixture[str]
) -> None:
    assert [mix.mix for mix in throughput.mixes] == list(MIXES)
    assert [size.records for size in throughput.all_sizes()] == [3, 8, 3, 8]
    for size in throughput.all_sizes():
        assert size.rounds == 2
        assert set(size.records_per_second) == set(VARIANTS)
        assert all(rate > 0 for rate in size.records_per_second.values())
        assert size.ratio_to_baseline > 0
        assert size.ratio_to_floor > 0
    assert all(mix.mean_record_bytes > 0 for mix in throughput.mixes)
    assert ThroughputResult.from_json(json.loads(json.dumps(throughput.to_json()))) == throughput
    # Every log line went to the benchmark's sink: none leaked to the terminal.
    assert capsys.readouterr().out == ""


def test_consumer_throughput_refuses_a_logger_it_cannot_redirect(function_environment: None) -> None:
    def prints_nothing(event: dict[str, object], context: object) -> dict[str, list[object]]:
        return {"batchItemFailures": []}

    with pytest.raises(RuntimeError, match="log lines"):
        consumer_throughput.measure(sizes=(2,), rounds=1, consumer=prints_nothing)


@pytest.fixture(scope="module")
def costs() -> cost.CostResult:
    # 8 changes a second: batches of 2 records without a batching window, 8 with the tutorial's 1 s.
    with _function_environment():
        return cost.measure(rate=8, rounds=1)


def _dollar_cells(row: str) -> list[float]:
    return [float(cell) for cell in re.findall(r"\$([0-9][0-9,]*\.[0-9]+)", row.replace(",", ""))]


def test_cost_table_totals_are_the_sums_of_their_components(costs: cost.CostResult) -> None:
    labels = [item.setting.label for item in costs.settings]
    assert labels == [
        "module defaults",
        "defaults, log_group_class = INFREQUENT_ACCESS",
        'defaults, consumer_log_mode = "changes"',
        "original tutorial",
    ]
    assert [item.records_per_batch for item in costs.settings] == [2, 2, 2, 8]
    for item in costs.settings:
        assert item.total == pytest.approx(sum(component.cost for component in item.components))
        assert all(component.cost > 0 for component in item.components)

    table = [row for row in report.render_cost(costs) if row.startswith("| ")]
    components = [
        _dollar_cells(row) for row in table if row.startswith("| ") and "$" in row and "**" not in row
    ]
    (total,) = [_dollar_cells(row) for row in table if row.startswith("| **total**")]
    for column, shown_total in enumerate(total):
        shown = [cells[column] for cells in components]
        # Each cell is rounded to the cent (or to 1/100 of a cent below one): the sum may differ by that much.
        assert shown_total == pytest.approx(sum(shown), abs=0.005 * len(shown) + 0.005)


def test_cost_settings_differ_where_their_variables_do(costs: cost.CostResult) -> None:
    defaults, infrequent, changes, tutorial = costs.settings

    def component(item: cost.SettingCost, name: str) -> cost.Component:
        return next(c for c in item.components if c.name == name)

    consumer_logs = "consumer: CloudWatch Logs ingestion"
    assert component(infrequent, consumer_logs).cost == pytest.approx(
        component(defaults, consumer_logs).cost / 2
    )
    writer_logs = "writer: CloudWatch Logs ingestion"
    assert component(infrequent, writer_logs).cost == component(defaults, writer_logs).cost
    # The changes log mode writes a MODIFY's changed attributes instead of its two images: fewer bytes.
    assert changes.consumer_log_bytes_per_change < defaults.consumer_log_bytes_per_change
    # Logging every event costs more bytes per change than logging the records alone.
    assert tutorial.writer_log_bytes_per_change > defaults.writer_log_bytes_per_change
    assert cost.CostResult.from_json(json.loads(json.dumps(costs.to_json()))) == costs


def test_package_size_classifies_zips_and_ranks_contributors(packages: Path) -> None:
    result = measure_package_size(packages)

    kinds = {package.name: package.kind for package in discover(packages)}
    assert kinds == {"writer": "code", "consumer": "code", "layer-x86_64": "layer"}
    layer = next(package for package in result.packages if package.kind == "layer")
    with zipfile.ZipFile(packages / "layer-x86_64.zip") as archive:
        byte_code = sum(info.file_size for info in archive.infolist() if info.filename.endswith(".pyc"))
    assert layer.files == 5
    benchlayer = len("VALUE = 1\n") + 20_000 + 5_000 + byte_code
    assert layer.unzipped_bytes == benchlayer + len("Name: benchlayer\n")
    assert layer.largest[0] == ("python/benchlayer", benchlayer)
    writer = next(package for package in result.packages if package.name == "writer")
    assert writer.largest[0] == ("writer/notes.txt", 3000)
    assert writer.zipped_bytes == (packages / "writer.zip").stat().st_size
    zipped, unzipped = result.function_totals()["writer"]
    assert zipped == writer.zipped_bytes + layer.zipped_bytes
    assert unzipped == writer.unzipped_bytes + layer.unzipped_bytes


@pytest.fixture(scope="module")
def cold_start_work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The work directory of the one cold start measurement the tests below read."""
    return tmp_path_factory.mktemp("cold_start") / "work"


@pytest.fixture(scope="module")
def cold_start(cold_start_work: Path) -> ColdStartResult:
    # The virtualenv's site-packages stands in for the runtime's boto3: no download in a unit test.
    runtime = Path(boto3.__file__).resolve().parent.parent
    packages = _make_packages(cold_start_work.parent)
    return measure_cold_start(packages, runs=1, work_dir=cold_start_work, runtime=runtime)


def test_cold_start_times_each_handler_beside_boto3_and_a_bare_interpreter(
    cold_start: ColdStartResult,
) -> None:
    assert [mode.mode for mode in cold_start.modes] == ["as_deployed", "cached"]
    for mode in cold_start.modes:
        assert set(mode.median_import) == {"bare interpreter", "import boto3", *HANDLER_LABELS}
        assert set(mode.ratio_to_boto3) == HANDLER_LABELS
        assert all(seconds > 0 for seconds in mode.median_process.values())
        # The whole process includes its import.
        for label, seconds in mode.median_import.items():
            assert mode.median_process[label] > seconds
    assert set(cold_start.slowest_imports) == HANDLER_LABELS
    assert set(cold_start.deployed_to_cached) == {"import boto3", *HANDLER_LABELS}
    assert all(ratio > 0 for ratio in cold_start.deployed_to_cached.values())
    # The handlers import json (and what json imports); `import benchlayer` succeeded too, or measuring would
    # have raised: the layer's python/ directory is on the path.
    for imports in cold_start.slowest_imports.values():
        assert "json" in {package for package, _ in imports}


def test_cold_start_as_deployed_loads_the_shipped_byte_code_from_read_only_trees(
    cold_start: ColdStartResult, cold_start_work: Path
) -> None:
    # Only the layer's benchlayer/__init__.py ships byte code: each handler's own modules compile from source.
    for function in ("writer", "consumer"):
        assert cold_start.compiled_as_deployed[f"import {function}.handler"] == [
            f"{function}/__init__.py",
            f"{function}/handler.py",
        ]
    layer = cold_start_work / "opt" / "layer-x86_64"
    byte_code = layer / "python" / "benchlayer" / importlib.util.cache_from_source("__init__.py")
    assert byte_code.is_file()
    for path in (layer / "python" / "benchlayer", byte_code, cold_start_work / "task" / "writer"):
        assert path.stat().st_mode & 0o222 == 0, f"{path} is writable"


def test_cold_start_refuses_an_import_that_writes_into_the_package_tree(
    packages: Path, tmp_path: Path
) -> None:
    _write_zip(
        packages / "writer.zip",
        {
            "writer/__init__.py": "",
            "writer/handler.py": "open(__file__ + '.log', 'w').close()\n",
            "shared/__init__.py": "",
        },
    )
    runtime = Path(boto3.__file__).resolve().parent.parent

    with pytest.raises(RuntimeError, match="wrote into the read-only package tree"):
        measure_cold_start(packages, runs=1, work_dir=tmp_path / "work", runtime=runtime)


def test_compiled_from_source_names_only_packaged_modules_compiled() -> None:
    stderr = "\n".join(
        [
            "# code object from '/task/writer/__pycache__/handler.cpython-313.pyc'",
            "# code object from /task/writer/api.py",
            "# code object from /opt/python/pkg/mod.py",
            "# code object from /usr/lib/python3.13/json/__init__.py",
        ]
    )

    assert compiled_from_source(stderr, ["/task", "/opt/python/"]) == ["pkg/mod.py", "writer/api.py"]


def test_parse_importtime_sums_self_time_by_package_after_the_mark() -> None:
    stderr = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       900 |       900 | encodings",
            "bench: handler import starts",
            "import time:       100 |       100 |     botocore.utils",
            "import time:       200 |      5000 |   botocore",
            "import time:      4700 |      4700 |   botocore.session",
            "import time:        50 |      6000 | boto3",
            "import time:        10 |      7000 | writer",
        ]
    )

    assert parse_importtime(stderr) == [("botocore", 5000), ("boto3", 50), ("writer", 10)]


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 201)]

    assert percentile(values, 0.5) == 100.0
    assert percentile(values, 0.95) == 190.0
    assert percentile(values, 1.0) == 200.0


# ---- the report --------------------------------------------------------------------------------------------


def _other_results() -> dict[str, report.Result | None]:
    return {
        "e2e_latency": E2ELatencyResult(
            requests=200,
            matched=200,
            rate_per_second=20.0,
            p50_ms=650.0,
            p95_ms=1100.0,
            max_ms=1400.0,
            batching_window_seconds=1.0,
            batch_size=100,
        ),
        "deploy_loop": DeployLoopResult(
            apply_seconds=[40.0, 42.0, 41.0], plan_seconds=[6.0, 5.5], resources=30
        ),
    }


def _render(results: dict[str, report.Result | None], errors: dict[str, str] | None = None) -> str:
    host = Machine(cores=2, cpu_model="test cpu", memory_gib=24, python="3.13.0", platform="Linux x86_64")
    return report.render(
        results, errors or {}, host, {"terraform": "Terraform v1.11.0"}, datetime(2026, 11, 26, tzinfo=UTC)
    )


def test_report_renders_every_table_with_targets(
    throughput: ThroughputResult, cold_start: ColdStartResult, packages: Path, costs: cost.CostResult
) -> None:
    results = {
        "consumer_throughput": throughput,
        "cost": costs,
        "cold_start": cold_start,
        "package_size": measure_package_size(packages),
        **_other_results(),
    }

    text = _render(results)

    assert "2 cores (test cpu)" in text
    assert "Python 3.13.0" in text
    assert "Not measured" not in text
    for benchmark in report.BENCHMARKS:
        section = text.split(f"## {benchmark.title}\n", 1)[1].split("\n## ", 1)[0]
        assert f"`.venv/bin/{benchmark.command}`" in section
        assert "| --- |" in section, f"{benchmark.title} has no table"
    targets = text.split("## Targets\n", 1)[1].split("\n## ", 1)[0]
    verdict_rows = [row for row in targets.splitlines() if row.endswith(("| met |", "| **missed** |"))]
    # Two consumer ratios, two handler imports and their two as-deployed / cached agreements, two code zips,
    # two functions' quotas.
    assert len(verdict_rows) == 10
    assert "`import writer.handler` as deployed <= 1.2x `import boto3`" in targets
    assert "`import writer.handler` as deployed within 10% of cached" in targets
    cold = text.split("## Cold start\n", 1)[1].split("\n## ", 1)[0]
    assert (
        "| command | as deployed: import (wall / CPU) | vs import boto3 | cached: import (wall / CPU) |"
        in cold
    )
    assert "| 650 ms | 1,100 ms | 1,400 ms | 1 s |" in text
    assert "| `terraform apply` from empty | 3 | 41.0 s | 40.0 s | 42.0 s |" in text


def test_report_names_a_benchmark_that_did_not_run() -> None:
    results: dict[str, report.Result | None] = {
        "deploy_loop": None,
        "e2e_latency": _other_results()["e2e_latency"],
    }

    text = _render(results, {"deploy_loop": "terraform apply exited 1"})

    deploy = text.split("## Deploy loop\n", 1)[1]
    assert "Not measured in this run: terraform apply exited 1" in deploy
    assert "## End-to-end latency" in text


# ---- end-to-end latency: the loop and the log matching, without a stack -----------------------------------


class _ProductsApi(BaseHTTPRequestHandler):
    """Answers POST /products like the writer: 201 with the new product's id. Remembers what it was sent."""

    requests: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.rfile.read(length)
        _ProductsApi.requests.append((self.path, dict(self.headers.items())))
        body = json.dumps({"id": str(uuid.uuid4())}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def products_api() -> Iterator[str]:
    _ProductsApi.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ProductsApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_load_loop_sends_signed_posts_and_notes_each_response(products_api: str) -> None:
    sent = send_products(products_api, 5, rate=200.0, sign=sigv4_signer("testing", "testing", "us-east-1"))

    assert len(sent) == 5
    assert len({item.product_id for item in sent}) == 5
    assert [path for path, _ in _ProductsApi.requests] == ["/products"] * 5
    assert all(
        headers["Authorization"].startswith("AWS4-HMAC-SHA256 ") for _, headers in _ProductsApi.requests
    )


def test_load_loop_only_targets_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        send_products("http://192.0.2.10/", 1, rate=1.0, sign=None)


def test_consumer_insert_line_is_matched_with_the_loggers_own_timestamp() -> None:
    line = {
        "level": "INFO",
        "message": "stream record",
        "timestamp": "2026-11-26 15:20:01,250+0000",
        "eventName": "INSERT",
        "keys": {"PK": "Product#abc", "SK": "User#Product"},
    }
    event = {"timestamp": 1_795_000_000_000, "message": json.dumps(line)}

    assert logged_at(event) == ("abc", datetime(2026, 11, 26, 15, 20, 1, 250_000, tzinfo=UTC).timestamp())
    assert logged_at({**event, "message": json.dumps({**line, "eventName": "MODIFY"})}) is None
    assert logged_at({**event, "message": "START RequestId: 1 Version: $LATEST"}) is None
    without_stamp = {k: v for k, v in line.items() if k != "timestamp"}
    assert logged_at({**event, "message": json.dumps(without_stamp)}) == ("abc", 1_795_000_000.0)


def test_latency_summary_counts_only_items_whose_line_was_found() -> None:
    sent = [Sent(str(i), 100.0) for i in range(20)]
    found = {str(i): 100.0 + (i + 1) / 10 for i in range(19)}

    result = summarize(sent, found, rate=10.0, window=1.0, batch_size=100)

    assert (result.requests, result.matched) == (20, 19)
    assert result.p50_ms == pytest.approx(1000.0)
    assert result.max_ms == pytest.approx(1900.0)
    assert result.batching_window_seconds == 1.0
