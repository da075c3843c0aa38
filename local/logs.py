"""`python -m local logs`: prints a log group of the running local stack, read from the emulator."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from local import client
from local.constants import STATE_DIR
from local.processes import read_json
from local.stack import STACK_STATE


def _log_events(endpoint: str, group: str, start_ms: int) -> Iterator[dict[str, Any]]:
    logs = client("logs", endpoint)
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
    while True:
        page = logs.filter_log_events(**kwargs)
        yield from page.get("events", [])
        if not page.get("nextToken"):
            return
        kwargs["nextToken"] = page["nextToken"]


def logs(which: str, follow: bool, state_dir: Path = STATE_DIR) -> int:
    stack = read_json(state_dir / STACK_STATE)
    if stack is None:
        print("no local stack is running: start one with `make up`", file=sys.stderr)
        return 1
    outputs = stack["outputs"]
    group = {
        "consumer": outputs["consumer_log_group_name"],
        "writer": outputs["writer_log_group_name"],
        "api": outputs.get("api_access_log_group_name", ""),
    }.get(which, which)
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
