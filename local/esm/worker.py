"""The shard worker: one thread per mapping and shard, delivering the shard's records in order.

A worker is given everything it works with: its shard's reader, the invoker that runs the function, the
on-failure destinations, the checkpoints, a way to read the mapping's current configuration, and where to
publish metrics. It owns its thread (`start`, `stop`, `join`) and the pauses between attempts
(`PollingSettings.backoff`). What an invocation decided about a batch is local.esm.outcome's to say.

Metrics, as Lambda publishes them for a stream mapping (AWS/Lambda): IteratorAge (Milliseconds: how old the
last record of an invocation's batch was when it was sent) and DestinationDeliveryFailures (one per failed
attempt to send to the on-failure destination), by FunctionName; and, only when the mapping's MetricsConfig
asks for EventCount, the event counts by EventSourceMappingUUID: PolledEventCount (records read),
FilteredOutEventCount, InvokedEventCount (records in each invocation attempt, retries included),
FailedInvokeEventCount (records of attempts that failed, or the records after the lowest reported item
failure), DroppedEventCount (records given up: too old or out of retries) and
OnFailureDestinationDeliveredEventCount.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local.esm.checkpoints import Checkpoints
from local.esm.config import TRIM_HORIZON, MappingConfig
from local.esm.outcome import batch_outcome, expired_count
from local.esm.reader import ShardReader
from local.esm.records import (
    EMPTY_EVENT_BYTES,
    MAX_EVENT_BYTES,
    lambda_record,
    sequence_number,
    size_in_event,
)
from local.esm.senders import RECORD_AGE_EXCEEDED, RETRY_ATTEMPTS_EXHAUSTED, DiscardedBatch, Sender
from local.lambda_runtime.invoke import Invoker, InvokeResult
from local.metrics import COUNT, LAMBDA_NAMESPACE, MILLISECONDS, NO_METRICS, Metrics, put_function_metric

log = logging.getLogger(__name__)

DESTINATION_ATTEMPTS = 3


@dataclass(frozen=True)
class PollingSettings:
    """How often and how patiently the poller and its workers act.

    `poll_interval`: pause between GetRecords calls on an idle shard (Lambda polls 4 times a second).
    `refresh_interval`: pause between reads of the mappings. Failed batches are retried after `retry_delay`,
    doubling up to `max_retry_delay`. `max_event_bytes`: a batch ends before its event would exceed it.
    `clock` gives the epoch time that record ages and failure records use."""

    poll_interval: float = 0.25
    refresh_interval: float = 1.0
    retry_delay: float = 0.5
    max_retry_delay: float = 10.0
    max_event_bytes: int = MAX_EVENT_BYTES
    clock: Callable[[], float] = time.time

    def backoff(self, attempt: int) -> float:
        """The pause before attempt `attempt + 1`, after `attempt` failed ones."""
        return float(min(self.retry_delay * 2 ** max(0, attempt - 1), self.max_retry_delay))


class Abandon(Exception):
    """The batch in hand is given up without a checkpoint: worker stopping, mapping disabled or deleted."""


class ShardWorker(threading.Thread):
    """Reads one shard for one mapping and delivers its records in order.

    `mapping()` is the mapping's current configuration (None once it is deleted). `may_read()` says whether
    the shard may be read yet: a child shard waits until its parent's records are all delivered.
    `from_latest`: the shard starts at LATEST (the shards a mapping starts with), not at TRIM_HORIZON.
    """

    def __init__(
        self,
        mapping_uuid: str,
        reader: ShardReader,
        invoker: Invoker,
        destinations: Sender,
        *,
        mapping: Callable[[], MappingConfig | None],
        checkpoints: Checkpoints,
        settings: PollingSettings,
        may_read: Callable[[], bool] = lambda: True,
        from_latest: bool = False,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        super().__init__(name=f"poller-{mapping_uuid[:8]}-{reader.shard_id[-8:]}", daemon=True)
        self.mapping_uuid = mapping_uuid
        self.shard_id = reader.shard_id
        self.stream_arn = reader.stream_arn
        self._reader = reader
        self._invoker = invoker
        self._destinations = destinations
        self._mapping = mapping
        self._checkpoints = checkpoints
        self._settings = settings
        self._may_read = may_read
        self._from_latest = from_latest
        self._metrics = metrics
        self._stopping = threading.Event()
        # Monotonic start of the last loop that read the mapping's configuration and found nothing to deliver
        # (disabled, or GetRecords returned nothing new); None while there is work in hand.
        self.idle_since: float | None = None
        self._loop_started = 0.0
        self.finished = False  # the shard is closed and every record of it is done with
        self._problem: str | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Asks the thread to end; a batch whose invocation is running is given up once it returns."""
        self._stopping.set()

    def run(self) -> None:
        stopping = self._stopping
        while not stopping.is_set():
            self._loop_started = time.monotonic()
            config = self._mapping()
            if config is None:
                return  # mapping deleted
            try:
                self._establish_start()
                if not config.enabled or not self._may_read():
                    self._reader.restart()
                    self.idle_since = self._loop_started
                    stopping.wait(self._settings.poll_interval)
                    continue
                batch = self._collect(config)
                if batch is None:
                    if self._reader.closed:
                        self.finished = True
                        return
                    stopping.wait(self._settings.poll_interval)
                    continue
                records, end = batch
                self._process(records, retries=0, invokes=0, last=None)
                self._checkpoint(end)
            except Abandon:
                self._reader.restart()
            except (ClientError, BotoCoreError) as error:
                self._report(f"reading {self.stream_arn} failed: {error}")
                self._reader.restart()
                stopping.wait(self._settings.poll_interval)
            except Exception:
                # A bug, not a state of the stream: start over from the checkpoint, without spinning.
                log.exception("%s: unexpected error", self.name)
                self._reader.restart()
                stopping.wait(self._settings.refresh_interval)

    def _report(self, problem: str) -> None:
        # A deleted table fails every poll: say so once per streak, not four times a second.
        if problem != self._problem:
            log.warning("%s: %s", self.name, problem)
        self._problem = problem

    def _pause(self, seconds: float) -> None:
        if self._stopping.wait(seconds):
            raise Abandon

    # -- reading --------------------------------------------------------------------------------------------

    def _establish_start(self) -> None:
        if self._checkpoints.get(self.mapping_uuid, self.shard_id) is not None:
            return
        position = TRIM_HORIZON
        if self._from_latest:
            # "Records written after the poller first saw the mapping": remember the newest record now, so a
            # restarted poller does not skip what was written while it was down.
            position = self._reader.newest_sequence() or TRIM_HORIZON
        self._checkpoint(position)

    def _fetch(self) -> int:
        fetched = self._reader.fetch(self._checkpoints.get(self.mapping_uuid, self.shard_id))
        self._problem = None
        return fetched

    def _collect(self, config: MappingConfig) -> tuple[list[dict[str, Any]], str] | None:
        """The next batch and the sequence number of the last record it accounts for (filtered-out records
        included), or None when there is nothing to deliver yet."""
        reader = self._reader
        batch: list[dict[str, Any]] = []
        payload = EMPTY_EVENT_BYTES
        full = False
        consumed: str | None = None
        window_ends = 0.0
        polled = filtered = 0
        while True:
            while (raw := reader.peek()) is not None and len(batch) < config.batch_size and not full:
                record = lambda_record(raw, self.stream_arn)
                selected = config.selects(record)
                if selected:
                    size = size_in_event(record)
                    if batch and payload + size > self._settings.max_event_bytes:
                        full = True  # this record opens the next batch
                        break
                    if not batch:
                        window_ends = time.monotonic() + config.batching_window
                    batch.append(record)
                    payload += size
                reader.take()
                polled += 1
                filtered += not selected
                consumed = sequence_number(raw)
            if full or len(batch) >= config.batch_size or (batch and time.monotonic() >= window_ends):
                break
            if self._fetch():
                self.idle_since = None
                continue
            if batch and not reader.closed:
                self._pause(min(self._settings.poll_interval, max(0.0, window_ends - time.monotonic())))
                continue
            if batch:
                break
            self._count(config, "PolledEventCount", polled)
            self._count(config, "FilteredOutEventCount", filtered)
            if consumed is not None:
                self._checkpoint(consumed)  # every record read was filtered out
            self.idle_since = self._loop_started
            return None
        assert consumed is not None
        self._count(config, "PolledEventCount", polled)
        self._count(config, "FilteredOutEventCount", filtered)
        self.idle_since = None
        return batch, consumed

    # -- delivering -----------------------------------------------------------------------------------------

    def _live_config(self) -> MappingConfig:
        config = self._mapping()
        if self._stopping.is_set() or config is None or not config.enabled:
            raise Abandon
        return config

    def _process(
        self, records: list[dict[str, Any]], retries: int, invokes: int, last: InvokeResult | None
    ) -> None:
        """Delivers `records` until each is done with: delivered, or discarded to the on-failure destination.

        `retries` counts failed invocations of these records so far, `invokes` all invocations that held them.
        """
        service_errors = 0
        while True:
            config = self._live_config()
            expired = expired_count(records, config.max_record_age, self._settings.clock())
            if expired:
                self._discard(records[:expired], RECORD_AGE_EXCEEDED, invokes, last, config)
                self._checkpoint(sequence_number(records[expired - 1]))
                records = records[expired:]
            if not records:
                return
            self._count(config, "InvokedEventCount", len(records))
            try:
                result = self._invoker.invoke(config.function_arn, {"Records": records})
            except Exception as error:
                self._count(config, "FailedInvokeEventCount", len(records))
                # Like a throttle or service error: the function never ran, so this is not a retry.
                if service_errors == 0:
                    log.exception("%s: could not invoke %s", self.name, config.function_arn)
                else:
                    log.warning("%s: could not invoke %s: %s", self.name, config.function_arn, error)
                service_errors += 1
                self._pause(self._settings.backoff(service_errors))
                continue
            invokes += 1
            last = result
            self._iterator_age(config, records[-1])
            outcome = batch_outcome(result, records, config.report_item_failures)
            if not outcome.ok:
                self._count(config, "FailedInvokeEventCount", len(records) - (outcome.failed_from or 0))
            if outcome.ok:
                self._checkpoint(sequence_number(records[-1]))
                return
            if outcome.failed_from is not None:
                if outcome.failed_from > 0:
                    self._checkpoint(sequence_number(records[outcome.failed_from - 1]))
                    records = records[outcome.failed_from :]
            elif config.bisect_on_error and len(records) > 1:
                half = len(records) // 2
                self._process(records[:half], retries, invokes, last)
                self._process(records[half:], retries, invokes, last)
                return
            retries += 1
            if 0 <= config.max_retry_attempts < retries:
                self._discard(records, RETRY_ATTEMPTS_EXHAUSTED, invokes, last, config)
                self._checkpoint(sequence_number(records[-1]))
                return
            log.info(
                "%s: batch of %d failed (%s), retry %d",
                self.name,
                len(records),
                (result.error or {}).get("errorType", "partial failure"),
                retries,
            )
            self._pause(self._settings.backoff(retries))

    def _discard(
        self,
        records: list[dict[str, Any]],
        condition: str,
        invokes: int,
        last: InvokeResult | None,
        config: MappingConfig,
    ) -> None:
        first, final = sequence_number(records[0]), sequence_number(records[-1])
        self._count(config, "DroppedEventCount", len(records))
        if config.on_failure is None:
            log.warning("%s: %s, discarding records %s..%s", self.name, condition, first, final)
            return
        batch = DiscardedBatch(
            mapping_uuid=self.mapping_uuid,
            function_arn=config.function_arn,
            stream_arn=self.stream_arn,
            shard_id=self.shard_id,
            records=records,
            condition=condition,
            invoke_count=invokes,
            last_result=last,
            discarded_at=self._settings.clock(),
        )
        for attempt in range(1, DESTINATION_ATTEMPTS + 1):
            try:
                self._destinations.send(config.on_failure, batch)
                self._count(config, "OnFailureDestinationDeliveredEventCount", len(records))
                log.info(
                    "%s: %s, records %s..%s sent to %s", self.name, condition, first, final, config.on_failure
                )
                return
            except (ClientError, BotoCoreError, ValueError) as error:
                log.warning("%s: sending to %s failed (%d): %s", self.name, config.on_failure, attempt, error)
                put_function_metric(self._metrics, config.function_arn, "DestinationDeliveryFailures", 1)
                if isinstance(error, ValueError):
                    break
                self._pause(self._settings.backoff(attempt))
        log.error("%s: %s, records %s..%s lost: no destination took them", self.name, condition, first, final)

    # -- metrics --------------------------------------------------------------------------------------------

    def _count(self, config: MappingConfig, name: str, count: int) -> None:
        if config.event_count_metrics and count:
            dimensions = {"EventSourceMappingUUID": self.mapping_uuid}
            self._metrics.put(LAMBDA_NAMESPACE, name, count, COUNT, dimensions)

    def _iterator_age(self, config: MappingConfig, last_record: dict[str, Any]) -> None:
        created = float(last_record["dynamodb"]["ApproximateCreationDateTime"])
        age_ms = max(0.0, (self._settings.clock() - created) * 1000)
        put_function_metric(self._metrics, config.function_arn, "IteratorAge", round(age_ms), MILLISECONDS)

    def _checkpoint(self, position: str) -> None:
        self._checkpoints.set(self.mapping_uuid, self.shard_id, position)
