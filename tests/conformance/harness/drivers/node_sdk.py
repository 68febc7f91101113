"""Driver ``node-sdk``: handlers on @aws/durable-execution-sdk-js 2.4.0 (tests/conformance/node/
handlers.mjs), run by @aws/durable-execution-sdk-js-testing 1.1.4's ``LocalDurableTestRunner``,
with retries decided by durable-core (``aws.createRetryStrategy(config, {profile: 'ts'})`` from
host-node) or, for the control run, by the SDK's own strategy configured identically.

``prepare`` starts the Node processes (tests/conformance/node/run-handlers.mjs) in the background,
so they run while other drivers work; ``run`` waits for its case's result. The packages are
host-node's (host-node/node_modules), so nothing is installed for the harness.

Clock. With ``skipTime: true`` the runner's QueueScheduler completes timers while the invocation
that armed them is still running (deviation ``js-skiptime-early-timer``, measured by running
``--node-clock skip``). So, by default (``auto``), a requirement whose timers add up to at most
``REAL_TIME_BUDGET_SECONDS`` runs with the runner's real timers (each in its own process, in
parallel, so the wall time is the longest case), and only the long waits (2-4: 60 s, 2-5: 1 h) and
timer-free requirements use skipTime. ``CONFORMANCE_NODE_CLOCK=skip|real|auto`` (or the harness's
``--node-clock``) overrides this.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import Case, Driver, NotImplementedCase, Outcome

NODE_DIR = Path(__file__).resolve().parents[2] / "node"
SCRIPT = NODE_DIR / "run-handlers.mjs"
HOST_NODE = Path(__file__).resolve().parents[4] / "host-node"
PROCESS_TIMEOUT_SECONDS = 120
REAL_TIME_BUDGET_SECONDS = 20
PARALLEL_PROCESSES = 8

# The most virtual time each handler's timers can take (waits and retry delays, from the
# requirements' numbers; 1-13's two jittered delays are at most 5 + 10 s).
TIMER_SECONDS = {
    "1-8": 2,
    "1-9": 1,
    "1-10": 1,
    "1-11": 1,
    "1-12": 3,
    "1-13": 15,
    "1-14": 8,
    "1-15": 1,
    "1-18": 1,
    "2-1": 2,
    "2-2": 2,
    "2-3": 4,
    "2-4": 60,
    "2-5": 3600,
}
# A crashed invocation rejects LocalDurableTestRunner.run(); nothing else can run after it in
# that process, so these always run in the skipTime batch, last.
CRASH_CASES = frozenset({"1-17", "1-18", "3-12"})
HANDLED = frozenset(
    {f"1-{n}" for n in range(1, 21)}
    | {f"2-{n}" for n in range(1, 6)}
    | {f"3-{n}" for n in range(1, 19)}
)

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pending: dict[str, Future] = {}
_versions: dict[str, str] = {}


def clock_policy() -> str:
    policy = os.environ.get("CONFORMANCE_NODE_CLOCK", "auto")
    if policy not in ("auto", "skip", "real"):
        raise ValueError(
            f"CONFORMANCE_NODE_CLOCK must be auto, skip or real, not {policy!r}"
        )
    return policy


def clock_for(case_id: str, policy: str) -> str:
    if case_id in CRASH_CASES:
        return "skip"
    if policy != "auto":
        return policy
    seconds = TIMER_SECONDS.get(case_id, 0)
    return "real" if 0 < seconds <= REAL_TIME_BUDGET_SECONDS else "skip"


def key(case: Case) -> str:
    return f"{case.id}/{case.strategy}/{case.seed}"


def _run_batch(jobs: list[dict[str, Any]], clock: str) -> dict[str, dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH")
    with tempfile.TemporaryDirectory(prefix="conformance-node-") as tmp:
        out = Path(tmp) / "results.json"
        done = subprocess.run(
            [node, str(SCRIPT), str(out), clock],
            input=json.dumps({"cases": jobs}),
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT_SECONDS,
            check=False,
        )
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(
                f"run-handlers.mjs exited {done.returncode}: {done.stderr.strip()[-1500:]}"
            )
        report = json.loads(out.read_text(encoding="utf-8"))
    _versions.update(report.get("versions", {}))
    results = {r["key"]: r for r in report["results"]}
    for result in results.values():
        result["clock"] = clock
        result["log_lines"] = sum(
            1 for line in done.stdout.splitlines() if line.strip()
        )
    return results


def prepare(cases: Sequence[Case]) -> None:
    global _pool
    policy = clock_policy()
    batches: dict[str, list[dict[str, Any]]] = {}
    singles: list[tuple[dict[str, Any], str]] = []
    for case in cases:
        if case.id not in HANDLED:
            continue
        job = {
            "key": key(case),
            "id": case.id,
            "input": case.input,
            "strategy": case.strategy,
            "seed": case.seed,
        }
        clock = clock_for(case.id, policy)
        if clock == "real":
            singles.append((job, clock))  # one process each: they sleep in parallel
        else:
            batches.setdefault(clock, []).append(job)
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=PARALLEL_PROCESSES, thread_name_prefix="node-driver"
            )
        # Longest first, so the longest real-time case starts at once.
        for job, clock in sorted(
            singles, key=lambda jc: -TIMER_SECONDS.get(jc[0]["id"], 0)
        ):
            future = _pool.submit(_run_batch, [job], clock)
            _pending[job["key"]] = future
        for clock, jobs in batches.items():
            future = _pool.submit(_run_batch, jobs, clock)
            for job in jobs:
                _pending[job["key"]] = future


def run(case: Case) -> Outcome:
    if case.id not in HANDLED:
        raise NotImplementedCase(
            f"no node-sdk handler for {case.id} (suite {case.suite})"
        )
    with _lock:
        future = _pending.get(key(case))
    if future is None:
        prepare([case])
        with _lock:
            future = _pending[key(case)]
    result = future.result(timeout=PROCESS_TIMEOUT_SECONDS * 2)[key(case)]
    facts = dict(result.get("facts", {}))
    facts["clock"] = "skipTime" if result["clock"] == "skip" else "real timers"
    if "unsupported" in result:
        raise NotImplementedCase(result["unsupported"])
    if "rejected" in result:
        if case.id in CRASH_CASES:
            raise NotImplementedCase(
                "LocalDurableTestRunner does not re-invoke after a crashed invocation: run() "
                f"rejected with {result['rejected']!r} after {facts.get('invocations')} "
                f"invocation(s) ({facts.get('crashed_invocations')} crashed), so the service's "
                "re-invocation that these requirements check cannot happen (measured with this "
                "strategy; conformance-notes §2.4 item 4)"
            )
        raise RuntimeError(
            f"LocalDurableTestRunner.run() rejected: {result['rejected']}"
        )
    return Outcome(
        events=result["events"],
        status=result["status"],
        result=result["result"],
        facts=facts,
    )


def close() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None
        _pending.clear()


def versions() -> dict[str, str]:
    return dict(_versions)


DRIVER = Driver(
    name="node-sdk",
    description="@aws/durable-execution-sdk-js 2.4.0 on LocalDurableTestRunner (testing 1.1.4), "
    "retries by durable-core (profile ts)",
    run=run,
    runner="@aws/durable-execution-sdk-js-testing 1.1.4",
    prepare=prepare,
    close=close,
    rank=20,
)
