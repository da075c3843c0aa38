"""The seam between what calls a function (stream poller, API front) and what runs it (the Lambda runner)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class InvokeResult:
    """What a synchronous invocation returned.

    `payload` is the handler's return value parsed from JSON (None when it returned nothing or failed).
    `error` is set when the invocation failed, in Lambda's shape: {"errorType", "errorMessage", "stackTrace"};
    a timeout has errorType "Sandbox.Timedout". `request_id` is the invocation's request id, as in Lambda's
    context.
    """

    payload: Any = None
    error: dict[str, Any] | None = None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    executed_version: str = "$LATEST"

    @property
    def function_error(self) -> str | None:
        """Lambda's X-Amz-Function-Error value: every handler error and timeout is "Unhandled"."""
        return "Unhandled" if self.error is not None else None


class Throttled(Exception):
    """The invocation was refused because the function's reserved concurrency is in use (Lambda's
    TooManyRequestsException, reason ReservedFunctionConcurrentInvocationLimitExceeded)."""


class Invoker(Protocol):
    def invoke(self, function_arn: str, payload: dict[str, Any]) -> InvokeResult:
        """Run the function synchronously with `payload` as its event.

        Raises only when the function could not be run at all (as Lambda's service errors and throttles); the
        stream poller retries those without counting them against the mapping's MaximumRetryAttempts.
        """
        ...
