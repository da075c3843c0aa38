"""Every change the local stack makes to moto's behaviour, in one place, pinned to one moto version.

Nothing else in local/ imports moto: what it needs from moto (the server, the event-pattern matcher) it gets
from here, after the version check, so that a moto upgrade is met in this one file.

Each patch replaces one attribute of a moto class or module. `apply()` refuses to run on any other moto
version, and refuses to patch an attribute that does not exist, so an upgrade of moto fails loudly here
instead of quietly bringing back the behaviour a patch removed. To add a patch: write the replacement below
and list it in `_patches()` with the reason it is needed. Whenever MOTO_VERSION changes, re-read the
patched moto code.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode

MOTO_VERSION = "5.2.5"


class PatchError(RuntimeError):
    """moto is not the version, or does not have the shape, that the patches were written against."""


@dataclass(frozen=True)
class Patch:
    owner: Any  # the class or module that holds the attribute
    name: str
    replacement: Callable[..., Any]
    reason: str


_lock = threading.Lock()
_originals: dict[tuple[int, str], Any] = {}


def _no_dynamodb_stream_hook(self: Any, function_arn: str, items: list[Any], source: str) -> str:
    # moto calls this from StreamShard.add on every write, for every mapping of the table, and empties the
    # shard when it returns something truthy. Returning "" makes the write only append the record, so the
    # stream keeps every record for the DynamoDB Streams API, where local.esm reads them with the mapping's
    # semantics.
    return ""


# How many DynamoDB Streams shard iterators the emulator remembers. moto registers a new one on every
# GetShardIterator and GetRecords and never forgets any, so a poller at 4 calls a second per shard grows the
# emulator by tens of MB an hour; DynamoDB lets iterators expire after 15 minutes.
SHARD_ITERATORS_KEPT = 10_000


def _get_records_with_expiry(self: Any, iterator_arn: str, limit: int) -> dict[str, Any]:
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    if iterator_arn not in self.shard_iterators:  # moto itself fails with a KeyError (HTTP 500)
        raise JsonRESTError("ExpiredIteratorException", "Iterator expired or unknown: get a new one")
    result: dict[str, Any] = original(DynamoDBStreamsBackend, "get_records")(self, iterator_arn, limit)
    excess = len(self.shard_iterators) - SHARD_ITERATORS_KEPT
    if excess > 0:  # dicts keep insertion order: the oldest iterators go first
        for stale in list(itertools.islice(self.shard_iterators, excess)):
            self.shard_iterators.pop(stale, None)
    return result


# Where the emulator serves a function's or layer version's zip, in place of the S3 URL that GetFunction's
# Code.Location and GetLayerVersion's Content.Location point at on AWS (moto serves neither).
CODE_PATH = "/moto-api/local/lambda-code"


def _code_location(response: Any, arn: str) -> str:
    return f"http://{response.headers['Host']}{CODE_PATH}?{urlencode({'arn': arn})}"


def _code_bytes(arn: str) -> bytes | None:
    from moto.awslambda.models import lambda_backends

    parts = arn.split(":")  # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] or :layer:NAME:VERSION
    if len(parts) < 7 or parts[2] != "lambda":
        return None
    backend = lambda_backends[parts[4]][parts[3]]
    try:
        if parts[5] == "function":
            return bytes(backend.get_function(parts[6], parts[7] if len(parts) > 7 else None).code_bytes)
        return bytes(backend.get_layer_version(parts[6], parts[7]).code_bytes)
    except Exception:  # moto raises its own not-found errors, which all mean 404 here
        return None


# Where the local Lambda runner registers the URL of its Invoke API (local.lambda_runtime.invoke_api): PUT
# {"url": ...} to register, DELETE to unregister. While one is registered, the emulator hands every Lambda
# Invoke to it, since moto itself runs function code in Docker only.
RUNNER_PATH = "/moto-api/local/lambda-runner"
_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/[^/]+/invocations/?$")
# Lambda's own limit on a synchronous invocation (900 s timeout) plus the runner's start-up.
_INVOKE_TIMEOUT_S = 960
_runner_url: str | None = None
_FORWARDED_HEADERS = ("Content-Type", "X-Amz-Invocation-Type", "X-Amz-Log-Type", "X-Amz-Client-Context")


def _respond(
    start_response: Callable[..., Any], status: str, headers: list[tuple[str, str]], body: bytes
) -> Any:
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]


def _register_runner(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    global _runner_url
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(length) or b"{}")
    method = environ.get("REQUEST_METHOD")
    with _lock:
        if method == "PUT" and isinstance(body.get("url"), str):
            _runner_url = body["url"]
        elif method == "DELETE":
            # Only the runner that registered unregisters: a newer one keeps its place.
            if body.get("url") in (None, _runner_url):
                _runner_url = None
        else:
            return _respond(start_response, "400 Bad Request", [], b'PUT {"url": ...} or DELETE')
    return _respond(start_response, "204 No Content", [], b"")


def _forward_invoke(url: str, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    headers = {
        name: environ[_environ_key(name)] for name in _FORWARDED_HEADERS if _environ_key(name) in environ
    }
    query = environ.get("QUERY_STRING", "")
    target = url + environ["PATH_INFO"] + (f"?{query}" if query else "")
    request = urllib.request.Request(target, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=_INVOKE_TIMEOUT_S) as response:  # noqa: S310 - loopback
            status, answer_headers, answer = response.status, list(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, answer = error.code, list(error.headers.items()), error.read()
    except OSError as error:
        message = json.dumps(
            {"Type": "Service", "message": f"the local Lambda runner at {url} failed: {error}"}
        )
        return _respond(
            start_response,
            "500 Internal Server Error",
            [("Content-Type", "application/json"), ("X-Amzn-ErrorType", "ServiceException")],
            message.encode(),
        )
    kept = [
        (k, v)
        for k, v in answer_headers
        if k.lower() not in ("content-length", "connection", "date", "server")
    ]
    return _respond(start_response, f"{status} {HTTPStatus(status).phrase}", kept, answer)


def _environ_key(header: str) -> str:
    return "CONTENT_TYPE" if header == "Content-Type" else "HTTP_" + header.upper().replace("-", "_")


def _dispatch_local(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    path = environ.get("PATH_INFO", "")
    if path == RUNNER_PATH:
        return _register_runner(environ, start_response)
    runner = _runner_url
    if runner is not None and environ.get("REQUEST_METHOD") == "POST" and _INVOKE_PATH.match(path):
        return _forward_invoke(runner, environ, start_response)
    if path != CODE_PATH:
        return original(DomainDispatcherApplication, "__call__")(self, environ, start_response)
    arn = parse_qs(environ.get("QUERY_STRING", "")).get("arn", [""])[0]
    code = _code_bytes(arn)
    if code is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [f"no function or layer version {arn!r}".encode()]
    start_response("200 OK", [("Content-Type", "application/zip"), ("Content-Length", str(len(code)))])
    return [code]


def _get_function_with_code_location(self: Any) -> str:
    from moto.awslambda.responses import LambdaResponse

    body = json.loads(original(LambdaResponse, "get_function")(self))
    code = body.get("Code")
    if code is not None and code.get("RepositoryType") == "S3":
        code["Location"] = _code_location(self, body["Configuration"]["FunctionArn"])
    return json.dumps(body)


def _get_layer_version_with_content_location(self: Any) -> str:
    from moto.awslambda.responses import LambdaResponse

    body = json.loads(original(LambdaResponse, "get_layer_version")(self))
    body["Content"]["Location"] = _code_location(self, body["LayerVersionArn"])
    return json.dumps(body)


# SnapStart as the function was given it (CreateFunction, UpdateFunctionConfiguration), which moto drops. A
# version is copied from $LATEST when published, so it keeps the setting it had then.
_SNAP_START_ATTRIBUTE = "local_snap_start_apply_on"


def _snap_start_apply_on(spec: dict[str, Any]) -> str:
    return str((spec.get("SnapStart") or {}).get("ApplyOn") or "None")


def _function_init_keeping_snap_start(
    self: Any, account_id: str, spec: dict[str, Any], region: str, version: str | int = 1
) -> None:
    from moto.awslambda.models import LambdaFunction

    original(LambdaFunction, "__init__")(self, account_id, spec, region, version)
    setattr(self, _SNAP_START_ATTRIBUTE, _snap_start_apply_on(spec))


def _update_configuration_keeping_snap_start(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
    from moto.awslambda.models import LambdaFunction

    if "SnapStart" in config_updates:
        setattr(self, _SNAP_START_ATTRIBUTE, _snap_start_apply_on(config_updates))
    result: dict[str, Any] = original(LambdaFunction, "update_configuration")(self, config_updates)
    return result


def _configuration_with_snap_start(self: Any, on_create: bool = False) -> dict[str, Any]:
    from moto.awslambda.models import LambdaFunction

    config: dict[str, Any] = original(LambdaFunction, "get_configuration")(self, on_create)
    apply_on = getattr(self, _SNAP_START_ATTRIBUTE, "None")
    # As on AWS: only published versions run from a snapshot; $LATEST reports the setting, optimization off.
    snapshotted = apply_on == "PublishedVersions" and str(self.version) != "$LATEST"
    config["SnapStart"] = {"ApplyOn": apply_on, "OptimizationStatus": "On" if snapshotted else "Off"}
    return config


def _qualified_function_arn(backend: Any, function_name: str) -> str | None:
    """The version- or alias-qualified ARN that `function_name` (an ARN or NAME[:QUALIFIER]) names; None
    when it is unqualified or $LATEST."""
    from moto.awslambda.utils import make_function_arn

    if function_name.startswith("arn:"):
        parts = function_name.split(":")  # arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
        qualified = len(parts) == 8 and parts[7] != "$LATEST"
        return function_name if qualified else None
    name, _, qualifier = function_name.partition(":")
    if not qualifier or qualifier == "$LATEST":
        return None
    return f"{make_function_arn(backend.region_name, backend.account_id, name)}:{qualifier}"


def _create_event_source_mapping_keeping_qualifier(self: Any, spec: dict[str, Any]) -> Any:
    from moto.awslambda.models import LambdaBackend

    function_name = str(spec.get("FunctionName") or "")
    mapping = original(LambdaBackend, "create_event_source_mapping")(self, spec)
    qualified = _qualified_function_arn(self, function_name)
    if qualified is not None:
        mapping.function_arn = qualified
    return mapping


def _update_event_source_mapping_keeping_qualifier(self: Any, uuid: str, spec: dict[str, Any]) -> Any:
    from moto.awslambda.models import LambdaBackend

    mapping = original(LambdaBackend, "update_event_source_mapping")(self, uuid, spec)
    qualified = _qualified_function_arn(self, str(spec.get("FunctionName") or ""))
    if mapping is not None and qualified is not None:
        mapping.function_arn = qualified
    return mapping


def _patches() -> list[Patch]:
    from moto.awslambda.models import LambdaBackend, LambdaFunction
    from moto.awslambda.responses import LambdaResponse
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend
    from moto.logs.models import LogGroup
    from moto.logs.responses import LogsResponse
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.s3.models import FakeBucket
    from moto.s3.utils import _VersionedKeyStore

    return [
        Patch(
            owner=LambdaBackend,
            name="send_dynamodb_items",
            replacement=_no_dynamodb_stream_hook,
            reason="moto's per-write stream -> Lambda hook invokes through Docker and empties the shard",
        ),
        Patch(
            owner=LambdaResponse,
            name="get_function",
            replacement=_get_function_with_code_location,
            reason="Code.Location is an S3 URL that moto does not serve; the local runner downloads the zip",
        ),
        Patch(
            owner=LambdaResponse,
            name="get_layer_version",
            replacement=_get_layer_version_with_content_location,
            reason="Content.Location is 's3://'; the local runner downloads each layer's zip from it",
        ),
        Patch(
            owner=DomainDispatcherApplication,
            name="__call__",
            replacement=_dispatch_local,
            reason="serves the zips that the two Location patches point at, and hands Lambda Invoke to the "
            "local runner's Invoke API once one is registered (moto runs function code in Docker only)",
        ),
        Patch(
            owner=DynamoDBStreamsBackend,
            name="get_records",
            replacement=_get_records_with_expiry,
            reason="moto keeps every shard iterator it ever issued, so a long-running poller leaks memory",
        ),
        Patch(
            owner=LambdaFunction,
            name="__init__",
            replacement=_function_init_keeping_snap_start,
            reason="moto ignores CreateFunction's SnapStart: a plan after an apply with it would differ",
        ),
        Patch(
            owner=LambdaFunction,
            name="update_configuration",
            replacement=_update_configuration_keeping_snap_start,
            reason="moto ignores UpdateFunctionConfiguration's SnapStart",
        ),
        Patch(
            owner=LambdaFunction,
            name="get_configuration",
            replacement=_configuration_with_snap_start,
            reason="moto always answers SnapStart {ApplyOn: None}, whatever the function was given",
        ),
        Patch(
            owner=LambdaBackend,
            name="create_event_source_mapping",
            replacement=_create_event_source_mapping_keeping_qualifier,
            reason="moto stores the version an alias points at as FunctionArn; Lambda keeps the alias, "
            "so the mapping follows it to each newly published version",
        ),
        Patch(
            owner=LambdaBackend,
            name="update_event_source_mapping",
            replacement=_update_event_source_mapping_keeping_qualifier,
            reason="as create_event_source_mapping, for a mapping moved to another function or alias",
        ),
        Patch(
            owner=LogsResponse,
            name="create_log_group",
            replacement=_create_log_group_keeping_class,
            reason="moto ignores CreateLogGroup's logGroupClass: the next plan would replace the group",
        ),
        Patch(
            owner=LogGroup,
            name="to_describe_dict",
            replacement=_log_group_with_class,
            reason="moto's DescribeLogGroups leaves out logGroupClass",
        ),
        Patch(
            owner=_VersionedKeyStore,
            name="pop",
            replacement=_pop_key_disposing_objects,
            reason="moto disposes of every version of a deleted key, delete markers included, which have no "
            "dispose(): deleting a key whose newest version is a delete marker fails with a 500",
        ),
        Patch(
            owner=FakeBucket,
            name="get_permission",
            replacement=_bucket_permission_over_tls,
            reason="the emulator is plain HTTP, so the failure bucket's deny-unless-TLS policy refuses every "
            "request that on AWS comes over TLS",
        ),
    ]


# The statement a bucket policy uses to refuse requests made without TLS.
PLAIN_HTTP_ONLY = {"Bool": {"aws:SecureTransport": "false"}}


def _create_log_group_keeping_class(self: Any) -> str:
    group = self.logs_backend.create_log_group(
        self._get_param("logGroupName"), self._get_param("tags"), kmsKeyId=self._get_param("kmsKeyId")
    )
    group.log_group_class = self._get_param("logGroupClass") or "STANDARD"
    return ""


def _log_group_with_class(self: Any) -> dict[str, Any]:
    described: dict[str, Any] = original(type(self), "to_describe_dict")(self)
    # Every log group has a class on AWS; groups the emulator made by itself are STANDARD, AWS's default.
    described["logGroupClass"] = getattr(self, "log_group_class", "STANDARD")
    return described


def _pop_key_disposing_objects(self: Any, key: str) -> None:
    # A delete marker holds no data to dispose of; moto 5.2.5 calls dispose() on it anyway, so DeleteObjects
    # of a key whose newest version is a delete marker answers 500, and a force_destroy of a versioned bucket
    # retries for ever.
    for version in self.getlist(key, []):
        dispose = getattr(version, "dispose", None)
        if dispose is not None:
            dispose()
    dict.pop(self, key)


def _bucket_permission_over_tls(self: Any, action: str, resource: str) -> Any:
    # On AWS every client of the failure bucket (Lambda delivering a failed batch, the redrive) uses TLS,
    # which its policy requires. The emulator serves plain HTTP on loopback only, and moto cannot evaluate
    # a Bool condition (it holds whatever the request), so a deny-unless-TLS statement would refuse every
    # request: the policy is evaluated as for a TLS request, without the statements for plain HTTP only.
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(self.policy.decode())
    statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
    kept = [statement for statement in statements if statement.get("Condition") != PLAIN_HTTP_ONLY]
    if not kept:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({**document, "Statement": kept})).is_action_permitted(action, resource)


def check_version() -> None:
    import moto

    if moto.__version__ != MOTO_VERSION:
        raise PatchError(
            f"local/patches.py was written against moto {MOTO_VERSION}, but moto {moto.__version__} is "
            "installed: re-read the patched moto code of that version, adapt the patches, then update "
            "MOTO_VERSION"
        )


def install(patch: Patch) -> None:
    """Replace one attribute, keeping the original for `original()`. Installing a patch twice is a no-op."""
    key = (id(patch.owner), patch.name)
    with _lock:
        if key in _originals:
            return
        if not hasattr(patch.owner, patch.name):
            owner = getattr(patch.owner, "__qualname__", patch.owner)
            raise PatchError(
                f"moto {MOTO_VERSION} should have {owner}.{patch.name} (patched because {patch.reason}), "
                "but it does not"
            )
        _originals[key] = getattr(patch.owner, patch.name)
        setattr(patch.owner, patch.name, patch.replacement)


def original(owner: Any, name: str) -> Any:
    """The attribute a patch replaced, for replacements that wrap moto's own behaviour."""
    return _originals[(id(owner), name)]


def apply() -> None:
    """Check moto's version and install every patch. Safe to call more than once and from several threads."""
    check_version()
    for patch in _patches():
        install(patch)


class EventMatcher(Protocol):
    def matches_event(self, event: Any) -> bool: ...


def event_pattern(pattern: str) -> EventMatcher:
    """moto's EventBridge event-pattern matcher for `pattern` (Lambda event filtering uses the same pattern
    language). Raises when moto rejects the pattern."""
    check_version()
    from moto.events.models import EventPattern

    matcher: EventMatcher = EventPattern.load(pattern)
    return matcher


class MotoServer(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def get_host_and_port(self) -> tuple[str, int]: ...


def patched_server(host: str, port: int) -> MotoServer:
    """moto's threaded server on `host`:`port` (0: a free port), with every patch installed; not started."""
    apply()
    from moto.server import ThreadedMotoServer

    server: MotoServer = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    return server
