"""The Lambda entry point, wired from the environment Terraform sets (an SQS destination here)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from redrive import handler
from redrive.request import InvalidRequest

from tests.fixtures import logs
from tests.unit.redrive.conftest import ENVIRONMENT, Clients, FakeConsumer, StreamTable


@pytest.fixture
def wired(queue_url: str, consumer: FakeConsumer, monkeypatch: pytest.MonkeyPatch) -> FakeConsumer:
    # The queue the handler reads is the one from the environment; only the Lambda invoke is faked.
    assert queue_url == ENVIRONMENT["FAILURE_QUEUE_URL"]
    monkeypatch.setattr(handler, "invoker", consumer)
    return consumer


def test_dry_run_then_redrive_through_the_handler(
    wired: FakeConsumer,
    table: StreamTable,
    clients: Clients,
    queue_url: str,
    lambda_context: Any,
    redrive_logs: logs.CapturedLogs,
) -> None:
    table.put("a", "b")
    clients.sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(table.pointer(0, 1)))

    rehearsal = handler.lambda_handler({"dry_run": True}, lambda_context)
    real = handler.lambda_handler({}, lambda_context)

    assert (rehearsal["found"], rehearsal["replayed"], rehearsal["dry_run"]) == (1, 0, True)
    assert (real["found"], real["replayed"], real["dry_run"]) == (1, 1, False)
    assert len(wired.events) == 1
    # JSON lines only: per run, one line per batch with its outcome and one summary line
    lines = redrive_logs.lines()
    assert [line["message"] for line in lines] == [
        "redrive batch",
        "redrive summary",
        "redrive batch",
        "redrive summary",
    ]
    batch_line = lines[2]
    assert batch_line["level"] == "INFO"
    assert batch_line["service"] == "products-redrive"
    assert (batch_line["status"], batch_line["shardId"], batch_line["batchSize"]) == (
        "replayed",
        table.shard_id,
        2,
    )
    assert lines[3]["replayed"] == 1
    assert lines[3]["found"] == 1
    assert lines[3]["dry_run"] is False


def test_invalid_request_fails_with_a_clear_error(wired: FakeConsumer, lambda_context: Any) -> None:
    with pytest.raises(InvalidRequest, match="dry_run must be true or false"):
        handler.lambda_handler({"dry_run": "yes"}, lambda_context)
    assert wired.events == []
