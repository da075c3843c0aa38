"""On-failure destination: an SNS topic, sent the failure record as a message."""

from __future__ import annotations

import json
from typing import Any

from local.esm.senders.base import DiscardedBatch, failure_record


class SnsSender:
    def __init__(self, sns: Any) -> None:
        self._sns = sns

    def send(self, destination_arn: str, batch: DiscardedBatch) -> None:
        self._sns.publish(TopicArn=destination_arn, Message=json.dumps(failure_record(batch)))
