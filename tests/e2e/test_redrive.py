"""The failure loop on the local stack, end to end, and the metrics behind the module's alarms.

A stack of its own (examples/local on an emulator of its own, with its own runner, API front and poller, so
this file runs beside the session stack's tests) runs, in order:

1. the default S3 destination: a per-record function that fails on a marker (plugins/e2e_redrive.py);
   marked writes land in the bucket whole, with the consumer's ERROR lines; the fixed function is applied
   (`consumer_record_handler` switched); the redrive, invoked through the emulator's Lambda Invoke, replays
   each failed record once, moves the objects under redriven/, and a second run finds nothing;
2. every alarm the module created whose condition can happen locally is made to happen (the failing function
   applied again), and its exact namespace, metric, dimensions, unit and statistic have data in the
   emulator's CloudWatch;
3. SnapStart (the stack re-applied with `snap_start_enabled = true`): the next plan is empty, the emulator
   keeps the setting (through the patches in local/patches.py), and a product written through the API
   reaches the writer and, through the stream, the consumer, each through its alias "live";
4. the SQS destination (the same stack re-applied with `on_failure_destination_type = "sqs"`, SnapStart
   still on): after the table is deleted and created again (a new stream: the old one's records are gone),
   the redrive reports the pointer's range as expired and leaves the message in the queue.

The steps depend on each other (one stack, applied five times), so they run in this file's order.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local import terraform as tf
from tests.e2e.conftest import (
    EXAMPLE,
    ROOT,
    TARGET,
    Response,
    Stack,
    _local_stack,
    _planner,
    eventually,
    payload_records,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(TARGET != "local", reason="drives the local runner's services directly"),
]

MARKER = "REDRIVE-FAIL"  # plugins/e2e_redrive.py fails the records whose name holds it
FAILING = "e2e_redrive:record_handler"
FIXED = "e2e_redrive:fixed_record_handler"
PATIENCE_S = 60.0

# Alarms whose condition the local stack cannot produce: moto's DynamoDB neither throttles nor fails
# requests, and publishes no metrics (docs/local-stack.md).
NOT_PRODUCIBLE_LOCALLY = {"table_throttles": "AWS/DynamoDB", "table_system_errors": "AWS/DynamoDB"}
# The unit AWS publishes each watched metric with.
UNITS = {
    "IteratorAge": "Milliseconds",
    "Errors": "Count",
    "Throttles": "Count",
    "OnFailureDestinationDeliveredEventCount": "Count",
    "DestinationDeliveryFailures": "Count",
    "5xx": "Count",
}


@dataclass
class LoopStack:
    stack: Stack  # on an emulator of its own, thrown away at the end (no `terraform destroy`)

    @property
    def name(self) -> str:
        return self.stack.name

    @property
    def outputs(self) -> dict[str, Any]:
        return self.stack.outputs

    def apply(self, refresh: bool = False, **changes: str) -> None:
        """Applies the stack again with `changes` to its variables. Without `refresh` when nothing but
        Terraform has changed its resources since the last apply: reading every one back only takes time."""
        stack = self.stack
        assert stack.state_dir is not None
        stack.variables = {**stack.variables, **changes}
        env, log = tf.terraform_env(stack.state_dir), stack.state_dir / "terraform.log"
        state = stack.state_dir / "terraform.tfstate"
        options = ["-auto-approve", "-input=false"] + ([] if refresh else ["-refresh=false"])
        # Initialised by the first apply (its TF_DATA_DIR is the stack's own).
        tf.terraform(["apply", *options, f"-state={state}", *tf.tf_vars(stack.variables)], env, log, EXAMPLE)
        stack.outputs = tf.outputs(env, log, state, EXAMPLE)
        stack.plan = _planner(EXAMPLE, stack.state_dir, stack.variables)

    def aws(self, service: str) -> Any:
        return self.stack.aws(service)

    def request(self, method: str, path: str, body: Any = None) -> Response:
        """A signed request to this stack's API."""
        return self.stack.request(method, path, body)

    def post(self, name: str) -> str:
        """Creates a product through the API; returns its id."""
        response = self.request("POST", "/products", {"name": name, "price": 1, "category": "e2e"})
        assert response.status == 201, response.body
        return str(response.json()["id"])

    def consumer_lines(self, message: str) -> list[dict[str, Any]]:
        return self.stack.consumer_lines(message)

    def redrive(self) -> dict[str, Any]:
        """Runs the redrive through the emulator's Lambda Invoke (which hands it to the local runner)."""
        response = self.aws("lambda").invoke(
            FunctionName=self.outputs["redrive_function_name"], Payload=b"{}"
        )
        body = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, body
        return dict(body)


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopStack]:
    variables = {"consumer_record_handler": FAILING, "on_failure_destination_type": "s3"}
    name = f"e2e-rd-{uuid.uuid4().hex[:8]}"
    with _local_stack(tmp_path_factory.mktemp("redrive"), name, variables) as stack:
        yield LoopStack(stack)


def failed_batches(loop: LoopStack, prefix: str = "aws/lambda/") -> dict[str, dict[str, Any]]:
    s3, bucket = loop.aws("s3"), loop.outputs["failure_bucket_name"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {
        item["Key"]: json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
        for item in listed
    }


def record_name(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["NewImage"]["name"]["S"])


def test_s3_destination_holds_failed_batches_and_redrive_replays_them_once(loop: LoopStack) -> None:
    run = f"{int(time.time())}"
    marked = [f"{run}-{MARKER}-1", f"{run}-{MARKER}-2"]
    plain = [f"{run}-plain-1", f"{run}-plain-2"]
    # One write at a time, each waited for, so each failed batch holds exactly one marked record.
    for name in [plain[0], marked[0], plain[1], marked[1]]:
        loop.post(name)
        if MARKER in name:
            eventually(
                lambda name=name: any(  # type: ignore[misc]
                    name in map(record_name, payload_records(d)) for d in failed_batches(loop).values()
                ),
                PATIENCE_S,
                f"{name} in the failure bucket",
            )
        else:
            eventually(
                lambda name=name: any(  # type: ignore[misc]
                    (line.get("newImage") or {}).get("name") == name
                    for line in loop.consumer_lines("stream record")
                ),
                PATIENCE_S,
                f"{name} logged by the consumer",
            )

    documents = failed_batches(loop)
    in_bucket = [record for document in documents.values() for record in payload_records(document)]
    assert sorted(map(record_name, in_bucket)) == sorted(marked)
    for key, document in documents.items():
        assert key.startswith(f"aws/lambda/{loop.outputs['event_source_mapping_uuid']}/")
        assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert document["DDBStreamBatchInfo"]["batchSize"] == len(payload_records(document))
    failed_ids = {record["eventID"] for record in in_bucket}
    errors = eventually(
        lambda: {line["eventID"] for line in loop.consumer_lines("stream record failed")} >= failed_ids,
        PATIENCE_S,
        "an ERROR line per failed record",
    )
    assert errors

    # WHEN the fix is deployed and the redrive runs
    loop.apply(consumer_record_handler=FIXED)
    answer = loop.redrive()

    assert answer["replayed"] == len(documents), answer
    assert (answer["found"], answer["still_failing"], answer["expired"]) == (len(documents), 0, 0)

    def replayed() -> Counter[str]:
        lines = loop.consumer_lines("stream record")
        return Counter(line["eventID"] for line in lines if line.get("eventID") in failed_ids)

    eventually(lambda: set(replayed()) == failed_ids, PATIENCE_S, "the replayed records logged")
    time.sleep(1)  # a second line for a record would arrive within this
    assert replayed() == dict.fromkeys(failed_ids, 1)
    assert failed_batches(loop) == {}
    assert {key.removeprefix("redriven/") for key in failed_batches(loop, "redriven/")} == set(documents)

    # THEN a second run has nothing to do
    second = subprocess.run(
        [
            sys.executable,
            *("-m", "local", "invoke", loop.outputs["redrive_function_name"]),
            *("--endpoint", str(loop.stack.endpoint)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    again = json.loads(second.stdout)
    assert (again["found"], again["replayed"], again["still_failing"], again["expired"]) == (0, 0, 0, 0)


def test_every_alarm_that_can_fire_locally_has_its_metric(loop: LoopStack) -> None:
    loop.apply(consumer_record_handler=FAILING)
    lambda_client, outputs = loop.aws("lambda"), loop.outputs
    consumer, writer = outputs["consumer_function_name"], outputs["writer_function_name"]

    # consumer_errors, consumer_iterator_age: a batch of one failing record fails the whole invocation
    # (done by the earlier tests too; one more keeps this test whole on its own).
    loop.post(f"{int(time.time())}-{MARKER}-alarm")
    # consumer_throttles: no concurrency left for the consumer while a record waits
    lambda_client.put_function_concurrency(FunctionName=consumer, ReservedConcurrentExecutions=0)
    try:
        loop.post(f"{int(time.time())}-throttled")
        eventually(
            lambda: datapoints(loop, "AWS/Lambda", "Throttles", {"FunctionName": consumer}, "Sum"),
            PATIENCE_S,
            "Throttles",
        )
    finally:
        lambda_client.delete_function_concurrency(FunctionName=consumer)
    # destination_delivery_failures: the mapping's destination pointed at a queue that does not exist
    mapping = outputs["event_source_mapping_uuid"]
    current = lambda_client.get_event_source_mapping(UUID=mapping)["DestinationConfig"]
    missing = outputs["on_failure_destination_arn"].rsplit(":", 1)[0] + ":no-such-queue"
    lambda_client.update_event_source_mapping(
        UUID=mapping, DestinationConfig={"OnFailure": {"Destination": missing}}
    )
    try:
        loop.post(f"{int(time.time())}-{MARKER}-undeliverable")
        eventually(
            lambda: datapoints(
                loop, "AWS/Lambda", "DestinationDeliveryFailures", {"FunctionName": consumer}, "Sum"
            ),
            PATIENCE_S,
            "DestinationDeliveryFailures",
        )
    finally:
        lambda_client.update_event_source_mapping(UUID=mapping, DestinationConfig=current)
    # writer_errors, api_5xx: the writer without its table fails every request
    environment = lambda_client.get_function_configuration(FunctionName=writer)["Environment"]
    broken = {k: v for k, v in environment["Variables"].items() if k != "TABLE_NAME"}
    lambda_client.update_function_configuration(FunctionName=writer, Environment={"Variables": broken})
    try:
        response = loop.request("POST", "/products", {"name": "x", "price": 1, "category": "e2e"})
        assert response.status == 500
    finally:
        lambda_client.update_function_configuration(FunctionName=writer, Environment=environment)

    alarms = loop.aws("cloudwatch").describe_alarms(AlarmNamePrefix=f"{loop.name}-")["MetricAlarms"]
    keys = {alarm["AlarmName"].removeprefix(f"{loop.name}-").replace("-", "_"): alarm for alarm in alarms}
    assert set(keys) == set(outputs["alarm_arns"])
    checked = []
    for key, alarm in sorted(keys.items()):
        if key in NOT_PRODUCIBLE_LOCALLY:
            continue
        dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        found = eventually(
            lambda alarm=alarm, dimensions=dimensions: datapoints(  # type: ignore[misc]
                loop, alarm["Namespace"], alarm["MetricName"], dimensions, alarm["Statistic"]
            ),
            PATIENCE_S,
            f"data for alarm {key}",
        )
        assert all(point[alarm["Statistic"]] >= 0 for point in found)
        checked.append(key)
    assert set(checked) | set(NOT_PRODUCIBLE_LOCALLY) == set(keys)


def datapoints(
    loop: LoopStack, namespace: str, metric: str, dimensions: dict[str, str], statistic: str
) -> list[dict[str, Any]]:
    """The data points of exactly this metric: its dimension set must exist as it is (no more, no fewer
    dimensions) and its data must have AWS's unit for it."""
    cloudwatch = loop.aws("cloudwatch")
    wanted = [{"Name": name, "Value": value} for name, value in dimensions.items()]
    listed = cloudwatch.list_metrics(Namespace=namespace, MetricName=metric, Dimensions=wanted)["Metrics"]
    exact = any({d["Name"]: d["Value"] for d in m["Dimensions"]} == dimensions for m in listed)
    if not exact:
        return []
    now = datetime.now(UTC)
    return list(
        cloudwatch.get_metric_statistics(
            Namespace=namespace,
            MetricName=metric,
            Dimensions=wanted,
            StartTime=now - timedelta(minutes=30),
            EndTime=now + timedelta(minutes=1),
            Period=60,
            Statistics=[statistic],
            Unit=UNITS[metric],
        )["Datapoints"]
    )


def started_versions(stack: Stack, group: str, since_ms: int) -> set[str]:
    """The function versions that the invocations logged in `group` from `since_ms` on ran (Lambda's START
    lines)."""
    logs = stack.aws("logs")
    events = logs.filter_log_events(logGroupName=group, filterPattern="START", startTime=since_ms)["events"]
    messages = [event["message"] for event in events]
    return {message.split("Version: ")[1].strip() for message in messages if "Version: " in message}


def test_with_snap_start_the_plan_is_empty_and_both_functions_are_invoked_through_their_alias(
    loop: LoopStack,
) -> None:
    # Before the SQS step, which leaves the table no longer Terraform's; after the alarms, whose writer
    # fault is made on $LATEST, which the API no longer invokes once SnapStart publishes versions.
    # Read back first: the alarms' faults were made and undone outside Terraform.
    loop.apply(refresh=True, snap_start_enabled="true")
    stack = loop.stack
    writer_alias = stack.outputs["writer_alias_arn"]
    consumer_alias = stack.outputs["consumer_alias_arn"]
    assert writer_alias.endswith(":live")
    assert consumer_alias.endswith(":live")

    # GIVEN the applied stack: nothing left to change, SnapStart kept on every function
    assert stack.plan is not None
    code, output = stack.plan()
    assert code == 0, output
    lam = stack.aws("lambda")
    for name in (stack.outputs["writer_function_name"], stack.outputs["consumer_function_name"]):
        snap_start = lam.get_function_configuration(FunctionName=name, Qualifier="live")["SnapStart"]
        assert snap_start == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}

    # WHEN a product is created through the API
    product = f"snap-{uuid.uuid4().hex[:8]}"
    since_ms = int(time.time() * 1000)  # the earlier steps' writes ran $LATEST
    response = stack.request("POST", "/products", {"name": product, "price": 3, "category": "tools"})

    # THEN the writer ran as its alias, and the consumer logged the insert, invoked as its alias
    assert response.status == 201, response.body
    product_id = response.json()["id"]
    live = lam.get_alias(FunctionName=stack.outputs["writer_function_name"], Name="live")["FunctionVersion"]
    assert live != "$LATEST"
    assert started_versions(stack, stack.outputs["writer_log_group_name"], since_ms) == {live}

    def insert_line() -> dict[str, Any] | None:
        for line in stack.consumer_lines():
            if line.get("eventName") == "INSERT" and line["keys"].get("PK") == f"Product#{product_id}":
                return line
        return None

    line = eventually(insert_line, PATIENCE_S, "the consumer's INSERT line")
    assert line["function_arn"] == consumer_alias
    assert line["newImage"]["name"] == product


def test_sqs_pointer_to_a_recreated_stream_is_reported_expired(loop: LoopStack) -> None:
    loop.apply(on_failure_destination_type="sqs", consumer_record_handler=FAILING)
    queue_url = loop.outputs["failure_queue_url"]
    sqs = loop.aws("sqs")
    name = f"{int(time.time())}-{MARKER}-sqs"
    loop.post(name)

    def pointers() -> list[dict[str, Any]]:
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [json.loads(message["Body"]) for message in received.get("Messages", [])]

    [pointer] = eventually(pointers, PATIENCE_S, "the failure pointer in the queue")
    assert "payload" not in pointer

    # WHEN the table is deleted and created again (moto cannot re-enable a stream): a new stream, the old
    # one's records gone. Last in this module, since the stack's table is no longer Terraform's after this.
    dynamodb, table = loop.aws("dynamodb"), loop.outputs["table_name"]
    described = dynamodb.describe_table(TableName=table)["Table"]
    dynamodb.delete_table(TableName=table)
    dynamodb.create_table(
        TableName=table,
        KeySchema=described["KeySchema"],
        AttributeDefinitions=described["AttributeDefinitions"],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    answer = loop.redrive()

    assert (answer["found"], answer["replayed"], answer["expired"]) == (1, 0, 1), answer
    [batch] = answer["batches"]
    info = pointer["DDBStreamBatchInfo"]
    assert batch["status"] == "expired"
    assert (batch["shardId"], batch["startSequenceNumber"], batch["endSequenceNumber"]) == (
        info["shardId"],
        info["startSequenceNumber"],
        info["endSequenceNumber"],
    )
    assert len(pointers()) == 1  # left for the operator
