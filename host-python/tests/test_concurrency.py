"""Concurrent operations of one invocation (threads): one checkpoint in flight, each token used
once, every update sent exactly once, nothing reported stored that the service did not store."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from durable_core.invocation import Engine, InvocationFailed, Stopped

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/run/exec-1"
EVENT = {"DurableExecutionArn": ARN, "CheckpointToken": "t0"}


class StrictService:
    """Refuses a spent token or two calls at once, the way the service would fail them."""

    def __init__(self, drop_token_at: int | None = None) -> None:
        self.token = "t0"
        self.calls = 0
        self.in_flight = 0
        self.updates: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.drop_token_at = drop_token_at
        self._guard = threading.Lock()

    def checkpoint(self, arn: str, token: str, updates: list[dict]) -> dict:
        with self._guard:
            self.in_flight += 1
            if self.in_flight > 1:
                self.problems.append("two checkpoint calls in flight")
            if token != self.token:
                self.problems.append(f"spent token {token} (current {self.token})")
        time.sleep(0.002)  # long enough for the other threads to queue behind this call
        with self._guard:
            self.in_flight -= 1
            self.calls += 1
            self.updates.extend(updates)
            if self.drop_token_at == self.calls:
                return {"NewExecutionState": {"Operations": []}}
            self.token = f"t{self.calls}"
            return {"CheckpointToken": self.token, "NewExecutionState": {"Operations": []}}

    def get_state(self, arn: str, token: str, marker: str, max_items: int) -> dict:
        return {"Operations": []}


@pytest.mark.parametrize("profile", ["python", "ts", "unified"])
def test_eight_threads_run_steps_at_once_without_reusing_a_token(profile: str) -> None:
    service = StrictService()
    engine = Engine(EVENT, service, profile=profile, idle_flush_seconds=None)

    def branch(i: int) -> Any:
        return engine.step(0, f"s{i}", lambda attempt, i=i: {"i": i})

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(branch, range(8)))
    output = engine.finish_return('"done"')

    assert results == [{"i": i} for i in range(8)]
    assert service.problems == []
    assert output == {"Status": "SUCCEEDED", "Result": '"done"'}
    actions = sorted((u["Name"], u["Action"]) for u in service.updates)
    assert actions == sorted((f"s{i}", a) for i in range(8) for a in ("START", "SUCCEED"))
    assert len({u["Id"] for u in service.updates}) == 8


def test_a_token_lost_under_concurrency_fails_the_invocation_and_stores_nothing_more() -> None:
    service = StrictService(drop_token_at=1)
    engine = Engine(EVENT, service, profile="ts", idle_flush_seconds=None)
    failures: list[BaseException] = []
    results: list[Any] = []

    def branch(i: int) -> None:
        try:
            results.append(engine.step(0, f"s{i}", lambda attempt, i=i: i))
        except BaseException as error:  # the test collects what each thread saw
            failures.append(error)

    threads = [threading.Thread(target=branch, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads), "a branch hung"
    # The first call's answer had no token: no later call may be made with a spent one, and
    # no branch may be told its result was stored after it.
    assert service.problems == []
    assert service.calls == 1
    # The only call failed, so no branch may have been handed a result; each unwinds.
    assert results == []
    assert len(failures) == 4 and all(isinstance(f, Stopped) for f in failures), failures
    with pytest.raises(InvocationFailed) as failed:
        engine.finish_stopped()
    assert failed.value.rule == "checkpoint-without-token"


def test_close_releases_the_core_state_once() -> None:
    from durable_core._runtime import runtime

    rt = runtime()
    engine = Engine(EVENT, StrictService(), profile="ts", idle_flush_seconds=None)
    real = rt.call_flat
    closes: list[object] = []

    def counting(name: str, *args: Any) -> Any:
        if name == "invocation#close":
            closes.append(args)
        return real(name, *args)

    rt.call_flat = counting  # type: ignore[method-assign]
    try:
        engine.close()
        engine.close()
        engine.__del__()
        assert len(closes) == 1
        with pytest.raises(Exception, match="no open invocation"):
            engine.replaying_in(0)
    finally:
        rt.call_flat = real  # type: ignore[method-assign]
