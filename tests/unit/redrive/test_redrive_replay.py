"""Judging the consumer's answer as the event source mapping would, and invoking it through the Lambda API."""

from __future__ import annotations

import io
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from redrive.replay import InvokeResult, LambdaInvoker, Outcome, judge

FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:products-consumer:live"


@pytest.mark.parametrize(
    "payload",
    [b"", b"null", b"{}", b'{"batchItemFailures": null}', b'{"batchItemFailures": []}'],
    ids=["empty", "null", "empty object", "null failures", "no failures"],
)
def test_answers_that_mean_the_whole_batch_succeeded(payload: bytes) -> None:
    assert judge(InvokeResult(payload=payload)) == Outcome(ok=True)


@pytest.mark.parametrize(
    ("result", "detail"),
    [
        (
            InvokeResult(
                payload=b'{"batchItemFailures": [{"itemIdentifier": "1"}, {"itemIdentifier": "2"}]}'
            ),
            "2 record(s) reported in batchItemFailures",
        ),
        (InvokeResult(payload=b'{"batchItemFailures": "1"}'), "batchItemFailures is not a list"),
        (InvokeResult(payload=b"not json"), "the consumer's answer is not JSON"),
        (InvokeResult(payload=b'"done"'), "the consumer's answer is not a JSON object"),
        (
            InvokeResult(
                payload=b'{"errorType": "Timeout", "errorMessage": "timed out"}', function_error="Unhandled"
            ),
            "function error (Unhandled): Timeout: timed out",
        ),
        (InvokeResult(invoke_error="TooManyRequestsException: Rate exceeded"), None),
    ],
    ids=["partial", "malformed failures", "not json", "not an object", "function error", "not invoked"],
)
def test_answers_that_leave_the_batch(result: InvokeResult, detail: str | None) -> None:
    outcome = judge(result)
    assert not outcome.ok
    assert outcome.detail == (detail or "consumer not invoked: TooManyRequestsException: Rate exceeded")


def test_long_error_messages_are_shortened() -> None:
    outcome = judge(
        InvokeResult(payload=b'{"errorMessage": "' + b"x" * 1000 + b'"}', function_error="Handled")
    )
    assert outcome.detail is not None
    assert len(outcome.detail) == 300


@pytest.fixture
def lambda_client() -> Any:
    return boto3.client("lambda", region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s")


def test_lambda_invoker_invokes_synchronously(lambda_client: Any) -> None:
    answer = b'{"batchItemFailures": []}'
    with Stubber(lambda_client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(answer), len(answer))},
            {"FunctionName": FUNCTION, "InvocationType": "RequestResponse", "Payload": ANY},
        )
        result = LambdaInvoker(lambda_client, FUNCTION)(b'{"Records": []}')
    assert result == InvokeResult(payload=answer)


def test_lambda_invoker_reports_function_errors(lambda_client: Any) -> None:
    error = b'{"errorType": "KeyError", "errorMessage": "price"}'
    with Stubber(lambda_client) as stub:
        stub.add_response(
            "invoke",
            {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "Payload": StreamingBody(io.BytesIO(error), len(error)),
            },
        )
        result = LambdaInvoker(lambda_client, FUNCTION)(b'{"Records": []}')
    assert result == InvokeResult(payload=error, function_error="Unhandled")


def test_lambda_invoker_reports_a_consumer_it_could_not_invoke(lambda_client: Any) -> None:
    with Stubber(lambda_client) as stub:
        stub.add_client_error(
            "invoke", service_error_code="ResourceNotFoundException", service_message="Function not found"
        )
        result = LambdaInvoker(lambda_client, FUNCTION)(b'{"Records": []}')
    assert result == InvokeResult(invoke_error="ResourceNotFoundException: Function not found")
