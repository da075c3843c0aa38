"""The module's IAM policies are least privilege, and enough: read from IAM after applying examples/local.

examples/local (the defaults) and tests/security/hardened (customer-managed key, VPC placement, SNS
destination: every input that changes a policy) are each applied to a fresh emulator, as the end-to-end suite
does it; every policy of the stack's roles is then read back through the IAM API, so what is checked is what
Terraform created. examples/minimal and examples/complete are applied too (each to an emulator of its own,
through AWS_ENDPOINT_URL, as they configure no endpoint), for the catalogue check only.

- catalogue: every statement of every policy of every role in each of the four stacks is checked against
  AWS's IAM catalogue offline (tests.security.iam_database): no unknown action, no malformed ARN, no resource
  the action cannot be scoped to (the emulator evaluates no IAM, so it would accept all three);
- inventory: no wildcard action, a wildcard resource only where tests.security.iam_policies allows it (with
  its reason), and no action that neither a handler nor an AWS service acting for the function needs;
- sufficiency: the writer and consumer handlers run against the deployed tables with their deployed
  environments while every SDK call they make is recorded; each call, and each call AWS makes with the role on
  the function's behalf, must be allowed by exactly the role's policy.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local import client
from local.constants import ACCESS_KEY, ACCOUNT_ID, REGION, SECRET_KEY
from local.emulator import Emulator
from local.terraform import terraform, terraform_env
from tests.e2e.conftest import _apply
from tests.security.iam_database import findings
from tests.security.iam_policies import (
    Call,
    Statement,
    denied,
    needed_actions,
    parse_policy,
    to_iam_calls,
    unexplained_wildcards,
)

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("writer", "consumer", "redrive")
CONFIGURATIONS = {"defaults": ROOT / "examples" / "local", "hardened": Path(__file__).parent / "hardened"}
# The examples for AWS, with the variables they need; their policies are checked against the IAM catalogue.
EXAMPLES = {
    "minimal": (ROOT / "examples" / "minimal", {}),
    "complete": (
        ROOT / "examples" / "complete",
        {"jwt_issuer": "https://issuer.example.com", "jwt_audience": '["catalog"]'},
    ),
}

# role name -> (policy name, policy document as IAM returns it) of each of its identity policies
RolePolicies = dict[str, list[tuple[str, str]]]


@dataclass
class Deployed:
    outputs: dict[str, Any]
    # function -> the statements of its role's inline policies
    statements: dict[str, list[Statement]]
    # every role of the stack, however many the module creates
    policies: RolePolicies
    trust_policies: dict[str, dict[str, Any]]
    attached_policies: dict[str, list[str]]
    environments: dict[str, dict[str, str]]
    endpoint: str
    kms_key_arn: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()


def _role_policies(endpoint: str) -> RolePolicies:
    """Every inline and customer-managed policy of every role in the emulator, which holds one stack only."""
    iam = client("iam", endpoint)
    policies: RolePolicies = {}
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            name = role["RoleName"]
            documents = [
                (policy, json.dumps(iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]))
                for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
            ]
            for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                if ":aws:policy/" in attached["PolicyArn"]:
                    continue  # AWS-managed: not the module's to write
                version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
                document = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)
                documents.append((attached["PolicyName"], json.dumps(document["PolicyVersion"]["Document"])))
            policies[name] = documents
    return policies


def _deploy_example(example: str, endpoint: str, state_dir: Path) -> RolePolicies:
    """An example for AWS applied to the emulator; only its roles' policies are read back."""
    directory, variables = EXAMPLES[example]
    env = {
        **{k: v for k, v in terraform_env(state_dir).items() if not k.startswith("AWS_")},
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    log = state_dir / "terraform.log"
    options = [f"-state={state_dir / 'terraform.tfstate'}", "-var", f"name=iam-{uuid.uuid4().hex[:8]}"]
    options += [arg for key, value in variables.items() for arg in ("-var", f"{key}={value}")]
    terraform(["init", "-input=false"], env, log, directory)
    # Stopping the emulator forgets the stack (deletion protection included), so nothing needs destroying.
    terraform(["apply", "-auto-approve", "-input=false", *options], env, log, directory)
    return _role_policies(endpoint)


def _deploy(configuration: str, endpoint: str, state_dir: Path) -> Deployed:
    outputs, _ = _apply(
        CONFIGURATIONS[configuration],
        state_dir,
        {"name": f"iam-{uuid.uuid4().hex[:8]}", "endpoint": endpoint},
    )
    hardening = {key: outputs.pop(key, None) for key in ("kms_key_arn", "subnet_ids", "security_group_ids")}
    outputs = outputs.pop("module", None) or outputs
    iam = client("iam", endpoint)
    lambda_ = client("lambda", endpoint)
    statements: dict[str, list[Statement]] = {}
    trust: dict[str, dict[str, Any]] = {}
    attached: dict[str, list[str]] = {}
    environments: dict[str, dict[str, str]] = {}
    for function in FUNCTIONS:
        function_configuration = lambda_.get_function_configuration(
            FunctionName=outputs[f"{function}_function_name"]
        )
        role = str(function_configuration["Role"]).rsplit("/", 1)[1]
        statements[function] = [
            statement
            for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]
            for statement in parse_policy(
                iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
            )
        ]
        document = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        trust[function] = document if isinstance(document, dict) else json.loads(document)
        attached[function] = [
            p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        ]
        environments[function] = function_configuration["Environment"]["Variables"]
    return Deployed(
        outputs,
        statements,
        _role_policies(endpoint),
        trust,
        attached,
        environments,
        endpoint,
        hardening["kms_key_arn"],
        tuple(hardening["subnet_ids"] or ()),
        tuple(hardening["security_group_ids"] or ()),
    )


@dataclass
class Stacks:
    deployed: dict[str, Deployed]  # CONFIGURATIONS, checked throughout
    examples: dict[str, RolePolicies]  # EXAMPLES, checked against the catalogue


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stacks]:
    """Every configuration and example, each on an emulator of its own, applied side by side (an apply
    mostly waits)."""
    names = [*CONFIGURATIONS, *EXAMPLES]
    with contextlib.ExitStack() as running, ThreadPoolExecutor(len(names)) as pool:
        # Terraform's CLI configuration is written once here: two applies writing it at once would collide.
        config = terraform_env(tmp_path_factory.mktemp("terraform")).get("TF_CLI_CONFIG_FILE")
        if config:
            running.enter_context(pytest.MonkeyPatch.context()).setenv("TF_CLI_CONFIG_FILE", config)
        # Stopping an emulator forgets its stack, so nothing needs destroying.
        emulators = {name: running.enter_context(Emulator(port=0)) for name in names}
        deployed = {
            name: pool.submit(_deploy, name, emulators[name].endpoint, tmp_path_factory.mktemp(f"iam-{name}"))
            for name in CONFIGURATIONS
        }
        examples = {
            name: pool.submit(
                _deploy_example, name, emulators[name].endpoint, tmp_path_factory.mktemp(f"iam-{name}")
            )
            for name in EXAMPLES
        }
        yield Stacks(
            {name: future.result() for name, future in deployed.items()},
            {name: future.result() for name, future in examples.items()},
        )


@pytest.fixture(scope="module")
def deployments(stacks: Stacks) -> dict[str, Deployed]:
    return stacks.deployed


@pytest.fixture(scope="module", params=sorted(CONFIGURATIONS))
def deployed(request: pytest.FixtureRequest, deployments: dict[str, Deployed]) -> Deployed:
    return deployments[request.param]


# -- catalogue --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", sorted([*CONFIGURATIONS, *EXAMPLES]))
def test_every_policy_of_every_role_is_one_aws_honours(stacks: Stacks, stack: str) -> None:
    policies = stacks.deployed[stack].policies if stack in stacks.deployed else stacks.examples[stack]
    # A role per function at least: the check below is not vacuous.
    assert len(policies) >= len(FUNCTIONS)
    assert all(documents for documents in policies.values()), policies
    found = {
        (role, name): [str(finding) for finding in findings(document)]
        for role, documents in policies.items()
        for name, document in documents
    }
    assert {key: issues for key, issues in found.items() if issues} == {}


# -- inventory --------------------------------------------------------------------------------------------


def test_each_role_is_assumable_by_lambda_only_and_holds_no_managed_policy(deployed: Deployed) -> None:
    for function in FUNCTIONS:
        assert deployed.attached_policies[function] == [], function
        (statement,) = deployed.trust_policies[function]["Statement"]
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
        assert deployed.statements[function], f"the {function} role has no permissions at all"


def test_no_policy_allows_a_wildcard_action(deployed: Deployed) -> None:
    wildcards = [
        (function, statement.sid, action)
        for function in FUNCTIONS
        for statement in deployed.statements[function]
        for action in statement.actions
        if "*" in action or "?" in action
    ]
    assert wildcards == []


def test_wildcard_resources_are_only_the_allowed_ones(deployed: Deployed) -> None:
    unexplained = {
        (function, statement.sid): unexplained_wildcards(statement)
        for function in FUNCTIONS
        for statement in deployed.statements[function]
        if unexplained_wildcards(statement)
    }
    assert unexplained == {}


def test_every_action_is_one_a_handler_or_aws_needs(deployed: Deployed) -> None:
    for function in FUNCTIONS:
        granted = {action for statement in deployed.statements[function] for action in statement.actions}
        assert granted - needed_actions(function) == set(), function


def test_resources_are_the_stacks_own(deployed: Deployed) -> None:
    # Exact ARNs of this stack's table, stream, queue and log groups: no other table or queue of the account.
    outputs = deployed.outputs
    resources = {
        function: {r for s in deployed.statements[function] for r in s.resources if r != "*"}
        for function in FUNCTIONS
    }
    writer_log_group = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{outputs['writer_log_group_name']}:*"
    consumer_log_group = (
        f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{outputs['consumer_log_group_name']}:*"
    )
    # With the hardening inputs both roles also name the key, the subnets, the groups and their interfaces.
    both = {deployed.kms_key_arn} if deployed.kms_key_arn else set()
    if deployed.subnet_ids:
        ec2 = f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}"
        both |= {f"{ec2}:network-interface/*"}
        both |= {f"{ec2}:subnet/{subnet}" for subnet in deployed.subnet_ids}
        both |= {f"{ec2}:security-group/{group}" for group in deployed.security_group_ids}
    assert resources["writer"] == {
        outputs["table_arn"],
        outputs["idempotency_table_arn"],
        writer_log_group,
        *both,
    }
    destination = outputs["on_failure_destination_arn"]
    # An S3 destination is named twice: the bucket (listed) and its objects (written, read, moved).
    destination_resources = {destination, f"{destination}/*"} if ":s3:::" in destination else {destination}
    assert resources["consumer"] == {
        outputs["table_stream_arn"],
        *destination_resources,
        consumer_log_group,
        *both,
    }
    redrive_log_group = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{log_group_name(outputs, 'redrive')}:*"
    if ":s3:::" in destination:
        reads = destination_resources
    else:  # the pointers' queue, and the stream the pointers name
        queue = outputs["failure_queue_url"].rstrip("/").rsplit("/", 1)[1]
        reads = {f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue}", outputs["table_stream_arn"]}
    assert resources["redrive"] == {*reads, outputs["consumer_function_arn"], redrive_log_group, *both}


def log_group_name(outputs: dict[str, Any], function: str) -> str:
    # The module outputs no log group of the redrive's: Lambda's default name, which the module uses for each.
    return str(
        outputs.get(f"{function}_log_group_name") or f"/aws/lambda/{outputs[f'{function}_function_name']}"
    )


# -- sufficiency ------------------------------------------------------------------------------------------


@dataclass
class Recording:
    calls: list[Call]
    statuses: dict[str, int]


@pytest.fixture(scope="module")
def recording(deployed: Deployed, tmp_path_factory: pytest.TempPathFactory) -> Recording:
    out = tmp_path_factory.mktemp("calls") / "calls.json"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))},
        "AWS_ENDPOINT_URL": deployed.endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here; tracing needs no SDK call anyway
        "PYTHONPATH": os.pathsep.join([str(ROOT / "lambda_src"), str(ROOT)]),
        "WRITER_ENV": json.dumps(deployed.environments["writer"]),
        "CONSUMER_ENV": json.dumps(deployed.environments["consumer"]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "tests.security.handler_calls", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    recorded = json.loads(out.read_text())
    return Recording(to_iam_calls(recorded["calls"], REGION, ACCOUNT_ID), recorded["statuses"])


def test_handlers_did_their_job(recording: Recording) -> None:
    assert recording.statuses == {
        "create": 201,
        "read": 200,
        "update": 200,
        "create once": 201,
        "create once, replayed": 201,
        "create once, other body": 422,
        "delete": 204,
        "read deleted": 404,
        "consumer batch failures": 0,
    }


def test_writer_calls_are_allowed_by_its_policy(deployed: Deployed, recording: Recording) -> None:
    calls = [call for call in recording.calls if call.origin.startswith("writer")]
    tables = {call.resource for call in calls}
    # The recording saw the work on both tables, so the check below is not vacuous.
    assert tables == {deployed.outputs["table_arn"], deployed.outputs["idempotency_table_arn"]}
    assert denied(deployed.statements["writer"], calls) == []


def test_writer_uses_every_item_action_it_is_granted_on_the_products_table(
    deployed: Deployed, recording: Recording
) -> None:
    table = deployed.outputs["table_arn"]
    used = {call.action for call in recording.calls if call.resource == table}
    granted = {a for s in deployed.statements["writer"] if table in s.resources for a in s.actions}
    assert granted == used


def test_consumer_handler_calls_are_allowed_by_its_policy(deployed: Deployed, recording: Recording) -> None:
    # The built-in consumer only logs and calls no AWS API itself; any call it starts making is checked here.
    calls = [call for call in recording.calls if call.origin.startswith("consumer")]
    assert denied(deployed.statements["consumer"], calls) == []


def service_calls(deployed: Deployed, function: str) -> list[Call]:
    """What AWS does with the function's role, per the services' docs: Lambda's logs and traces; for the
    consumer the mapping's stream reads and on-failure sends; with a customer-managed key, the data keys for
    those reads and sends; in a VPC, the function's network interfaces."""
    outputs = deployed.outputs
    log_stream = (
        f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{log_group_name(outputs, function)}"
        ":log-stream:2026/11/26/[$LATEST]0123456789abcdef"
    )
    calls = [
        Call("logs:CreateLogStream", log_stream, "Lambda logs"),
        Call("logs:PutLogEvents", log_stream, "Lambda logs"),
        Call("xray:PutTraceSegments", "*", "Lambda tracing"),
        Call("xray:PutTelemetryRecords", "*", "Lambda tracing"),
    ]
    if function == "consumer":
        stream = outputs["table_stream_arn"]
        calls += [
            Call("dynamodb:DescribeStream", stream, "event source mapping"),
            Call("dynamodb:GetShardIterator", stream, "event source mapping"),
            Call("dynamodb:GetRecords", stream, "event source mapping"),
            Call("dynamodb:ListStreams", "*", "event source mapping"),
        ]
        destination = outputs["on_failure_destination_arn"]
        service = destination.split(":")[2]
        if service == "s3":
            mapping = outputs["event_source_mapping_uuid"]
            key = f"aws/lambda/{mapping}/shardId-1/2026/11/26/2026-11-26T10.00.00-0123"
            calls += [
                Call("s3:PutObject", f"{destination}/{key}", "on-failure destination"),
                Call("s3:ListBucket", destination, "on-failure destination"),
            ]
        else:
            send = "sns:Publish" if service == "sns" else "sqs:SendMessage"
            calls.append(Call(send, destination, "on-failure destination"))
    if deployed.kms_key_arn:
        calls += [
            Call("kms:GenerateDataKey", deployed.kms_key_arn, "encrypted destination"),
            Call("kms:Decrypt", deployed.kms_key_arn, "encrypted table, stream and destination"),
        ]
    if deployed.subnet_ids:
        ec2 = f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}"
        interface = f"{ec2}:network-interface/eni-0123456789abcdef0"
        calls += [
            Call("ec2:CreateNetworkInterface", interface, "VPC placement"),
            *(
                Call("ec2:CreateNetworkInterface", f"{ec2}:subnet/{s}", "VPC placement")
                for s in deployed.subnet_ids
            ),
            *(
                Call("ec2:CreateNetworkInterface", f"{ec2}:security-group/{g}", "VPC placement")
                for g in deployed.security_group_ids
            ),
            Call("ec2:DescribeNetworkInterfaces", "*", "VPC placement"),
            Call("ec2:DescribeSubnets", "*", "VPC placement"),
            Call("ec2:DeleteNetworkInterface", interface, "VPC placement"),
            Call("ec2:AssignPrivateIpAddresses", interface, "VPC placement"),
            Call("ec2:UnassignPrivateIpAddresses", interface, "VPC placement"),
        ]
    return calls


@pytest.mark.parametrize("function", FUNCTIONS)
def test_aws_can_act_for_the_function_with_its_policy(deployed: Deployed, function: str) -> None:
    assert denied(deployed.statements[function], service_calls(deployed, function)) == []


def test_the_check_fails_for_a_policy_missing_one_action(deployed: Deployed, recording: Recording) -> None:
    # GIVEN the writer's policy without dynamodb:UpdateItem
    trimmed = [
        Statement(s.effect, tuple(a for a in s.actions if a != "dynamodb:UpdateItem"), s.resources, s.sid)
        for s in deployed.statements["writer"]
    ]
    writer_calls = [call for call in recording.calls if call.origin.startswith("writer")]
    # WHEN the recorded calls are evaluated against it
    refused = denied(trimmed, writer_calls)
    # THEN exactly the updates are refused: the product update, and Powertools completing its records
    assert refused
    assert {call.action for call in refused} == {"dynamodb:UpdateItem"}
    assert "writer update" in {call.origin for call in refused}


def test_the_check_fails_for_a_policy_on_another_table(deployed: Deployed, recording: Recording) -> None:
    other_table = deployed.outputs["table_arn"] + "-other"
    moved = [
        Statement(
            s.effect,
            s.actions,
            tuple(other_table if r == deployed.outputs["table_arn"] else r for r in s.resources),
            s.sid,
        )
        for s in deployed.statements["writer"]
    ]
    writer_calls = [call for call in recording.calls if call.origin.startswith("writer")]
    assert {call.resource for call in denied(moved, writer_calls)} == {deployed.outputs["table_arn"]}
