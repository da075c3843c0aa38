"""Replays the change batches that the stream's event source mapping gave up on.

When the consumer keeps failing on a batch (its retries are exhausted or its records grow too old), the
mapping discards the batch and sends a record of it to its on-failure destination. After the consumer is
fixed, an operator runs this function (``aws lambda invoke --function-name <name>-redrive --payload
'{"dry_run": true}' out.json``) to hand those batches to the consumer again:

- S3 destination: each object Lambda wrote holds the whole batch (``payload``); a batch that the consumer
  now takes is moved under ``redriven/`` (copied, then deleted), so it is never replayed again.
- SQS destination, or SNS through the SQS queue the module subscribes to the topic: each message is a pointer
  (stream, shard, first and last sequence number, batch size). The records are read again from the stream
  while it still retains them (24 hours); a batch the consumer now takes is deleted from the queue. A range
  the stream no longer holds is reported as ``expired`` and left in the queue for the operator to decide.

A replay invokes the consumer synchronously with the whole batch, in the event shape the mapping uses. If
the consumer reports any record in ``batchItemFailures``, or fails, the batch stays where it is
(``still_failing``) and the next run replays all of it again, including the records that succeeded this
time. Consumers must therefore be idempotent, which they already must be: the mapping itself delivers at
least once. Batches are replayed in stream order within each shard, but a replay necessarily comes after
newer changes of the same items, so a consumer that keeps state per item must not let an older change
overwrite a newer one (compare the item's version or timestamp).

Limitation: a pointer names a range of the shard. When the mapping has filter patterns, that range can hold
records the filter dropped, and the replay delivers them too (the answer's ``detail`` says so).

See ``redrive.run`` for the request and the answer.
"""
