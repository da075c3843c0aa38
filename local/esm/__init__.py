"""Event source mappings from DynamoDB streams to functions, run with Lambda's semantics.

`poller` finds the mappings and their shards and starts a `worker` per mapping and shard; a worker reads its
shard (`reader`), shapes the records (`records`), filters and batches them by the mapping's configuration
(`config`), invokes the function, decides from the result what succeeded (`outcome`), keeps its place
(`checkpoints`) and hands what it gives up on to the on-failure destination (`senders`).
"""
