"""Synthetic DynamoDB stream batches shaped like the products table's NEW_AND_OLD_IMAGES records.

Records are deterministic for a seed, so every variant in a run and every run on a machine sees the same
bytes. Attribute values mix strings, small and many-digit numbers (beyond a float's precision), booleans,
maps, lists and sets, because deserializing those is where a consumer spends its time.

Two mixes: ``products`` (the products table's items: mostly strings, a few numbers) and ``numbers`` (items
that are mostly numbers: a list of 20 readings and a nested map of statistics), where the per-number work of
keeping each DynamoDB number exact weighs most.
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


def _number(rng: random.Random) -> str:
    """A DynamoDB number's text: integers, two-place decimals, some at DynamoDB's 38 significant digits."""
    kind = rng.random()
    if kind < 0.4:
        return str(rng.randint(-1_000, 1_000_000))
    if kind < 0.9:
        return f"{rng.randint(0, 99_999)}.{rng.randint(0, 99):02d}"
    return f"{rng.randint(10**24, 10**25 - 1)}.{rng.randint(10**12, 10**13 - 1)}"


def _readings_image(rng: random.Random, product_id: str, version: int) -> dict[str, Any]:
    """One item that is mostly numbers, in DynamoDB JSON: 20 readings and a nested map of statistics."""
    return {
        "PK": {"S": f"Sensor#{product_id}"},
        "SK": {"S": "Readings#2026-11-26"},
        "version": {"N": str(version)},
        "updated_at": {"S": f"2026-11-26T10:{rng.randint(10, 59)}:{rng.randint(10, 59)}Z"},
        "readings": {"L": [{"N": _number(rng)} for _ in range(20)]},
        "stats": {
            "M": {
                "min": {"N": _number(rng)},
                "max": {"N": _number(rng)},
                "mean": {"N": _number(rng)},
                "count": {"N": str(rng.randint(1, 10_000))},
                "percentiles": {"M": {f"p{p}": {"N": _number(rng)} for p in (50, 90, 95, 99)}},
            }
        },
        "calibration": {"NS": sorted({_number(rng) for _ in range(3)})},
    }


IMAGES = {"products": _product_image, "numbers": _readings_image}
# What a MODIFY changes in each mix: a product update sets a price (and its version and time) and keeps the
# rest; a sensor's item is rewritten whole.
MODIFIED = {"products": ("price", "updated_at", "version"), "numbers": None}
# The table's key of each mix's items (PK prefix, SK), as the record's Keys repeat them.
KEYS = {"products": ("Product#", "User#Product"), "numbers": ("Sensor#", "Readings#2026-11-26")}
MIXES = tuple(IMAGES)


def stream_record(rng: random.Random, sequence: int, mix: str = "products") -> dict[str, Any]:
    """One DynamoDB stream record (view type NEW_AND_OLD_IMAGES) as Lambda delivers it."""
    image = IMAGES[mix]
    event_name = rng.choice(EVENT_NAMES)
    product_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    version = rng.randint(1, 40)
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": 1_795_000_000 + sequence,
        "Keys": {"PK": {"S": f"{KEYS[mix][0]}{product_id}"}, "SK": {"S": KEYS[mix][1]}},
        "SequenceNumber": f"{4_000_000_000_000_000_000_000 + sequence:d}",
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if event_name != "REMOVE":
        dynamodb["NewImage"] = image(rng, product_id, version + 1)
    if event_name != "INSERT":
        dynamodb["OldImage"] = image(rng, product_id, version)
    modified = MODIFIED[mix]
    if event_name == "MODIFY" and modified is not None:
        old = dynamodb["OldImage"]
        dynamodb["NewImage"] = {
            name: dynamodb["NewImage"][name] if name in modified else old[name] for name in old
        }
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


def stream_event(size: int, seed: int = 6, mix: str = "products") -> dict[str, Any]:
    """A batch of `size` stream records of one mix, the event the consumer's handler receives."""
    if mix not in IMAGES:
        raise ValueError(f"unknown record mix {mix!r}: one of {', '.join(MIXES)}")
    rng = random.Random(seed)  # noqa: S311 - synthetic test data, not security
    return {"Records": [stream_record(rng, sequence, mix) for sequence in range(size)]}


def mean_record_bytes(event: dict[str, Any]) -> float:
    """Mean size of one record as compact JSON, to state what 'about 1 KB' was."""
    records = event["Records"]
    return sum(len(json.dumps(record, separators=(",", ":"))) for record in records) / len(records)
