"""What a run found and did: the counts and one entry per failure record, as the function answers them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from redrive.sources import Found

Status = Literal["replayed", "still_failing", "expired", "found", "invalid"]


@dataclass
class Report:
    dry_run: bool
    batches: list[dict[str, Any]] = field(default_factory=list)

    def add(self, found: Found, status: Status, detail: str | None = None) -> dict[str, Any]:
        info = found.batch.info if found.batch is not None else None
        entry: dict[str, Any] = {
            "source": found.ref,
            "shardId": info.shard_id if info else None,
            "startSequenceNumber": info.start_sequence_number if info else None,
            "endSequenceNumber": info.end_sequence_number if info else None,
            "batchSize": info.batch_size if info else None,
            "status": status,
        }
        if info is not None:
            entry["streamArn"] = info.stream_arn
        if detail is not None:
            entry["detail"] = detail
        self.batches.append(entry)
        return entry

    def counts(self) -> dict[str, int]:
        """found: every failure record looked at; the others: how many ended with that status."""
        statuses = [entry["status"] for entry in self.batches]
        return {
            "found": len(statuses),
            "replayed": statuses.count("replayed"),
            "still_failing": statuses.count("still_failing"),
            "expired": statuses.count("expired"),
            "invalid": statuses.count("invalid"),
        }

    def answer(self) -> dict[str, Any]:
        return {**self.counts(), "dry_run": self.dry_run, "batches": self.batches}
