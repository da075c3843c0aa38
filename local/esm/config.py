"""An event source mapping's configuration, as read from the Lambda API, with Lambda's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from local import patches

TRIM_HORIZON = "TRIM_HORIZON"
LATEST = "LATEST"
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
EVENT_COUNT = "EventCount"  # MetricsConfig.Metrics value that turns on the mapping's event count metrics
# The states in which a mapping reads its source (Lambda finishes enabling or updating while it reads).
_READING_STATES = ("Enabled", "Enabling", "Updating")


@dataclass(frozen=True)
class MappingConfig:
    """The parts of a mapping's configuration that the poller acts on, with Lambda's defaults."""

    uuid: str
    function_arn: str
    stream_arn: str
    enabled: bool
    batch_size: int
    batching_window: float
    starting_position: str
    max_retry_attempts: int
    max_record_age: int
    bisect_on_error: bool
    report_item_failures: bool
    filters: tuple[patches.EventMatcher, ...]  # none means every record
    on_failure: str | None
    event_count_metrics: bool = False

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> MappingConfig:
        """From one item of ListEventSourceMappings; raises when moto rejects a filter pattern."""
        patterns = tuple(
            patches.event_pattern(f["Pattern"])
            for f in (raw.get("FilterCriteria") or {}).get("Filters") or []
            if f.get("Pattern")
        )
        return cls(
            uuid=raw["UUID"],
            function_arn=raw["FunctionArn"],
            stream_arn=raw["EventSourceArn"],
            enabled=raw.get("State") in _READING_STATES,
            batch_size=int(raw.get("BatchSize") or 100),
            batching_window=float(raw.get("MaximumBatchingWindowInSeconds") or 0),
            starting_position=raw.get("StartingPosition") or TRIM_HORIZON,
            max_retry_attempts=int(raw.get("MaximumRetryAttempts", -1)),
            max_record_age=int(raw.get("MaximumRecordAgeInSeconds", -1)),
            bisect_on_error=bool(raw.get("BisectBatchOnFunctionError", False)),
            report_item_failures=REPORT_BATCH_ITEM_FAILURES in (raw.get("FunctionResponseTypes") or []),
            filters=patterns,
            on_failure=((raw.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"),
            event_count_metrics=EVENT_COUNT in ((raw.get("MetricsConfig") or {}).get("Metrics") or []),
        )

    def selects(self, record: dict[str, Any]) -> bool:
        """Lambda event filtering: a record is delivered when any filter matches it (or there are none)."""
        return not self.filters or any(pattern.matches_event(record) for pattern in self.filters)


def is_dynamodb_stream(arn: str) -> bool:
    return arn.split(":")[2:3] == ["dynamodb"] and "/stream/" in arn
