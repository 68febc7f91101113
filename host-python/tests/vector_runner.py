"""Runs conformance vector files (../shared/spec/vectors.md) through the Python host's public API.

    python vector_runner.py --vectors DIR [--vectors DIR ...]

Prints one JSON object: {"host": "python", "files": [{"file", "suite", "passed", "failures"}]}.
Exits 0 when it ran, whatever the cases gave; the caller judges.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import invocation_script

import durable_core

# The vector files' {{repeat:N:UNIT}} markers, shared with the evidence capture.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "evidence"))
from repeat_markers import expand


def run_classify(case_input: dict[str, Any]) -> dict[str, Any]:
    fields = ("api", "profile", "stated_scope", "wrapped")
    kwargs = {k: case_input[k] for k in fields if k in case_input}
    result = durable_core.classify_api_error(
        case_input.get("status"), case_input.get("code"), case_input.get("message"), **kwargs
    )
    return {"category": result.category.value, "retryable": result.retryable, "rule": result.rule}


_CONFIG_FIELDS = {
    "max_attempts": "max_attempts",
    "initial_delay_seconds": "initial_delay",
    "max_delay_seconds": "max_delay",
    "backoff_rate": "backoff_rate",
    "increment_seconds": "increment",
    "jitter": "jitter",
    "retryable_error_types": "retryable_error_types",
}


def run_retry(case_input: dict[str, Any]) -> dict[str, Any]:
    from durable_core import retry

    if "preset" in case_input:
        spec = case_input["preset"]
        config: Any = retry.preset(spec["name"], spec.get("interval_seconds"))
    else:
        raw = case_input.get("config", {})
        # Vectors speak the core's language (patterns as syntax/source/flags triples), so the
        # configuration is built directly rather than through exponential()/linear().
        patterns = raw.get("retryable_errors")
        config = retry.StrategyConfig(
            backoff=raw.get("backoff", "exponential"),
            retryable_errors=None
            if patterns is None
            else tuple((p["syntax"], p["source"], p.get("flags", "")) for p in patterns),
            **{ours: raw.get(theirs) for theirs, ours in _CONFIG_FIELDS.items()},
        )
    strategy = retry.Strategy(config, profile=case_input.get("profile", "unified"))
    decision = strategy.decide(
        case_input.get("attempts_made"),
        message=case_input.get("message", ""),
        error_types=case_input.get("error_types", []),
        random=case_input.get("random", 0.0),
    )
    return {"outcome": decision.outcome, "delay_seconds": decision.delay_seconds}


def run_step(case_input: dict[str, Any]) -> dict[str, Any]:
    from durable_core import step

    # The vectors speak the core's JSON contract: the request goes through as written (a string
    # verbatim, for malformed-JSON cases) and the response comes back as the core wrote it.
    phases = {"begin": step.begin_json, "complete": step.complete_json}
    phase = case_input.get("phase")
    if phase not in phases:
        raise ValueError(f"phase: expected begin or complete, got {phase!r}")
    return phases[phase](case_input.get("request"))


def run_operation_id(case_input: dict[str, Any]) -> dict[str, Any]:
    from durable_core import step

    derived = step.operation_id(
        case_input.get("profile", "unified"), case_input.get("parent"), case_input.get("counter")
    )
    return {"step_id": derived.step_id, "id": derived.id}


SUITES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "classify": run_classify,
    "retry": run_retry,
    "step": run_step,
    "operation-id": run_operation_id,
    "invocation": invocation_script.run,
}


def judge(run: Callable[[dict[str, Any]], dict[str, Any]], case: dict[str, Any]) -> Any:
    """None when the case passes, else the actual outcome."""
    case = expand(case)
    expected = case["expected"]
    try:
        actual = run(case.get("input", {}))
    except (TypeError, ValueError) as err:
        actual = {"error": f"{type(err).__name__}: {err}"}
        word = expected.get("error")
        return None if word is not None and word in str(err) else actual
    if "error" in expected:
        return actual
    # The whole expected object: a key the runner gives and the vector lacks is a mismatch.
    return None if actual == expected else actual


def run_file(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = {"file": str(path), "suite": None, "passed": 0, "failures": []}
    try:
        document = json.loads(path.read_text())
        report["suite"] = suite = document["suite"]
        cases = document["cases"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        report["failures"].append({"name": "<unreadable vector file>", "actual": str(err)})
        return report
    run = SUITES.get(suite)
    if run is None:
        report["failures"].append({"name": f"<unknown suite {suite}>"})
        return report
    for case in cases:
        try:
            actual = judge(run, case)
        except Exception as err:  # a crash is a failure of that case, not of the run
            actual = {"crash": f"{type(err).__name__}: {err}"}
        if actual is None:
            report["passed"] += 1
        else:
            report["failures"].append(
                {"name": case.get("name"), "expected": case.get("expected"), "actual": actual}
            )
    return report


def vector_files(directories: list[str]) -> list[Path]:
    return [p for d in directories for p in sorted(Path(d).glob("*.json"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vectors", action="append", required=True, metavar="DIR")
    args = parser.parse_args(argv)
    files = [run_file(path) for path in vector_files(args.vectors)]
    json.dump({"host": "python", "files": files}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
