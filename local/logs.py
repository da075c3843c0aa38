"""`python -m local logs`: prints a log group of the running local stack, read from the emulator."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from local import client
from local.processes import read_json
from local.stack import STACK_STATE, state_dir_for


def _log_events(endpoint: str, group: str, start_ms: int) -> Iterator[dict[str, Any]]:
    logs = client("logs", endpoint)
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
    while True:
        page = logs.filter_log_events(**kwargs)
        yield from page.get("events", [])
        if not page.get("nextToken"):
            return
        kwargs["nextToken"] = page["nextToken"]


def log_group(which: str, stack: dict[str, Any]) -> str:
    """The log group `which` names: consumer, writer or api (from the root's outputs of those names, the
    consumer's also from the event source mappings' functions), or a log group name as it is."""
    outputs = stack["outputs"]
    found = {
        "consumer": outputs.get("consumer_log_group_name")
        or next(iter(stack.get("consumer_log_groups", [])), None),
        "writer": outputs.get("writer_log_group_name"),
        "api": outputs.get("api_access_log_group_name"),
    }
    if which not in found:
        return which
    group = found[which]
    if not group:
        raise LookupError(f"the stack has no {which} log group: name the log group instead")
    return str(group)


def logs(which: str, follow: bool, state_dir: Path | None = None, root: Path | None = None) -> int:
    stack = read_json((state_dir_for(root) if state_dir is None else state_dir) / STACK_STATE)
    if stack is None:
        make = "make up" if root is None else f"make up ROOT={root}"
        print(f"no local stack is running: start one with `{make}`", file=sys.stderr)
        return 1
    try:
        group = log_group(which, stack)
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    seen: set[str] = set()
    start_ms = 0
    while True:
        for event in _log_events(stack["endpoint"], group, start_ms):
            if event["eventId"] in seen:
                continue
            seen.add(event["eventId"])
            start_ms = max(start_ms, event["timestamp"])
            print(f"{event['logStreamName']}  {event['message'].rstrip()}", flush=True)
        if not follow:
            return 0
        time.sleep(1.0)
