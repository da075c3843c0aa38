"""`python -m local outputs`: the running stack's Terraform outputs, as a user of the stack needs them.

An HTTP API's invoke URL (`https://<api-id>.execute-api.<region>.amazonaws.com[/<stage>]`, which the emulator
reports as on AWS) resolves to nothing on this machine: wherever an output holds one, the URL of the API
front serving that API (`http://127.0.0.1:<port>`) takes its place, keeping any stage path after it. Sensitive
outputs are shown as `(sensitive)`, as `terraform output` does, except with `--json`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from local.processes import read_json, shown
from local.stack import STACK_STATE, state_dir_for

EXECUTE_API_URL = re.compile(r"https://(?P<api_id>[a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com")


def with_local_urls(value: Any, apis: dict[str, str]) -> Any:
    """`value` with every execute-api URL of a served API replaced by its API front's URL, at any depth."""
    if isinstance(value, str):
        return EXECUTE_API_URL.sub(lambda match: apis.get(match["api_id"], match[0]), value)
    if isinstance(value, list):
        return [with_local_urls(item, apis) for item in value]
    if isinstance(value, dict):
        return {key: with_local_urls(item, apis) for key, item in value.items()}
    return value


def render(stack: dict[str, Any]) -> str:
    """The outputs as `name = value` lines (values in JSON), then the local API URLs and the emulator."""
    apis: dict[str, str] = stack.get("apis", {})
    sensitive = set(stack.get("sensitive", []))
    lines = []
    for name, value in sorted(stack["outputs"].items()):
        shown_value = "(sensitive)" if name in sensitive else json.dumps(with_local_urls(value, apis))
        lines.append(f"{name} = {shown_value}")
    lines += ["", "# The local stack:"]
    lines += [
        f"local_api_url[{json.dumps(api_id)}] = {json.dumps(url)}" for api_id, url in sorted(apis.items())
    ]
    lines.append(f"local_emulator_endpoint = {json.dumps(stack['endpoint'])}")
    return "\n".join(lines)


def as_json(stack: dict[str, Any]) -> dict[str, Any]:
    apis: dict[str, str] = stack.get("apis", {})
    return {
        "outputs": with_local_urls(stack["outputs"], apis),
        "local_api_urls": apis,
        "emulator_endpoint": stack["endpoint"],
    }


def outputs(root: Path | None, json_format: bool, state_dir: Path | None = None) -> int:
    state_dir = state_dir_for(root) if state_dir is None else state_dir
    stack = read_json(state_dir / STACK_STATE)
    if stack is None:
        make = "make up" if root is None else f"make up ROOT={shown(root.resolve())}"
        print(f"no local stack is running for {shown(state_dir)}: start one with `{make}`", file=sys.stderr)
        return 1
    print(json.dumps(as_json(stack), indent=2) if json_format else render(stack), flush=True)
    return 0
