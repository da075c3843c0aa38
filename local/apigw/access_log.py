"""Access logs: one event per request in the stage's log group, in the stage's format."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from local.apigw.messages import HttpRequest
from local.background import BackgroundSender

log = logging.getLogger(__name__)


def request_values(request: HttpRequest, request_id: str, api_id: str, now: datetime) -> dict[str, Any]:
    """The access log's `$context` variables known when a request arrives; the steps add the rest."""
    return {
        "requestId": request_id,
        "extendedRequestId": request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "identity.sourceIp": request.source_ip,
        "identity.userAgent": request.header("user-agent"),
        "httpMethod": request.method,
        "path": request.raw_path,
        "protocol": request.protocol,
        "apiId": api_id,
        "domainName": request.header("host"),
    }


class AccessLog:
    """Writes access log events from a thread of its own, as API Gateway delivers them: after the response."""

    def __init__(self, logs: Any) -> None:
        self._logs = logs
        self._streams: set[tuple[str, str]] = set()
        # PutLogEvents takes at most 10,000 events per call; 1,000 keeps each call small.
        self._sender: BackgroundSender[tuple[str, str], dict[str, Any]] = BackgroundSender(
            "api-access-log", self._send, 1000
        )

    def write(self, stage: dict[str, Any], values: Mapping[str, Any]) -> None:
        settings = stage.get("AccessLogSettings") or {}
        destination, template = settings.get("DestinationArn"), settings.get("Format")
        if not destination or not template:
            return
        group = destination.split(":log-group:", 1)[-1].removesuffix(":*")

        def substitute(match: re.Match[str]) -> str:
            value = values.get(match.group(1))
            text = "-" if value is None or value == "" else str(value)
            return json.dumps(text)[1:-1]  # the format is JSON: keep quotes and backslashes escaped

        message = re.sub(r"\$context\.([A-Za-z0-9_.]+)", substitute, template)
        stream = f"{stage['StageName']}-{datetime.now(UTC).strftime('%Y-%m-%d')}"
        self._sender.put((group, stream), {"timestamp": int(time.time() * 1000), "message": message})

    def flush(self) -> None:
        """Returns once every event written so far has been sent."""
        self._sender.flush()

    def close(self) -> None:
        self._sender.close()

    def _send(self, destination: tuple[str, str], events: list[dict[str, Any]]) -> None:
        group, stream = destination
        try:
            if (group, stream) not in self._streams:
                with contextlib.suppress(self._logs.exceptions.ResourceAlreadyExistsException):
                    self._logs.create_log_stream(logGroupName=group, logStreamName=stream)
                self._streams.add((group, stream))
            self._logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
        except self._logs.exceptions.ResourceNotFoundException:
            log.warning("access log group %s does not exist", group)
