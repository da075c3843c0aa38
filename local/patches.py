"""Every change the local stack makes to moto's behaviour, in one place, pinned to one moto version.

Each patch replaces one attribute of a moto class or module. `apply()` refuses to run on any other moto
version, and refuses to patch an attribute that does not exist, so an upgrade of moto fails loudly here
instead of quietly bringing back the behaviour a patch removed. To add a patch: write the replacement below
and list it in `_patches()` with the reason it is needed. Whenever MOTO_VERSION changes, re-read the
patched moto code.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    # stream keeps every record for the DynamoDB Streams API, where local.poller reads them with the mapping's
    # semantics.
    return ""


def _patches() -> list[Patch]:
    from moto.awslambda.models import LambdaBackend

    return [
        Patch(
            owner=LambdaBackend,
            name="send_dynamodb_items",
            replacement=_no_dynamodb_stream_hook,
            reason="moto's per-write stream -> Lambda hook invokes through Docker and empties the shard",
        ),
    ]


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
