"""Hands a batch to the consumer again and judges the answer as the event source mapping would.

The consumer is invoked synchronously (RequestResponse) with ``{"Records": [...]}``. It took the batch when
it returns normally with no ``batchItemFailures`` (missing, null or empty). A function error, a record in
``batchItemFailures``, or an answer the mapping would reject (not a JSON object, a malformed
``batchItemFailures``) means it did not: the batch stays for the next run, whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

DETAIL_CHARS = 300  # enough of an error message to recognise it in the answer


@dataclass(frozen=True)
class InvokeResult:
    payload: bytes = b""
    function_error: str | None = None  # X-Amz-Function-Error: "Unhandled" or "Handled"
    invoke_error: str | None = None  # the function could not be invoked at all


class Invoker(Protocol):
    def __call__(self, event: bytes) -> InvokeResult: ...


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str | None = None


class LambdaInvoker:
    """Invokes `function` (a name or a qualified ARN) through the Lambda API."""

    def __init__(self, lambda_client: Any, function: str) -> None:
        self._lambda = lambda_client
        self._function = function

    def __call__(self, event: bytes) -> InvokeResult:
        try:
            response = self._lambda.invoke(
                FunctionName=self._function, InvocationType="RequestResponse", Payload=event
            )
        except ClientError as error:
            failure = error.response.get("Error", {})
            return InvokeResult(invoke_error=f"{failure.get('Code')}: {failure.get('Message')}")
        return InvokeResult(payload=response["Payload"].read(), function_error=response.get("FunctionError"))


def judge(result: InvokeResult) -> Outcome:
    """Whether the consumer took the whole batch, and if not, why not."""
    if result.invoke_error is not None:
        return Outcome(ok=False, detail=_short(f"consumer not invoked: {result.invoke_error}"))
    if result.function_error is not None:
        return Outcome(ok=False, detail=_short(f"function error ({result.function_error}): {_error(result)}"))
    text = result.payload.strip()
    if not text:
        return Outcome(ok=True)
    try:
        answer = json.loads(text)
    except ValueError:
        return Outcome(ok=False, detail="the consumer's answer is not JSON")
    if answer is None:
        return Outcome(ok=True)
    if not isinstance(answer, dict):
        return Outcome(ok=False, detail="the consumer's answer is not a JSON object")
    failures = answer.get("batchItemFailures")
    if not failures:  # missing, null or empty: the whole batch succeeded
        return Outcome(ok=True)
    if not isinstance(failures, list):
        return Outcome(ok=False, detail="batchItemFailures is not a list")
    return Outcome(ok=False, detail=f"{len(failures)} record(s) reported in batchItemFailures")


def _error(result: InvokeResult) -> str:
    try:
        error = json.loads(result.payload)
    except ValueError:
        return result.payload.decode("utf-8", "replace")
    if isinstance(error, dict):
        return f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"
    return str(error)


def _short(text: str) -> str:
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"
