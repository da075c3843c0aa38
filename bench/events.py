"""Synthetic DynamoDB stream batches shaped like the products table's NEW_AND_OLD_IMAGES records.

Records are deterministic for a seed, so every variant in a run and every run on a machine sees the same
bytes. Attribute values mix strings, small and many-digit numbers (beyond a float's precision), booleans,
maps, lists and sets, because deserializing those is where a consumer spends its time.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/bench-products/stream/2026-11-26T00:00:00.000"
CATEGORIES = ("furniture", "kitchen", "garden", "lighting", "office", "outdoor", "bathroom", "storage")
WORDS = ("oak", "walnut", "linen", "steel", "brass", "velvet", "ceramic", "bamboo", "marble", "wool")
# About the mix a products table sees: mostly updates, some creates, few deletes.
EVENT_NAMES = ("MODIFY",) * 6 + ("INSERT",) * 3 + ("REMOVE",)


def _product_image(rng: random.Random, product_id: str, version: int) -> dict[str, Any]:
    """One product item in DynamoDB JSON, as the stream carries it."""
    name = " ".join(rng.choice(WORDS) for _ in range(3))
    return {
        "PK": {"S": f"Product#{product_id}"},
        "SK": {"S": "User#Product"},
        "name": {"S": f"{name} {rng.randint(1, 999)}"},
        "price": {"N": f"{rng.randint(0, 99_999)}.{rng.randint(0, 99):02d}"},
        "category": {"S": rng.choice(CATEGORIES)},
        "created_at": {"S": "2026-11-26T09:15:42Z"},
        "updated_at": {"S": f"2026-11-26T10:{rng.randint(10, 59)}:{rng.randint(10, 59)}Z"},
        "version": {"N": str(version)},
        # 38 significant digits: DynamoDB's maximum, far beyond a float's 17.
        "ledger_balance": {"N": f"{rng.randint(10**24, 10**25 - 1)}.{rng.randint(10**12, 10**13 - 1)}"},
        "in_stock": {"BOOL": rng.random() < 0.8},
        "dimensions": {
            "M": {"width_cm": {"N": str(rng.randint(10, 300))}, "weight_kg": {"N": f"{rng.randint(1, 90)}.5"}}
        },
        "tags": {"L": [{"S": rng.choice(WORDS)}, {"N": str(rng.randint(1, 99))}]},
        "colours": {"SS": sorted({rng.choice(WORDS) for _ in range(2)})},
    }


def stream_record(rng: random.Random, sequence: int) -> dict[str, Any]:
    """One DynamoDB stream record (view type NEW_AND_OLD_IMAGES) as Lambda delivers it."""
    event_name = rng.choice(EVENT_NAMES)
    product_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    version = rng.randint(1, 40)
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": 1_795_000_000 + sequence,
        "Keys": {"PK": {"S": f"Product#{product_id}"}, "SK": {"S": "User#Product"}},
        "SequenceNumber": f"{4_000_000_000_000_000_000_000 + sequence:d}",
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if event_name != "REMOVE":
        dynamodb["NewImage"] = _product_image(rng, product_id, version + 1)
    if event_name != "INSERT":
        dynamodb["OldImage"] = _product_image(rng, product_id, version)
    dynamodb["SizeBytes"] = len(json.dumps(dynamodb.get("NewImage", {}))) + len(
        json.dumps(dynamodb.get("OldImage", {}))
    )
    return {
        "eventID": f"{rng.getrandbits(128):032x}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": dynamodb,
        "eventSourceARN": STREAM_ARN,
    }


def stream_event(size: int, seed: int = 6) -> dict[str, Any]:
    """A batch of `size` stream records, the event the consumer's handler receives."""
    rng = random.Random(seed)  # noqa: S311 - synthetic test data, not security
    return {"Records": [stream_record(rng, sequence) for sequence in range(size)]}


def mean_record_bytes(event: dict[str, Any]) -> float:
    """Mean size of one record as compact JSON, to state what 'about 1 KB' was."""
    records = event["Records"]
    return sum(len(json.dumps(record, separators=(",", ":"))) for record in records) / len(records)
