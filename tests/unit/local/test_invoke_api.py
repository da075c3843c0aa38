"""Lambda Invoke on the emulator runs the function on the local runner once its Invoke API is registered; the
runner throttles at the function's reserved concurrency and publishes Lambda's function metrics."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from local.cli import main
from local.lambda_runtime.invoke import InvokeResult, Throttled
from local.lambda_runtime.invoke_api import InvokeApi
from local.lambda_runtime.runner import LambdaRunner
from local.metrics import LAMBDA_NAMESPACE
from tests.unit.local.conftest import unique
from tests.unit.local.test_runtime import Deploy, deploy  # noqa: F401 - the fixture


class FakeInvoker:
    def __init__(self, respond: Callable[[str, Any], InvokeResult]) -> None:
        self.respond = respond
        self.calls: list[tuple[str, Any]] = []
        self.called = threading.Event()

    def invoke(self, function_arn: str, payload: Any) -> InvokeResult:
        self.calls.append((function_arn, payload))
        self.called.set()
        return self.respond(function_arn, payload)


@pytest.fixture
def served(endpoint: str) -> Iterator[Callable[[FakeInvoker], InvokeApi]]:
    apis: list[InvokeApi] = []

    def serve(invoker: FakeInvoker) -> InvokeApi:
        api = InvokeApi(endpoint, invoker).start()
        apis.append(api)
        return api

    yield serve
    for api in apis:
        api.stop()


@pytest.fixture
def function_name(function: Callable[[], str]) -> str:
    return function().split(":")[-1]


def test_invoke_on_the_emulator_runs_on_the_registered_runner(
    aws: Callable[[str], Any], served: Callable[[FakeInvoker], InvokeApi], function_name: str
) -> None:
    invoker = FakeInvoker(lambda fn, payload: InvokeResult(payload={"echo": payload}))
    served(invoker)

    response = aws("lambda").invoke(FunctionName=function_name, Payload=b'{"a": 1}')

    assert response["StatusCode"] == 200
    assert json.loads(response["Payload"].read()) == {"echo": {"a": 1}}
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert invoker.calls == [(function_name, {"a": 1})]


def test_a_function_error_comes_back_as_lambda_reports_it(
    aws: Callable[[str], Any], served: Callable[[FakeInvoker], InvokeApi], function_name: str
) -> None:
    error = {"errorType": "ValueError", "errorMessage": "no", "stackTrace": []}
    served(FakeInvoker(lambda fn, payload: InvokeResult(error=error)))

    response = aws("lambda").invoke(FunctionName=function_name, Qualifier="$LATEST")

    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read()) == error


def test_unknown_function_throttle_and_bad_payload_are_lambdas_errors(
    aws: Callable[[str], Any], served: Callable[[FakeInvoker], InvokeApi], function_name: str
) -> None:
    def refuse(fn: str, payload: Any) -> InvokeResult:
        raise Throttled("Rate Exceeded")

    served(FakeInvoker(refuse))
    lambda_client = aws("lambda")

    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.invoke(FunctionName=unique("missing"))
    with pytest.raises(lambda_client.exceptions.TooManyRequestsException):
        lambda_client.invoke(FunctionName=function_name)
    with pytest.raises(lambda_client.exceptions.InvalidRequestContentException):
        lambda_client.invoke(FunctionName=function_name, Payload=b"{not json")


def test_event_and_dry_run_invocations(
    aws: Callable[[str], Any], served: Callable[[FakeInvoker], InvokeApi], function_name: str
) -> None:
    invoker = FakeInvoker(lambda fn, payload: InvokeResult())
    served(invoker)

    assert aws("lambda").invoke(FunctionName=function_name, InvocationType="DryRun")["StatusCode"] == 204
    assert invoker.calls == []
    assert aws("lambda").invoke(FunctionName=function_name, InvocationType="Event")["StatusCode"] == 202
    assert invoker.called.wait(10)


def test_after_the_runner_stops_invoke_is_the_emulators_again(
    aws: Callable[[str], Any], endpoint: str, function_name: str
) -> None:
    invoker = FakeInvoker(lambda fn, payload: InvokeResult(payload=1))
    InvokeApi(endpoint, invoker).start().stop()

    # moto cannot run code without Docker: any outcome but the runner's will do.
    with contextlib.suppress(Exception):
        aws("lambda").invoke(FunctionName=function_name)
    assert invoker.calls == []


def test_the_cli_invokes_through_the_emulator(
    served: Callable[[FakeInvoker], InvokeApi],
    function_name: str,
    endpoint: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    served(FakeInvoker(lambda fn, payload: InvokeResult(payload={"got": payload})))

    assert main(["invoke", function_name, "--payload", '{"dry_run": true}', "--endpoint", endpoint]) == 0
    assert json.loads(capsys.readouterr().out) == {"got": {"dry_run": True}}
    assert main(["invoke", function_name, "--payload", "{oops", "--endpoint", endpoint]) == 1
    assert "--payload is not JSON" in capsys.readouterr().err


@dataclass
class RecordingMetrics:
    points: list[tuple[str, str, float, str, dict[str, str]]] = field(default_factory=list)

    def put(self, namespace: str, name: str, value: float, unit: str, dimensions: Any) -> None:
        self.points.append((namespace, name, value, unit, dict(dimensions)))

    def named(self, name: str) -> list[tuple[float, str, dict[str, str]]]:
        return [(value, unit, dims) for ns, n, value, unit, dims in self.points if n == name]


@pytest.fixture
def metered(endpoint: str, tmp_path: Path) -> Iterator[tuple[LambdaRunner, RecordingMetrics]]:
    metrics = RecordingMetrics()
    runner = LambdaRunner(
        endpoint, tmp_path, interpreters=lambda runtime: Path(sys.executable), metrics=metrics
    )
    with runner:
        yield runner, metrics


HANDLER = {
    "app.py": "def handler(event, context):\n    if event.get('fail'):\n        raise ValueError('no')\n"
}


def test_the_runner_publishes_invocations_errors_and_duration(
    metered: tuple[LambdaRunner, RecordingMetrics],
    deploy: Deploy,  # noqa: F811
) -> None:
    runner, metrics = metered
    arn = deploy(HANDLER)
    name = arn.split(":")[-1]

    runner.invoke(arn, {})
    runner.invoke(arn, {"fail": True})

    by_name = {"FunctionName": name}
    assert metrics.named("Invocations") == [(1, "Count", by_name)] * 2
    assert metrics.named("Errors") == [(0, "Count", by_name), (1, "Count", by_name)]
    durations = metrics.named("Duration")
    assert [(unit, dims) for _, unit, dims in durations] == [("Milliseconds", by_name)] * 2
    assert all(value > 0 for value, _, _ in durations)
    assert {ns for ns, *_ in metrics.points} == {LAMBDA_NAMESPACE}


def test_an_alias_gets_the_resource_dimension_too(
    aws: Callable[[str], Any],
    metered: tuple[LambdaRunner, RecordingMetrics],
    deploy: Deploy,  # noqa: F811
) -> None:
    runner, metrics = metered
    arn = deploy(HANDLER)
    name = arn.split(":")[-1]
    version = aws("lambda").publish_version(FunctionName=name)["Version"]
    aws("lambda").create_alias(FunctionName=name, Name="live", FunctionVersion=version)

    runner.invoke(f"{arn}:live", {})

    assert [dims for _, _, dims in metrics.named("Invocations")] == [
        {"FunctionName": name},
        {"FunctionName": name, "Resource": f"{name}:live"},
    ]


def test_reserved_concurrency_throttles(
    aws: Callable[[str], Any],
    metered: tuple[LambdaRunner, RecordingMetrics],
    deploy: Deploy,  # noqa: F811
) -> None:
    runner, metrics = metered
    arn = deploy(HANDLER)
    name = arn.split(":")[-1]
    aws("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)

    with pytest.raises(Throttled, match="reserved concurrency"):
        runner.invoke(arn, {})
    assert metrics.named("Throttles") == [(1, "Count", {"FunctionName": name})]
    assert metrics.named("Invocations") == []

    aws("lambda").delete_function_concurrency(FunctionName=name)
    assert runner.invoke(arn, {}).error is None
