"""The local stack: moto's server as the AWS emulator, plus a Lambda runner, an API front and a stream poller.

Layout, by role: `emulator` and `patches` (moto), `lambda_runtime` (running functions), `esm` (event source
mappings), `apigw` (the HTTP API front), `services` (all three in one process), and the command line: `cli`,
`stack` (up/down), `terraform`, `processes`, `logs`. Shared names are in `constants`.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from local.constants import ACCESS_KEY, REGION, SECRET_KEY

__all__ = ["client"]


def client(service: str, endpoint: str, config: Config | None = None) -> Any:
    """A boto3 client for `service` talking to the emulator at `endpoint` with the local credentials."""
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    if service == "s3":
        # The emulator serves S3 on one host name: buckets go in the path, not in a subdomain.
        path_style = Config(s3={"addressing_style": "path"})
        config = config.merge(path_style) if config is not None else path_style
    return session.client(service, endpoint_url=endpoint, config=config)  # type: ignore[call-overload]
