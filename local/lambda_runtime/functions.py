"""A function's configuration as the runner needs it, and the one place where the function an invocation
names is resolved: an unqualified ARN or name is $LATEST; an ARN or name qualified with a version
(`...:function:name:3`) or an alias (`...:function:name:live`) is that version, or the alias's version."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

# arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
_FUNCTION_ARN_PARTS = 7


def split_qualifier(function: str) -> tuple[str, str | None]:
    """(`function` without its qualifier, the qualifier or None) for a function ARN or a function name.

    A partial ARN (`ACCOUNT:function:NAME`) keeps its form; a name with a colon is `NAME:QUALIFIER`."""
    parts = function.split(":")
    if function.startswith("arn:"):
        if len(parts) == _FUNCTION_ARN_PARTS + 1:
            return ":".join(parts[:_FUNCTION_ARN_PARTS]), parts[-1]
        return function, None
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 4 and parts[1] == "function":
        return ":".join(parts[:3]), parts[3]
    return function, None


def resolve_function(lambda_client: Any, function: str) -> FunctionConfig:
    """The configuration of the function version that an invocation of `function` runs, read with GetFunction.

    `function` is what the caller invokes: a function ARN or name, unqualified ($LATEST) or qualified with a
    version or an alias. Raises the Lambda client's ResourceNotFoundException when there is no such function,
    version or alias."""
    name, qualifier = split_qualifier(function)
    qualified = {"Qualifier": qualifier} if qualifier else {}
    return FunctionConfig.from_get_function(lambda_client.get_function(FunctionName=name, **qualified))


@dataclass(frozen=True)
class FunctionConfig:
    """The parts of a function's configuration that shape its execution environment."""

    arn: str
    name: str
    version: str
    runtime: str
    handler: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]
    code_sha256: str
    code_location: str
    layers: tuple[str, ...]
    tracing: str
    log_group: str
    # ReservedConcurrentExecutions (None: none reserved); not part of an environment's identity.
    reserved_concurrency: int | None = None

    def fingerprint(self) -> str:
        fields = {
            k: v for k, v in self.__dict__.items() if k not in ("code_location", "reserved_concurrency")
        }
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()

    @classmethod
    def from_get_function(cls, response: dict[str, Any]) -> FunctionConfig:
        config = response["Configuration"]
        return cls(
            arn=config["FunctionArn"],
            name=config["FunctionName"],
            version=config.get("Version", "$LATEST"),
            runtime=config.get("Runtime", ""),
            handler=config.get("Handler", ""),
            timeout_s=int(config.get("Timeout", 3)),
            memory_mb=int(config.get("MemorySize", 128)),
            environment=dict(config.get("Environment", {}).get("Variables", {})),
            code_sha256=config.get("CodeSha256", ""),
            code_location=response.get("Code", {}).get("Location", ""),
            layers=tuple(layer["Arn"] for layer in config.get("Layers", [])),
            tracing=config.get("TracingConfig", {}).get("Mode", "PassThrough"),
            # LoggingConfig.LogGroup names a custom log group; Lambda's default is /aws/lambda/<name>.
            log_group=(config.get("LoggingConfig") or {}).get("LogGroup")
            or f"/aws/lambda/{config['FunctionName']}",
            reserved_concurrency=_reserved(response),
        )


def _reserved(response: dict[str, Any]) -> int | None:
    value = (response.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
    return None if value is None else int(value)
