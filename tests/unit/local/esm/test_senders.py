"""On-failure destinations: the sender is chosen by the destination ARN's service (no emulator)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from local.esm.senders import OnFailureDestinations
from local.esm.senders.base import DiscardedBatch

BATCH = DiscardedBatch(
    mapping_uuid="0f8b2f5e-7c4e-4d43-9a57-2d3f1c1e5a10",
    function_arn="arn:aws:lambda:us-east-1:123456789012:function:fn",
    stream_arn="arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024-01-01T00:00:00.000",
    shard_id="shardId-1",
    records=[{"dynamodb": {"SequenceNumber": "1", "ApproximateCreationDateTime": 0}}],
    condition="RetryAttemptsExhausted",
    invoke_count=1,
    last_result=None,
    discarded_at=0.0,
)


@dataclass
class RecordingSender:
    sent: list[tuple[str, DiscardedBatch]] = field(default_factory=list)

    def send(self, destination_arn: str, batch: DiscardedBatch) -> None:
        self.sent.append((destination_arn, batch))


def test_each_destination_goes_to_the_sender_of_its_service() -> None:
    sqs, s3 = RecordingSender(), RecordingSender()
    destinations = OnFailureDestinations({"sqs": sqs, "s3": s3})

    destinations.send("arn:aws:sqs:us-east-1:123456789012:dlq", BATCH)
    destinations.send("arn:aws:s3:::failures", BATCH)

    assert sqs.sent == [("arn:aws:sqs:us-east-1:123456789012:dlq", BATCH)]
    assert s3.sent == [("arn:aws:s3:::failures", BATCH)]


@pytest.mark.parametrize(
    ("arn", "message"),
    [
        ("arn:aws:sns:us-east-1:123456789012:topic", "are SQS, not sns"),
        ("dlq", "not an ARN"),
    ],
)
def test_a_destination_without_a_sender_is_refused(arn: str, message: str) -> None:
    destinations = OnFailureDestinations({"sqs": RecordingSender()})

    with pytest.raises(ValueError, match=message):
        destinations.send(arn, BATCH)
