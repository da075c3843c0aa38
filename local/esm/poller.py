"""Event source mappings from DynamoDB streams to functions, run locally with Lambda's semantics.

`StreamPoller` reads every mapping's configuration through the emulator's Lambda API
(ListEventSourceMappings, re-read every `refresh_interval`, so creating, deleting, enabling, disabling or
updating a mapping takes effect) and the stream's records through the DynamoDB Streams API. It runs one
thread per mapping and shard, so records of a shard reach the function in order, one batch at a time, and
calls the function through an `Invoker`. This module finds the mappings and shards and starts a
`ShardWorker` (local.esm.worker) for each, giving it its shard's reader, the invoker and the on-failure
destinations.

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
  and DestinationConfig.OnFailure to an S3 bucket, SQS queue or SNS topic (see local.esm.senders).
- MetricsConfig EventCount: the mapping's event count metrics (see local.esm.worker).
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

import functools
import logging
import threading
import time
from pathlib import Path
from typing import Any, Self

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from local import client
from local.esm import senders
from local.esm.checkpoints import CHECKPOINT_FILE, Checkpoints
from local.esm.config import LATEST, MappingConfig, is_dynamodb_stream
from local.esm.reader import ShardReader
from local.esm.worker import PollingSettings, ShardWorker
from local.lambda_runtime.invoke import Invoker
from local.lifecycle import Lifecycle
from local.metrics import NO_METRICS, Metrics

log = logging.getLogger(__name__)

_CLIENT_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"},
    connect_timeout=5,
    read_timeout=30,
)


class StreamPoller(Lifecycle):
    """Runs every DynamoDB stream event source mapping of the emulator at `endpoint` (see the module doc)."""

    def __init__(
        self,
        endpoint: str,
        invoker: Invoker,
        *,
        state_dir: Path | None = None,
        settings: PollingSettings | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        """`state_dir` keeps the checkpoints (in memory only without it); `settings`: timings, event size
        limit and clock (PollingSettings' defaults are Lambda's); `metrics`: where the workers publish the
        mappings' metrics (see local.esm.worker)."""
        self.metrics = metrics
        self.invoker = invoker
        self.checkpoints = Checkpoints(state_dir / CHECKPOINT_FILE if state_dir else None)
        self.settings = settings or PollingSettings()
        self._lambda = client("lambda", endpoint, _CLIENT_CONFIG)
        self._streams = client("dynamodbstreams", endpoint, _CLIENT_CONFIG)
        self._destinations = senders.for_emulator(endpoint, _CLIENT_CONFIG)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._configs: dict[str, MappingConfig] = {}
        self._workers: dict[tuple[str, str], ShardWorker] = {}
        # Monotonic times of the last complete read of the mappings: its start, and when workers could see it.
        self._refresh_started: float | None = None
        self._refresh_published = 0.0
        self._refresher: threading.Thread | None = None
        self._unreadable: set[str] = set()  # streams whose failure to describe has been logged
        self._seen: set[str] = set()  # mappings whose shards this poller has started reading

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._stopping.is_set():
            raise RuntimeError("a stopped StreamPoller does not start again: create a new one")
        if self._refresher is None:
            self._refresher = threading.Thread(target=self._refresh_loop, name="poller-mappings", daemon=True)
            self._refresher.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stops every thread; a batch whose invocation is running is given up once the invocation returns."""
        self._stopping.set()
        deadline = time.monotonic() + timeout
        with self._lock:
            workers = [*self._workers.values()]
        for worker in workers:
            worker.stop()
        threads: list[threading.Thread] = [*workers]
        if self._refresher is not None:
            threads.append(self._refresher)
        for thread in threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            log.warning("poller threads still running after %.0fs (in an invocation): %s", timeout, stuck)

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

    def config(self, mapping_uuid: str) -> MappingConfig | None:
        """The mapping's configuration as last read (None once it is deleted)."""
        with self._lock:
            return self._configs.get(mapping_uuid)

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
            self._stopping.wait(self.settings.refresh_interval)

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
                self._ensure_worker(config, shard, first_sight and config.starting_position == LATEST)
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

    def _parent_done(self, mapping_uuid: str, parent_shard_id: str | None) -> bool:
        """A child shard waits until its parent's records are all delivered (order holds across a split)."""
        if parent_shard_id is None:
            return True
        with self._lock:
            parent = self._workers.get((mapping_uuid, parent_shard_id))
        return parent is None or parent.finished

    def _ensure_worker(self, config: MappingConfig, shard: dict[str, Any], from_latest: bool) -> None:
        key = (config.uuid, shard["ShardId"])
        with self._lock:
            existing = self._workers.get(key)
            if existing is not None and (existing.is_alive() or existing.finished):
                return
            if self._stopping.is_set():
                return
            parent_shard_id = shard.get("ParentShardId")
            worker = ShardWorker(
                config.uuid,
                ShardReader(self._streams, config.stream_arn, shard["ShardId"]),
                self.invoker,
                self._destinations,
                mapping=functools.partial(self.config, config.uuid),
                checkpoints=self.checkpoints,
                settings=self.settings,
                may_read=functools.partial(self._parent_done, config.uuid, parent_shard_id),
                from_latest=from_latest,
                metrics=self.metrics,
            )
            self._workers[key] = worker
        worker.start()
