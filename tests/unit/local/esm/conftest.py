"""Fixtures for the stream poller's tests: a real table, stream and mapping in the emulator, and a fake
function."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.esm.poller import StreamPoller
from local.esm.worker import PollingSettings
from local.lambda_runtime.invoke import InvokeResult
from local.metrics import NO_METRICS, Metrics
from tests.unit.local.conftest import unique

DRAIN = 20.0  # generous bound on waiting for idleness; tests never assert on durations


Respond = Callable[[list[dict[str, Any]]], InvokeResult]


FAIL = InvokeResult(error={"errorType": "RuntimeError", "errorMessage": "boom", "stackTrace": []})


class FakeInvoker:
    """Records every event it is given and answers with `respond(records)`."""

    def __init__(self, respond: Respond | None = None) -> None:
        self.respond: Respond = respond or (lambda records: InvokeResult())
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def invoke(self, function_arn: str, payload: dict[str, Any]) -> InvokeResult:
        with self._lock:
            self.calls.append(
                (function_arn, json.loads(json.dumps(payload)))
            )  # as serialised to the function
        return self.respond(payload["Records"])

    @property
    def batches(self) -> list[list[str]]:
        """The `pk` of each record of each invocation, in invocation order."""
        return [[pk(r) for r in event["Records"]] for _, event in self.calls]


def fail_each_batch_once() -> Respond:
    """A function that fails a batch the first time it gets it, and succeeds when that batch comes again."""
    seen: set[str] = set()

    def respond(records: list[dict[str, Any]]) -> InvokeResult:
        key = ",".join(pk(r) for r in records)
        if key in seen:
            return InvokeResult()
        seen.add(key)
        return FAIL

    return respond


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DRAIN
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def pk(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["Keys"]["pk"]["S"])


def sequence_of(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


@dataclass
class Pipe:
    table: str
    stream_arn: str
    function_arn: str
    mapping_uuid: str


@pytest.fixture
def no_other_mappings(aws: Callable[[str], Any]) -> Iterator[None]:
    # Every poller runs every mapping in the emulator, which the whole session shares: each test that runs a
    # poller or creates a mapping starts and ends with none. (Not autouse: the pure tests need no emulator.)
    def delete_all() -> None:
        for page in aws("lambda").get_paginator("list_event_source_mappings").paginate():
            for mapping in page["EventSourceMappings"]:
                aws("lambda").delete_event_source_mapping(UUID=mapping["UUID"])

    delete_all()
    yield
    delete_all()


@pytest.fixture
def pipe(
    no_other_mappings: None,
    aws: Callable[[str], Any],
    stream_table: Callable[[], tuple[str, str]],
    function: Callable[[], str],
) -> Callable[..., Pipe]:
    """Creates a table with a stream, a function and a mapping between them with the given settings."""

    def create(**settings: Any) -> Pipe:
        table, stream_arn = stream_table()
        function_arn = function()
        settings.setdefault("StartingPosition", "TRIM_HORIZON")
        mapping = aws("lambda").create_event_source_mapping(
            EventSourceArn=stream_arn, FunctionName=function_arn, **settings
        )
        return Pipe(table, stream_arn, function_arn, mapping["UUID"])

    return create


@pytest.fixture
def write(aws: Callable[[str], Any]) -> Callable[..., None]:
    def put(table: str, *keys: str, **attributes: dict[str, Any]) -> None:
        for key in keys:
            item = {"pk": {"S": key}, "sk": {"S": "s"}, **attributes}
            aws("dynamodb").put_item(TableName=table, Item=item)

    return put


@pytest.fixture
def queue(aws: Callable[[str], Any]) -> Callable[[], tuple[str, str]]:
    """Creates an SQS queue; returns (url, ARN)."""

    def create() -> tuple[str, str]:
        url = aws("sqs").create_queue(QueueName=unique("dlq"))["QueueUrl"]
        arn = aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return str(url), str(arn)

    return create


@pytest.fixture
def messages(aws: Callable[[str], Any]) -> Callable[[str], list[dict[str, Any]]]:
    def receive(url: str) -> list[dict[str, Any]]:
        received = aws("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        return [json.loads(m["Body"]) for m in received.get("Messages", [])]

    return receive


@pytest.fixture
def run_poller(
    no_other_mappings: None, endpoint: str, tmp_path: Path
) -> Iterator[Callable[..., StreamPoller]]:
    started: list[StreamPoller] = []

    def start(invoker: FakeInvoker, metrics: Metrics = NO_METRICS, **settings: Any) -> StreamPoller:
        """A running poller; `settings` override the tests' quick PollingSettings."""
        quick = {"poll_interval": 0.05, "refresh_interval": 0.1, "retry_delay": 0.0}
        poller = StreamPoller(
            endpoint,
            invoker,
            state_dir=tmp_path,
            settings=PollingSettings(**{**quick, **settings}),
            metrics=metrics,
        )
        poller.start()
        started.append(poller)
        return poller

    yield start
    for poller in started:
        poller.stop()
