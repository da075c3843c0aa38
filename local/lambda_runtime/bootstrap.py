"""The runtime inside one local Lambda execution environment: the counterpart of Lambda's Python bootstrap.

local.lambda_runtime.environment starts it with the function's interpreter as

    python -I -u bootstrap.py CONTROL_IN_FD CONTROL_OUT_FD OPT_DIR

in the unpacked code directory (LAMBDA_TASK_ROOT), with the function's environment. It imports the handler
once (the init phase), then serves one invocation per line read from CONTROL_IN_FD, answering each on
CONTROL_OUT_FD. stdout and stderr stay the function's own: the runner turns them into log events.
After each invocation it writes an end marker to stdout, so that the runner knows every line the invocation
printed has been read before it closes the invocation's log with END and REPORT.

It runs on the function's runtime version with only that runtime's packages (and the layers), never the
local stack's virtualenv, so it imports nothing beyond the standard library.
"""

from __future__ import annotations

import decimal
import importlib
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import IO, Any

END_MARKER = "\x1elocal-lambda-end {request_id}\x1e\n"


class InitError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["errorMessage"])
        self.error = error


class CognitoIdentity:
    cognito_identity_id: str | None = None
    cognito_identity_pool_id: str | None = None


class LambdaContext:
    """The context object Lambda's Python runtime passes to the handler (same attribute names)."""

    def __init__(self, request_id: str, invoked_function_arn: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = CognitoIdentity()
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


class _LambdaLogHandler(logging.StreamHandler):
    # Lambda keeps a multi-line record in one log event by writing its newlines as carriage returns.
    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\r")


def _install_root_log_handler(request_ids: _RequestIdFilter) -> None:
    # Lambda's runtime gives the root logger a handler with this format before the handler module loads.
    handler = _LambdaLogHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(request_ids)
    logging.getLogger().addHandler(handler)


def _error(error_type: str, message: str, exc: BaseException | None = None) -> dict[str, Any]:
    stack = traceback.format_list(traceback.extract_tb(exc.__traceback__)) if exc is not None else []
    return {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": stack}


def _log_error(error: dict[str, Any]) -> None:
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(frame.rstrip("\n") for frame in error["stackTrace"])
    sys.stdout.write("\r".join(lines) + "\n")


def load_handler(spec: str) -> Callable[[Any, LambdaContext], Any]:
    """Import `module.function` the way Lambda's runtime does, raising InitError with Lambda's error types."""
    try:
        module_name, function_name = spec.rsplit(".", 1)
    except ValueError:
        raise InitError(
            _error("Runtime.MalformedHandlerName", f"Bad handler '{spec}': not enough values to unpack")
        ) from None
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InitError(
            _error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}")
        ) from exc
    except SyntaxError as exc:
        raise InitError(
            _error("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}", exc)
        ) from exc
    except Exception as exc:
        raise InitError(_error(type(exc).__name__, str(exc), exc)) from exc
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise InitError(
            _error("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
        )
    return handler


def _json_default(value: Any) -> Any:
    # Lambda's runtime serialises Decimal (what boto3 returns for DynamoDB numbers) as a JSON number.
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def invoke(handler: Callable[[Any, LambdaContext], Any], request: dict[str, Any]) -> dict[str, Any]:
    os.environ["_X_AMZN_TRACE_ID"] = request["traceId"]
    context = LambdaContext(request["requestId"], request["invokedFunctionArn"], request["deadlineMs"])
    try:
        result = handler(request["event"], context)
    except Exception as exc:
        error = _error(type(exc).__name__, str(exc), exc)
        error["requestId"] = request["requestId"]
        _log_error(error)
        return {"error": error}
    try:
        return {"payload": json.dumps(result, default=_json_default)}
    except (TypeError, ValueError) as exc:
        error = _error("Runtime.MarshalError", f"Unable to marshal response: {exc}")
        error["requestId"] = request["requestId"]
        _log_error(error)
        return {"error": error}


def _send(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def _end_invocation(request_id: str) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    sys.stdout.write(END_MARKER.format(request_id=request_id))
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    control_in = os.fdopen(int(argv[1]), "r", encoding="utf-8")
    control_out = os.fdopen(int(argv[2]), "w", encoding="utf-8")
    opt_dir = argv[3]
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    # Lambda's order: the function's code, then the layers (/opt), then the runtime's own packages.
    sys.path[:0] = [
        os.environ["LAMBDA_TASK_ROOT"],
        os.path.join(opt_dir, "python", "lib", version, "site-packages"),
        os.path.join(opt_dir, "python"),
    ]
    request_ids = _RequestIdFilter()
    _install_root_log_handler(request_ids)

    started = time.monotonic()
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except InitError as exc:
        _log_error(exc.error)
        _end_invocation("init")
        _send(control_out, {"init": "error", "error": exc.error})
        return 1
    _end_invocation("init")
    _send(control_out, {"init": "ok", "initMs": (time.monotonic() - started) * 1000})

    for line in control_in:
        request = json.loads(line)
        request_ids.request_id = request["requestId"]
        response = invoke(handler, request)
        _end_invocation(request["requestId"])
        _send(control_out, response)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
