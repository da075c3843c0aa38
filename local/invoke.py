"""`python -m local invoke FUNCTION [--payload JSON]`: Lambda Invoke through the emulator, which hands it to
the local runner of the running stack (local.lambda_runtime.invoke_api), as `aws --endpoint-url <emulator>
lambda invoke` does.

Prints the function's response (JSON) on stdout; a function error goes to stderr with exit status 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from botocore.config import Config

from local import client
from local.constants import STATE_DIR
from local.processes import StackError
from local.stack import STACK_STATE

# A synchronous invocation may last Lambda's 900 s; retrying one would run the function twice.
_CLIENT_CONFIG = Config(read_timeout=960, connect_timeout=5, retries={"max_attempts": 1, "mode": "standard"})


def running_endpoint(state_dir: Path = STATE_DIR) -> str:
    """The emulator endpoint of the stack `up` started."""
    try:
        return str(json.loads((state_dir / STACK_STATE).read_text())["endpoint"])
    except FileNotFoundError:
        raise StackError("no local stack is running: start one with `make up`, or pass --endpoint") from None


def parse_payload(text: str | None) -> Any:
    if text is None:
        return {}
    try:
        return json.loads(text)
    except ValueError as error:
        raise StackError(f"--payload is not JSON: {error}") from None


def invoke(function: str, payload_text: str | None, endpoint: str | None) -> int:
    payload = parse_payload(payload_text)
    lambda_client = client("lambda", endpoint or running_endpoint(), _CLIENT_CONFIG)
    try:
        response = lambda_client.invoke(FunctionName=function, Payload=json.dumps(payload).encode())
    except lambda_client.exceptions.ResourceNotFoundException as error:
        raise StackError(str(error)) from None
    body = response["Payload"].read().decode()
    if response.get("FunctionError"):
        print(body, file=sys.stderr)
        return 1
    print(body)
    return 0
