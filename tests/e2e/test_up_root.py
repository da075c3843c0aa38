"""`make up ROOT=...`: roots that use the module, run on the local stack unchanged, then taken down.

Each test starts the stack the way `python -m local up --root` does (background emulator, Terraform, runner,
API fronts and poller), checks a change reaches the consumer's log group, and ends with `down`, which must
leave the root's directory as it found it. Local target only: LocalStack and AWS run the functions themselves.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local import client, override, stack
from local.constants import ACCESS_KEY, HOST, REGION, SECRET_KEY
from local.processes import StackError, read_json
from tests.e2e.conftest import ROOT, TARGET, eventually

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(TARGET != "local", reason="the local stack's own `up`; other targets run functions"),
]

EXISTING_TABLE = ROOT / "examples" / "existing-table"
# An ordinary provider block (another region, a profile this machine lacks) and the module's defaults: arm64.
PROVIDER_BLOCK = Path(__file__).resolve().parent / "roots" / "provider-block"


@pytest.fixture
def running(request: pytest.FixtureRequest) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The stack of the root `request.param` names: (root, fixed ports?)."""
    root, fixed_ports = request.param
    before = sorted(path.name for path in root.iterdir())
    try:
        assert stack.up(root=root, port=free_base_port() if fixed_ports else None) == 0
        state = read_json(stack.state_dir_for(root) / stack.STACK_STATE)
        assert (root / override.OVERRIDE_FILE).is_file()
        yield root, state
    finally:
        stack.down(root=root)
    assert not (root / override.OVERRIDE_FILE).exists()
    assert not stack.state_dir_for(root).exists()
    assert sorted(path.name for path in root.iterdir()) == before


def consumer_events(endpoint: str, group: str) -> list[dict[str, Any]]:
    events = client("logs", endpoint).filter_log_events(logGroupName=group)["events"]
    lines = []
    for event in events:
        try:
            lines.append(json.loads(event["message"]))
        except ValueError:
            continue
    return [line for line in lines if isinstance(line, dict) and line.get("message") == "stream record"]


def plan_exit_code(root: Path) -> tuple[int, str]:
    state_dir = stack.state_dir_for(root)
    state = [f"-state={state_dir / 'terraform.tfstate'}"]
    result = subprocess.run(
        ["terraform", f"-chdir={root}", "plan", "-detailed-exitcode", "-input=false", "-no-color", *state],
        env=stack.root_terraform_env(state_dir),
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("running", [(EXISTING_TABLE, False)], indirect=True, ids=["existing-table"])
def test_a_write_to_the_callers_table_reaches_the_consumer(running: tuple[Path, dict[str, Any]]) -> None:
    root, state = running
    endpoint, outputs = state["endpoint"], state["outputs"]
    order = f"Order#{uuid.uuid4()}"

    client("dynamodb", endpoint).put_item(
        TableName=outputs["table_name"],
        Item={"PK": {"S": order}, "SK": {"S": "Order"}, "total": {"N": "12.50"}},
    )

    line = eventually(
        lambda: next(
            (
                line
                for line in consumer_events(endpoint, outputs["consumer_log_group_name"])
                if line.get("keys", {}).get("PK") == order
            ),
            None,
        ),
        what=f"the consumer's line for {order}",
    )
    assert line["eventName"] == "INSERT"
    assert line["newImage"]["total"] == 12.5
    code, plan = plan_exit_code(root)
    assert code == 0, plan


def free_base_port() -> int:
    """A port whose next one is free too (the emulator's)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port = int(probe.getsockname()[1])
        if port < 65534:
            with contextlib.suppress(StackError):  # taken in the meantime: try another
                stack.check_ports(port)
                return port
    raise AssertionError("no two consecutive free ports found")


@pytest.mark.parametrize("running", [(PROVIDER_BLOCK, True)], indirect=True, ids=["provider-block"])
def test_an_arm64_root_with_its_own_provider_block_serves_its_api(
    running: tuple[Path, dict[str, Any]],
) -> None:
    _, state = running
    endpoint, outputs = state["endpoint"], state["outputs"]
    (api_url,) = state["apis"].values()
    # PORT: the API front on it, the emulator on the next one.
    api_port = int(api_url.rsplit(":", 1)[1])
    assert endpoint == f"http://{HOST}:{api_port + 1}"
    printed = subprocess.run(
        [sys.executable, "-m", "local", "outputs", "--root", str(PROVIDER_BLOCK), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    # The execute-api URL the emulator reports is replaced by the API front's.
    assert json.loads(printed.stdout)["outputs"]["api_endpoint"] == api_url
    name = f"product-{uuid.uuid4().hex[:8]}"
    body = json.dumps({"name": name, "price": 3, "category": "tools"}).encode()
    signed = AWSRequest(
        method="POST", url=f"{api_url}/products", data=body, headers={"content-type": "application/json"}
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "execute-api", REGION).add_auth(signed)
    request = urllib.request.Request(  # noqa: S310 - the local API front
        f"{api_url}/products", data=body, headers=dict(signed.headers.items()), method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        assert response.status == 201

    # The layer's native wheels import: the override built the module's packages for this host.
    line = eventually(
        lambda: next(
            (
                line
                for line in consumer_events(endpoint, outputs["consumer_log_group_name"])
                if (line.get("newImage") or {}).get("name") == name
            ),
            None,
        ),
        what=f"the consumer's line for {name}",
    )
    assert line["eventName"] == "INSERT"
    architectures = client("lambda", endpoint).get_function_configuration(
        FunctionName=outputs["consumer_log_group_name"].removeprefix("/aws/lambda/")
    )["Architectures"]
    assert architectures == [override.host_architecture()]
