"""The poller: mappings found, enabled, disabled, created and deleted while it runs; where it starts and
resumes reading; stopping."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from local.esm.poller import StreamPoller
from local.lambda_runtime.invoke import InvokeResult
from tests.unit.local.esm.conftest import DRAIN, FAIL, FakeInvoker, Pipe, pk, wait_for


def test_disabled_mapping_delivers_nothing_until_enabled(
    aws: Callable[[str], Any],
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    p = pipe(Enabled=False)
    write(p.table, "a", "b")
    invoker = FakeInvoker()
    poller = run_poller(invoker)
    assert poller.drain(DRAIN)
    assert invoker.calls == []

    aws("lambda").update_event_source_mapping(UUID=p.mapping_uuid, Enabled=True)

    assert poller.drain(DRAIN)
    assert invoker.batches == [["a", "b"]]


def test_mappings_created_or_deleted_while_running_take_effect(
    aws: Callable[[str], Any],
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    invoker = FakeInvoker()
    poller = run_poller(invoker)
    assert poller.drain(DRAIN)

    p = pipe()
    write(p.table, "a")
    assert poller.drain(DRAIN)
    aws("lambda").delete_event_source_mapping(UUID=p.mapping_uuid)
    assert poller.drain(DRAIN)
    write(p.table, "b")
    assert poller.drain(DRAIN)

    assert invoker.batches == [["a"]]


@pytest.mark.parametrize(
    ("position", "expected"), [("TRIM_HORIZON", [["before"], ["after"]]), ("LATEST", [["after"]])]
)
def test_starting_position(
    position: str,
    expected: list[list[str]],
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    p = pipe(StartingPosition=position)
    write(p.table, "before")
    invoker = FakeInvoker()
    poller = run_poller(invoker)
    assert poller.drain(DRAIN)

    write(p.table, "after")

    assert poller.drain(DRAIN)
    assert invoker.batches == expected


def test_restarted_poller_resumes_from_its_checkpoint(
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    p = pipe(StartingPosition="LATEST")
    first = FakeInvoker()
    poller = run_poller(first)
    assert poller.drain(DRAIN)
    write(p.table, "a", "b")
    assert poller.drain(DRAIN)
    poller.stop()

    # Written while no poller runs: a LATEST mapping already seen must not skip them.
    write(p.table, "c", "d")
    second = FakeInvoker()

    assert run_poller(second).drain(DRAIN)

    assert [k for batch in first.batches for k in batch] == ["a", "b"]
    assert second.batches == [["c", "d"]]


def test_batch_in_flight_at_stop_is_delivered_again_after_restart(
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    p = pipe(BatchSize=2)
    write(p.table, "a", "b", "c", "d")
    first = FakeInvoker(lambda records: FAIL if pk(records[0]) == "c" else InvokeResult())
    poller = run_poller(first, retry_delay=0.05)
    wait_for(lambda: len(first.calls) >= 3)  # "a,b" delivered, "c,d" failing
    poller.stop()
    second = FakeInvoker()

    assert run_poller(second).drain(DRAIN)

    assert first.batches[0] == ["a", "b"]
    assert set(map(tuple, first.batches[1:])) == {("c", "d")}
    assert second.batches == [["c", "d"]]


def test_stop_ends_every_thread(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    p = pipe()
    write(p.table, "a")
    invoker = FakeInvoker(lambda records: FAIL)
    before = set(threading.enumerate())
    poller = run_poller(invoker, retry_delay=60)
    wait_for(lambda: len(invoker.calls) >= 1)  # the shard's thread now waits a minute to retry
    started = [t for t in set(threading.enumerate()) - before if t.name.startswith("poller-")]
    assert len(started) == 2  # the mappings reader and the shard's worker

    poller.stop()

    assert [t.name for t in started if t.is_alive()] == []
    with pytest.raises(RuntimeError, match="create a new one"):
        poller.start()
