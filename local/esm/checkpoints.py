"""Where each mapping resumes reading each shard, kept across restarts of the poller."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

CHECKPOINT_FILE = "poller-checkpoints.json"


class Checkpoints:
    """Per mapping and shard, where reading resumes: after a sequence number, or at TRIM_HORIZON.

    Kept in memory, and in a JSON file when a path is given (rewritten whole and atomically on each change).
    """

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._positions: dict[str, dict[str, str]] = {}
        if path is not None and path.exists():
            self._positions = json.loads(path.read_text())

    def knows(self, mapping_uuid: str) -> bool:
        with self._lock:
            return mapping_uuid in self._positions

    def get(self, mapping_uuid: str, shard_id: str) -> str | None:
        with self._lock:
            return self._positions.get(mapping_uuid, {}).get(shard_id)

    def set(self, mapping_uuid: str, shard_id: str, position: str) -> None:
        with self._lock:
            self._positions.setdefault(mapping_uuid, {})[shard_id] = position
            if self._path is not None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self._path.with_name(f"{self._path.name}.{os.getpid()}.tmp")
                tmp.write_text(json.dumps(self._positions, indent=1, sort_keys=True))
                tmp.replace(self._path)
