"""What the local stack's long-running parts (emulator, API fronts, poller, services) share: started and
stopped explicitly, or by a `with` block."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self


class Lifecycle(ABC):
    @abstractmethod
    def start(self) -> Self:
        """Starts serving; returns self, so `Thing(...).start()` reads as one step."""

    @abstractmethod
    def stop(self) -> None:
        """Stops and releases what `start` acquired."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
