"""The local stack: moto's server as the AWS emulator, plus a Lambda runner, an API front and a stream poller.

The emulator accepts any credentials; the local stack uses one fixed, obviously fake set so that SigV4
signatures made by clients (and checked by the API front) agree on a secret.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"  # noqa: S105 - the emulator's well-known test secret, not a credential
# moto's default account: every ARN the emulator hands out carries it.
ACCOUNT_ID = "123456789012"


def client(service: str, endpoint: str, config: Config | None = None) -> Any:
    """A boto3 client for `service` talking to the emulator at `endpoint` with the local credentials."""
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    return session.client(service, endpoint_url=endpoint, config=config)  # type: ignore[call-overload]
