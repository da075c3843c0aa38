"""Where the discarded batches wait: the S3 bucket, or the SQS queue (the destination, or the one subscribed
to the SNS destination topic).

A source finds up to `limit` failure records (`find`), hands over the records of a batch it holds
(`records`), removes the batches replayed (`done`) and lets the others be found again by the next run
(`release`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from redrive.batches import FailedBatch, InvalidDocument, from_document

LAMBDA_PREFIX = "aws/lambda/"  # where Lambda writes: aws/lambda/<ESM-UUID>/<shardId>/YYYY/MM/DD/<time>-<uuid>
REDRIVEN_PREFIX = "redriven/"  # replayed objects keep their key under this prefix, out of LAMBDA_PREFIX
LIST_PAGE = 1000
RECEIVE_PAGE = 10  # SQS' maximum per ReceiveMessage
RECEIVE_WAIT_SECONDS = 1  # long polling asks every SQS server, so a small queue is not missed
VISIBILITY_BATCH = 10  # SQS' maximum per ChangeMessageVisibilityBatch

logger = Logger(child=True)


@dataclass(frozen=True)
class Found:
    """A failure record: `ref` names it (S3 key or SQS message id); `batch` is None when it is unreadable."""

    ref: str
    batch: FailedBatch | None
    problem: str | None = None


class Source(Protocol):
    def find(self, limit: int, hold_seconds: int) -> list[Found]: ...

    def records(self, found: Found) -> list[dict[str, Any]] | None:
        """The batch's records if the failure record holds them; None: read them from the stream."""
        ...

    def done(self, found: Found) -> None: ...

    def release(self) -> None: ...


def _read(ref: str, body: Any) -> Found:
    try:
        return Found(ref=ref, batch=from_document(body))
    except InvalidDocument as error:
        return Found(ref=ref, batch=None, problem=str(error))


def _parse(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None  # from_document names it "not a JSON object"


class BucketSource:
    """Objects under aws/lambda/ in the destination bucket; a replayed one moves to redriven/<key>.

    A batch's payload can be megabytes, so `find` keeps only where each batch is, and `records` reads the
    object again when its turn comes.
    """

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._with_payload: set[str] = set()

    def find(self, limit: int, hold_seconds: int) -> list[Found]:
        found: list[Found] = []
        token: str | None = None
        while len(found) < limit:
            request: dict[str, Any] = {
                "Bucket": self._bucket,
                "Prefix": LAMBDA_PREFIX,
                "MaxKeys": min(LIST_PAGE, limit - len(found)),
            }
            if token:
                request["ContinuationToken"] = token
            page = self._s3.list_objects_v2(**request)
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.endswith("/") or len(found) >= limit:
                    continue
                body = self._get(key)
                if body is None:
                    continue
                item = _read(key, _parse(body))
                if item.batch is not None and item.batch.records is not None:
                    self._with_payload.add(key)
                    item = Found(item.ref, FailedBatch(item.batch.info, records=None))
                found.append(item)
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break
        return found

    def _get(self, key: str) -> bytes | None:
        try:
            body: bytes = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None  # moved by a run at the same time
            raise
        return body

    def records(self, found: Found) -> list[dict[str, Any]] | None:
        if found.ref not in self._with_payload:
            return None
        body = self._get(found.ref)
        if body is None:
            raise InvalidDocument("the object is gone")
        return from_document(_parse(body)).records

    def done(self, found: Found) -> None:
        self._s3.copy_object(
            Bucket=self._bucket,
            Key=REDRIVEN_PREFIX + found.ref,
            CopySource={"Bucket": self._bucket, "Key": found.ref},
        )
        self._s3.delete_object(Bucket=self._bucket, Key=found.ref)

    def release(self) -> None:
        """Objects that stay need nothing: the next run lists them again."""


class QueueSource:
    """Pointer messages in an SQS queue; a replayed one is deleted, the others are made visible again.

    Each message is received with a visibility timeout that covers the rest of the run (`hold_seconds`), so
    a run sees it once; `release` makes the ones that stay visible at once, so the next run sees them (and if
    this run dies first, they come back when the timeout passes).
    """

    def __init__(self, sqs: Any, queue_url: str, wait_seconds: int = RECEIVE_WAIT_SECONDS) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._wait_seconds = wait_seconds
        self._held: dict[str, str] = {}  # message id -> receipt handle, of messages not done

    def find(self, limit: int, hold_seconds: int) -> list[Found]:
        found: dict[str, Found] = {}
        while len(found) < limit:
            page = self._sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=min(RECEIVE_PAGE, limit - len(found)),
                VisibilityTimeout=hold_seconds,
                WaitTimeSeconds=self._wait_seconds,
            )
            new = 0
            for message in page.get("Messages", []):
                message_id, handle = message["MessageId"], message["ReceiptHandle"]
                # SQS delivers at least once: a message seen already in this run only gets a fresh handle.
                self._held[message_id] = handle
                if message_id not in found:
                    new += 1
                    found[message_id] = _read(message_id, _unwrap(_parse(message["Body"])))
            if new == 0:
                break
        return list(found.values())

    def records(self, found: Found) -> list[dict[str, Any]] | None:
        return None  # pointers only: Lambda sends no payload to SQS or SNS

    def done(self, found: Found) -> None:
        self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=self._held.pop(found.ref))

    def release(self) -> None:
        held, self._held = list(self._held.items()), {}
        for first in range(0, len(held), VISIBILITY_BATCH):
            entries = [
                {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for index, (_, handle) in enumerate(held[first : first + VISIBILITY_BATCH])
            ]
            answer = self._sqs.change_message_visibility_batch(QueueUrl=self._queue_url, Entries=entries)
            for failure in answer.get("Failed", []):
                # Not fatal: the message comes back by itself when this run's visibility timeout passes.
                logger.warning(
                    "message not made visible again",
                    extra={"messageId": held[first + int(failure["Id"])][0], "error": failure.get("Message")},
                )


def _unwrap(body: Any) -> Any:
    # The module subscribes the queue to the topic with raw message delivery, so the body is the failure
    # record itself; a subscription without it wraps the record in an SNS notification.
    if isinstance(body, dict) and body.get("Type") == "Notification" and isinstance(body.get("Message"), str):
        return _parse(body["Message"])
    return body
