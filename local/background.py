"""Sends what a service delivers after the fact (access logs, metrics) from a thread of its own, in batches.

`put` only queues; the thread takes what has queued up (at most `max_batch` items), groups it by key and calls
`send(key, values)` once per key, so a request or an invocation never waits for the emulator.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Hashable

log = logging.getLogger(__name__)


class BackgroundSender[K: Hashable, V]:
    def __init__(self, name: str, send: Callable[[K, list[V]], None], max_batch: int) -> None:
        self._send = send
        self._max_batch = max_batch
        self._queue: queue.Queue[tuple[K, V] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._send_loop, name=name, daemon=True)
        self._thread.start()

    def put(self, key: K, value: V) -> None:
        self._queue.put((key, value))

    def flush(self) -> None:
        """Returns once everything put so far has been sent (or failed to send, which is logged)."""
        self._queue.join()

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _send_loop(self) -> None:
        while True:
            items = [self._queue.get()]
            with contextlib.suppress(queue.Empty):
                while len(items) < self._max_batch:
                    items.append(self._queue.get_nowait())
            batches: dict[K, list[V]] = {}
            for item in items:
                if item is not None:
                    batches.setdefault(item[0], []).append(item[1])
            for key, values in batches.items():
                try:
                    self._send(key, values)
                except Exception:
                    log.exception("sending %d items to %s failed", len(values), key)
            for _ in items:
                self._queue.task_done()
            if None in items:
                return
