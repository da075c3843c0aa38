"""Only JSON on the consumer's stdout and stderr, whether its records succeed or fail, as Lambda runs it."""

from __future__ import annotations

import pytest

from tests.fixtures import function_output


@pytest.fixture(scope="module")
def output() -> function_output.Output:
    return function_output.run("consumer")


def test_every_case_ran(output):
    # Outcomes: the number of batchItemFailures, or what the invocation raised.
    assert output.outcomes == {"all ok": 0, "one fails": 1, "all fail": "BatchProcessingError"}


def test_every_line_on_stdout_and_stderr_is_a_json_object(output):
    assert output.not_json == []


def test_each_record_gets_one_line_and_each_failed_one_an_error(output):
    def messages(case: str) -> list[tuple[str, str]]:
        return [(line["level"], line["message"]) for line in output.lines[case]["stdout"]]

    assert messages("all ok") == [("INFO", "stream record")] * 3
    assert messages("one fails") == [
        ("INFO", "stream record"),
        ("ERROR", "stream record failed"),
        ("INFO", "stream record"),
    ]
    assert messages("all fail") == [("ERROR", "stream record failed")] * 3
    assert all(output.lines[case]["stderr"] == [] for case in output.outcomes)
