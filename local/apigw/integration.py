"""The AWS_PROXY Lambda integration: which function a route calls, whether its resource policy lets API
Gateway call it, and the call itself within the integration timeout."""

from __future__ import annotations

import fnmatch
import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from local.apigw.config import CONFIG_TTL_S, ApiConfig, Route
from local.apigw.messages import INTERNAL, ApiError
from local.constants import ACCOUNT_ID, REGION
from local.lambda_runtime.invoke import Invoker, InvokeResult

log = logging.getLogger(__name__)

DEFAULT_INTEGRATION_TIMEOUT_MS = 30_000


def lambda_integration(config: ApiConfig, route: Route) -> dict[str, Any]:
    """The route's integration, when it is one the front emulates (AWS_PROXY, payload format 2.0); else
    ApiError 500, as API Gateway answers a route it cannot integrate."""
    integration = config.integrations.get((route.target or "").removeprefix("integrations/"))
    if integration is None or integration.get("IntegrationType") != "AWS_PROXY":
        raise ApiError(*INTERNAL, "INTEGRATION_FAILURE")
    if integration.get("PayloadFormatVersion", "1.0") != "2.0":
        log.error("payload format %s is not emulated", integration.get("PayloadFormatVersion"))
        raise ApiError(*INTERNAL, "INTEGRATION_FAILURE")
    return integration


def execute_api_arn(api_id: str, stage: str, method: str, path: str) -> str:
    """The execute-api ARN API Gateway invokes a function for: what the function's permission must allow."""
    resource = path if path.startswith("/") else "/" + path
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id}/{stage}/{method}{resource}"


def function_arn_of(integration: dict[str, Any]) -> str:
    """The Lambda function ARN an AWS_PROXY integration calls (a function ARN or an invoke ARN)."""
    uri = integration.get("IntegrationUri", "")
    match = re.search(r"functions/(arn:[^/]+)/invocations", uri)
    return match.group(1) if match else uri


def permission_allows(policy: dict[str, Any], source_arn: str) -> bool:
    """Does the function's resource policy let API Gateway invoke it for `source_arn`?"""
    for statement in policy.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal", {})
        service = principal.get("Service") if isinstance(principal, dict) else principal
        services = service if isinstance(service, list) else [service]
        if "apigateway.amazonaws.com" not in services and "*" not in services:
            continue
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if not any(action in ("lambda:InvokeFunction", "lambda:*") for action in actions):
            continue
        condition = statement.get("Condition", {})
        patterns = [
            value
            for operator in ("ArnLike", "ArnEquals", "StringLike", "StringEquals")
            for value in _as_list(condition.get(operator, {}).get("AWS:SourceArn"))
        ]
        if not patterns or any(fnmatch.fnmatchcase(source_arn, pattern) for pattern in patterns):
            return True
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class LambdaInvocations:
    """Invokes the functions of Lambda integrations through `invoker`, as API Gateway does: only when the
    function's resource policy (re-read at most once per CONFIG_TTL_S) allows it, within the timeout."""

    def __init__(self, lambda_client: Any, invoker: Invoker) -> None:
        self._lambda = lambda_client
        self._invoker = invoker
        self._policies: dict[str, tuple[float, dict[str, Any]]] = {}
        self._pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="api-invoke")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def check_permission(self, function_arn: str, source_arn: str) -> None:
        """ApiError 500 unless the function lets apigateway.amazonaws.com invoke it for `source_arn`."""
        cached = self._policies.get(function_arn)
        if cached is None or time.monotonic() - cached[0] > CONFIG_TTL_S:
            try:
                policy = json.loads(self._lambda.get_policy(FunctionName=function_arn)["Policy"])
            except self._lambda.exceptions.ResourceNotFoundException:
                policy = {}
            cached = self._policies[function_arn] = (time.monotonic(), policy)
        if not permission_allows(cached[1], source_arn):
            log.error(
                "%s does not allow apigateway.amazonaws.com to invoke it for %s", function_arn, source_arn
            )
            raise ApiError(*INTERNAL, "INTEGRATION_FAILURE")

    def invoke(
        self,
        integration: dict[str, Any],
        function_arn: str,
        event: dict[str, Any],
        log_values: dict[str, Any],
    ) -> InvokeResult:
        """The function's result for `event`; ApiError 503 after the integration's timeout, 500 when the
        function could not be run or failed. Records the integration's latency, status and error in
        `log_values` (the access log's variables)."""
        timeout_ms = integration.get("TimeoutInMillis") or DEFAULT_INTEGRATION_TIMEOUT_MS
        started = time.monotonic()
        future = self._pool.submit(self._invoker.invoke, function_arn, event)
        try:
            result = future.result(timeout=timeout_ms / 1000)
        except FutureTimeout:
            log_values["integrationErrorMessage"] = "timeout"
            raise ApiError(503, "Service Unavailable", "INTEGRATION_TIMEOUT") from None
        except Exception:
            log.exception("invoking %s failed", function_arn)
            raise ApiError(*INTERNAL, "INTEGRATION_FAILURE") from None
        finally:
            log_values["integrationLatency"] = int((time.monotonic() - started) * 1000)
            log_values["integration.latency"] = log_values["integrationLatency"]
        log_values["integrationStatus"] = 200
        log_values["integration.status"] = 200
        if result.error is not None:
            log_values["integration.error"] = result.error.get("errorMessage")
            log_values["integrationErrorMessage"] = result.error.get("errorMessage")
            raise ApiError(*INTERNAL, "INTEGRATION_FAILURE")
        return result
