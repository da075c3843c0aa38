"""On-failure destinations of stream event source mappings: one sender per destination service, and
`OnFailureDestinations`, which picks the sender by the destination ARN's service.

A new destination service is a module here with a class that has `send(destination_arn, batch)` (see
`base.Sender`), listed in `for_emulator`; the shard worker only ever calls `OnFailureDestinations.send`.
"""

from __future__ import annotations

from collections.abc import Mapping

from botocore.config import Config

from local import client
from local.esm.senders.base import (
    RECORD_AGE_EXCEEDED,
    RETRY_ATTEMPTS_EXHAUSTED,
    DestinationArn,
    DiscardedBatch,
    Sender,
    failure_record,
)
from local.esm.senders.s3 import S3Sender
from local.esm.senders.sns import SnsSender
from local.esm.senders.sqs import SqsSender

__all__ = [
    "RECORD_AGE_EXCEEDED",
    "RETRY_ATTEMPTS_EXHAUSTED",
    "DiscardedBatch",
    "OnFailureDestinations",
    "Sender",
    "failure_record",
    "for_emulator",
]


class OnFailureDestinations:
    """Sends a discarded batch to the destination an ARN names, through the sender of its service."""

    def __init__(self, senders: Mapping[str, Sender]) -> None:
        self._senders = dict(senders)

    def send(self, destination_arn: str, batch: DiscardedBatch) -> None:
        service = DestinationArn.parse(destination_arn).service
        sender = self._senders.get(service)
        if sender is None:
            supported = " or ".join(sorted(name.upper() for name in self._senders))
            raise ValueError(f"on-failure destinations of stream mappings are {supported}, not {service}")
        sender.send(destination_arn, batch)


def for_emulator(endpoint: str, config: Config | None = None) -> OnFailureDestinations:
    """The on-failure destinations of the emulator at `endpoint`."""
    return OnFailureDestinations(
        {
            "s3": S3Sender(client("s3", endpoint, config)),
            "sqs": SqsSender(client("sqs", endpoint, config)),
            "sns": SnsSender(client("sns", endpoint, config)),
        }
    )
