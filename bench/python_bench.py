"""Python host benchmark: load time and per-call latency, beside the SDK's own rule.

Run by bench/run (or directly with the project venv). Prints a markdown table; --json prints
the numbers. Medians of several rounds: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROUNDS = 7
STALE = ("InvalidParameterValueException", "Invalid checkpoint token: token expired")


def per_call_us(fn: Callable[[], object], calls: int = 20_000) -> float:
    for _ in range(1_000):
        fn()
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples)


def fresh_process_ms(code: str, env: dict[str, str], runs: int = 9) -> float:
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(out.stdout.strip()))
    return statistics.median(samples)


IMPORT_AND_CALL = """
import time
t = time.perf_counter()
import durable_core
durable_core.classify_api_error(500)
print((time.perf_counter() - t) * 1e3)
"""

# The library a warm start opens: the runtime-only one when installed, else wasmtime-py's.
LOAD_ONLY = """
import time, durable_core._runtime as r, durable_core._native as n
n.lib(n.runtime_library_path())  # opening the shared library is measured on its own
t = time.perf_counter()
r.Runtime()._ensure()
print((time.perf_counter() - t) * 1e3)
"""

LIBRARY_OPEN = """
import time, durable_core._native as n
t = time.perf_counter()
n.lib(n.runtime_library_path())
print((time.perf_counter() - t) * 1e3)
"""

# One Lambda-like cold start: the SDK's own import, then (WITH_CORE) durable_core's import and
# first classification. Prints the process's CPU seconds, peak RSS (KiB) and the wall time of
# the durable_core part, and the CPU of that part alone (read in the process, so free of the
# process-to-process spread of the SDK's 180 ms, which makes the difference of two processes
# swing by several ms). Peak RSS is Linux's VmHWM, which starts afresh at exec: ru_maxrss keeps
# the high-water mark of the process that forked the child (this benchmark, 80+ MiB), which
# hid most of what the core adds.
COLD = """
import resource, time
import aws_durable_execution_sdk_python
before = resource.getrusage(resource.RUSAGE_SELF)
t = time.perf_counter()
if {with_core}:
    import durable_core
    durable_core.classify_api_error(400, "InvalidParameterValueException",
                                    "Invalid checkpoint token: expired", profile="python")
wall = (time.perf_counter() - t) * 1e3
use = resource.getrusage(resource.RUSAGE_SELF)
try:
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = use.ru_maxrss
part = use.ru_utime + use.ru_stime - before.ru_utime - before.ru_stime
print(use.ru_utime + use.ru_stime, peak, wall, part)
"""


def cold_starts(env: dict[str, str], pairs: int = 21) -> dict[str, float]:
    """The SDK's import alone, with durable_core (on the runtime-only wasmtime library, the
    default), and with durable_core on wasmtime-py's full library, interleaved so all three see
    the same noise."""
    full = {**env, "DURABLE_CORE_RUNTIME_LIBRARY": "off"}
    sdk, core, rss_sdk, rss_core, rss_full, wall, part = [], [], [], [], [], [], []
    for _ in range(pairs):
        for with_core, child_env in ((False, env), (True, env), ("full", full)):
            out = subprocess.run(
                [sys.executable, "-c", COLD.format(with_core=bool(with_core))],
                env=child_env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            cpu, rss = float(out[0]) * 1e3, float(out[1]) / 1024
            if with_core == "full":
                rss_full.append(rss)
                continue
            (core if with_core else sdk).append(cpu)
            (rss_core if with_core else rss_sdk).append(rss)
            if with_core:
                wall.append(float(out[2]))
                part.append(float(out[3]) * 1e3)
    added = [c - s for c, s in zip(core, sdk, strict=True)]
    return {
        "cold_sdk_cpu_ms": statistics.median(sdk),
        "cold_sdk_and_core_cpu_ms": statistics.median(core),
        "cold_core_added_cpu_ms": statistics.median(added),
        "cold_core_added_percent": statistics.median(
            [a / s * 100 for a, s in zip(added, sdk, strict=True)]
        ),
        "cold_core_wall_ms": statistics.median(wall),
        "cold_core_part_cpu_ms": statistics.median(part),
        "cold_core_part_percent": statistics.median(part)
        / statistics.median(sdk)
        * 100,
        "cold_core_added_rss_mib": statistics.median(rss_core)
        - statistics.median(rss_sdk),
        "cold_core_full_library_added_rss_mib": statistics.median(rss_full)
        - statistics.median(rss_sdk),
    }


def measure_cache_check() -> dict[str, float]:
    """What verifying the cached artifact costs (read + keyed BLAKE2b over all of it)."""
    from durable_core import _cache, _runtime

    key = _runtime._cache_key()
    cache = _runtime._cache_dir()
    if cache is None:
        return {}
    path = cache / f"{key}.cwasm"
    wasm = _runtime.component_path()
    if _cache.read_verified(path, key.encode(), wasm) is None:
        return {}
    samples = []
    for _ in range(31):
        start = time.perf_counter()
        _cache.read_verified(path, key.encode(), wasm)
        samples.append((time.perf_counter() - start) * 1e3)
    return {
        "cache_verify_ms": statistics.median(samples),
        "artifact_bytes": path.stat().st_size,
    }


def measure_regex() -> dict[str, float]:
    """A decision on a 1 MB message: a three-character literal regex against the worst
    patterns the core accepts (program size at the bound), in the same run."""
    import re

    from durable_core import retry

    message = "a" * (1 << 20)

    def decide_s(pattern: str) -> float:
        config = retry.exponential(
            retryable_errors=[re.compile(pattern)], jitter="NONE"
        )
        strategy = retry.Strategy(config, profile="python")
        samples = []
        for _ in range(3):
            start = time.perf_counter()
            strategy.decide(1, message=message)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    literal = decide_s("zzz")
    worst = max(
        (decide_s(p), p) for p in ("a{22}x", "[a-z]{22}x", "a.{20}x", "a{0,10}x")
    )
    return {
        "regex_literal_s": literal,
        "regex_worst_s": worst[0],
        "regex_worst_pattern": worst[1],
    }


def measure() -> dict[str, float]:
    import durable_core
    from aws_durable_execution_sdk_python.exceptions import BotoClientError
    from botocore.exceptions import ClientError
    from durable_core._runtime import Runtime, component_path

    results: dict[str, float] = {"component_bytes": component_path().stat().st_size}
    # Deployed packages carry bytecode; measure with it, not with per-process compilation.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", component_path().parent], check=True
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "DURABLE_CORE_CACHE_DIR": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        results["load_compile_ms"] = fresh_process_ms(
            LOAD_ONLY, {**env, "DURABLE_CORE_CACHE_DIR": "off"}
        )
        # A platform wheel's precompiled component, with no cache (a new Lambda environment's
        # first start, its cache unwritable), in a copy of the package whose component file is
        # not the one precompiled, as after an install.
        site = Path(cache) / "site"
        shutil.copytree(component_path().parent, site / "durable_core")
        precompile = "from durable_core._runtime import write_precompiled as w; w()"
        site_env = {**env, "PYTHONPATH": str(site), "DURABLE_CORE_CACHE_DIR": "off"}
        subprocess.run([sys.executable, "-c", precompile], env=site_env, check=True)
        wasm = site / "durable_core" / "durable_core.wasm"
        shutil.copyfile(wasm, wasm.with_suffix(".tmp"))
        os.replace(wasm.with_suffix(".tmp"), wasm)
        results["load_precompiled_ms"] = fresh_process_ms(LOAD_ONLY, site_env)
        fresh_process_ms(LOAD_ONLY, env, runs=1)  # fills the cache
        results["load_cached_ms"] = fresh_process_ms(LOAD_ONLY, env)
        results["library_open_ms"] = fresh_process_ms(LIBRARY_OPEN, env)
        results["import_and_first_call_cached_ms"] = fresh_process_ms(
            IMPORT_AND_CALL, env
        )
        results.update(cold_starts(env))
        os.environ["DURABLE_CORE_CACHE_DIR"] = cache
        results.update(measure_cache_check())
        del os.environ["DURABLE_CORE_CACHE_DIR"]

    classify = durable_core.classify_api_error
    results["classify_fast_us"] = per_call_us(
        lambda: classify(400, *STALE, profile="python")
    )
    results["classify_kms_fast_us"] = per_call_us(
        lambda: classify(502, "KMSAccessDeniedException", "denied", profile="python")
    )
    results["classify_release_fast_us"] = per_call_us(
        lambda: classify(400, *STALE, profile="python@3.0.0")
    )
    wrapped = RuntimeError("the transport failed")
    wrapped.__cause__ = ClientError(
        {
            "Error": {"Code": "KMSDisabledException"},
            "ResponseMetadata": {"HTTPStatusCode": 502},
        },
        "CheckpointDurableExecution",
    )
    results["classify_exception_wrapped_us"] = per_call_us(
        lambda: durable_core.classify_exception(wrapped)
    )
    results["classify_text_status_us"] = per_call_us(
        lambda: classify("429", "TooManyRequestsException", "slow down", profile="ts"),
        calls=2_000,
    )
    os.environ["DURABLE_CORE_CALL_PATH"] = "portable"
    durable_core._runtime._runtime = Runtime()
    results["classify_portable_us"] = per_call_us(
        lambda: classify(400, *STALE, profile="python"), calls=5_000
    )
    error = {"Code": STALE[0], "Message": STALE[1]}
    metadata = {"HTTPStatusCode": 400}
    sdk_rule = BotoClientError._classify_error_category
    results["sdk_python_native_us"] = per_call_us(lambda: sdk_rule(error, metadata))
    del os.environ["DURABLE_CORE_CALL_PATH"]
    durable_core._runtime._runtime = Runtime()  # back to the fast path
    results.update(measure_retry())
    results.update(measure_step())
    results.update(measure_engine())
    results.update(measure_regex())
    return results


def measure_retry() -> dict[str, float]:
    """Per-decision latency: durable-core's strategy against the SDK's own, same config."""
    from aws_durable_execution_sdk_python.config import Duration, JitterStrategy
    from aws_durable_execution_sdk_python.retries import (
        RetryStrategyConfig,
        create_retry_strategy,
    )
    from durable_core import aws, retry

    error = TimeoutError("upstream timed out")
    config = retry.exponential(
        max_attempts=5,
        initial_delay=2,
        backoff_rate=3,
        jitter="FULL",
        retryable_errors=["timed"],
    )
    strategy = retry.Strategy(config, profile="python")
    adapter = aws.retry_strategy(config)
    sdk = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=5,
            initial_delay=Duration.from_seconds(2),
            backoff_rate=3,
            jitter_strategy=JitterStrategy.FULL,
            retryable_errors=["timed"],
        )
    )
    return {
        "retry_decide_us": per_call_us(lambda: strategy.decide(2, error=error)),
        "retry_adapter_us": per_call_us(lambda: adapter(error, 2)),
        "retry_sdk_native_us": per_call_us(lambda: sdk(error, 2)),
    }


class MemoryTransport:
    """The least a checkpoint service does, in memory: the next token."""

    def __init__(self) -> None:
        self.seq = 0

    def checkpoint(self, arn: str, token: str, updates: list[dict]) -> dict:
        self.seq += 1
        return {
            "CheckpointToken": f"t{self.seq}",
            "NewExecutionState": {"Operations": []},
        }

    def get_state(self, arn: str, token: str, marker: str, max_items: int) -> dict:
        return {"Operations": []}


def measure_engine() -> dict[str, float]:
    """A first-run STEP invocation on the engine (open, the step with a 100-byte result, its
    checkpoint, finish, output) against the same number of no-op crossings, and a 100 KB result
    through step-done against json.dumps of it."""
    import json

    from durable_core import _runtime
    from durable_core.invocation import PASS_THROUGH_SERDES, Engine

    arn = (
        "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/f/1"
    )
    event = {"DurableExecutionArn": arn, "CheckpointToken": "t0"}
    transport = MemoryTransport()
    small = '"' + "x" * 98 + '"'
    crossings = 0
    signatures: list[tuple[str, tuple[str, ...], str]] = []
    rt = _runtime.runtime()
    real = rt.call_flat

    def counting(
        name: str, params: tuple[str, ...], result: str, *args: object
    ) -> object:
        nonlocal crossings
        crossings += 1
        signatures.append((name, params, result))
        return real(name, params, result, *args)

    def first_run(payload: str = small) -> None:
        engine = Engine(event, transport, profile="ts", idle_flush_seconds=None)
        engine.step(0, "charge", lambda attempt: payload, serdes=PASS_THROUGH_SERDES)
        engine.finish_return('"done"')

    rt.call_flat = counting  # type: ignore[method-assign]
    first_run()
    rt.call_flat = real  # type: ignore[method-assign]

    def no_op() -> object:
        return real("invocation#close", ("u32",), "u32", 0)

    # The same crossings with the same argument types, each answered at once by the core: handle
    # 0 is never given out, and an empty envelope is rejected before any work. This is what the
    # contract's calls cost to cross with nothing to do (strings lowered and lifted included).
    empty = {"u32": 0, "string": b""}
    answered_at_once = [
        (name, params, result, tuple(empty[kind] for kind in params))
        for name, params, result in signatures
    ]

    def same_signature_no_ops() -> None:
        for name, params, result, args in answered_at_once:
            real(name, params, result, *args)

    big = json.dumps({"rows": ["r" * 90 for _ in range(1000)]})
    value = json.loads(big)
    return {
        "engine_first_run_us": per_call_us(first_run, calls=2_000),
        "engine_crossings": float(crossings),
        "no_op_crossing_us": per_call_us(no_op),
        "same_signature_no_ops_us": per_call_us(same_signature_no_ops, calls=2_000),
        "engine_100k_us": per_call_us(lambda: first_run(big), calls=300),
        "engine_small_us": per_call_us(first_run, calls=300),
        "json_dumps_100k_us": per_call_us(lambda: json.dumps(value), calls=300),
    }


def measure_step() -> dict[str, float]:
    """Per-call latency of the step phases (one component call each)."""
    from durable_core import StepCall, retry, step

    call = StepCall(
        id=step.operation_id("python", None, 1).id, name="charge", profile="python"
    )
    strategy = retry.Strategy(
        retry.exponential(max_attempts=5, initial_delay=2), profile="python"
    )
    now = time.time() * 1000
    succeeded = {
        "Id": call.id,
        "Type": "STEP",
        "SubType": "Step",
        "Name": "charge",
        "Status": "SUCCEEDED",
        "StepDetails": {"Attempt": 1, "Result": '{"total": 42}'},
    }
    error = TimeoutError("upstream timed out")
    payload = step.Success('{"total": 42}')

    return {
        "step_begin_first_us": per_call_us(
            lambda: step.begin(call, None, now_ms=now, strategy=strategy)
        ),
        "step_begin_replay_us": per_call_us(
            lambda: step.begin(call, succeeded, now_ms=now, strategy=strategy)
        ),
        "step_complete_success_us": per_call_us(
            lambda: step.complete(call, 1, payload, now_ms=now, strategy=strategy)
        ),
        "step_complete_retry_us": per_call_us(
            lambda: step.complete(call, 1, error, now_ms=now, strategy=strategy)
        ),
    }


def table(r: dict[str, float]) -> str:
    rows = [
        ("component size", f"{r['component_bytes'] / 1024:.1f} KiB", "<= 150 KB"),
        (
            "component load, compiled (fresh process)",
            f"{r['load_compile_ms']:.2f} ms",
            "",
        ),
        (
            "component load, no cache, the wheel's precompiled component (fresh process)",
            f"{r['load_precompiled_ms']:.2f} ms",
            "",
        ),
        (
            "component load, cached (fresh process)",
            f"{r['load_cached_ms']:.2f} ms",
            "<= 1 ms",
        ),
        ("  of which verifying the artifact", _ms(r, "cache_verify_ms"), ""),
        (
            "open wasmtime's shared library (fresh process)",
            f"{r['library_open_ms']:.2f} ms",
            "",
        ),
        (
            "import + first call, cached",
            f"{r['import_and_first_call_cached_ms']:.1f} ms",
            "",
        ),
        ("cold start: the SDK's own import, CPU", f"{r['cold_sdk_cpu_ms']:.1f} ms", ""),
        (
            "cold start: + durable_core import + first classify, CPU added (process difference)",
            f"{r['cold_core_added_cpu_ms']:.1f} ms ({r['cold_core_added_percent']:.1f}%)",
            "<= 5%",
        ),
        (
            "  the same part's CPU, read inside the process",
            f"{r['cold_core_part_cpu_ms']:.1f} ms ({r['cold_core_part_percent']:.1f}%)",
            "<= 5%",
        ),
        (
            "cold start: durable_core import + first classify, wall",
            f"{r['cold_core_wall_ms']:.1f} ms",
            "<= 15 ms",
        ),
        (
            "cold start: peak memory added (runtime-only wasmtime library, the default)",
            f"{r['cold_core_added_rss_mib']:.1f} MiB",
            "<= 6 MiB",
        ),
        (
            "  the same on wasmtime-py's full library (DURABLE_CORE_RUNTIME_LIBRARY=off)",
            f"{r['cold_core_full_library_added_rss_mib']:.1f} MiB",
            "",
        ),
        ("classify, fast path", f"{r['classify_fast_us']:.2f} us", "<= 10 us"),
        ("classify (KMS 502), fast path", f"{r['classify_kms_fast_us']:.2f} us", ""),
        (
            "classify, release name python@3.0.0, fast path",
            f"{r['classify_release_fast_us']:.2f} us",
            "",
        ),
        (
            "classify_exception, ClientError one cause down",
            f"{r['classify_exception_wrapped_us']:.2f} us",
            "",
        ),
        (
            "classify, text status '429' (typed classify-named)",
            f"{r['classify_text_status_us']:.2f} us",
            "",
        ),
        (
            "classify, portable path (Func.__call__)",
            f"{r['classify_portable_us']:.2f} us",
            "",
        ),
        ("SDK's own rule, native Python", f"{r['sdk_python_native_us']:.2f} us", ""),
        (
            "ratio fast path / native",
            f"{r['classify_fast_us'] / r['sdk_python_native_us']:.0f}x",
            "",
        ),
        ("retry decision, Strategy.decide", f"{r['retry_decide_us']:.2f} us", ""),
        (
            "retry decision, aws.retry_strategy adapter",
            f"{r['retry_adapter_us']:.2f} us",
            "",
        ),
        (
            "SDK's own create_retry_strategy, native",
            f"{r['retry_sdk_native_us']:.2f} us",
            "",
        ),
        ("step.begin, first run", f"{r['step_begin_first_us']:.2f} us", ""),
        ("step.begin, replay of SUCCEEDED", f"{r['step_begin_replay_us']:.2f} us", ""),
        ("step.complete, success", f"{r['step_complete_success_us']:.2f} us", ""),
        (
            "step.complete, failure -> RETRY",
            f"{r['step_complete_retry_us']:.2f} us",
            "",
        ),
        (
            "engine: first-run STEP invocation (100-byte result, in-memory service)",
            f"{r['engine_first_run_us']:.2f} us ({r['engine_crossings']:.0f} crossings)",
            "",
        ),
        (
            "  against the same crossings, answered at once (same argument types)",
            (
                f"{r['engine_first_run_us'] / r['same_signature_no_ops_us']:.1f}x "
                f"({r['same_signature_no_ops_us']:.2f} us for all of them)"
            ),
            "<= 3x",
        ),
        (
            "  against as many scalar no-op crossings (u32 in, u32 out)",
            (
                f"{r['engine_first_run_us'] / (r['engine_crossings'] * r['no_op_crossing_us']):.1f}x "
                f"({r['no_op_crossing_us']:.2f} us each)"
            ),
            "",
        ),
        (
            "engine: the same with a 100 KB result, over the 100-byte one",
            (
                f"+{r['engine_100k_us'] - r['engine_small_us']:.1f} us = "
                f"{(r['engine_100k_us'] - r['engine_small_us']) / r['json_dumps_100k_us']:.2f}x "
                f"json.dumps of it ({r['json_dumps_100k_us']:.1f} us)"
            ),
            "<= 1.5x",
        ),
        (
            "retry decision on a 1 MB message, literal regex `zzz`",
            f"{r['regex_literal_s']:.3f} s",
            "",
        ),
        (
            f"same, worst accepted pattern `{r['regex_worst_pattern']}`",
            (
                f"{r['regex_worst_s']:.3f} s "
                f"({r['regex_worst_s'] / r['regex_literal_s']:.1f}x)"
            ),
            "<= 20x literal",
        ),
    ]
    lines = ["| Python host | median | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def _ms(r: dict[str, float], key: str) -> str:
    return f"{r[key]:.2f} ms" if key in r else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    results = measure()
    print(json.dumps(results) if parser.parse_args().json else table(results))


if __name__ == "__main__":
    main()
