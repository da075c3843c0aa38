"""The invocation payload and the environment: what is accepted, and the errors for the rest."""

from __future__ import annotations

from typing import Any

import pytest
from redrive import config, request
from redrive.config import ConfigError
from redrive.request import InvalidRequest, Request


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (None, Request(dry_run=False, limit=100)),
        ({}, Request(dry_run=False, limit=100)),
        ({"dry_run": True}, Request(dry_run=True, limit=100)),
        ({"limit": 1}, Request(dry_run=False, limit=1)),
        ({"dry_run": False, "limit": 1000}, Request(dry_run=False, limit=1000)),
    ],
)
def test_accepted_requests(event: Any, expected: Request) -> None:
    assert request.parse(event) == expected


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"dryrun": True}, r"unknown key\(s\) \['dryrun'\]: the payload accepts only 'dry_run' and 'limit'"),
        ({"dry_run": "true"}, "dry_run must be true or false, not 'true'"),
        ({"dry_run": 1}, "dry_run must be true or false, not 1"),
        ({"limit": 0}, "limit must be an integer from 1 to 1000, not 0"),
        ({"limit": 1001}, "limit must be an integer from 1 to 1000, not 1001"),
        ({"limit": "10"}, "limit must be an integer from 1 to 1000, not '10'"),
        ({"limit": True}, "limit must be an integer from 1 to 1000, not True"),
        ([], "the payload must be a JSON object"),
    ],
)
def test_rejected_requests(event: Any, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        request.parse(event)


BUCKET = {
    "CONSUMER_FUNCTION": "products-consumer",
    "DESTINATION_TYPE": "s3",
    "DESTINATION_ARN": "arn:aws:s3:::products-failures",
}
QUEUE = {
    "CONSUMER_FUNCTION": "products-consumer",
    "DESTINATION_TYPE": "sns",
    "DESTINATION_ARN": "arn:aws:sns:eu-west-1:123456789012:products-failures",
    "FAILURE_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/products-failures-redrive",
}


def test_s3_environment() -> None:
    settings = config.from_environ(BUCKET)
    assert (settings.destination_type, settings.bucket, settings.failure_queue_url) == (
        "s3",
        "products-failures",
        None,
    )


def test_sns_environment() -> None:
    settings = config.from_environ(QUEUE)
    assert settings.failure_queue_url == QUEUE["FAILURE_QUEUE_URL"]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({**BUCKET, "CONSUMER_FUNCTION": " "}, "CONSUMER_FUNCTION is not set"),
        ({**BUCKET, "DESTINATION_TYPE": "lambda"}, "DESTINATION_TYPE='lambda' must be one of s3, sqs, sns"),
        ({k: v for k, v in BUCKET.items() if k != "DESTINATION_ARN"}, "DESTINATION_ARN is not set"),
        ({**BUCKET, "DESTINATION_ARN": "products-failures"}, "must be the ARN of the s3 destination"),
        ({**QUEUE, "DESTINATION_ARN": BUCKET["DESTINATION_ARN"]}, "must be the ARN of the sns destination"),
        ({**QUEUE, "FAILURE_QUEUE_URL": ""}, "FAILURE_QUEUE_URL must be set when DESTINATION_TYPE is sns"),
    ],
)
def test_rejected_environments(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config.from_environ(environ)
