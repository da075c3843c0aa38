"""The local Lambda runner: packages deployed to the emulator, run in warm execution environments."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.lambda_runtime.functions import FunctionConfig, split_qualifier
from local.lambda_runtime.interpreters import RuntimeInterpreters, UnsupportedRuntimeError
from local.lambda_runtime.runner import LambdaRunner
from tests.unit.local.conftest import package

Deploy = Callable[..., str]


@pytest.fixture
def deploy(aws: Callable[[str], Any], role_arn: str) -> Deploy:
    """Creates a function (and its log group) from {path: source}; returns its ARN."""

    def create(
        files: dict[str, str],
        handler: str = "app.handler",
        timeout: int = 3,
        environment: dict[str, str] | None = None,
        layers: list[str] | None = None,
    ) -> str:
        name = f"fn-{uuid.uuid4().hex[:10]}"
        aws("logs").create_log_group(logGroupName=f"/aws/lambda/{name}")
        created = aws("lambda").create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=role_arn,
            Handler=handler,
            Code={"ZipFile": package(files)},
            Timeout=timeout,
            MemorySize=256,
            Environment={"Variables": environment or {}},
            Layers=layers or [],
        )
        return str(created["FunctionArn"])

    return create


@pytest.fixture
def runner(endpoint: str, tmp_path: Path) -> Iterator[LambdaRunner]:
    # The test interpreter stands in for the runtime's: these packages need only the standard library.
    with LambdaRunner(endpoint, tmp_path, interpreters=lambda runtime: Path(sys.executable)) as running:
        yield running


def log_messages(aws: Callable[[str], Any], function_arn: str) -> list[tuple[str, str]]:
    name = function_arn.split(":")[6]
    events = aws("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    return [(event["logStreamName"], event["message"]) for event in events]


COUNTER = """
    import os

    invocations = 0

    def handler(event, context):
        global invocations
        invocations += 1
        return {"pid": os.getpid(), "invocations": invocations}
"""


def test_runs_the_deployed_handler_with_its_event_context_and_environment(
    runner: LambdaRunner, deploy: Deploy, endpoint: str
) -> None:
    arn = deploy(
        {
            "app.py": """
                import os

                def handler(event, context):
                    return {
                        "event": event,
                        "function_name": context.function_name,
                        "invoked_arn": context.invoked_function_arn,
                        "memory": context.memory_limit_in_mb,
                        "remaining_ms": context.get_remaining_time_in_millis(),
                        "request_id": context.aws_request_id,
                        "task_root_has_code": os.path.exists(os.environ["LAMBDA_TASK_ROOT"] + "/app.py"),
                        "env": {k: os.environ.get(k) for k in [
                            "TABLE_NAME", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME",
                            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "_HANDLER", "HOME_OF_THE_TEST_RUNNER",
                        ]},
                    }
            """
        },
        environment={"TABLE_NAME": "products"},
    )
    name = arn.split(":")[6]

    result = runner.invoke(arn, {"hello": "world"})

    assert result.error is None
    payload = result.payload
    assert payload["event"] == {"hello": "world"}
    assert payload["function_name"] == name
    assert payload["invoked_arn"] == arn
    assert payload["memory"] == "256"
    assert 0 < payload["remaining_ms"] <= 3000
    assert payload["request_id"] == result.request_id
    assert payload["task_root_has_code"] is True
    assert payload["env"] == {
        "TABLE_NAME": "products",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "_HANDLER": "app.handler",
        "HOME_OF_THE_TEST_RUNNER": None,
    }


def test_the_function_process_does_not_inherit_the_callers_environment(
    runner: LambdaRunner, deploy: Deploy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAKED_FROM_HOST", "secret-ish")
    arn = deploy({"app.py": "import os\ndef handler(e, c):\n    return os.environ.get('LEAKED_FROM_HOST')\n"})

    assert runner.invoke(arn, {}).payload is None


def test_an_environment_stays_warm_between_invocations(runner: LambdaRunner, deploy: Deploy) -> None:
    arn = deploy({"app.py": COUNTER})

    first = runner.invoke(arn, {}).payload
    second = runner.invoke(arn, {}).payload

    assert second == {"pid": first["pid"], "invocations": 2}


def test_concurrent_invocations_get_environments_of_their_own(runner: LambdaRunner, deploy: Deploy) -> None:
    arn = deploy(
        {
            "app.py": """
                import os, time

                def handler(event, context):
                    # Each invocation waits for the other to have started: only separate processes get there.
                    open(event["dir"] + f"/{os.getpid()}", "w").close()
                    while len(os.listdir(event["dir"])) < 2 and context.get_remaining_time_in_millis() > 500:
                        time.sleep(0.01)
                    return {"pid": os.getpid(), "peers": len(os.listdir(event["dir"]))}
            """
        },
        timeout=30,  # room for the other environment's cold start on a busy machine
    )
    rendezvous = Path(runner.work_dir) / "rendezvous"
    rendezvous.mkdir()
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(runner.invoke(arn, {"dir": str(rendezvous)})))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.error for r in results] == [None, None]
    assert {r.payload["peers"] for r in results} == {2}
    assert results[0].payload["pid"] != results[1].payload["pid"]


def test_timeout_kills_the_environment_and_the_next_invocation_starts_cold(
    runner: LambdaRunner, deploy: Deploy, aws: Callable[[str], Any]
) -> None:
    arn = deploy(
        {
            "app.py": COUNTER
            + """
    def slow(event, context):
        if event.get("hang"):
            import time
            print("hanging now", flush=True)
            time.sleep(60)
        return handler(event, context)
"""
        },
        handler="app.slow",
        timeout=1,
    )
    warm = runner.invoke(arn, {}).payload

    timed_out = runner.invoke(arn, {"hang": True})
    after = runner.invoke(arn, {}).payload

    assert timed_out.error == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {timed_out.request_id} Error: Task timed out after 1.00 seconds",
    }
    assert timed_out.payload is None
    assert after["invocations"] == 1
    assert after["pid"] != warm["pid"]
    messages = [message for _, message in log_messages(aws, arn)]
    start = messages.index(f"START RequestId: {timed_out.request_id} Version: $LATEST\n")
    assert messages[start + 1] == "hanging now\n"  # printed before the kill, logged before the timeout
    assert messages[start + 2].endswith(f"Z {timed_out.request_id} Task timed out after 1.00 seconds\n")
    assert messages[start + 3] == f"END RequestId: {timed_out.request_id}\n"
    report = messages[start + 4]
    assert report.startswith(f"REPORT RequestId: {timed_out.request_id}")
    assert "Status: timeout" in report
    assert re.search(r"Max Memory Used: [1-9]\d* MB", report), report


def test_an_init_phase_longer_than_lambdas_limit_fails_the_invocation(
    runner: LambdaRunner, deploy: Deploy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("local.lambda_runtime.environment.INIT_TIMEOUT_S", 0.5)
    arn = deploy({"app.py": "import time\ntime.sleep(30)\ndef handler(e, c):\n    return 1\n"})

    result = runner.invoke(arn, {})

    assert result.error is not None
    assert result.error["errorType"] == "Sandbox.Timedout"


def test_a_handler_exception_comes_back_in_lambdas_error_shape_and_the_environment_stays_warm(
    runner: LambdaRunner, deploy: Deploy
) -> None:
    arn = deploy(
        {
            "app.py": COUNTER
            + """
    def failing(event, context):
        result = handler(event, context)
        if event.get("fail"):
            raise ValueError("price must not be negative")
        return result
"""
        },
        handler="app.failing",
    )
    before = runner.invoke(arn, {}).payload

    failed = runner.invoke(arn, {"fail": True})
    after = runner.invoke(arn, {}).payload

    assert failed.payload is None
    assert failed.function_error == "Unhandled"
    assert failed.error is not None
    assert failed.error["errorType"] == "ValueError"
    assert failed.error["errorMessage"] == "price must not be negative"
    assert failed.error["requestId"] == failed.request_id
    assert any("app.py" in frame and "in failing" in frame for frame in failed.error["stackTrace"])
    assert after == {"pid": before["pid"], "invocations": 3}


@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message"),
    [
        (
            {"app.py": "import pynamodb_is_not_in_this_package\n"},
            "app.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'app': No module named 'pynamodb_is_not_in_this_package'",
        ),
        (
            {"app.py": "x = 1\n"},
            "app.handler",
            "Runtime.HandlerNotFound",
            "Handler 'handler' missing on module 'app'",
        ),
        (
            {"app.py": "def handler(e, c):\n    return object()\n"},
            "app.handler",
            "Runtime.MarshalError",
            None,
        ),
        (
            {"app.py": "import os\ndef handler(e, c):\n    os._exit(3)\n"},
            "app.handler",
            "Runtime.ExitError",
            None,
        ),
    ],
)
def test_runtime_errors_have_lambdas_error_types(
    runner: LambdaRunner,
    deploy: Deploy,
    files: dict[str, str],
    handler: str,
    error_type: str,
    message: str | None,
) -> None:
    arn = deploy(files, handler=handler)

    result = runner.invoke(arn, {})

    assert result.error is not None
    assert result.error["errorType"] == error_type
    if message is not None:
        assert result.error["errorMessage"] == message


def test_stdout_stderr_and_logging_become_log_events_framed_like_lambdas(
    runner: LambdaRunner, deploy: Deploy, aws: Callable[[str], Any]
) -> None:
    arn = deploy(
        {
            "app.py": """
                import json, logging, sys

                def handler(event, context):
                    print(json.dumps({"message": "stream record", "n": event["n"]}))
                    print("to stderr", file=sys.stderr)
                    logging.getLogger().warning("multi\\nline")
                    sys.stdout.write("no newline at the end")
                    return None
            """
        }
    )

    first = runner.invoke(arn, {"n": 1})
    second = runner.invoke(arn, {"n": 2})

    events = log_messages(aws, arn)
    streams = {stream for stream, _ in events}
    assert len(streams) == 1  # one environment, one stream
    assert_lambda_stream_name(streams.pop())
    messages = [message for _, message in events]
    for result, n in ((first, 1), (second, 2)):
        rid = result.request_id
        start = messages.index(f"START RequestId: {rid} Version: $LATEST\n")
        assert messages[start + 1] == f'{{"message": "stream record", "n": {n}}}\n'
        assert messages[start + 2] == "to stderr\n"
        assert messages[start + 3].startswith("[WARNING]\t")
        assert messages[start + 3].endswith(f"\t{rid}\tmulti\rline\n")
        assert messages[start + 4] == "no newline at the end"
        assert messages[start + 5] == f"END RequestId: {rid}\n"
        report = messages[start + 6]
        assert report.startswith(f"REPORT RequestId: {rid}\tDuration: ")
        assert "Memory Size: 256 MB" in report
        assert ("Init Duration: " in report) == (n == 1)


def assert_lambda_stream_name(stream: str) -> None:
    # Lambda's stream names: YYYY/MM/DD/[$LATEST]<32 hex digits>
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", stream), stream


def test_layers_are_unpacked_like_opt_and_the_code_comes_from_the_emulator(
    runner: LambdaRunner, deploy: Deploy, aws: Callable[[str], Any]
) -> None:
    layer = aws("lambda").publish_layer_version(
        LayerName=f"layer-{uuid.uuid4().hex[:8]}",
        Content={"ZipFile": package({"python/greeting.py": "WORD = 'from the layer'\n"})},
    )
    arn = deploy(
        {"app.py": "import greeting\ndef handler(e, c):\n    return greeting.WORD\n"},
        layers=[layer["LayerVersionArn"]],
    )
    assert runner.invoke(arn, {}).payload == "from the layer"

    aws("lambda").update_function_code(
        FunctionName=arn, ZipFile=package({"app.py": "def handler(e, c):\n    return 'new code'\n"})
    )

    assert runner.invoke(arn, {}).payload == "new code"


def test_the_function_sdk_calls_go_to_the_emulator(
    runner: LambdaRunner, deploy: Deploy, aws: Callable[[str], Any]
) -> None:
    queue_name = f"q-{uuid.uuid4().hex[:8]}"
    aws("sqs").create_queue(QueueName=queue_name)
    arn = deploy(
        {
            "app.py": """
                import boto3

                sqs = boto3.client("sqs")  # no endpoint here: AWS_ENDPOINT_URL points it at the emulator

                def handler(event, context):
                    return sqs.get_queue_url(QueueName=event["queue"])["QueueUrl"]
            """
        }
    )

    result = runner.invoke(arn, {"queue": queue_name})

    assert result.error is None
    assert result.payload == aws("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"]


@pytest.mark.slow
def test_the_runtime_interpreter_has_the_aws_sdk_and_nothing_else(tmp_path: Path) -> None:
    interpreters = RuntimeInterpreters(Path(__file__).resolve().parents[3] / ".build" / "lambda-runtimes")
    python = interpreters.python("python3.13")
    check = (
        "import importlib.util, sys, boto3; "
        "print(sys.version_info[:2], importlib.util.find_spec('pynamodb'), "
        "importlib.util.find_spec('aws_lambda_powertools'))"
    )

    out = subprocess.run([str(python), "-I", "-c", check], check=True, capture_output=True, text=True).stdout

    assert out.strip() == "(3, 13) None None"
    with pytest.raises(UnsupportedRuntimeError, match="Python runtimes only"):
        interpreters.python("nodejs22.x")


def test_a_runtime_without_an_interpreter_on_this_machine_is_reported_as_such(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedRuntimeError, match=r"python3\.99 needs a Python 3\.99 interpreter"):
        RuntimeInterpreters(tmp_path).python("python3.99")


def test_a_custom_log_group_from_logging_config_is_used() -> None:
    # moto drops LoggingConfig, so this reads a response shaped like Lambda's GetFunction.
    configuration: dict[str, Any] = {
        "FunctionName": "fn",
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:fn",
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": "/custom/group"},
    }
    code = {"Location": "http://127.0.0.1/code"}

    assert FunctionConfig.from_get_function({"Configuration": configuration, "Code": code}).log_group == (
        "/custom/group"
    )
    del configuration["LoggingConfig"]
    assert FunctionConfig.from_get_function({"Configuration": configuration, "Code": code}).log_group == (
        "/aws/lambda/fn"
    )


VERSIONED = """
    import os

    def handler(event, context):
        return {"code": "{code}", "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
                "invoked_arn": context.invoked_function_arn}
"""


def test_version_and_alias_qualified_arns_run_that_version(
    runner: LambdaRunner, deploy: Deploy, aws: Callable[[str], Any]
) -> None:
    # GIVEN version 1 published with an alias, then $LATEST changed
    arn = deploy({"app.py": VERSIONED.replace("{code}", "one")})
    lambda_ = aws("lambda")
    version = lambda_.publish_version(FunctionName=arn)["Version"]
    lambda_.create_alias(FunctionName=arn, Name="live", FunctionVersion=version)
    lambda_.update_function_code(
        FunctionName=arn, ZipFile=package({"app.py": VERSIONED.replace("{code}", "two")})
    )

    latest = runner.invoke(arn, {})
    by_version = runner.invoke(f"{arn}:{version}", {})
    by_alias = runner.invoke(f"{arn}:live", {})

    assert (latest.payload["code"], latest.payload["version"], latest.executed_version) == (
        "two",
        "$LATEST",
        "$LATEST",
    )
    assert (by_version.payload["code"], by_version.payload["version"], by_version.executed_version) == (
        "one",
        version,
        version,
    )
    assert (by_alias.payload["code"], by_alias.executed_version) == ("one", version)
    # The handler's context names the ARN it was invoked by, as on AWS.
    assert by_alias.payload["invoked_arn"] == f"{arn}:live"


def test_an_unknown_qualifier_cannot_be_run(runner: LambdaRunner, deploy: Deploy) -> None:
    arn = deploy({"app.py": COUNTER})

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        runner.invoke(f"{arn}:nope", {})


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (
            "arn:aws:lambda:us-east-1:123456789012:function:fn",
            ("arn:aws:lambda:us-east-1:123456789012:function:fn", None),
        ),
        (
            "arn:aws:lambda:us-east-1:123456789012:function:fn:live",
            ("arn:aws:lambda:us-east-1:123456789012:function:fn", "live"),
        ),
        (
            "arn:aws:lambda:us-east-1:123456789012:function:fn:3",
            ("arn:aws:lambda:us-east-1:123456789012:function:fn", "3"),
        ),
        ("fn", ("fn", None)),
        ("fn:live", ("fn", "live")),
        ("123456789012:function:fn:$LATEST", ("123456789012:function:fn", "$LATEST")),
        ("123456789012:function:fn", ("123456789012:function:fn", None)),
    ],
)
def test_the_qualifier_is_split_from_any_form_of_function_name(
    function: str, expected: tuple[str, str | None]
) -> None:
    assert split_qualifier(function) == expected
