"""Lambda entry point of the redrive: ``redrive.handler.lambda_handler``.

Environment: ``CONSUMER_FUNCTION``, ``DESTINATION_TYPE``, ``DESTINATION_ARN``, ``FAILURE_QUEUE_URL`` (see
``redrive.config``), ``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_LOG_LEVEL``.
Everything here runs once per execution environment; the handler only dispatches (see ``redrive.run``).
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from redrive import config, run
from redrive.replay import LambdaInvoker
from redrive.sources import BucketSource, QueueSource, Source
from redrive.stream_range import StreamRange

logger = Logger()
settings = config.from_environ(os.environ)

source: Source
if settings.destination_type == "s3":
    source = BucketSource(boto3.client("s3"), settings.bucket)
else:
    assert settings.failure_queue_url is not None  # config.from_environ requires it for sqs and sns
    source = QueueSource(boto3.client("sqs"), settings.failure_queue_url)
reader = StreamRange(boto3.client("dynamodbstreams"))
# The consumer may run for up to 15 minutes; the default 60-second read timeout would cut the call short and
# retry it, invoking the consumer twice.
invoker = LambdaInvoker(
    boto3.client("lambda", config=Config(read_timeout=905, connect_timeout=5, retries={"mode": "standard"})),
    settings.consumer_function,
)


@logger.inject_lambda_context
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    return run.redrive(event, context, source=source, reader=reader, invoker=invoker)
