"""LOG_MODE=changes: a MODIFY is logged with the attributes that changed instead of its two images."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from consumer import changes, handler, records

from tests.fixtures.events import stream_batch


def image(**attributes: Any) -> dict[str, Any]:
    return {"PK": {"S": "Product#1"}, "SK": {"S": "User#Product"}, **attributes}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            image(price={"N": "10"}, name={"S": "mug"}),
            image(price={"N": "12.5"}, name={"S": "mug"}),
            {"price": {"old": Decimal(10), "new": Decimal("12.5")}},
            id="changed",
        ),
        pytest.param(
            image(name={"S": "mug"}),
            image(name={"S": "mug"}, colour={"S": "blue"}),
            {"colour": {"new": "blue"}},
            id="added",
        ),
        pytest.param(
            image(name={"S": "mug"}, colour={"S": "blue"}),
            image(name={"S": "mug"}),
            {"colour": {"old": "blue"}},
            id="removed",
        ),
        pytest.param(
            image(tags={"SS": ["b", "a"]}, ratings={"NS": ["2", "1.50"]}),
            image(tags={"SS": ["a", "b"]}, ratings={"NS": ["1.5", "2"]}),
            {},
            id="sets-in-another-order-and-equal-numbers-are-unchanged",
        ),
        pytest.param(
            image(flag={"N": "1"}),
            image(flag={"BOOL": True}),
            {"flag": {"old": Decimal(1), "new": True}},
            id="another-type-is-a-change",
        ),
        pytest.param(
            image(details={"M": {"sizes": {"L": [{"N": "1"}, {"BOOL": False}]}}}),
            image(details={"M": {"sizes": {"L": [{"BOOL": True}, {"N": "0"}]}}}),
            {"details": {"old": {"sizes": [Decimal(1), False]}, "new": {"sizes": [True, Decimal(0)]}}},
            id="nested-types-are-compared",
        ),
        pytest.param(
            image(details={"M": {"a": {"N": "1"}, "b": {"S": "x"}}}),
            image(details={"M": {"b": {"S": "x"}, "a": {"N": "1.0"}}}),
            {},
            id="maps-in-another-order-are-unchanged",
        ),
    ],
)
def test_changed_attributes(old, new, expected):
    assert changes.changed_attributes(old, new) == expected


def test_a_value_that_is_not_dynamodb_json_is_refused():
    with pytest.raises(changes.UnsupportedValue):
        changes.changed_attributes(image(price={"N": "ten"}), image(price={"N": "10"}))


def test_a_modify_line_carries_the_changes_instead_of_both_images(invoke, consumer_logs, monkeypatch):
    monkeypatch.setattr(handler, "record_handler", records.load_record_handler(None, "changes"))
    event = stream_batch("streams/new_and_old_images.json")
    modify = next(record for record in event["Records"] if record["eventName"] == "MODIFY")
    stream = modify["dynamodb"]

    invoke(event)

    # Numbers read back as Decimals, to compare them with the images' exact values.
    parsed = [
        json.loads(text, parse_float=Decimal, parse_int=Decimal) for text in consumer_logs.text.splitlines()
    ]
    lines = {line["eventName"]: line for line in parsed if line.get("message") == "stream record"}
    line = lines["MODIFY"]
    assert "newImage" not in line
    assert "oldImage" not in line
    assert line["keys"] == changes.to_plain_item(stream["Keys"])
    assert line["eventID"] == modify["eventID"]
    assert line["location"].startswith("log_changed_attributes:")
    # Exactly the attributes whose plain values differ, each with both of them (the fixture neither adds nor
    # removes one); the line's numbers read back as the exact Decimals.
    old = changes.to_plain_item(stream["OldImage"])
    new = changes.to_plain_item(stream["NewImage"])
    assert line["changes"] == {
        name: {"old": old[name], "new": new[name]} for name in new if old[name] != new[name]
    }
    assert line["changes"]
    # INSERT and REMOVE keep their one image, whole.
    assert "newImage" in lines["INSERT"]
    assert "oldImage" in lines["REMOVE"]
    assert "changes" not in lines["INSERT"]
    assert "changes" not in lines["REMOVE"]


def test_a_modify_with_one_image_is_logged_in_full(invoke, consumer_logs, monkeypatch):
    monkeypatch.setattr(handler, "record_handler", records.load_record_handler(None, "changes"))

    invoke(stream_batch("streams/new_image.json"))

    [line] = [line for line in consumer_logs.with_message("stream record") if line["eventName"] == "MODIFY"]
    assert "newImage" in line
    assert "changes" not in line


def test_an_unchanged_modify_logs_no_changes():
    event = stream_batch("streams/new_and_old_images.json")
    record = copy.deepcopy(next(r for r in event["Records"] if r["eventName"] == "MODIFY"))
    record["dynamodb"]["OldImage"] = copy.deepcopy(record["dynamodb"]["NewImage"])

    assert changes.describe_changes(record)["changes"] == {}


@pytest.mark.parametrize("mode", [None, "", "full"])
def test_the_default_mode_logs_whole_images(mode):
    assert records.load_record_handler(None, mode) is records.log_change


def test_an_unknown_mode_is_refused_naming_the_allowed_ones():
    with pytest.raises(
        records.RecordHandlerConfigError, match=r"LOG_MODE='diff' must be one of: full, changes"
    ):
        records.load_record_handler(None, "diff")


def test_a_record_handler_wins_over_the_mode():
    loaded = records.load_record_handler("tests.fixtures.record_handlers:remember", "changes")

    assert loaded.__name__ == "remember"
