"""Routing a request as API Gateway does: to a stage, then to the best-matching route."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from local.apigw.config import ApiConfig, Route
from local.apigw.messages import NOT_FOUND, ApiError


def select_stage(config: ApiConfig, raw_path: str) -> tuple[dict[str, Any], str]:
    """The stage a request for `raw_path` goes to, and the path within it: a path starting with a named stage
    goes to that stage; anything else to `$default` (ApiError 404 without one)."""
    first, _, rest = raw_path.lstrip("/").partition("/")
    if first and first != "$default" and first in config.stages:
        return config.stages[first], "/" + rest
    if "$default" in config.stages:
        return config.stages["$default"], raw_path
    raise ApiError(*NOT_FOUND)


def match_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route API Gateway picks for `method path`, with its path parameters (decoded)."""
    parts = path.strip("/").split("/") if path.strip("/") else [""]
    candidates: list[tuple[tuple[int, int, int, int], Route, dict[str, str]]] = []
    for route in routes:
        if route.key == "$default" or route.method not in (method, "ANY"):
            continue
        params = _match_segments(route.segments, parts)
        if params is None:
            continue
        greedy = bool(route.segments) and route.segments[-1].endswith("+}")
        literals = sum(1 for segment in route.segments if not segment.startswith("{"))
        # Exact paths beat path variables beat greedy variables; then more literal segments; then a method
        # beats ANY.
        rank = (int(greedy), -literals, -len(route.segments), int(route.method == "ANY"))
        candidates.append((rank, route, params))
    if candidates:
        _, route, params = min(candidates, key=lambda c: c[0])
        return route, params
    default = next((route for route in routes if route.key == "$default"), None)
    return (default, {}) if default is not None else None


def _match_segments(pattern: list[str], parts: list[str]) -> dict[str, str] | None:
    if pattern == [""] or not pattern:
        return {} if parts == [""] else None
    params: dict[str, str] = {}
    for index, segment in enumerate(pattern):
        if segment.startswith("{") and segment.endswith("+}"):
            rest = parts[index:]
            if not rest or rest == [""]:
                return None
            params[segment[1:-2]] = unquote("/".join(rest))
            return params
        if index >= len(parts):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            if parts[index] == "":
                return None
            params[segment[1:-1]] = unquote(parts[index])
        elif segment != parts[index]:
            return None
    return params if len(parts) == len(pattern) else None
