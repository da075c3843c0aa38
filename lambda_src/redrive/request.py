"""The invocation payload: ``{"dry_run": bool (default false), "limit": int (default 100)}``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class InvalidRequest(ValueError):
    """The invocation payload is not one the redrive accepts; the message says what is allowed."""


@dataclass(frozen=True)
class Request:
    dry_run: bool = False
    limit: int = DEFAULT_LIMIT  # how many failed batches one run looks at, at most


def parse(event: Any) -> Request:
    """The request in `event`; an empty or missing payload asks for a real run of up to 100 batches."""
    if event is None:
        return Request()
    if not isinstance(event, dict):
        raise InvalidRequest('the payload must be a JSON object such as {"dry_run": true, "limit": 10}')
    unknown = sorted(set(event) - {"dry_run", "limit"})
    if unknown:
        # A misspelt "dry_run" must not turn a rehearsal into a real run.
        raise InvalidRequest(f"unknown key(s) {unknown}: the payload accepts only 'dry_run' and 'limit'")
    dry_run = event.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise InvalidRequest(f"dry_run must be true or false, not {dry_run!r}")
    limit = event.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be an integer from 1 to {MAX_LIMIT}, not {limit!r}")
    return Request(dry_run=dry_run, limit=limit)
