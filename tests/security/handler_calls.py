"""Runs the writer and consumer handlers against deployed tables and records every AWS SDK call they make.

    python -m tests.security.handler_calls OUT.json

The environment is each function's deployed environment plus the emulator's endpoint and credentials (the
caller sets it). A fresh process imports the handlers, so module-level clients and the environment they read
are those of a cold start, as in Lambda. Each call is recorded from botocore's `before-parameter-build` event
of every client any library creates (pynamodb, boto3 under Powertools), before it is sent, so a call that AWS
would refuse is recorded too. OUT.json gets {"calls": [...], "statuses": {step: HTTP status}}.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import botocore.session

CALLS: list[dict[str, Any]] = []
_ORIGIN = ["start-up"]


def _record(params: dict[str, Any], model: Any, **_: Any) -> None:
    CALLS.append(
        {
            "service": model.service_model.signing_name,
            "operation": model.name,
            "params": {
                k: v for k, v in params.items() if k in ("TableName", "RequestItems", "TransactItems")
            },
            "origin": _ORIGIN[0],
        }
    )


def _install_recorder() -> None:
    create_client = botocore.session.Session.create_client

    def recording_create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = create_client(self, *args, **kwargs)
        client.meta.events.register("before-parameter-build", _record)
        return client

    botocore.session.Session.create_client = recording_create_client  # type: ignore[method-assign]


def _environment(prefix: str) -> None:
    """Makes the function's deployed environment (passed as <prefix>_ENV, JSON) the process environment."""
    for name in ("TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "RECORD_HANDLER"):
        os.environ.pop(name, None)
    os.environ.update(json.loads(os.environ[f"{prefix}_ENV"]))


def run_writer(context: Any) -> dict[str, int]:
    from tests.fixtures.events import http_request

    _environment("WRITER")
    from writer import handler

    statuses: dict[str, int] = {}
    product_id = ""

    def call(
        step: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Any:
        _ORIGIN[0] = f"writer {step}"
        event = http_request(method, path, None if body is None else json.dumps(body), headers=headers)
        response = handler.lambda_handler(event, context)
        statuses[step] = response["statusCode"]
        return json.loads(response.get("body") or "null")

    product = {"name": "desk", "price": 120.5, "category": "furniture"}
    product_id = call("create", "POST", "/products", product)["id"]
    call("read", "GET", f"/products/{product_id}")
    call("update", "PUT", f"/products/{product_id}", {**product, "price": 99})
    key = {"idempotency-key": "order-7"}
    call("create once", "POST", "/products", product, key)
    call("create once, replayed", "POST", "/products", product, key)
    call("create once, other body", "POST", "/products", {**product, "name": "chair"}, key)
    call("delete", "DELETE", f"/products/{product_id}")
    call("read deleted", "GET", f"/products/{product_id}")
    return statuses


def run_consumer(context: Any) -> dict[str, int]:
    from tests.fixtures.events import stream_batch

    _environment("CONSUMER")
    from consumer import handler

    _ORIGIN[0] = "consumer batch"
    response = handler.lambda_handler(stream_batch("streams/new_and_old_images.json"), context)
    return {"consumer batch failures": len(response["batchItemFailures"])}


def main(out: Path) -> int:
    from tests.conftest import FakeLambdaContext

    _install_recorder()
    statuses = run_writer(FakeLambdaContext())
    statuses |= run_consumer(FakeLambdaContext(function_name="consumer"))
    out.write_text(json.dumps({"calls": CALLS, "statuses": statuses}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
