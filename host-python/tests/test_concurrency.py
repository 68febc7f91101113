"""Concurrent operations of one invocation (threads): one checkpoint in flight, each token used
once, every update sent exactly once, nothing reported stored that the service did not store."""

from __future__ import annotations

import subprocess
import sys
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


# A child process's start: an engine's event and a service that answers every checkpoint.
_CHILD_ENGINE = """
from durable_core.invocation import Engine
event = {"DurableExecutionArn": "arn:aws:lambda:us-east-1:1:function:f/durable-execution/r/e",
         "CheckpointToken": "t0"}
class Service:
    def checkpoint(self, *a): return {"CheckpointToken": "t1"}
    def get_state(self, *a): return {"Operations": []}
"""


def _run_child(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` after ``_CHILD_ENGINE`` in a fresh interpreter (a crash fails the test, not the
    test run)."""
    return subprocess.run(
        [sys.executable, "-c", _CHILD_ENGINE + code], capture_output=True, text=True, timeout=120
    )


def test_a_released_instance_is_never_called_into() -> None:
    # A finalizer (an Engine collected at interpreter exit) may run after the runtime's store
    # was deleted: the call must raise, not touch freed memory. Run in a child process, so a
    # crash fails this test instead of the test run.
    done = _run_child("""
from durable_core._runtime import runtime
from durable_core.errors import ComponentTrapError
engine = Engine(event, Service(), profile="ts", idle_flush_seconds=None)
rt = runtime()
if rt.backend != "native":
    print("skipped")
    raise SystemExit(0)
rt._instance._instance.__del__()  # what interpreter exit may do first
try:
    engine.close()
except ComponentTrapError as err:
    print("raised:", err)
""")
    assert done.returncode == 0, done.stderr
    expected = "raised: durable-core trapped in invocation#close"
    assert expected in done.stdout or "skipped" in done.stdout, done.stdout


def test_engines_collected_at_interpreter_exit_do_not_crash_it() -> None:
    # The shape that crashed (SIGSEGV at exit): engines left for the last garbage collection,
    # with a large heap so that collection order is arbitrary.
    done = _run_child("""
import aws_durable_execution_sdk_python, botocore.session
engines = []
for i in range(200):
    e = Engine(event, Service(), profile="ts", idle_flush_seconds=None)
    e.cycle = e  # left for the garbage collector
    engines.append(e)
junk = [{"a": [i, str(i)]} for i in range(300_000)]
del engines
print("done")
""")
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.strip() == "done"
