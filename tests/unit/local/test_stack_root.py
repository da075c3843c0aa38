"""`up --root`: the override file that points any root at the emulator, fixed ports, `outputs`, state dirs."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import hcl2
import pytest

from local import cli, logs, outputs, override, stack
from local.constants import HOST, ROOT, ROOTS_STATE_DIR, STATE_DIR
from local.processes import PortInUseError, StackError, check_port_free
from local.services import api_port_of
from local.terraform import terraform_env

ENDPOINT = "http://127.0.0.1:4567"
NO_PROVIDER = """
    resource "aws_sqs_queue" "this" {
      name = "queue"
    }
"""
PROVIDER_BLOCK = """
    terraform {
      backend "s3" {
        bucket = "state"
        key    = "stack.tfstate"
        region = "eu-west-1"
      }
    }

    provider "aws" {
      region              = "eu-west-1"
      profile             = "production"
      allowed_account_ids = ["210987654321"]
    }

    resource "aws_sqs_queue" "this" {
      name = "queue"
    }
"""
ALIAS = """
    provider "aws" {
      region = "eu-west-1"
    }

    provider "aws" {
      alias  = "east"
      region = "us-east-2"
    }

    resource "aws_sqs_queue" "this" {
      provider = aws.east
      name     = "queue"
    }
"""


def make_root(tmp_path: Path, text: str, name: str = "main.tf") -> Path:
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    (root / name).write_text(textwrap.dedent(text))
    return root


def parsed(text: str) -> dict[str, object]:
    return hcl2.loads(text, serialization_options=override.HCL_VALUES)


# --- which provider configurations the override covers ---


def test_a_root_without_provider_block_gets_the_default_configuration(tmp_path: Path) -> None:
    root = make_root(tmp_path, NO_PROVIDER)

    assert override.aws_providers(override.terraform_files(root)) == [("aws", None)]


def test_a_root_with_an_alias_gets_it_overridden_too(tmp_path: Path) -> None:
    root = make_root(tmp_path, ALIAS)

    assert override.aws_providers(override.terraform_files(root)) == [("aws", None), ("aws", "east")]


def test_another_local_name_for_hashicorp_aws_is_covered(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        """
        terraform {
          required_providers {
            amazon = { source = "hashicorp/aws" }
          }
        }
        provider "amazon" {
          alias  = "west"
          region = "us-west-2"
        }
        """,
    )

    providers = override.aws_providers(override.terraform_files(root))

    assert providers == [("amazon", None), ("amazon", "west"), ("aws", None)]


def test_the_roots_own_override_files_declare_nothing(tmp_path: Path) -> None:
    root = make_root(tmp_path, NO_PROVIDER)
    (root / "dev_override.tf").write_text('provider "aws" {\n  alias = "typo"\n}\n')

    assert override.aws_providers(override.terraform_files(root)) == [("aws", None)]


def test_an_alias_that_is_an_expression_is_refused(tmp_path: Path) -> None:
    root = make_root(tmp_path, 'provider "aws" {\n  alias = var.name\n}\n')

    with pytest.raises(StackError, match="must be a literal name"):
        override.aws_providers(override.terraform_files(root))


def test_a_root_that_is_not_a_terraform_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="is not a directory"):
        override.terraform_files(tmp_path / "absent")
    with pytest.raises(StackError, match=r"holds no \*\.tf file"):
        override.terraform_files(tmp_path)


def test_unparseable_hcl_names_the_file(tmp_path: Path) -> None:
    root = make_root(tmp_path, 'provider "aws" {\n')

    with pytest.raises(StackError, match=r"main\.tf as HCL"):
        override.aws_providers(override.terraform_files(root))


# --- what the override says ---


def test_the_override_points_every_configuration_at_the_emulator() -> None:
    text = override.render(ENDPOINT, [("aws", None), ("aws", "east")], ["cdc"])
    data = parsed(text)

    assert text.startswith(override.MARKER)
    assert data["terraform"] == [{"backend": [{"local": {}}]}]
    providers = [body for block in data["provider"] for body in block.values()]  # type: ignore[attr-defined]
    assert [body.get("alias") for body in providers] == [None, "east"]
    for body in providers:
        assert body["region"] == "us-east-1"
        assert body["skip_credentials_validation"] is True
        assert body["skip_requesting_account_id"] is False
        assert body["s3_use_path_style"] is True
        # The root's own credentials, profile and account guards are unset: the environment's test keys count.
        for setting in ("access_key", "secret_key", "profile", "allowed_account_ids"):
            assert body[setting] is None
        assert body["endpoints"] == [{service: ENDPOINT for service in override.SERVICES}]
    assert {"dynamodb", "lambda", "apigatewayv2", "iam", "sts", "sqs", "sns", "s3", "logs", "kms"} <= set(
        override.SERVICES
    )
    assert data["module"] == [{"cdc": {"architecture": override.host_architecture()}}]


def test_the_environment_carries_the_test_credentials_and_no_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "a-real-session")

    env = override.credentials_env()

    assert env["AWS_ACCESS_KEY_ID"] == "testing"
    assert env["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert "AWS_PROFILE" not in env
    assert "AWS_SESSION_TOKEN" not in env


@pytest.fixture(scope="module")
def tf_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("terraform") is None:
        pytest.fail("these tests need terraform on PATH")
    return tmp_path_factory.mktemp("tf-state")


@pytest.mark.parametrize(
    "text", [NO_PROVIDER, PROVIDER_BLOCK, ALIAS], ids=["no-provider", "provider", "alias"]
)
def test_terraform_merges_the_override_into_the_root(text: str, tmp_path: Path, tf_state: Path) -> None:
    root = make_root(tmp_path, text)
    override.write(root, override.render(ENDPOINT, override.aws_providers(override.terraform_files(root))))
    env = terraform_env(tf_state / tmp_path.name, base=override.credentials_env())

    init = subprocess.run(
        ["terraform", f"-chdir={root}", "init", "-input=false", "-no-color"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    # The S3 backend of PROVIDER_BLOCK was replaced by the local one: init reached no bucket.
    assert 'Successfully configured the backend "local"' in init.stdout
    validate = subprocess.run(
        ["terraform", f"-chdir={root}", "validate", "-no-color"], env=env, capture_output=True, text=True
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr


def test_an_override_for_an_alias_the_root_does_not_have_fails_in_terraform(
    tmp_path: Path, tf_state: Path
) -> None:
    """Why aliases are read from the root: Terraform refuses an aliased override without its base block."""
    root = make_root(tmp_path, NO_PROVIDER)
    override.write(root, override.render(ENDPOINT, [("aws", None), ("aws", "east")]))
    env = terraform_env(tf_state / tmp_path.name, base=override.credentials_env())

    validate = subprocess.run(
        ["terraform", f"-chdir={root}", "validate", "-no-color"], env=env, capture_output=True, text=True
    )

    assert "Missing base provider configuration for override" in validate.stderr


def test_write_refuses_a_file_it_did_not_write_and_remove_leaves_it(tmp_path: Path) -> None:
    root = make_root(tmp_path, NO_PROVIDER)
    foreign = root / override.OVERRIDE_FILE
    foreign.write_text('provider "aws" {}\n')

    with pytest.raises(StackError, match="was not written by the local stack"):
        override.write(root, override.render(ENDPOINT, [("aws", None)]))
    assert override.remove(root) is False
    assert foreign.read_text() == 'provider "aws" {}\n'


def test_write_then_remove(tmp_path: Path) -> None:
    root = make_root(tmp_path, NO_PROVIDER)

    path = override.write(root, override.render(ENDPOINT, [("aws", None)]))
    override.write(root, override.render(ENDPOINT, [("aws", None)], ["cdc"]))  # its own file: replaced

    assert path.name.endswith("_override.tf")
    assert override.remove(root) is True
    assert not path.exists()


def test_module_calls_are_this_module_wherever_init_put_it(tmp_path: Path) -> None:
    root = make_root(tmp_path, NO_PROVIDER)
    fetched = tmp_path / "data" / "modules" / "registry"
    (fetched / "scripts").mkdir(parents=True)
    (fetched / "packaging.tf").write_text("")
    (fetched / "scripts" / "build_package.py").write_text("")
    other = tmp_path / "data" / "modules" / "vpc"
    other.mkdir(parents=True)
    manifest = {
        "Modules": [
            {"Key": "", "Source": "", "Dir": "."},
            {"Key": "cdc", "Source": "../..", "Dir": str(ROOT)},
            {"Key": "from_registry", "Source": "example/cdc/aws", "Dir": str(fetched)},
            {"Key": "vpc", "Source": "../vpc", "Dir": str(other)},
            {"Key": "wrapper.cdc", "Source": "../..", "Dir": str(ROOT)},
        ]
    }
    (tmp_path / "data" / "modules" / "modules.json").write_text(json.dumps(manifest))

    own, nested = override.module_calls(root, tmp_path / "data")

    assert own == ["cdc", "from_registry"]
    assert nested == ["wrapper.cdc"]


# --- ports ---


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind((HOST, 0))
        holder.listen(1)
        yield int(holder.getsockname()[1])


def test_a_port_in_use_is_named_with_how_to_pick_another(busy_port: int) -> None:
    with pytest.raises(PortInUseError) as raised:
        check_port_free(busy_port, "API front: PORT")

    message = str(raised.value)
    assert f"port {busy_port} on 127.0.0.1 is already in use (wanted for the API front: PORT)" in message
    assert "make up PORT=<n>" in message


def test_up_on_a_port_in_use_says_so_before_starting_anything(
    busy_port: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # busy_port is the emulator's (PORT+1) when PORT is the one below it.
    state_dir = tmp_path / "state"

    with pytest.raises(PortInUseError, match=f"port {busy_port} .* already in use .*emulator: PORT\\+1"):
        stack.up(state_dir=state_dir, port=busy_port - 1)

    assert not state_dir.exists()


def test_the_command_line_reports_a_port_in_use(busy_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["up", "--port", str(busy_port)]) == 1

    assert f"error: port {busy_port} on 127.0.0.1 is already in use" in capsys.readouterr().err


@pytest.mark.parametrize("port", [0, 65535, 70000])
def test_a_base_port_out_of_range_is_refused(port: int) -> None:
    with pytest.raises(StackError, match="PORT must be between 1 and 65534"):
        stack.check_ports(port)


def test_fixed_ports_of_api_fronts_skip_the_emulators() -> None:
    assert [api_port_of(4566, index) for index in range(3)] == [4566, 4568, 4569]
    assert [api_port_of(0, index) for index in range(3)] == [0, 0, 0]


# --- outputs ---

STACK = {
    "endpoint": "http://127.0.0.1:4567",
    "apis": {"a1b2c3": "http://127.0.0.1:4566"},
    "outputs": {
        "api_endpoint": "https://a1b2c3.execute-api.us-east-1.amazonaws.com",
        "stage_url": "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/prod/products",
        "others": {"unknown": ["https://zzzzzz.execute-api.us-east-1.amazonaws.com"], "count": 2},
        "secret": "hunter2",
    },
    "sensitive": ["secret"],
}


def test_execute_api_urls_become_the_local_api_front_urls() -> None:
    replaced = outputs.with_local_urls(STACK["outputs"], STACK["apis"])  # type: ignore[arg-type]

    assert replaced["api_endpoint"] == "http://127.0.0.1:4566"
    assert replaced["stage_url"] == "http://127.0.0.1:4566/prod/products"
    # An API no front serves keeps its URL; other values are left as they are.
    assert replaced["others"] == {
        "unknown": ["https://zzzzzz.execute-api.us-east-1.amazonaws.com"],
        "count": 2,
    }


def test_outputs_prints_local_urls_and_hides_sensitive_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / stack.STACK_STATE).write_text(json.dumps(STACK))

    assert outputs.outputs(None, json_format=False, state_dir=tmp_path) == 0

    printed = capsys.readouterr().out
    assert 'api_endpoint = "http://127.0.0.1:4566"' in printed
    assert "execute-api.us-east-1" not in printed.split("others")[0]
    assert "secret = (sensitive)" in printed
    assert "hunter2" not in printed
    assert 'local_api_url["a1b2c3"] = "http://127.0.0.1:4566"' in printed
    assert 'local_emulator_endpoint = "http://127.0.0.1:4567"' in printed

    assert outputs.outputs(None, json_format=True, state_dir=tmp_path) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert as_json["outputs"]["stage_url"] == "http://127.0.0.1:4566/prod/products"
    assert as_json["local_api_urls"] == STACK["apis"]


def test_outputs_without_a_stack_says_how_to_start_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert outputs.outputs(tmp_path / "root", json_format=False, state_dir=tmp_path / "absent") == 1

    assert "make up ROOT=" in capsys.readouterr().err


def test_the_consumer_log_group_comes_from_the_mappings_when_no_output_names_it() -> None:
    running = {"outputs": {"table_name": "orders"}, "consumer_log_groups": ["/aws/lambda/own-consumer"]}

    assert logs.log_group("consumer", running) == "/aws/lambda/own-consumer"
    assert logs.log_group("/aws/lambda/other", running) == "/aws/lambda/other"
    with pytest.raises(LookupError, match="no writer log group"):
        logs.log_group("writer", running)


# --- state and clean-up ---


def test_each_root_has_a_state_dir_of_its_own(tmp_path: Path) -> None:
    first = stack.state_dir_for(tmp_path / "a" / "stack")
    second = stack.state_dir_for(tmp_path / "b" / "stack")

    assert stack.state_dir_for(None) == STATE_DIR
    assert first.parent == second.parent == ROOTS_STATE_DIR
    assert first.name.startswith("stack-")
    assert first != second


def test_down_removes_the_override_and_only_what_up_added_to_the_root(tmp_path: Path) -> None:
    root = make_root(tmp_path, NO_PROVIDER)
    (root / ".terraform.lock.hcl").write_text("# the caller's own lock file\n")
    override.write(root, override.render(ENDPOINT, [("aws", None)]))
    (root / ".build" / "lambda").mkdir(parents=True)  # made by the module's packaging during `up`
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / stack.ROOT_STATE).write_text(json.dumps({"root": str(root), "created": [".build"]}))

    assert stack.down(state_dir) == 0

    assert sorted(path.name for path in root.iterdir()) == [".terraform.lock.hcl", "main.tf"]
    assert not state_dir.exists()


def test_down_of_a_root_without_state_still_removes_its_override(tmp_path: Path) -> None:
    root = make_root(tmp_path, NO_PROVIDER)
    override.write(root, override.render(ENDPOINT, [("aws", None)]))

    assert stack.down(tmp_path / "absent", root=root) == 0

    assert not (root / override.OVERRIDE_FILE).exists()


def test_down_of_the_default_stack_keeps_the_state_of_other_roots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state_dir = tmp_path / ".local"
    roots = state_dir / "roots"
    (roots / "other-12345678").mkdir(parents=True)
    (state_dir / "terraform.log").write_text("")
    monkeypatch.setattr(stack, "ROOTS_STATE_DIR", roots)

    stack.down(state_dir)

    assert [path.name for path in state_dir.iterdir()] == ["roots"]
    assert (roots / "other-12345678").is_dir()
