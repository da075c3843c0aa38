"""Fixtures shared by every test: a small Lambda context."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass
class FakeLambdaContext:
    """The attributes of the Lambda context object that Powertools reads."""

    function_name: str = "products-writer"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:products-writer"
    aws_request_id: str = "5d7b0f61-4f0a-4c9e-9d2e-8b1a5f1f0c3e"
    log_group_name: str = "/aws/lambda/products-writer"
    log_stream_name: str = "2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()
