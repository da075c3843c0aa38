"""The end-to-end suite's stack: the module applied with Terraform, driven through HTTP and AWS APIs only.

E2E_TARGET chooses where (default `local`):
- `local`: a fresh emulator (moto's server on a free loopback port) in this process, examples/local applied to
  it, and the local Lambda runner, API front and stream poller serving it;
- `localstack`: examples/local applied to the LocalStack at E2E_ENDPOINT, which runs the functions itself;
- `aws`: tests/e2e/aws applied to the account and region of the usual AWS credentials (AWS_REGION, default
  us-east-1).

Every run deploys under a unique name, with the consumer's RECORD_HANDLER set to
tests/e2e/plugins/e2e_poison.py. On LocalStack and AWS every stack is destroyed at the end. On the local
target only test_pipeline's destroy test runs `terraform destroy` (and checks what it leaves): every other
local stack's emulator is thrown away with all it holds.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.constants import ACCESS_KEY, REGION, SECRET_KEY
from local.emulator import Emulator
from local.services import Services
from local.terraform import apply, outputs, terraform, terraform_env, tf_vars

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXAMPLE = ROOT / "examples" / "local"
TARGET = os.environ.get("E2E_TARGET", "local")
# How long a change may take to reach the consumer's log group: seconds locally, longer on AWS.
PATIENCE_S = 20.0 if TARGET == "local" else 180.0
DESTROY_TEST = "test_terraform_destroy_succeeds_and_leaves_nothing_behind"


def eventually[T](probe: Callable[[], T | None], timeout: float = PATIENCE_S, what: str = "condition") -> T:
    """Polls `probe` until it returns something truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last value: {value!r}")
        time.sleep(0.2)


def payload_records(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of a failed batch an S3 destination holds (its `payload` is the invocation event as a
    JSON string)."""
    payload = document["payload"]
    return list((json.loads(payload) if isinstance(payload, str) else payload)["Records"])


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Stack:
    name: str
    api_url: str
    outputs: dict[str, Any]
    session: boto3.session.Session
    endpoint: str | None
    credentials: Credentials
    region: str
    destroy: Callable[[], None]
    destroyed: bool = False
    _clients: dict[str, Any] = field(default_factory=dict)
    _receipts: dict[str, str] = field(default_factory=dict)  # SQS message ID -> receipt of its last receive
    # The local target's runner, API front and poller, and the directory holding the poller's checkpoints.
    services: Services | None = None
    state_dir: Path | None = None
    # Runs `terraform plan -detailed-exitcode` on the applied stack: (exit code, plan output).
    plan: Callable[[], tuple[int, str]] | None = None
    # The Terraform variables of the last apply.
    variables: dict[str, str] = field(default_factory=dict)

    def aws(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, endpoint_url=self.endpoint)  # type: ignore[call-overload]
        return self._clients[service]

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        sign: bool = True,
    ) -> Response:
        url = self.api_url.rstrip("/") + path
        data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
        headers = {"content-type": "application/json", **(headers or {})}
        if sign:
            signed = AWSRequest(method=method, url=url, data=data or b"", headers=headers)
            SigV4Auth(self.credentials, "execute-api", self.region).add_auth(signed)
            headers = dict(signed.headers.items())
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - the stack's own API
                return Response(response.status, dict(response.headers.items()), response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers.items()), error.read())

    def log_lines(self, group: str) -> list[dict[str, Any]]:
        """Every JSON log line of `group` (Lambda's START/END/REPORT lines left out)."""
        logs = self.aws("logs")
        kwargs: dict[str, Any] = {"logGroupName": group}
        lines: list[dict[str, Any]] = []
        while True:
            page = logs.filter_log_events(**kwargs)
            for event in page.get("events", []):
                try:
                    line = json.loads(event["message"])
                except ValueError:
                    continue
                if isinstance(line, dict):
                    lines.append(line)
            if not page.get("nextToken"):
                return lines
            kwargs["nextToken"] = page["nextToken"]

    def items_named(self, name: str) -> list[dict[str, Any]]:
        """The products table's items whose `name` is `name`, read consistently."""
        scan = self.aws("dynamodb").scan(
            TableName=self.outputs["table_name"],
            FilterExpression="#n = :name",
            ExpressionAttributeNames={"#n": "name"},
            ExpressionAttributeValues={":name": {"S": name}},
            ConsistentRead=True,
        )
        return list(scan["Items"])

    def failed_batches(self) -> dict[str, dict[str, Any]]:
        """The mapping's failed batches in the on-failure destination, by S3 key (type s3: the invocation
        record, `payload` included) or SQS message ID (type sqs: the pointer). SQS messages stay visible."""
        bucket = self.outputs.get("failure_bucket_name")
        if bucket:
            s3 = self.aws("s3")
            prefix = f"aws/lambda/{self.outputs['event_source_mapping_uuid']}/"
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
            return {key: json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in keys}
        queue_url = self.outputs.get("failure_queue_url") or self.outputs["dead_letter_queue_url"]
        received = self.aws("sqs").receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,  # others' messages stay where they are
            WaitTimeSeconds=0,
        )
        batches: dict[str, dict[str, Any]] = {}
        for message in received.get("Messages", []):
            self._receipts[message["MessageId"]] = message["ReceiptHandle"]
            batches[message["MessageId"]] = json.loads(message["Body"])
        return batches

    def remove_failed_batch(self, source: str) -> None:
        """Deletes a failed batch `failed_batches` returned under `source` (later tests read them too)."""
        bucket = self.outputs.get("failure_bucket_name")
        if bucket:
            self.aws("s3").delete_object(Bucket=bucket, Key=source)
            return
        queue_url = self.outputs.get("failure_queue_url") or self.outputs["dead_letter_queue_url"]
        self.aws("sqs").delete_message(QueueUrl=queue_url, ReceiptHandle=self._receipts.pop(source))

    def consumer_lines(self, message: str = "stream record") -> list[dict[str, Any]]:
        return [
            line
            for line in self.log_lines(self.outputs["consumer_log_group_name"])
            if line.get("message") == message
        ]


def _apply(
    directory: Path, state_dir: Path, variables: dict[str, str]
) -> tuple[dict[str, Any], Callable[[], None]]:
    env = terraform_env(state_dir)
    log = state_dir / "terraform.log"
    state_file = state_dir / "terraform.tfstate"

    def destroy() -> None:
        # Nothing but Terraform changed the resources, so reading them all back first would only take time.
        terraform(
            [
                "destroy",
                "-auto-approve",
                "-input=false",
                "-refresh=false",
                f"-state={state_file}",
                *tf_vars(variables),
            ],
            env,
            log,
            directory,
        )

    try:
        apply(env, log, state_file, variables, directory)
    except Exception:
        destroy()
        raise
    return outputs(env, log, state_file, directory), destroy


def _planner(directory: Path, state_dir: Path, variables: dict[str, str]) -> Callable[[], tuple[int, str]]:
    def plan() -> tuple[int, str]:
        state = f"-state={state_dir / 'terraform.tfstate'}"
        command = ["terraform", f"-chdir={directory}", "plan", "-detailed-exitcode", "-input=false"]
        result = subprocess.run(
            [*command, "-no-color", state, *tf_vars(variables)],
            env=terraform_env(state_dir),
            capture_output=True,
            text=True,
            check=False,
        )
        return result.returncode, result.stdout + result.stderr

    return plan


def _common_vars(name: str) -> dict[str, str]:
    return {
        "name": name,
        "consumer_record_handler": "e2e_poison:record_handler",
        "consumer_extra_source_dir": str(HERE / "plugins"),
    }


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if shutil.which("terraform") is None:
        pytest.fail("the end-to-end suite needs terraform on PATH")
    state_dir = tmp_path_factory.mktemp("e2e")
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    if TARGET == "local":
        with _local_stack(state_dir, name) as local:
            yield local
    elif TARGET == "localstack":
        yield from _localstack_stack(state_dir, name)
    elif TARGET == "aws":
        yield from _aws_stack(state_dir, name)
    else:
        pytest.fail(f"E2E_TARGET must be local, localstack or aws, not {TARGET!r}")


@contextmanager
def _local_stack(state_dir: Path, name: str, extra_vars: dict[str, str] | None = None) -> Iterator[Stack]:
    """examples/local applied to a fresh emulator, with `extra_vars` on top of the suite's variables.

    Leaving stops the services and the emulator without `terraform destroy`: the emulator's resources go with
    it. Only `stack.destroy()` (test_pipeline's destroy test) runs Terraform's destroy."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per emulator request drowns failures
    with Emulator(port=0) as emulator:
        variables = {**_common_vars(name), "endpoint": emulator.endpoint, **(extra_vars or {})}
        outputs, destroy = _apply(EXAMPLE, state_dir, variables)
        services = Services(
            emulator.endpoint, state_dir / "lambda", state_dir=state_dir, api_ids=[outputs["api_id"]]
        ).start()
        stopped = False

        def stop_services() -> None:
            nonlocal stopped
            if not stopped:
                services.stop()
                stopped = True

        def stop_then_destroy() -> None:
            stop_services()  # nothing may invoke functions while Terraform deletes them
            destroy()

        session = boto3.session.Session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
        )
        stack = Stack(
            name=name,
            api_url=services.urls[outputs["api_id"]],
            outputs=outputs,
            session=session,
            endpoint=emulator.endpoint,
            credentials=Credentials(ACCESS_KEY, SECRET_KEY),
            region=REGION,
            destroy=stop_then_destroy,
            services=services,
            state_dir=state_dir,
            plan=_planner(EXAMPLE, state_dir, variables),
            variables=variables,
        )
        try:
            yield stack
        finally:
            stop_services()


def _localstack_stack(state_dir: Path, name: str) -> Iterator[Stack]:
    endpoint = os.environ.get("E2E_ENDPOINT", "http://localhost:4566")
    variables = {**_common_vars(name), "endpoint": endpoint}
    outputs, destroy = _apply(EXAMPLE, state_dir, variables)
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    # LocalStack gives each HTTP API its own host name under its endpoint, and reports it as the API endpoint.
    credentials = Credentials(ACCESS_KEY, SECRET_KEY)
    stack = Stack(name, outputs["api_endpoint"], outputs, session, endpoint, credentials, REGION, destroy)
    stack.plan = _planner(EXAMPLE, state_dir, variables)
    try:
        yield stack
    finally:
        if not stack.destroyed:
            destroy()


def _aws_stack(state_dir: Path, name: str) -> Iterator[Stack]:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    session = boto3.session.Session(region_name=region)
    found = session.get_credentials()
    if found is None:
        pytest.fail("make test-aws needs AWS credentials (environment, profile or SSO)")
    frozen = found.get_frozen_credentials()
    credentials = Credentials(str(frozen.access_key), str(frozen.secret_key), frozen.token)
    variables = {**_common_vars(name), "region": region}
    outputs, destroy = _apply(HERE / "aws", state_dir, variables)
    stack = Stack(name, outputs["api_endpoint"], outputs, session, None, credentials, region, destroy)
    stack.plan = _planner(HERE / "aws", state_dir, variables)
    try:
        yield stack
    finally:
        if not stack.destroyed:
            destroy()


SHARED_STACK_GROUP = "stack"


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The groups `make test-e2e`'s workers (pytest-xdist, --dist loadgroup) take whole: every test of the
    session stack in one (one worker applies it once), each other file in one of its own (its module-scoped
    stack applied once). The test that destroys the shared stack runs last, whichever file a test lives in."""
    for item in items if config.pluginmanager.hasplugin("xdist") else ():
        uses_shared_stack = "stack" in getattr(item, "fixturenames", ())
        group = SHARED_STACK_GROUP if uses_shared_stack else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))
        if getattr(config.option, "loadgroup", False):  # set in the workers of --dist loadgroup
            _name_group(item, group)
    last = [item for item in items if item.name == DESTROY_TEST]
    items[:] = [item for item in items if item.name != DESTROY_TEST] + last


def _name_group(item: pytest.Item, group: str) -> None:
    """Appends `@group` to the test's ID, which is how a worker tells the controller a test's group.

    pytest-xdist 3.8.0 does it by setting `item._nodeid`, which pytest 9.2's structured node IDs no longer
    read: without this every test would be scheduled on its own, and each worker would apply a session stack
    of its own (pytest-dev/pytest-xdist#1386). Done here for the pinned pytest; xdist's suffix goes unused."""
    if not hasattr(item, "_id") or hasattr(item, "_nodeid"):  # an earlier pytest: xdist's own hook works
        return
    from _pytest.nodeid import NodeId  # pytest >= 9.2 only

    item._id = NodeId.parse(f"{item.nodeid}@{group}")
