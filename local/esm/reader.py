"""Reading one shard of a DynamoDB stream in order, through the DynamoDB Streams API."""

from __future__ import annotations

from collections import deque
from typing import Any

from botocore.exceptions import ClientError

from local.esm.config import TRIM_HORIZON
from local.esm.records import sequence_number

GET_RECORDS_LIMIT = 1000  # DynamoDB Streams' maximum


class ShardReader:
    """Reads one shard ahead into a buffer of raw GetRecords records, oldest first.

    Reading starts after a position the caller gives (a sequence number, or TRIM_HORIZON / None for the
    shard's oldest record) and continues after the last record fetched, until `restart()` forgets what was
    read ahead.
    """

    def __init__(self, streams: Any, stream_arn: str, shard_id: str) -> None:
        self._streams = streams
        self.stream_arn = stream_arn
        self.shard_id = shard_id
        self._iterator: str | None = None
        self._buffer: deque[dict[str, Any]] = deque()
        self._last_fetched: str | None = None
        self.closed = False  # the shard is closed and its last page has been read

    def peek(self) -> dict[str, Any] | None:
        """The oldest record read ahead and not yet taken, if any."""
        return self._buffer[0] if self._buffer else None

    def take(self) -> dict[str, Any]:
        """Removes and returns the oldest record read ahead."""
        return self._buffer.popleft()

    def fetch(self, start_after: str | None) -> int:
        """Reads the next page of the shard into the buffer; returns how many records it held.

        `start_after` is where reading resumes when no record has been fetched since the last restart.
        Raises botocore's errors, except an expired iterator, which is reopened on the next call."""
        if self.closed:
            return 0
        if self._iterator is None:
            self._iterator = self._open_iterator(self._last_fetched or start_after)
        if self._iterator is None:
            self.closed = True
            return 0
        try:
            page = self._streams.get_records(ShardIterator=self._iterator, Limit=GET_RECORDS_LIMIT)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExpiredIteratorException":
                self._iterator = None  # reopened after the last record read
                return 0
            raise
        records = page.get("Records", [])
        self._buffer.extend(records)
        if records:
            self._last_fetched = sequence_number(records[-1])
        self._iterator = page.get("NextShardIterator")
        if self._iterator is None:
            self.closed = True  # a closed shard's last page has no next iterator
        return len(records)

    def restart(self) -> None:
        """Forget what was read ahead; the next fetch starts after the position it is given."""
        self._iterator = None
        self._buffer.clear()
        self._last_fetched = None
        self.closed = False

    def newest_sequence(self) -> str | None:
        """The sequence number of the shard's newest record now (None for an empty shard); reads the whole
        shard, apart from what is read ahead."""
        iterator = self._open_iterator(TRIM_HORIZON)
        newest = None
        while iterator:
            page = self._streams.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
            if not page["Records"]:
                break
            newest = sequence_number(page["Records"][-1])
            iterator = page.get("NextShardIterator")
        return newest

    def _open_iterator(self, after: str | None) -> str | None:
        if after is None or after == TRIM_HORIZON:
            kwargs: dict[str, str] = {"ShardIteratorType": TRIM_HORIZON}
        else:
            kwargs = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        response = self._streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=self.shard_id, **kwargs
        )
        return response.get("ShardIterator")
