"""The redrive's environment, as the module's Terraform sets it, checked once per execution environment.

- ``CONSUMER_FUNCTION``: name or (qualified) ARN of the consumer, invoked synchronously.
- ``DESTINATION_TYPE``: ``s3``, ``sqs`` or ``sns``, the kind of the mapping's on-failure destination.
- ``DESTINATION_ARN``: the destination's ARN (bucket, queue or topic).
- ``FAILURE_QUEUE_URL``: for ``sqs``, the queue's URL; for ``sns``, the URL of the queue subscribed to the
  topic with raw message delivery. Unused for ``s3``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DESTINATION_TYPES = ("s3", "sqs", "sns")


class ConfigError(RuntimeError):
    """The environment does not describe a redrive the function can run."""


@dataclass(frozen=True)
class Config:
    consumer_function: str
    destination_type: str
    destination_arn: str
    failure_queue_url: str | None

    @property
    def bucket(self) -> str:
        """The bucket name of an S3 destination (arn:PARTITION:s3:::NAME)."""
        return self.destination_arn.split(":", 5)[5]


def from_environ(environ: Mapping[str, str]) -> Config:
    consumer = _required(environ, "CONSUMER_FUNCTION")
    kind = _required(environ, "DESTINATION_TYPE")
    if kind not in DESTINATION_TYPES:
        raise ConfigError(f"DESTINATION_TYPE={kind!r} must be one of {', '.join(DESTINATION_TYPES)}")
    arn = _required(environ, "DESTINATION_ARN")
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != kind or not parts[5]:
        raise ConfigError(
            f"DESTINATION_ARN={arn!r} must be the ARN of the {kind} destination (arn:aws:{kind}:...)"
        )
    queue_url = environ.get("FAILURE_QUEUE_URL", "").strip() or None
    if kind in ("sqs", "sns") and queue_url is None:
        raise ConfigError(f"FAILURE_QUEUE_URL must be set when DESTINATION_TYPE is {kind}")
    return Config(
        consumer_function=consumer, destination_type=kind, destination_arn=arn, failure_queue_url=queue_url
    )


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: the module's Terraform sets it for the redrive function")
    return value
