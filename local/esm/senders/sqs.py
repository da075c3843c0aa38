"""On-failure destination: an SQS queue, sent the failure record as a message."""

from __future__ import annotations

import json
from typing import Any

from local.esm.senders.base import DestinationArn, DiscardedBatch, failure_record


class SqsSender:
    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs

    def send(self, destination_arn: str, batch: DiscardedBatch) -> None:
        queue = DestinationArn.parse(destination_arn)
        url = self._sqs.get_queue_url(QueueName=queue.resource, QueueOwnerAWSAccountId=queue.account)[
            "QueueUrl"
        ]
        self._sqs.send_message(QueueUrl=url, MessageBody=json.dumps(failure_record(batch)))
