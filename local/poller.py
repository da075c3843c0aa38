"""Event source mappings from DynamoDB streams to functions, run locally with Lambda's semantics.

`StreamPoller` reads every mapping's configuration through the emulator's Lambda API
(ListEventSourceMappings, re-read every `refresh_interval`, so creating, deleting, enabling, disabling or
updating a mapping takes effect) and the stream's records through the DynamoDB Streams API. It runs one
thread per mapping and shard, so records of a shard reach the function in order, one batch at a time, and
calls the function through an `Invoker`.

What it honours, as Lambda documents it for DynamoDB streams:
- Enabled/disabled: a disabled mapping reads nothing; enabled again, it resumes from its checkpoint.
- BatchSize, and MaximumBatchingWindowInSeconds: a batch goes out when it is full (BatchSize records, or
  as many as fit in Lambda's 6 MB invocation payload) or when the window, opened by its first record, has
  passed.
- StartingPosition: TRIM_HORIZON reads the shard from its oldest record; LATEST reads the records written
  after the poller first saw the mapping.
- FilterCriteria, matched by moto's EventBridge event-pattern matcher against each record as the function
  would receive it; a record that matches no filter is dropped (never delivered, never retried).
- MaximumRetryAttempts (-1: until the record is too old), BisectBatchOnFunctionError (a failed batch is
  split in halves, each processed in turn; splitting is not a retry), MaximumRecordAgeInSeconds (-1: no
  limit; older records are not delivered but sent to the on-failure destination), FunctionResponseTypes
  ReportBatchItemFailures (the records before the lowest reported sequence number succeeded; the rest is
  retried; a malformed response, or an itemIdentifier that is not in the batch, fails the whole batch),
  and DestinationConfig.OnFailure to an SQS queue or SNS topic (see local.destinations).
- An invoker that raises (the function could not be run) is retried without counting against the retry
  limit.

Not modelled: ParallelizationFactor (one batch per shard at a time, which keeps the stricter order),
TumblingWindowInSeconds.

The checkpoint of each mapping and shard (the sequence number of the last record it is done with) is kept
in `state_dir`/poller-checkpoints.json, written after each batch or part of a batch is done with, so a
new poller on the same state dir resumes where the last one stopped: a batch in flight when it stopped is
delivered again (Lambda's at-least-once delivery), and no record is skipped.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from local import client
from local.destinations import (
    RECORD_AGE_EXCEEDED,
    RETRY_ATTEMPTS_EXHAUSTED,
    Destinations,
    DiscardedBatch,
    failure_record,
)
from local.invoke import Invoker, InvokeResult

__all__ = ["CHECKPOINT_FILE", "Checkpoints", "InvokeResult", "Invoker", "MappingConfig", "StreamPoller"]

log = logging.getLogger(__name__)

CHECKPOINT_FILE = "poller-checkpoints.json"
TRIM_HORIZON = "TRIM_HORIZON"
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
GET_RECORDS_LIMIT = 1000  # DynamoDB Streams' maximum
MAX_EVENT_BYTES = 6 * 1024 * 1024  # Lambda's synchronous invocation payload limit: a batch ends before it
DESTINATION_ATTEMPTS = 3

_CLIENT_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"},
    connect_timeout=5,
    read_timeout=30,
)


@dataclass(frozen=True)
class MappingConfig:
    """The parts of a mapping's configuration that the poller acts on, with Lambda's defaults."""

    uuid: str
    function_arn: str
    stream_arn: str
    enabled: bool
    batch_size: int
    batching_window: float
    starting_position: str
    max_retry_attempts: int
    max_record_age: int
    bisect_on_error: bool
    report_item_failures: bool
    filters: tuple[Any, ...]  # moto.events.models.EventPattern; none means every record
    on_failure: str | None

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> MappingConfig:
        from moto.events.models import EventPattern

        patterns = tuple(
            EventPattern.load(f["Pattern"])
            for f in (raw.get("FilterCriteria") or {}).get("Filters") or []
            if f.get("Pattern")
        )
        return cls(
            uuid=raw["UUID"],
            function_arn=raw["FunctionArn"],
            stream_arn=raw["EventSourceArn"],
            enabled=raw.get("State") in ("Enabled", "Enabling", "Updating"),
            batch_size=int(raw.get("BatchSize") or 100),
            batching_window=float(raw.get("MaximumBatchingWindowInSeconds") or 0),
            starting_position=raw.get("StartingPosition") or TRIM_HORIZON,
            max_retry_attempts=int(raw.get("MaximumRetryAttempts", -1)),
            max_record_age=int(raw.get("MaximumRecordAgeInSeconds", -1)),
            bisect_on_error=bool(raw.get("BisectBatchOnFunctionError", False)),
            report_item_failures=REPORT_BATCH_ITEM_FAILURES in (raw.get("FunctionResponseTypes") or []),
            filters=patterns,
            on_failure=((raw.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"),
        )

    def selects(self, record: dict[str, Any]) -> bool:
        """Lambda event filtering: a record is delivered when any filter matches it (or there are none)."""
        return not self.filters or any(pattern.matches_event(record) for pattern in self.filters)


def is_dynamodb_stream(arn: str) -> bool:
    return arn.split(":")[2:3] == ["dynamodb"] and "/stream/" in arn


class Checkpoints:
    """Per mapping and shard, where reading resumes: after a sequence number, or at TRIM_HORIZON.

    Kept in memory, and in a JSON file when a path is given (rewritten whole and atomically on each change).
    """

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._positions: dict[str, dict[str, str]] = {}
        if path is not None and path.exists():
            self._positions = json.loads(path.read_text())

    def knows(self, mapping_uuid: str) -> bool:
        with self._lock:
            return mapping_uuid in self._positions

    def get(self, mapping_uuid: str, shard_id: str) -> str | None:
        with self._lock:
            return self._positions.get(mapping_uuid, {}).get(shard_id)

    def set(self, mapping_uuid: str, shard_id: str, position: str) -> None:
        with self._lock:
            self._positions.setdefault(mapping_uuid, {})[shard_id] = position
            if self._path is not None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self._path.with_name(f"{self._path.name}.{os.getpid()}.tmp")
                tmp.write_text(json.dumps(self._positions, indent=1, sort_keys=True))
                tmp.replace(self._path)


def _jsonable(value: Any) -> Any:
    # boto3 decodes binary attribute values to bytes; Lambda's event carries them base64-encoded.
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def lambda_record(raw: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record from GetRecords, shaped as Lambda delivers it to the function."""
    dynamodb = _jsonable(raw["dynamodb"])
    created = raw["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        # Epoch seconds rounded down, as in Lambda's event (GetRecords gives a timestamp).
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    record: dict[str, Any] = {
        "eventID": raw["eventID"],
        "eventName": raw["eventName"],
        "eventVersion": raw["eventVersion"],
        "eventSource": "aws:dynamodb",
        "awsRegion": raw.get("awsRegion") or stream_arn.split(":")[3],
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in raw:  # deletions by TTL
        record["userIdentity"] = raw["userIdentity"]
    return record


def _sequence(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


class _Abandon(Exception):
    """The batch in hand is given up without a checkpoint: poller stopping, mapping disabled or deleted."""


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    failed_from: int | None = None  # partial failure: index of the lowest reported record


def _outcome(result: InvokeResult, records: list[dict[str, Any]], config: MappingConfig) -> _Outcome:
    if result.error is not None:
        return _Outcome(ok=False)
    if not config.report_item_failures:
        return _Outcome(ok=True)
    response = result.payload
    if response is None or response == {}:
        return _Outcome(ok=True)
    if not isinstance(response, dict):
        return _Outcome(ok=False)
    failures = response.get("batchItemFailures")
    if not failures:  # missing, null or empty: complete success
        return _Outcome(ok=True)
    if not isinstance(failures, list):
        return _Outcome(ok=False)
    index = {_sequence(r): i for i, r in enumerate(records)}
    failed: list[int] = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in index:
            return _Outcome(ok=False)
        failed.append(index[identifier])
    return _Outcome(ok=False, failed_from=min(failed))


class _ShardWorker(threading.Thread):
    """Reads one shard for one mapping and delivers its records in order."""

    def __init__(self, poller: StreamPoller, mapping_uuid: str, stream_arn: str, shard_id: str) -> None:
        super().__init__(name=f"poller-{mapping_uuid[:8]}-{shard_id[-8:]}", daemon=True)
        self.poller = poller
        self.mapping_uuid = mapping_uuid
        self.stream_arn = stream_arn
        self.shard_id = shard_id
        self.parent_shard_id: str | None = None
        # LATEST applies to the shards the mapping starts with; shards that appear later are read whole.
        self.from_latest = False
        # Monotonic start of the last loop that read the mapping's configuration and found nothing to deliver
        # (disabled, or GetRecords returned nothing new); None while there is work in hand.
        self.idle_since: float | None = None
        self._loop_started = 0.0
        self.finished = False  # the shard is closed and every record of it is done with
        self._iterator: str | None = None
        self._buffer: deque[dict[str, Any]] = deque()
        self._last_fetched: str | None = None
        self._closed = False
        self._problem: str | None = None

    # -- main loop ------------------------------------------------------------------------------------------

    def run(self) -> None:
        stopping = self.poller._stopping
        while not stopping.is_set():
            self._loop_started = time.monotonic()
            config = self.poller.config(self.mapping_uuid)
            if config is None:
                return  # mapping deleted
            try:
                self._establish_start(config)
                if not config.enabled or not self.poller._parent_done(self):
                    self._restart_reading()
                    self.idle_since = self._loop_started
                    stopping.wait(self.poller.poll_interval)
                    continue
                batch = self._collect(config)
                if batch is None:
                    if self._closed:
                        self.finished = True
                        return
                    stopping.wait(self.poller.poll_interval)
                    continue
                records, end = batch
                self._process(records, retries=0, invokes=0, last=None)
                self._checkpoint(end)
            except _Abandon:
                self._restart_reading()
            except (ClientError, BotoCoreError) as error:
                self._report(f"reading {self.stream_arn} failed: {error}")
                self._restart_reading()
                stopping.wait(self.poller.poll_interval)
            except Exception:
                # A bug, not a state of the stream: start over from the checkpoint, without spinning.
                log.exception("%s: unexpected error", self.name)
                self._restart_reading()
                stopping.wait(self.poller.refresh_interval)

    def _report(self, problem: str) -> None:
        # A deleted table fails every poll: say so once per streak, not four times a second.
        if problem != self._problem:
            log.warning("%s: %s", self.name, problem)
        self._problem = problem

    # -- reading --------------------------------------------------------------------------------------------

    def _establish_start(self, config: MappingConfig) -> None:
        if self.poller.checkpoints.get(self.mapping_uuid, self.shard_id) is not None:
            return
        position = TRIM_HORIZON
        if self.from_latest:
            # "Records written after the poller first saw the mapping": remember the newest record now, so a
            # restarted poller does not skip what was written while it was down.
            position = self._newest_sequence() or TRIM_HORIZON
        self.poller.checkpoints.set(self.mapping_uuid, self.shard_id, position)

    def _newest_sequence(self) -> str | None:
        streams = self.poller._streams
        iterator = streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=self.shard_id, ShardIteratorType=TRIM_HORIZON
        ).get("ShardIterator")
        newest = None
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
            if not page["Records"]:
                break
            newest = _sequence(page["Records"][-1])
            iterator = page.get("NextShardIterator")
        return newest

    def _restart_reading(self) -> None:
        """Forget what was read ahead; the next read starts after the checkpoint."""
        self._iterator = None
        self._buffer.clear()
        self._last_fetched = None
        self._closed = False

    def _open_iterator(self) -> str | None:
        after = self._last_fetched or self.poller.checkpoints.get(self.mapping_uuid, self.shard_id)
        if after is None or after == TRIM_HORIZON:
            kwargs: dict[str, str] = {"ShardIteratorType": TRIM_HORIZON}
        else:
            kwargs = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        response = self.poller._streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=self.shard_id, **kwargs
        )
        return response.get("ShardIterator")

    def _fetch(self) -> int:
        """Reads the next page of the shard into the buffer; returns how many records it held."""
        if self._closed:
            return 0
        if self._iterator is None:
            self._iterator = self._open_iterator()
        if self._iterator is None:
            self._closed = True
            return 0
        try:
            page = self.poller._streams.get_records(ShardIterator=self._iterator, Limit=GET_RECORDS_LIMIT)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExpiredIteratorException":
                self._iterator = None  # reopened after the last record read
                return 0
            raise
        self._problem = None
        records = page.get("Records", [])
        self._buffer.extend(records)
        if records:
            self._last_fetched = _sequence(records[-1])
        self._iterator = page.get("NextShardIterator")
        if self._iterator is None:
            self._closed = True  # a closed shard's last page has no next iterator
        return len(records)

    def _collect(self, config: MappingConfig) -> tuple[list[dict[str, Any]], str] | None:
        """The next batch and the sequence number of the last record it accounts for (filtered-out records
        included), or None when there is nothing to deliver yet."""
        stopping = self.poller._stopping
        batch: list[dict[str, Any]] = []
        payload = len('{"Records": []}')
        full = False
        consumed: str | None = None
        window_ends = 0.0
        while True:
            while self._buffer and len(batch) < config.batch_size and not full:
                raw = self._buffer[0]
                record = lambda_record(raw, self.stream_arn)
                if config.selects(record):
                    size = len(json.dumps(record)) + 2
                    if batch and payload + size > MAX_EVENT_BYTES:
                        full = True  # this record opens the next batch
                        break
                    if not batch:
                        window_ends = time.monotonic() + config.batching_window
                    batch.append(record)
                    payload += size
                self._buffer.popleft()
                consumed = _sequence(raw)
            if full or len(batch) >= config.batch_size or (batch and time.monotonic() >= window_ends):
                break
            if self._fetch():
                self.idle_since = None
                continue
            if batch and not self._closed:
                if stopping.wait(min(self.poller.poll_interval, max(0.0, window_ends - time.monotonic()))):
                    raise _Abandon
                continue
            if batch:
                break
            if consumed is not None:
                self._checkpoint(consumed)  # every record read was filtered out
            self.idle_since = self._loop_started
            return None
        assert consumed is not None
        self.idle_since = None
        return batch, consumed

    # -- delivering -----------------------------------------------------------------------------------------

    def _live_config(self) -> MappingConfig:
        config = self.poller.config(self.mapping_uuid)
        if self.poller._stopping.is_set() or config is None or not config.enabled:
            raise _Abandon
        return config

    def _pause(self, seconds: float) -> None:
        if self.poller._stopping.wait(seconds):
            raise _Abandon

    def _process(
        self, records: list[dict[str, Any]], retries: int, invokes: int, last: InvokeResult | None
    ) -> None:
        """Delivers `records` until each is done with: delivered, or discarded to the on-failure destination.

        `retries` counts failed invocations of these records so far, `invokes` all invocations that held them.
        """
        service_errors = 0
        while True:
            config = self._live_config()
            expired = self._expired_prefix(records, config)
            if expired:
                self._discard(records[:expired], RECORD_AGE_EXCEEDED, invokes, last, config)
                self._checkpoint(_sequence(records[expired - 1]))
                records = records[expired:]
            if not records:
                return
            try:
                result = self.poller.invoker.invoke(config.function_arn, {"Records": records})
            except Exception as error:
                # Like a throttle or service error: the function never ran, so this is not a retry.
                if service_errors == 0:
                    log.exception("%s: could not invoke %s", self.name, config.function_arn)
                else:
                    log.warning("%s: could not invoke %s: %s", self.name, config.function_arn, error)
                service_errors += 1
                self._pause(self.poller.backoff(service_errors))
                continue
            invokes += 1
            last = result
            outcome = _outcome(result, records, config)
            if outcome.ok:
                self._checkpoint(_sequence(records[-1]))
                return
            if outcome.failed_from is not None:
                if outcome.failed_from > 0:
                    self._checkpoint(_sequence(records[outcome.failed_from - 1]))
                    records = records[outcome.failed_from :]
            elif config.bisect_on_error and len(records) > 1:
                half = len(records) // 2
                self._process(records[:half], retries, invokes, last)
                self._process(records[half:], retries, invokes, last)
                return
            retries += 1
            if 0 <= config.max_retry_attempts < retries:
                self._discard(records, RETRY_ATTEMPTS_EXHAUSTED, invokes, last, config)
                self._checkpoint(_sequence(records[-1]))
                return
            log.info(
                "%s: batch of %d failed (%s), retry %d",
                self.name,
                len(records),
                (result.error or {}).get("errorType", "partial failure"),
                retries,
            )
            self._pause(self.poller.backoff(retries))

    def _expired_prefix(self, records: list[dict[str, Any]], config: MappingConfig) -> int:
        if config.max_record_age < 0:
            return 0
        oldest_allowed = self.poller.clock() - config.max_record_age
        count = 0
        for record in records:
            if record["dynamodb"]["ApproximateCreationDateTime"] >= oldest_allowed:
                break
            count += 1
        return count

    def _discard(
        self,
        records: list[dict[str, Any]],
        condition: str,
        invokes: int,
        last: InvokeResult | None,
        config: MappingConfig,
    ) -> None:
        first, final = _sequence(records[0]), _sequence(records[-1])
        if config.on_failure is None:
            log.warning("%s: %s, discarding records %s..%s", self.name, condition, first, final)
            return
        document = failure_record(
            DiscardedBatch(
                function_arn=config.function_arn,
                stream_arn=self.stream_arn,
                shard_id=self.shard_id,
                records=records,
                condition=condition,
                invoke_count=invokes,
                last_result=last,
            ),
            now=self.poller.clock(),
        )
        for attempt in range(1, DESTINATION_ATTEMPTS + 1):
            try:
                self.poller._destinations.send(config.on_failure, document)
                log.info(
                    "%s: %s, records %s..%s sent to %s", self.name, condition, first, final, config.on_failure
                )
                return
            except (ClientError, BotoCoreError, ValueError) as error:
                log.warning("%s: sending to %s failed (%d): %s", self.name, config.on_failure, attempt, error)
                if isinstance(error, ValueError):
                    break
                self._pause(self.poller.backoff(attempt))
        log.error("%s: %s, records %s..%s lost: no destination took them", self.name, condition, first, final)

    def _checkpoint(self, sequence: str) -> None:
        self.poller.checkpoints.set(self.mapping_uuid, self.shard_id, sequence)


class StreamPoller:
    """Runs every DynamoDB stream event source mapping of the emulator at `endpoint` (see the module doc)."""

    def __init__(
        self,
        endpoint: str,
        invoker: Invoker,
        *,
        state_dir: Path | None = None,
        poll_interval: float = 0.25,
        refresh_interval: float = 1.0,
        retry_delay: float = 0.5,
        max_retry_delay: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`poll_interval`: pause between GetRecords calls on an idle shard (Lambda polls 4 times a second).
        `refresh_interval`: pause between reads of the mappings. Failed batches are retried after
        `retry_delay`, doubling up to `max_retry_delay`. `clock` gives the epoch time that record ages and
        failure records use."""
        self.invoker = invoker
        self.checkpoints = Checkpoints(state_dir / CHECKPOINT_FILE if state_dir else None)
        self.poll_interval = poll_interval
        self.refresh_interval = refresh_interval
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.clock = clock
        self._lambda = client("lambda", endpoint, _CLIENT_CONFIG)
        self._streams = client("dynamodbstreams", endpoint, _CLIENT_CONFIG)
        self._destinations = Destinations(
            client("sqs", endpoint, _CLIENT_CONFIG), client("sns", endpoint, _CLIENT_CONFIG)
        )
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._configs: dict[str, MappingConfig] = {}
        self._workers: dict[tuple[str, str], _ShardWorker] = {}
        # Monotonic times of the last complete read of the mappings: its start, and when workers could see it.
        self._refresh_started: float | None = None
        self._refresh_published = 0.0
        self._refresher: threading.Thread | None = None
        self._unreadable: set[str] = set()  # streams whose failure to describe has been logged
        self._seen: set[str] = set()  # mappings whose shards this poller has started reading

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._stopping.is_set():
            raise RuntimeError("a stopped StreamPoller does not start again: create a new one")
        if self._refresher is not None:
            return
        self._refresher = threading.Thread(target=self._refresh_loop, name="poller-mappings", daemon=True)
        self._refresher.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stops every thread; a batch whose invocation is running is given up once the invocation returns."""
        self._stopping.set()
        deadline = time.monotonic() + timeout
        with self._lock:
            threads: list[threading.Thread] = [*self._workers.values()]
        if self._refresher is not None:
            threads.append(self._refresher)
        for thread in threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            log.warning("poller threads still running after %.0fs (in an invocation): %s", timeout, stuck)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def drain(self, timeout: float) -> bool:
        """Waits until the mappings have been re-read and every shard has nothing left to deliver: each
        worker's latest GetRecords, started after this call, found nothing new. True when idle, False on
        timeout."""
        mark = time.monotonic()
        deadline = mark + timeout
        while time.monotonic() < deadline:
            if self._idle_since(mark):
                return True
            if self._stopping.wait(0.01):
                return False
        return self._idle_since(mark)

    # -- shared with the workers ----------------------------------------------------------------------------

    def config(self, mapping_uuid: str) -> MappingConfig | None:
        with self._lock:
            return self._configs.get(mapping_uuid)

    def backoff(self, attempt: int) -> float:
        return float(min(self.retry_delay * 2 ** max(0, attempt - 1), self.max_retry_delay))

    def _parent_done(self, worker: _ShardWorker) -> bool:
        """A child shard waits until its parent's records are all delivered (order holds across a split)."""
        if worker.parent_shard_id is None:
            return True
        with self._lock:
            parent = self._workers.get((worker.mapping_uuid, worker.parent_shard_id))
        return parent is None or parent.finished

    # -- mappings and shards --------------------------------------------------------------------------------

    def _idle_since(self, mark: float) -> bool:
        with self._lock:
            if self._refresh_started is None or self._refresh_started < mark:
                return False
            published = self._refresh_published
            workers = [w for w in self._workers.values() if w.is_alive()]
        # Each worker found nothing to do in a loop that began after the mappings were last re-read.
        return all(w.idle_since is not None and w.idle_since >= published for w in workers)

    def _refresh_loop(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                self._refresh(started)
            except (ClientError, BotoCoreError) as error:
                log.warning("reading event source mappings failed: %s", error)
            self._stopping.wait(self.refresh_interval)

    def _refresh(self, started: float) -> None:
        configs: dict[str, MappingConfig] = {}
        for page in self._lambda.get_paginator("list_event_source_mappings").paginate():
            for raw in page["EventSourceMappings"]:
                if not is_dynamodb_stream(raw.get("EventSourceArn", "")):
                    continue
                try:
                    configs[raw["UUID"]] = MappingConfig.from_api(raw)
                except Exception as error:  # moto's matcher rejects the pattern: the mapping cannot run
                    log.error("event source mapping %s has unusable FilterCriteria: %s", raw["UUID"], error)
        with self._lock:
            self._configs = configs
            published = time.monotonic()
        for config in configs.values():
            shards = self._shards(config.stream_arn)
            first_sight = not (config.uuid in self._seen or self.checkpoints.knows(config.uuid))
            for shard in shards:
                self._ensure_worker(config, shard, first_sight and config.starting_position == "LATEST")
            if shards:
                self._seen.add(config.uuid)
        with self._lock:
            self._refresh_started, self._refresh_published = started, published

    def _shards(self, stream_arn: str) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        kwargs: dict[str, str] = {}
        while True:
            try:
                description = self._streams.describe_stream(StreamArn=stream_arn, **kwargs)[
                    "StreamDescription"
                ]
            except ClientError as error:
                if stream_arn not in self._unreadable:
                    log.warning("describing stream %s failed: %s", stream_arn, error)
                self._unreadable.add(stream_arn)
                return shards
            self._unreadable.discard(stream_arn)
            shards.extend(description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            kwargs = {"ExclusiveStartShardId": last}

    def _ensure_worker(self, config: MappingConfig, shard: dict[str, Any], from_latest: bool) -> None:
        key = (config.uuid, shard["ShardId"])
        with self._lock:
            existing = self._workers.get(key)
            if existing is not None and (existing.is_alive() or existing.finished):
                return
            if self._stopping.is_set():
                return
            worker = _ShardWorker(self, config.uuid, config.stream_arn, shard["ShardId"])
            worker.parent_shard_id = shard.get("ParentShardId")
            worker.from_latest = from_latest
            self._workers[key] = worker
        worker.start()
