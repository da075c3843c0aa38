"""The whole pipeline, end to end: HTTP API -> writer -> table -> stream -> consumer -> CloudWatch Logs and
the on-failure destination.

Only public interfaces: requests to the API, and AWS API calls (DynamoDB, CloudWatch Logs, S3 or SQS, Lambda,
API Gateway). The tests share one stack and run in file order; the last one destroys it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from tests.e2e.conftest import PATIENCE_S, Stack, eventually, payload_records

pytestmark = pytest.mark.e2e

EXAMPLE = {"name": "my product", "price": 10, "category": "furniture"}


def key(product_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"Product#{product_id}"}, "SK": {"S": "User#Product"}}


def plain(item: dict[str, Any]) -> dict[str, Any]:
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in item.items()}


def change_line(stack: Stack, event_name: str, product_id: str) -> dict[str, Any] | None:
    for line in stack.consumer_lines():
        if line.get("eventName") == event_name and line.get("keys", {}).get("PK") == f"Product#{product_id}":
            return line
    return None


def create(stack: Stack, body: dict[str, Any]) -> str:
    response = stack.request("POST", "/products", body)
    assert response.status == 201, response.body
    return str(response.json()["id"])


def test_post_stores_the_product_and_the_consumer_logs_its_insert(stack: Stack) -> None:
    response = stack.request("POST", "/products", EXAMPLE)

    assert response.status == 201, response.body
    product_id = response.json()["id"]
    item = plain(
        stack.aws("dynamodb").get_item(TableName=stack.outputs["table_name"], Key=key(product_id))["Item"]
    )
    expected = {"PK": f"Product#{product_id}", "SK": "User#Product", **EXAMPLE, "version": 1}
    assert {name: item.get(name) for name in expected} == expected
    line = eventually(lambda: change_line(stack, "INSERT", product_id), what="the INSERT line")
    assert line["keys"] == {"PK": f"Product#{product_id}", "SK": "User#Product"}
    assert line["newImage"]["name"] == "my product"
    assert line["newImage"]["price"] == 10
    assert line["newImage"]["category"] == "furniture"
    assert "oldImage" not in line
    assert line["sequenceNumber"]
    assert line["eventID"]


def test_put_is_logged_as_a_modify_with_old_and_new_images(stack: Stack) -> None:
    product_id = create(stack, EXAMPLE)

    updated = stack.request("PUT", f"/products/{product_id}", {**EXAMPLE, "price": 12.5})
    fetched = stack.request("GET", f"/products/{product_id}")

    assert updated.status == 200, updated.body
    assert (fetched.status, fetched.json()["price"]) == (200, 12.5)
    line = eventually(lambda: change_line(stack, "MODIFY", product_id), what="the MODIFY line")
    assert line["oldImage"]["price"] == 10
    assert line["newImage"]["price"] == 12.5
    assert line["oldImage"]["version"] == 1
    assert line["newImage"]["version"] == 2


def test_delete_is_logged_as_a_remove_with_the_old_image(stack: Stack) -> None:
    product_id = create(stack, EXAMPLE)

    deleted = stack.request("DELETE", f"/products/{product_id}")

    assert deleted.status == 204, deleted.body
    assert "Item" not in stack.aws("dynamodb").get_item(
        TableName=stack.outputs["table_name"], Key=key(product_id)
    )
    line = eventually(lambda: change_line(stack, "REMOVE", product_id), what="the REMOVE line")
    assert line["oldImage"]["name"] == "my product"
    assert "newImage" not in line


def test_a_bad_request_gets_a_4xx_and_writes_nothing(stack: Stack) -> None:
    name = f"bad-{uuid.uuid4().hex[:8]}"

    negative_price = stack.request("POST", "/products", {"name": name, "price": -1, "category": "furniture"})
    not_json = stack.request("POST", "/products", f"name={name}".encode())

    assert negative_price.status == 400, negative_price.body
    assert 400 <= not_json.status < 500, not_json.body
    assert stack.items_named(name) == []


def test_a_method_the_path_does_not_serve_gets_405_with_allow(stack: Stack) -> None:
    product_id = create(stack, EXAMPLE)

    response = stack.request("PATCH", f"/products/{product_id}", {"price": 1})

    assert response.status == 405, response.body
    allow = {name.lower(): value for name, value in response.headers.items()}["allow"]
    assert set(allow.replace(" ", "").split(",")) >= {"GET", "PUT", "DELETE"}
    assert "message" in response.json()
    assert stack.request("GET", f"/products/{product_id}").json()["price"] == 10


def test_a_plan_right_after_apply_proposes_no_changes(stack: Stack) -> None:
    assert stack.plan is not None
    exit_code, output = stack.plan()

    assert exit_code == 0, output  # 2 would mean changes: a package hash or an attribute that does not settle


def test_an_unsigned_request_to_an_aws_iam_route_is_refused(stack: Stack) -> None:
    name = f"unsigned-{uuid.uuid4().hex[:8]}"

    response = stack.request("POST", "/products", {**EXAMPLE, "name": name}, sign=False)

    assert response.status == 403, response.body
    assert stack.items_named(name) == []


def test_a_failing_record_is_retried_then_sent_to_the_on_failure_destination_while_its_batch_is_logged_once(
    stack: Stack,
) -> None:
    run = uuid.uuid4().hex[:8]
    names = [f"good-a-{run}", f"good-b-{run}", f"POISON-{run}"]
    ids = [str(uuid.uuid4()) for _ in names]
    mapping = stack.aws("lambda").get_event_source_mapping(UUID=stack.outputs["event_source_mapping_uuid"])
    # One write request, so the three records sit in the stream together and travel in one batch, the
    # failing one last: with partial batch responses only it is retried.
    stack.aws("dynamodb").batch_write_item(
        RequestItems={
            stack.outputs["table_name"]: [
                {
                    "PutRequest": {
                        "Item": {
                            **key(product_id),
                            "name": {"S": name},
                            "price": {"N": "1"},
                            "category": {"S": "e2e"},
                            "version": {"N": "1"},
                        }
                    }
                }
                for product_id, name in zip(ids, names, strict=True)
            ]
        }
    )

    expected_attempts = mapping["MaximumRetryAttempts"] + 1

    def all_attempts() -> list[dict[str, Any]] | None:
        lines = [line for line in stack.consumer_lines("poison record attempt") if line["name"] == names[2]]
        return lines if len(lines) >= expected_attempts else None

    # Retries back off, hence the longer wait.
    attempts = eventually(
        all_attempts, timeout=PATIENCE_S * 3, what=f"{expected_attempts} attempts on the failing record"
    )
    sequence = attempts[0]["sequenceNumber"]

    def failed_batch() -> tuple[str, dict[str, Any]] | None:
        for source, document in stack.failed_batches().items():
            if document["DDBStreamBatchInfo"]["startSequenceNumber"] == sequence:
                return source, document
        return None

    source, failure = eventually(failed_batch, what="the failed batch in the on-failure destination")
    stack.remove_failed_batch(source)
    assert len(attempts) == expected_attempts
    batch = failure["DDBStreamBatchInfo"]
    assert batch["endSequenceNumber"] == sequence
    assert batch["batchSize"] == 1
    assert batch["streamArn"] == mapping["EventSourceArn"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["functionArn"].endswith(
        f":function:{stack.outputs['consumer_function_name']}"
    )
    if "payload" in failure:  # type s3: the object holds the failed record itself, as the consumer got it
        [record] = payload_records(failure)
        assert record["dynamodb"]["SequenceNumber"] == sequence
        assert record["dynamodb"]["NewImage"]["name"]["S"] == names[2]

    def inserts_of_good_records() -> list[dict[str, Any]] | None:
        lines = [line for line in stack.consumer_lines() if line.get("eventName") == "INSERT"]
        logged = {line["keys"]["PK"] for line in lines}
        return lines if {f"Product#{product_id}" for product_id in ids[:2]} <= logged else None

    inserts = eventually(inserts_of_good_records, what="the INSERT lines of the good records")
    for product_id in ids[:2]:
        logged = [line for line in inserts if line["keys"]["PK"] == f"Product#{product_id}"]
        assert len(logged) == 1, f"Product#{product_id} logged {len(logged)} times"
    assert not [line for line in inserts if line["keys"]["PK"] == f"Product#{ids[2]}"]


def test_terraform_destroy_succeeds_and_leaves_nothing_behind(stack: Stack) -> None:
    stack.destroy()
    stack.destroyed = True

    name = stack.name

    def every(service: str, operation: str, key: str, **kwargs: Any) -> list[Any]:
        # Every page: a real account may hold more than one page of functions, roles or tables.
        pages = stack.aws(service).get_paginator(operation).paginate(**kwargs)
        return [item for page in pages for item in page.get(key, [])]

    tables = every("dynamodb", "list_tables", "TableNames")
    functions = [f["FunctionName"] for f in every("lambda", "list_functions", "Functions")]
    apis = [api["Name"] for api in every("apigatewayv2", "get_apis", "Items")]
    queues = every("sqs", "list_queues", "QueueUrls", QueueNamePrefix=name)
    mappings = every("lambda", "list_event_source_mappings", "EventSourceMappings")
    groups = [
        group["logGroupName"]
        for prefix in (f"/aws/lambda/{name}", f"/aws/apigateway/{name}", name)
        for group in every("logs", "describe_log_groups", "logGroups", logGroupNamePrefix=prefix)
    ]
    roles = [role["RoleName"] for role in every("iam", "list_roles", "Roles")]
    buckets = [bucket["Name"] for bucket in stack.aws("s3").list_buckets().get("Buckets", [])]
    alarms = every("cloudwatch", "describe_alarms", "MetricAlarms", AlarmNamePrefix=name)

    assert [t for t in tables if t.startswith(name)] == []
    assert [f for f in functions if f.startswith(name)] == []
    assert [a for a in apis if a.startswith(name)] == []
    assert queues == []
    assert [m for m in mappings if m["UUID"] == stack.outputs["event_source_mapping_uuid"]] == []
    assert groups == []
    assert [r for r in roles if r.startswith(name)] == []
    assert [b for b in buckets if b.startswith(name)] == []
    assert alarms == []
