"""The emulator: moto's server on loopback, with moto's own stream -> Lambda hook switched off."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.exceptions
import moto
import pytest
from botocore.config import Config

from local import client, patches
from local.emulator import STATE_FILE, Emulator
from local.lambda_runtime.functions import resolve_function
from tests.unit.local.conftest import create_stream_table, dummy_zip, unique

REPO = Path(__file__).resolve().parents[3]


def test_emulator_serves_aws_apis_on_loopback_until_stopped() -> None:
    emulator = Emulator(port=0)
    with emulator:
        endpoint = emulator.endpoint
        assert endpoint.startswith("http://127.0.0.1:")
        assert emulator.port != 0
        assert "TableNames" in client("dynamodb", endpoint).list_tables()

    quick = Config(retries={"max_attempts": 0}, connect_timeout=1)
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        client("dynamodb", endpoint, quick).list_tables()


def test_writes_keep_their_records_in_the_stream_when_a_mapping_exists(
    aws: Callable[[str], Any],
    stream_table: Callable[[], tuple[str, str]],
    function: Callable[[], str],
) -> None:
    # GIVEN a table whose stream feeds a function (unpatched moto would invoke it through Docker on each write
    # and then empty the shard)
    table, stream_arn = stream_table()
    aws("lambda").create_event_source_mapping(
        EventSourceArn=stream_arn, FunctionName=function(), StartingPosition="TRIM_HORIZON"
    )

    # WHEN an item is inserted, modified and removed
    key = {"pk": {"S": "p1"}, "sk": {"S": "s"}}
    ddb = aws("dynamodb")
    ddb.put_item(TableName=table, Item={**key, "v": {"N": "1"}})
    ddb.put_item(TableName=table, Item={**key, "v": {"N": "2"}})
    ddb.delete_item(TableName=table, Key=key)

    # THEN the DynamoDB Streams API returns the three records, in order
    streams = aws("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    assert records[1]["dynamodb"]["OldImage"]["v"] == {"N": "1"}
    assert records[1]["dynamodb"]["NewImage"]["v"] == {"N": "2"}


def test_functions_keep_the_snap_start_they_were_given(aws: Callable[[str], Any], role_arn: str) -> None:
    # GIVEN a function created with SnapStart on published versions, and its first version
    lam = aws("lambda")
    name = unique("snap")
    created = lam.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": dummy_zip()},
        SnapStart={"ApplyOn": "PublishedVersions"},
        Publish=True,
    )

    # THEN $LATEST reports the setting, and the published version runs from a snapshot
    assert created["SnapStart"]["ApplyOn"] == "PublishedVersions"
    latest = lam.get_function_configuration(FunctionName=name)["SnapStart"]
    assert latest == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "Off"}
    version = lam.get_function_configuration(FunctionName=name, Qualifier=created["Version"])["SnapStart"]
    assert version == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}

    # WHEN SnapStart is turned off
    lam.update_function_configuration(FunctionName=name, SnapStart={"ApplyOn": "None"})

    # THEN $LATEST says so, and the published version keeps what it was published with
    assert lam.get_function(FunctionName=name)["Configuration"]["SnapStart"]["ApplyOn"] == "None"
    version = lam.get_function_configuration(FunctionName=name, Qualifier=created["Version"])["SnapStart"]
    assert version["ApplyOn"] == "PublishedVersions"


def test_a_mapping_to_an_alias_follows_the_alias_to_new_versions(
    aws: Callable[[str], Any], role_arn: str, stream_table: Callable[[], tuple[str, str]]
) -> None:
    # GIVEN a mapping to the alias "live" of a function's version 1
    lam = aws("lambda")
    name = unique("aliased")
    created = lam.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": dummy_zip()},
        Publish=True,
    )
    alias = lam.create_alias(FunctionName=name, Name="live", FunctionVersion=created["Version"])
    alias_arn = alias["AliasArn"]
    _, stream_arn = stream_table()
    mapping = lam.create_event_source_mapping(
        EventSourceArn=stream_arn, FunctionName=alias_arn, StartingPosition="TRIM_HORIZON"
    )

    # THEN the mapping names the alias, as Lambda does, not the version the alias points at
    assert mapping["FunctionArn"] == alias_arn
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["FunctionArn"] == alias_arn

    # WHEN a second version is published and the alias moved to it
    lam.update_function_configuration(FunctionName=name, Description="second")
    second = lam.publish_version(FunctionName=name)["Version"]
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion=second)

    # THEN what the mapping invokes resolves to the second version
    function_arn = lam.get_event_source_mapping(UUID=mapping["UUID"])["FunctionArn"]
    assert resolve_function(lam, function_arn).version == second

    # AND a mapping moved to NAME:QUALIFIER names the alias's full ARN
    moved = lam.update_event_source_mapping(UUID=mapping["UUID"], FunctionName=f"{name}:live")
    assert moved["FunctionArn"] == alias_arn


def test_only_the_newest_shard_iterators_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # The setting is read in the server's process, so this test serves from its own thread.
    monkeypatch.setattr(patches, "SHARD_ITERATORS_KEPT", 3)
    with Emulator(port=0, in_process=True) as emulator:
        table, stream_arn = create_stream_table(client("dynamodb", emulator.endpoint))
        client("dynamodb", emulator.endpoint).put_item(
            TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": "s"}}
        )
        streams = client("dynamodbstreams", emulator.endpoint)
        shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
        first = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        iterator = first
        for _ in range(5):  # each call issues a new iterator
            page = streams.get_records(ShardIterator=iterator)
            iterator = page["NextShardIterator"]

        with pytest.raises(streams.exceptions.ExpiredIteratorException):
            streams.get_records(ShardIterator=first)
        assert streams.get_records(ShardIterator=iterator)["Records"] == []


def test_bucket_policies_are_evaluated_as_for_tls_requests() -> None:
    # GIVEN a bucket whose policy denies every request made without TLS, as the module's failure bucket does
    with Emulator(port=0) as emulator:
        s3 = client("s3", emulator.endpoint)
        s3.create_bucket(Bucket="failures")
        deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::failures/*"}
        unless_tls = {"Bool": {"aws:SecureTransport": "false"}}
        policy = {"Version": "2012-10-17", "Statement": [{**deny, "Condition": unless_tls}]}
        s3.put_bucket_policy(Bucket="failures", Policy=json.dumps(policy))
        # WHEN an object is written over the emulator's plain HTTP, which stands in for AWS's TLS
        s3.put_object(Bucket="failures", Key="batch", Body=b"{}")
        # THEN the write is not refused, while a statement without a condition still denies
        assert s3.get_object(Bucket="failures", Key="batch")["Body"].read() == b"{}"
        s3.put_bucket_policy(Bucket="failures", Policy=json.dumps({**policy, "Statement": [deny]}))
        with pytest.raises(botocore.exceptions.ClientError, match=r"AccessDenied|Forbidden"):
            s3.put_object(Bucket="failures", Key="batch", Body=b"{}")


def test_a_versioned_bucket_with_delete_markers_can_be_emptied_and_deleted() -> None:
    # GIVEN a versioned bucket holding a key whose newest version is a delete marker (a redriven batch)
    with Emulator(port=0) as emulator:
        s3 = client("s3", emulator.endpoint)
        s3.create_bucket(Bucket="failures")
        s3.put_bucket_versioning(Bucket="failures", VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket="failures", Key="aws/lambda/batch", Body=b"{}")
        s3.delete_object(Bucket="failures", Key="aws/lambda/batch")
        # WHEN every version and delete marker is deleted, as force_destroy does
        listed = s3.list_object_versions(Bucket="failures")
        versions = [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]
        objects = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions]
        answer = s3.delete_objects(Bucket="failures", Delete={"Objects": objects})
        # THEN all of them go, and so can the bucket
        assert not answer.get("Errors")
        assert len(answer["Deleted"]) == 2
        s3.delete_bucket(Bucket="failures")


def test_patches_refuse_another_moto_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto, "__version__", "0.0.1")
    with pytest.raises(patches.PatchError, match=r"moto 0\.0\.1 is installed"):
        patches.apply()


def test_patches_refuse_an_attribute_that_moto_no_longer_has() -> None:
    class Backend:
        pass

    patch = patches.Patch(owner=Backend, name="gone", replacement=lambda: None, reason="a test")
    with pytest.raises(patches.PatchError, match=r"Backend\.gone"):
        patches.install(patch)


def test_patch_keeps_the_original_for_wrappers() -> None:
    from moto.awslambda.models import LambdaBackend

    patches.apply()
    assert LambdaBackend.send_dynamodb_items is not patches.original(LambdaBackend, "send_dynamodb_items")
    assert patches.original(LambdaBackend, "send_dynamodb_items").__module__ == "moto.awslambda.models"


def test_command_line_writes_its_state_file_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "local.emulator", "--port", "0", "--state-dir", str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        state_file = tmp_path / STATE_FILE
        deadline = time.monotonic() + 60
        while not state_file.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        state = json.loads(state_file.read_text())
        assert state["pid"] == process.pid
        assert state["endpoint"] == f"http://127.0.0.1:{state['port']}"
        assert "TableNames" in client("dynamodb", state["endpoint"]).list_tables()

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert process.stdout is not None
        assert f"listening on {state['endpoint']}" in process.stdout.read()
        assert not state_file.exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_log_groups_keep_their_class() -> None:
    with Emulator(port=0) as emulator:
        logs = client("logs", emulator.endpoint)
        logs.create_log_group(logGroupName="/aws/lambda/rare", logGroupClass="INFREQUENT_ACCESS")
        logs.create_log_group(logGroupName="/aws/lambda/often")
        groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
        assert {g["logGroupName"]: g["logGroupClass"] for g in groups} == {
            "/aws/lambda/rare": "INFREQUENT_ACCESS",
            "/aws/lambda/often": "STANDARD",
        }
