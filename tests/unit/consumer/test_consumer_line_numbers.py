"""consumer.changes.line_fields: line numbers straight from their N text, as the Decimal view writes them."""

from __future__ import annotations

import copy
import random
from decimal import Decimal
from typing import Any

import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from consumer import changes, handler, records
from shared import exact_json, fast_json

from tests.fixtures.events import stream_batch


def _record(image: dict[str, Any], **stream: Any) -> dict[str, Any]:
    record = copy.deepcopy(stream_batch("streams/new_and_old_images.json")["Records"][0])
    record["dynamodb"]["NewImage"] = image
    record["dynamodb"].update(stream)
    return record


def _decimal_view(record: dict[str, Any]) -> str:
    """The fields' JSON as the Logger's formatter writes it from describe(): what the line held before."""
    formatter = handler.logger.registered_handler.formatter
    assert isinstance(formatter, LambdaPowertoolsFormatter)
    fields = {key: value for key, value in changes.describe(record).items() if value is not None}
    return formatter.serialize(fields)


def _line_view(record: dict[str, Any]) -> str | None:
    fields = changes.line_fields(record)
    return None if fields is None else fast_json.dumps_plain(fields)


TRICKY_NUMBERS = [
    "0", "-0", "0.0", "-0.0", "10.50", "10.99", "1.000", "7", "-42", "0.5", "0.000001", "0.0000010",
    "0.000000", "0.0000000", "0.0000001", "-0.00000012", "1E+2", "1e2", "1.5E-7", "1E-5", "+5", "007",
    "00.5", ".5", "5.", "1_000", " 12 ", "99999999999999999999999999999999999999",
    "1234567890123456789012345.1234567890123", "9E+125", "-1E-130", "\u0661\u0662",
]  # fmt: skip


@pytest.mark.parametrize("text", TRICKY_NUMBERS)
def test_each_number_is_written_as_the_decimal_view_writes_it(text):
    record = _record({"n": {"N": text}, "l": {"L": [{"N": text}]}, "s": {"NS": [text, "3"]}})

    line = _line_view(record)
    assert line == _decimal_view(record)
    assert f'"n":{Decimal(text)},' in line  # digit for digit, trailing zeros and exponent kept


def test_the_plain_text_check_admits_only_what_decimal_writes_back_unchanged():
    # GIVEN many number texts: integers, decimals with leading and trailing zeros after the point, exponents
    rng = random.Random(7)
    texts = set(TRICKY_NUMBERS)
    for _ in range(20_000):
        whole = rng.choice(["0", "00", "1", str(rng.randint(1, 10 ** rng.randint(1, 38)))])
        point = rng.choice(["", "", "."])
        fraction = "0" * rng.randint(0, 9) + rng.choice(["", "0", "1", str(rng.randint(0, 10**12))])
        exponent = rng.choice(["", "", "", f"E{rng.randint(-9, 9)}", f"e+{rng.randint(0, 9)}"])
        texts.add(rng.choice(["", "-", "+"]) + whole + point + (fraction if point else "") + exponent)

    admitted = {text for text in texts if changes._PLAIN_NUMBER(text)}

    # THEN each text taken as it is equals str(Decimal(text)), and those left out go through Decimal
    assert all(str(Decimal(text)) == text for text in admitted)
    assert {"10.50", "-0", "0.000001", "0.0000010", "0.000000"} <= admitted
    assert {"0.0000001", "0.0000000", "1E+2", "+5", "007", ".5", "5."}.isdisjoint(admitted)
    # and it misses no text without an exponent that Decimal writes back unchanged
    without_exponent = {text for text in texts - admitted if "e" not in text.lower()}
    assert [text for text in without_exponent if _is_decimal(text) and str(Decimal(text)) == text] == []


def _is_decimal(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except ArithmeticError:
        return False


@pytest.mark.parametrize(
    "text", ['1,"x":2', "1\n2", "1}", '1],"x":[2', "1 2", "NaN", "-Infinity", "sNaN", "1e", "0x10", ""]
)
def test_a_number_that_is_not_one_is_rejected_not_spliced_in(text):
    record = _record({"n": {"N": text}})

    assert changes.line_fields(record) is None
    with pytest.raises(changes.UnsupportedValue, match="not a DynamoDB number"):
        changes.describe(record)


def test_a_malicious_number_fails_its_record_and_adds_no_key_to_any_line(invoke, consumer_logs):
    # GIVEN a batch in which one record's number would close the value and open a key of its own
    event = stream_batch("streams/new_and_old_images.json")
    event["Records"][0]["dynamodb"]["NewImage"]["price"] = {"N": '1,"injected":2'}

    response = invoke(event)

    # THEN that record is reported, and no line carries the key
    sequence = event["Records"][0]["dynamodb"]["SequenceNumber"]
    assert response["batchItemFailures"] == [{"itemIdentifier": sequence}]
    assert "injected" not in consumer_logs.text.replace('\\"injected\\"', "")  # only in the error's message
    for line in consumer_logs.with_message("stream record"):
        assert "injected" not in line.get("newImage", {})


def test_records_with_null_and_unusual_values_never_reach_the_standard_library_writer(
    invoke, consumer_logs, monkeypatch
):
    # GIVEN records with NULL attributes, the text "null", sets, binary, nested lists and maps, non-ASCII text
    event = stream_batch("streams/new_and_old_images.json")
    image = {
        "gone": {"NULL": True},
        "note": {"S": "nullable café \x7f 😀"},
        "tags": {"SS": ["b", "a"]},
        "sizes": {"NS": ["10", "9.50", "1E+2"]},
        "blob": {"B": "3q2+7w=="},
        "blobs": {"BS": ["Ag==", "AQ=="]},
        "nested": {"L": [{"M": {"x": {"NULL": True}, "y": {"N": "0.10"}}}, {"BOOL": False}, {"N": "-3"}]},
    }
    for record in event["Records"]:
        record["dynamodb"]["NewImage"] = {**record["dynamodb"].get("NewImage", {}), **image}
    expected = [_decimal_view(record) for record in event["Records"]]

    def refuse(value: Any) -> str:
        raise AssertionError("the line path fell back to the standard library's writer")

    monkeypatch.setattr(exact_json, "dumps", refuse)
    invoke(event)

    # THEN each line holds exactly the fields' JSON the Decimal view gives
    lines = [line for line in consumer_logs.text.splitlines() if '"message":"stream record"' in line]
    assert len(lines) == len(expected)
    for line, fields in zip(lines, expected, strict=True):
        assert fields[1:-1] in line
        assert '"gone":null' in line
        assert '"sizes":[9.50,10,1E+2]' in line


@pytest.mark.parametrize(
    "stream",
    [
        {"ApproximateCreationDateTime": 1.5e-5},  # a float: orjson and json.dumps write it differently
        {"ApproximateCreationDateTime": float("nan")},
        {"ApproximateCreationDateTime": 2**70},  # beyond orjson's 64 bits
        {"ApproximateCreationDateTime": None},
    ],
)
def test_out_of_the_ordinary_fields_get_the_decimal_views_line(invoke, consumer_logs, stream):
    record = _record({"price": {"N": "10.50"}, "gone": {"NULL": True}}, **stream)
    event = {"Records": [record]}

    invoke(event)

    (line,) = [line for line in consumer_logs.text.splitlines() if '"message":"stream record"' in line]
    assert _decimal_view(record)[1:-1] in line


@pytest.mark.parametrize(
    "image",
    [
        {"odd": {"S": 1.5}},  # a float where text belongs
        {"odd": {"BOOL": 0.0}},
        {"odd": {"L": [{"S": 2.5}]}},
        {"odd": {"M": {"a": {"S": float("inf")}}}},
    ],
)
def test_values_of_unexpected_types_are_left_to_the_decimal_view(image):
    record = _record(image)

    assert changes.line_fields(record) is None
    assert _decimal_view(record)  # what the line then holds


def test_another_serializer_gets_the_decimal_view(invoke, consumer_logs, monkeypatch):
    # GIVEN the Logger's formatter writes with another serializer, which knows nothing of fragments
    formatter = handler.logger.registered_handler.formatter
    monkeypatch.setattr(
        formatter, "json_serializer", lambda value: fast_json.dumps(value).replace("10.5", "X")
    )
    event = {"Records": [_record({"price": {"N": "10.50"}})]}

    invoke(event)

    (line,) = [line for line in consumer_logs.text.splitlines() if '"message":"stream record"' in line]
    assert '"price":X0}' in line


@pytest.fixture(autouse=True)
def _fresh_parts():
    records._lines._rendered_for = None
    yield
    records._lines._rendered_for = None
