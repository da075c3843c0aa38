"""Faults in the consumer and its poller, counted: each record written is processed or sent to the on-failure
destination.

Each test writes a few items, several versions each, straight to the table, reads back from the stream every
record those writes made (the count must match), injects a fault through the suite's RECORD_HANDLER
(plugins/e2e_poison.py, selected by a marker in the item's name) and waits until each record is either
processed (its "stream record" line in the consumer's log group) or covered by the sequence range of a
failed batch in the on-failure destination (the S3 bucket by default, whose objects also hold the records).
The records of one item must be processed in stream order: no record is processed for the first time before an
earlier record of its item.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from local.esm.poller import StreamPoller
from tests.e2e.conftest import PATIENCE_S, TARGET, Stack, eventually, payload_records

pytestmark = pytest.mark.e2e

VERSIONS = 3  # writes per item: an INSERT and two MODIFYs
FAULT_PATIENCE_S = PATIENCE_S * 3  # retries back off, and a timeout or exit costs a cold start
SHORT_TIMEOUT_S = 3


@dataclass(frozen=True)
class Written:
    """A stream record that one of the test's writes made."""

    shard: str
    sequence: int
    pk: str
    name: str


@dataclass
class Outcome:
    processed: list[tuple[str, int]]  # (PK, sequence number) of each "stream record" line, in log order
    # S3 key or SQS message ID -> DDBStreamBatchInfo of each failed batch in the on-failure destination
    failed_batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    # S3 key -> sequence numbers of the records the batch's payload holds (S3 destination only)
    payloads: dict[str, list[int]] = field(default_factory=dict)

    def in_failed_batch(self, record: Written) -> bool:
        return any(covers(info, record) for info in self.failed_batches.values())


def covers(info: dict[str, Any], record: Written) -> bool:
    """Whether a failed batch's DDBStreamBatchInfo names the record: same shard, within its range."""
    return info["shardId"] == record.shard and int(info["startSequenceNumber"]) <= record.sequence <= int(
        info["endSequenceNumber"]
    )


class Faults:
    """Writes an experiment's items and accounts for their records."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.run = uuid.uuid4().hex[:8]
        self.table = stack.outputs["table_name"]
        mapping = stack.aws("lambda").get_event_source_mapping(
            UUID=stack.outputs["event_source_mapping_uuid"]
        )
        self.stream_arn: str = mapping["EventSourceArn"]
        self.names: dict[str, str] = {}  # PK -> item name
        self.outcome = Outcome(processed=[])

    def item_names(self, *markers: str, plain: int) -> list[str]:
        return [f"faults-{self.run}-{index}" for index in range(plain)] + [
            f"faults-{self.run}-{marker}" for marker in markers
        ]

    def write(self, names: list[str], versions: range) -> None:
        """Version by version; all first versions in one request, so that their records share a batch."""
        for name in names:
            self.names.setdefault(f"Product#{uuid.uuid5(uuid.NAMESPACE_URL, name)}", name)
        by_name = {name: pk for pk, name in self.names.items()}
        dynamodb = self.stack.aws("dynamodb")
        for version in versions:
            items = [self._item(by_name[name], name, version) for name in names]
            if version == 1:
                dynamodb.batch_write_item(
                    RequestItems={self.table: [{"PutRequest": {"Item": item}} for item in items]}
                )
            else:
                for item in items:
                    dynamodb.put_item(TableName=self.table, Item=item)

    @staticmethod
    def _item(pk: str, name: str, version: int) -> dict[str, Any]:
        return {
            "PK": {"S": pk},
            "SK": {"S": "User#Product"},
            "name": {"S": name},
            "price": {"N": str(version)},
            "category": {"S": "faults"},
            "version": {"N": str(version)},
        }

    def written(self) -> list[Written]:
        """Every record of this experiment's items in the stream, oldest first per shard."""
        streams = self.stack.aws("dynamodbstreams")
        records: list[Written] = []
        shards = streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            iterator = streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            ).get("ShardIterator")
            while iterator:
                page = streams.get_records(ShardIterator=iterator, Limit=1000)
                for record in page["Records"]:
                    pk = record["dynamodb"]["Keys"]["PK"]["S"]
                    if pk in self.names:
                        sequence = int(record["dynamodb"]["SequenceNumber"])
                        records.append(Written(shard["ShardId"], sequence, pk, self.names[pk]))
                if not page["Records"]:
                    break
                iterator = page.get("NextShardIterator")
        return records

    def observe(self) -> Outcome:
        self.outcome.processed = [
            (line["keys"]["PK"], int(line["sequenceNumber"]))
            for line in self.stack.consumer_lines()
            if line.get("keys", {}).get("PK") in self.names
        ]
        for source, document in self.stack.failed_batches().items():
            info = document.get("DDBStreamBatchInfo", {})
            if info.get("streamArn") == self.stream_arn:
                self.outcome.failed_batches[source] = info
                if "payload" in document:  # type s3: the batch's records themselves
                    self.outcome.payloads[source] = [
                        int(record["dynamodb"]["SequenceNumber"]) for record in payload_records(document)
                    ]
        return self.outcome

    def unaccounted(self, written: list[Written]) -> list[Written]:
        outcome = self.observe()
        processed = {sequence for _, sequence in outcome.processed}
        return [r for r in written if r.sequence not in processed and not outcome.in_failed_batch(r)]

    def await_all(self, written: list[Written]) -> Outcome:
        """Waits until every written record is processed or in a failed batch; fails naming the missing
        ones."""
        eventually(
            lambda: not self.unaccounted(written) or None,
            timeout=FAULT_PATIENCE_S,
            what="every record processed or in the on-failure destination",
        )
        return self.outcome

    def take_failed_batches(self, written: list[Written]) -> list[dict[str, Any]]:
        """This experiment's failed batches, deleted from the destination (later tests read it too)."""
        ours = {
            source: info
            for source, info in self.outcome.failed_batches.items()
            if any(covers(info, record) for record in written)
        }
        for source in ours:
            self.stack.remove_failed_batch(source)
            del self.outcome.failed_batches[source]
            self.outcome.payloads.pop(source, None)
        return list(ours.values())

    def fault_lines(self, fault: str) -> list[dict[str, Any]]:
        return [
            line
            for line in self.stack.consumer_lines("fault injected")
            if line["fault"] == fault and line["name"].startswith(f"faults-{self.run}-")
        ]


def assert_in_order_per_item(written: list[Written], outcome: Outcome) -> None:
    """No record is processed for the first time before the first processing of an earlier one of its item."""
    first_seen: dict[str, list[int]] = {}
    seen: set[int] = set()
    for pk, sequence in outcome.processed:
        if sequence not in seen:
            seen.add(sequence)
            first_seen.setdefault(pk, []).append(sequence)
    for pk, sequences in first_seen.items():
        assert sequences == sorted(sequences), f"{pk} processed out of order: {sequences}"
    for pk in {record.pk for record in written}:
        assert set(first_seen.get(pk, [])) <= {r.sequence for r in written if r.pk == pk}


@pytest.fixture
def faults(stack: Stack) -> Iterator[Faults]:
    experiment = Faults(stack)
    yield experiment
    if TARGET == "local":  # the plugin's first-delivery files, in the host's temporary directory
        directory = Path(tempfile.gettempdir()) / f"{stack.outputs['consumer_function_name']}-faults"
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def short_consumer_timeout(stack: Stack) -> Iterator[int]:
    """The consumer's timeout lowered for one test, so that a record that outlasts it costs seconds."""
    functions = stack.aws("lambda")
    name = stack.outputs["consumer_function_name"]
    original = functions.get_function_configuration(FunctionName=name)["Timeout"]
    functions.update_function_configuration(FunctionName=name, Timeout=SHORT_TIMEOUT_S)
    functions.get_waiter("function_updated").wait(FunctionName=name)
    try:
        yield SHORT_TIMEOUT_S
    finally:
        functions.update_function_configuration(FunctionName=name, Timeout=original)
        functions.get_waiter("function_updated").wait(FunctionName=name)


def test_failing_records_go_to_the_on_failure_destination_and_the_rest_is_processed(
    stack: Stack, faults: Faults
) -> None:
    names = faults.item_names("POISON", plain=4)
    faults.write(names, range(1, VERSIONS + 1))
    written = faults.written()
    assert len(written) == len(names) * VERSIONS

    outcome = faults.await_all(written)

    processed = {sequence for _, sequence in outcome.processed}
    poisoned = [record for record in written if "POISON" in record.name]
    assert not processed & {record.sequence for record in poisoned}
    assert all(outcome.in_failed_batch(record) for record in poisoned)
    assert all(record.sequence in processed for record in written if "POISON" not in record.name)
    assert_in_order_per_item(written, outcome)
    for source, sequences in outcome.payloads.items():  # S3: the object holds exactly the batch's records
        assert len(sequences) == outcome.failed_batches[source]["batchSize"]
    if outcome.payloads:
        in_payloads = {sequence for sequences in outcome.payloads.values() for sequence in sequences}
        assert {record.sequence for record in poisoned} <= in_payloads
    failed = faults.take_failed_batches(written)
    assert failed
    assert sum(info["batchSize"] for info in failed) >= len(poisoned)


def test_a_timed_out_batch_is_retried_and_nothing_is_lost(
    stack: Stack, faults: Faults, short_consumer_timeout: int
) -> None:
    names = faults.item_names("SLEEP-ONCE", plain=3)
    faults.write(names, range(1, VERSIONS + 1))
    written = faults.written()
    assert len(written) == len(names) * VERSIONS

    outcome = faults.await_all(written)

    assert_in_order_per_item(written, outcome)
    sleepers = {record.sequence for record in written if "SLEEP-ONCE" in record.name}
    injected = {int(line["sequenceNumber"]) for line in faults.fault_lines("sleep")}
    assert injected, "no record outlasted the timeout"
    assert injected <= sleepers
    if TARGET == "local":  # the first delivery timed out, the retry went through: no failed batch
        assert injected == sleepers
        assert {sequence for _, sequence in outcome.processed} >= {record.sequence for record in written}
    faults.take_failed_batches(written)


def test_a_consumer_that_kills_its_process_is_retried_and_nothing_is_lost(
    stack: Stack, faults: Faults
) -> None:
    names = faults.item_names("EXIT-ONCE", plain=3)
    faults.write(names, range(1, VERSIONS + 1))
    written = faults.written()
    assert len(written) == len(names) * VERSIONS

    outcome = faults.await_all(written)

    assert_in_order_per_item(written, outcome)
    exiters = {record.sequence for record in written if "EXIT-ONCE" in record.name}
    injected = {int(line["sequenceNumber"]) for line in faults.fault_lines("exit")}
    assert injected, "no record ended the runtime process"
    assert injected <= exiters
    if TARGET == "local":
        assert injected == exiters
        assert {sequence for _, sequence in outcome.processed} >= {record.sequence for record in written}
    faults.take_failed_batches(written)


def test_a_restarted_poller_resumes_from_its_checkpoint(stack: Stack, faults: Faults) -> None:
    if stack.services is None or stack.state_dir is None:
        pytest.skip("restarting the poller needs the local target's poller")
    services = stack.services
    names = faults.item_names(plain=4)
    # GIVEN records being delivered
    faults.write(names, range(1, 3))
    eventually(lambda: faults.observe().processed, what="the first of the records to be processed")

    # WHEN the poller stops mid-stream, more is written while it is down, and a new poller starts
    services.poller.stop()
    logged_before = _logged_sequences(stack)
    faults.write(names, range(3, VERSIONS + 2))
    services.poller = StreamPoller(
        stack.endpoint or "", services.runner, state_dir=stack.state_dir, metrics=services.metrics
    )
    services.poller.start()

    # THEN every record is processed, in order per item
    written = faults.written()
    assert len(written) == len(names) * (VERSIONS + 1)
    outcome = faults.await_all(written)
    assert {sequence for _, sequence in outcome.processed} >= {record.sequence for record in written}
    assert not outcome.failed_batches
    assert_in_order_per_item(written, outcome)
    # AND the new poller resumed from the checkpoint: at most the batch in flight at the stop came again,
    # nothing that earlier tests wrote
    logged_after = _logged_sequences(stack)
    repeated = {
        sequence for sequence, count in logged_before.items() if logged_after.get(sequence, 0) > count
    }
    assert repeated <= {record.sequence for record in written}


def _logged_sequences(stack: Stack) -> dict[int, int]:
    counts: dict[int, int] = {}
    for line in stack.consumer_lines():
        sequence = int(line["sequenceNumber"])
        counts[sequence] = counts.get(sequence, 0) + 1
    return counts
