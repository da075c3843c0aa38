"""One redrive run: find the failed batches, replay each in stream order, report.

Request (the invocation payload, see `redrive.request`): ``{"dry_run": false, "limit": 100}``.

Answer::

    {"found": n, "replayed": n, "still_failing": n, "expired": n, "invalid": n, "dry_run": bool,
     "batches": [{"source": "<S3 key or SQS message id>", "shardId": ..., "startSequenceNumber": ...,
                  "endSequenceNumber": ..., "batchSize": n, "streamArn": ..., "status": ..., "detail": ...}]}

Statuses: ``replayed`` (the consumer took the whole batch; the object was moved under redriven/ or the
message deleted), ``still_failing`` (it did not; the failure record stays), ``expired`` (a pointer whose
range the stream no longer holds; the message stays for the operator), ``invalid`` (a document that is not a
failure record of a DynamoDB stream; it stays), and in a dry run ``found`` (would be replayed). A dry run
invokes nothing and moves or deletes nothing, but does read pointer ranges from the stream, so it reports
which of them have expired.
"""

from __future__ import annotations

import json
import math
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from redrive import request as requests
from redrive.batches import BatchInfo, InvalidDocument
from redrive.replay import Invoker, judge
from redrive.report import Report, Status
from redrive.sources import Found, Source
from redrive.stream_range import RangeExpired

logger = Logger(child=True)

# Found messages stay hidden from other readers a little longer than this run can last; SQS' maximum is 12 h.
HOLD_MARGIN_SECONDS = 30
MAX_HOLD_SECONDS = 12 * 60 * 60


class Context(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


class RangeReader(Protocol):
    def read(self, info: BatchInfo) -> list[dict[str, Any]]: ...


def redrive(
    event: Any, context: Context, *, source: Source, reader: RangeReader, invoker: Invoker
) -> dict[str, Any]:
    request = requests.parse(event)
    hold = min(
        MAX_HOLD_SECONDS, math.ceil(context.get_remaining_time_in_millis() / 1000) + HOLD_MARGIN_SECONDS
    )
    report = Report(dry_run=request.dry_run)
    try:
        found = source.find(request.limit, hold)
        for item in sorted(found, key=_stream_order):
            status, detail = _redrive_one(item, request.dry_run, source, reader, invoker)
            entry = report.add(item, status, detail)
            logger.info("redrive batch", extra={**entry, "dry_run": request.dry_run})
    finally:
        source.release()
    answer = report.answer()
    logger.info(
        "redrive summary", extra={**report.counts(), "dry_run": request.dry_run, "limit": request.limit}
    )
    return answer


def _stream_order(found: Found) -> tuple[int, tuple[str, str, int]]:
    # Oldest first within each shard; unreadable documents last, in the order they were found.
    return (0, found.batch.info.order) if found.batch is not None else (1, ("", "", 0))


def _redrive_one(
    found: Found, dry_run: bool, source: Source, reader: RangeReader, invoker: Invoker
) -> tuple[Status, str | None]:
    if found.batch is None:
        return "invalid", found.problem
    info, detail = found.batch.info, None
    try:
        records = found.batch.records or source.records(found)
    except InvalidDocument as error:
        return "invalid", str(error)
    if records is None:
        try:
            records = reader.read(info)
        except RangeExpired as expired:
            return "expired", str(expired)
        if len(records) > info.batch_size:
            detail = (
                f"the range holds {len(records)} records, the batch had {info.batch_size}: records that "
                "the mapping's filter dropped are replayed too"
            )
    if dry_run:
        return "found", detail
    outcome = judge(invoker(json.dumps({"Records": records}, separators=(",", ":")).encode()))
    if not outcome.ok:
        return "still_failing", outcome.detail
    source.done(found)
    return "replayed", detail
