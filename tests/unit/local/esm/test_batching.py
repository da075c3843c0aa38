"""What the function receives: records shaped as Lambda delivers them, batched and filtered by the
mapping's settings."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.esm.checkpoints import CHECKPOINT_FILE
from local.esm.poller import StreamPoller
from tests.unit.local.esm.conftest import (
    DRAIN,
    FakeInvoker,
    Pipe,
    fail_each_batch_once,
    sequence_of,
)


def test_event_holds_records_as_lambda_delivers_them(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    p = pipe()
    write(p.table, "a", blob={"B": b"\x00\xff"}, n={"N": "10"})
    invoker = FakeInvoker()

    assert run_poller(invoker).drain(DRAIN)

    [(function_arn, event)] = invoker.calls
    assert function_arn == p.function_arn
    assert list(event) == ["Records"]
    [record] = event["Records"]
    assert set(record) == {
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    }
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"] == p.stream_arn
    dynamodb = record["dynamodb"]
    assert dynamodb["Keys"] == {"pk": {"S": "a"}, "sk": {"S": "s"}}
    assert dynamodb["NewImage"]["n"] == {"N": "10"}
    assert dynamodb["NewImage"]["blob"] == {"B": base64.b64encode(b"\x00\xff").decode()}
    assert dynamodb["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(dynamodb["ApproximateCreationDateTime"], int)  # epoch seconds, as Lambda sends
    assert abs(dynamodb["ApproximateCreationDateTime"] - time.time()) < 3600
    assert dynamodb["SequenceNumber"].isdigit()


def test_batch_size_limits_each_invocation(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    p = pipe(BatchSize=2)
    write(p.table, "a", "b", "c", "d", "e")
    invoker = FakeInvoker()

    assert run_poller(invoker).drain(DRAIN)

    assert invoker.batches == [["a", "b"], ["c", "d"], ["e"]]


def test_batch_ends_before_the_invocation_payload_limit(
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    p = pipe(BatchSize=100)
    write(p.table, "a", "b", "c", "d", "e", blob={"S": "x" * 1000})
    invoker = FakeInvoker()

    # A limit that holds two of these records (about 1.5 kB each as JSON) but not three
    assert run_poller(invoker, max_event_bytes=3500).drain(DRAIN)

    assert invoker.batches == [["a", "b"], ["c", "d"], ["e"]]
    assert all(len(json.dumps(event)) <= 3500 for _, event in invoker.calls)


def test_batching_window_waits_for_a_full_batch(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    # GIVEN a window far longer than the test, so only a full batch can end it
    p = pipe(BatchSize=3, MaximumBatchingWindowInSeconds=300)
    invoker = FakeInvoker()
    poller = run_poller(invoker)
    assert poller.drain(DRAIN)

    # WHEN two records arrive, THEN they wait in the open window (the poller never becomes idle)
    write(p.table, "a", "b")
    assert not poller.drain(1.0)
    assert invoker.calls == []

    # WHEN the third fills the batch, THEN the three go out together
    write(p.table, "c")
    assert poller.drain(DRAIN)
    assert invoker.batches == [["a", "b", "c"]]


def test_batching_window_sends_a_partial_batch_when_it_closes(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    p = pipe(BatchSize=10, MaximumBatchingWindowInSeconds=1)
    write(p.table, "a", "b")
    invoker = FakeInvoker()

    # An open window keeps the poller busy: idleness means the window closed and the batch went out unfilled.
    assert run_poller(invoker).drain(DRAIN)

    assert invoker.batches == [["a", "b"]]


def test_filter_criteria_drop_records_that_match_no_pattern(
    aws: Callable[[str], Any],
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
    tmp_path: Path,
) -> None:
    # GIVEN two filters (Lambda delivers a record that matches either), one with a prefix rule
    keep = {"dynamodb": {"NewImage": {"kind": {"S": ["keep"]}}}}
    prefixed = {"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "vip-"}]}}}}
    p = pipe(FilterCriteria={"Filters": [{"Pattern": json.dumps(keep)}, {"Pattern": json.dumps(prefixed)}]})
    write(p.table, "a", kind={"S": "keep"})
    write(p.table, "b", kind={"S": "drop"})
    write(p.table, "vip-c", kind={"S": "drop"})
    write(p.table, "d", kind={"S": "drop"})
    # AND a function that fails every batch once: dropped records must not come back with the retry
    invoker = FakeInvoker(fail_each_batch_once())

    assert run_poller(invoker).drain(DRAIN)

    assert invoker.batches == [["a", "vip-c"], ["a", "vip-c"]]
    # The dropped "d", last in the shard, is done with too: the checkpoint is at it.
    streams = aws("dynamodbstreams")
    [shard] = streams.describe_stream(StreamArn=p.stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=p.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    d = streams.get_records(ShardIterator=iterator)["Records"][-1]
    checkpoints = json.loads((tmp_path / CHECKPOINT_FILE).read_text())[p.mapping_uuid]
    assert checkpoints == {shard["ShardId"]: sequence_of(d)}
