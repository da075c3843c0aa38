"""DynamoDB JSON to plain JSON, and the record loader's error messages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from consumer import changes, records

from tests.fixtures.events import stream_batch


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"S": "Coffee mug"}, "Coffee mug"),
        ({"S": ""}, ""),
        ({"N": "10.99"}, Decimal("10.99")),
        ({"N": "-0"}, Decimal("-0")),
        ({"N": "99999999999999999999999999999999999999"}, Decimal("99999999999999999999999999999999999999")),
        ({"N": "1E+126"}, Decimal("1E+126")),
        ({"BOOL": True}, True),
        ({"NULL": True}, None),
        ({"B": "3q2+7w=="}, "3q2+7w=="),
        ({"B": b"\xde\xad\xbe\xef"}, "3q2+7w=="),
        ({"SS": ["b", "a", "B", "é"]}, ["B", "a", "b", "é"]),
        ({"NS": ["10", "9", "-1.5", "1E+2"]}, [Decimal("-1.5"), Decimal(9), Decimal(10), Decimal(100)]),
        ({"BS": ["Ag==", "AQI=", "AQ=="]}, ["AQ==", "AQI=", "Ag=="]),
        ({"L": []}, []),
        ({"M": {}}, {}),
        ({"L": [{"M": {"a": {"L": [{"NS": ["2", "1"]}]}}}]}, [{"a": [[Decimal(1), Decimal(2)]]}]),
        ({"L": [{"N": "1.50"}, {"N": "-2"}, {"N": "1E+2"}]}, [Decimal("1.50"), Decimal(-2), Decimal(100)]),
        ({"L": [{"N": "1"}, {"S": "a"}, {"BOOL": False}]}, [Decimal(1), "a", False]),
    ],
)
def test_values_become_plain_data(value, expected):
    plain = changes.to_plain(value)

    assert plain == expected
    assert type(plain) is type(expected)


def test_numbers_keep_their_digits():
    # A float would turn this into 0.30000000000000004-style noise or lose digits past the 17th.
    assert str(changes.to_plain({"N": "0.12345678901234567890123456789012345678"})) == (
        "0.12345678901234567890123456789012345678"
    )


@pytest.mark.parametrize(
    "value",
    [
        {"X": "1"},
        {"S": "a", "N": "1"},
        {},
        {"N": "ten"},
        {"N": "NaN"},
        {"N": "Infinity"},
        "S",
        {"M": {"a": {"Q": 1}}},
        # Lists and sets of numbers, converted in one pass, reject what the per-value path rejects.
        {"L": [{"N": "1"}, {"N": "ten"}]},
        {"L": [{"N": "1"}, {"N": "NaN"}]},
        {"L": [{"N": "1"}, {"N": "1", "S": "a"}]},
        {"L": [{"N": "1"}, "2"]},
        {"L": [{"N": "1"}, {"N": ["2"]}]},
        {"NS": ["1", "sNaN"]},
        {"NS": ["1", "one"]},
        {"NS": ["1", None]},
    ],
)
def test_anything_else_is_rejected(value):
    with pytest.raises(changes.UnsupportedValue):
        changes.to_plain(value)


def test_describe_carries_only_the_images_the_record_has():
    [insert, modify, remove] = stream_batch("streams/new_and_old_images.json")["Records"]

    assert set(changes.describe(insert)) == {
        "eventName",
        "eventID",
        "keys",
        "sequenceNumber",
        "approximateCreationDateTime",
        "newImage",
    }
    assert {"newImage", "oldImage"} <= set(changes.describe(modify))
    assert "newImage" not in changes.describe(remove)
    assert changes.describe(remove)["oldImage"]["price"] == Decimal("12.5")


def test_record_handler_unset_or_empty_means_the_default():
    assert records.load_record_handler(None) is records.log_change
    assert records.load_record_handler("  ") is records.log_change


def test_record_handler_names_a_function():
    from tests.fixtures import record_handlers

    assert records.load_record_handler("tests.fixtures.record_handlers:remember") is record_handlers.remember


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tests.fixtures.record_handlers", "must have the form 'package.module:function'"),
        (":remember", "must have the form"),
        ("tests.fixtures.record_handlers:", "must have the form"),
        ("no_such_module:handle", "cannot import module 'no_such_module'"),
        ("tests.fixtures.record_handlers:missing", "'tests.fixtures.record_handlers' has no 'missing'"),
        ("tests.fixtures.record_handlers:NOT_CALLABLE", "'NOT_CALLABLE' is not callable"),
    ],
)
def test_a_bad_record_handler_is_a_clear_configuration_error(spec, message):
    with pytest.raises(records.RecordHandlerConfigError) as raised:
        records.load_record_handler(spec)

    assert str(raised.value).startswith(f"RECORD_HANDLER={spec!r}")
    assert message in str(raised.value)
