"""Run the official step, wait and child requirements on every driver and print requirement x
driver -> verdict.

    python -m harness [--json PATH] [--driver NAME]... [--only ID]... [--suite SUITE]...
                      [--extra-suite SUITE]... [--node-clock auto|skip|real]
                      [--core-clock skip|real] [--raw-python-history] [--seed N] [--no-faults]

Main suites: step, wait and child (official) and checkpoint-faults (ours,
tests/conformance/requirements/; run in parallel; --no-faults skips it; --only CF-n and --driver
NAME select in it too). Exit status: 1 if any requirement of a main suite is FAILED, else 0.
NOT_IMPLEMENTED and KNOWN_RUNNER_DEVIATION carry their reason/evidence and do not fail the run;
extra suites (default: none) are reported but do not change the exit status.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import textwrap
import threading
import time
import traceback
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

from . import deviations as known
from . import fault_suite, judging, official
from .drivers import Case, discover
from .judging import DEVIATION, FAILED, NOT_IMPLEMENTED, PASSED, Run, Verdict

DEFAULT_SEED = 20260826
EXTRA_NOTE = "extra: informational, does not set the exit status"
SHORT = {
    "python-sdk": "py",
    "node-sdk": "node",
    "core-python": "core-py",
    "core-node": "core-node",
}
MAIN_SUITES = ["step", "wait", "child"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tests/conformance/run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--json", metavar="PATH", help="write every verdict, with histories, to PATH"
    )
    parser.add_argument(
        "--driver",
        action="append",
        metavar="NAME",
        help="only this driver (repeatable)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="ID",
        help="only this requirement id (repeatable)",
    )
    parser.add_argument(
        "--suite",
        action="append",
        metavar="SUITE",
        help="main suite (repeatable; default: step, wait, child)",
    )
    parser.add_argument(
        "--extra-suite",
        action="append",
        metavar="SUITE",
        help="informational suite (repeatable; default: none)",
    )
    parser.add_argument(
        "--node-clock",
        choices=("auto", "skip", "real"),
        default=None,
        help="node-sdk clock: auto (default: real timers when a requirement's timers add "
        "up to <= 20 s, skipTime otherwise), skip or real",
    )
    parser.add_argument(
        "--core-clock",
        choices=("skip", "real"),
        default=None,
        help="core drivers: dex-local-runner with --skip-time (default: skip) or with real "
        "timers (real: the retry requirements then wait out their delays, 1-13 up to 15 s)",
    )
    parser.add_argument(
        "--raw-python-history",
        action="store_true",
        help="python-sdk and core-python drivers: do not restore the InvocationCompletedDetails "
        "the runner drops",
    )
    parser.add_argument(
        "--faults",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the checkpoint-faults suite (main; default on), in parallel with the others",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"seed for the jitter draws of both strategies (default {DEFAULT_SEED})",
    )
    return parser.parse_args(argv)


def plan(suites: list[str], only: set[str] | None) -> list[official.Requirement]:
    out = []
    for suite in suites:
        out.extend(r for r in official.load_suite(suite) if not only or r.id in only)
    return out


def _start_faults(
    args: argparse.Namespace,
) -> tuple[threading.Thread, dict[str, Any]] | None:
    """The checkpoint-faults suite in a background thread (its own dex-local-runner, proxy and
    Node process), or None when the selection leaves nothing of it."""
    if not args.faults or (args.suite and fault_suite.SUITE not in args.suite):
        return None
    only = {i for i in (args.only or []) if i.startswith("CF-")}
    if args.only and not only:
        return None
    names = [d.name for d in fault_suite.REGISTRY]
    drivers = [d for d in (args.driver or []) if d in names]
    if args.driver and not drivers:
        return None
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["report"] = fault_suite.run_suite(only or None, drivers or None)
        except Exception as error:  # reported as a failed suite, never swallowed  # noqa: BLE001
            box["error"] = (
                f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=6)}"
            )

    thread = threading.Thread(target=work, name="checkpoint-faults", daemon=True)
    thread.start()
    return thread, box


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    faults = _start_faults(args)
    main_suites = [s for s in (args.suite or MAIN_SUITES) if s != fault_suite.SUITE]
    extra = [] if args.extra_suite in (None, ["none"]) else args.extra_suite
    extra = [s for s in extra if s not in main_suites]
    only = set(args.only) if args.only else None
    requirements = plan(main_suites + extra, only)

    drivers = discover()
    if args.driver:
        unknown = set(args.driver) - set(drivers)
        if unknown:
            raise SystemExit(
                f"unknown driver(s) {sorted(unknown)}; have {sorted(drivers)}"
            )
        drivers = {n: d for n, d in drivers.items() if n in args.driver}

    # Variables are resolved once per requirement, so the durable-core run and its control get the
    # same input and are judged against the same generated values.
    resolved = {r.id: official.resolve(r) for r in requirements}
    cases: dict[tuple[str, str, str], Case] = {}
    for name, driver in drivers.items():
        for r in requirements:
            _context, value = resolved[r.id]
            strategies = ["durable-core"]
            # Control runs: every step and child requirement (cheap; needed to prove runner
            # deviations and to compare delays). Wait requirements configure no retry strategy.
            if r.suite in ("step", "child") and "sdk" in driver.strategies:
                strategies.append("sdk")
            for strategy in strategies:
                if strategy in driver.strategies:
                    cases[(name, r.id, strategy)] = Case(
                        r.id, r.suite, r.spec, value, strategy, args.seed
                    )

    started = time.perf_counter()
    for name, driver in drivers.items():
        if driver.prepare is not None:
            driver.prepare([c for (n, _, _), c in cases.items() if n == name])
    runs: dict[tuple[str, str, str], Run] = {}
    driver_seconds: dict[str, float] = {}
    try:
        for name, driver in drivers.items():
            t0 = time.perf_counter()
            for (n, rid, strategy), case in cases.items():
                if n == name:
                    runs[(n, rid, strategy)] = judging.as_run(
                        strategy, lambda d=driver, c=case: d.run(c)
                    )
            driver_seconds[name] = round(time.perf_counter() - t0, 2)
        wall = round(time.perf_counter() - started, 2)

        def verdict_of(r: official.Requirement, name: str) -> Verdict | None:
            subject = runs.get((name, r.id, "durable-core"))
            if subject is None:
                return None
            return judging.decide(
                r,
                resolved[r.id][0],
                name,
                drivers[name].runner,
                subject,
                runs.get((name, r.id, "sdk")),
            )

        verdicts: list[Verdict] = []
        for r in requirements:
            for name in drivers:
                verdict = verdict_of(r, name)
                if verdict is not None and _is_race(verdict, drivers[name]):
                    # One fresh execution; the first run's failure stays in the report.
                    first = verdict
                    rerun = replace(cases[(name, r.id, "durable-core")], attempt=1)
                    runs[(name, r.id, "durable-core")] = judging.as_run(
                        "durable-core", lambda d=drivers[name], c=rerun: d.run(c)
                    )
                    verdict = verdict_of(r, name)
                    if verdict is not None:
                        verdict.facts["first_run"] = {
                            "verdict": first.verdict,
                            "reason": first.reason,
                            "errors": first.errors[:20],
                            "deviations": [d.get("key") for d in first.deviations]
                            or [f"execution {first.status}"],
                        }
                if verdict is not None:
                    verdicts.append(verdict)
    finally:
        for driver in drivers.values():
            if driver.close is not None:
                driver.close()

    judging.cross_check_delays(
        verdicts,
        {
            n: d.delay_reference
            for n, d in drivers.items()
            if d.delay_reference in drivers
        },
    )

    versions = {
        "python": platform.python_version(),
        official.DISTRIBUTION: dist_version(official.DISTRIBUTION),
    }
    for dist in (
        "aws-durable-execution-sdk-python",
        "aws-durable-execution-sdk-python-testing",
        "durable-core",
    ):
        try:
            versions[dist] = dist_version(dist)
        except PackageNotFoundError:
            versions[dist] = "not installed"
    for module_name in ("harness.drivers.node_sdk", "harness.drivers.core_node"):
        module = sys.modules.get(module_name)
        if module is not None:
            versions.update(module.versions())
    fault_report: dict[str, Any] | None = None
    if faults is not None:
        thread, box = faults
        thread.join(fault_suite.RUN_TIMEOUT_SECONDS * 3)
        fault_report = box.get("report") or {
            "error": box.get("error")
            or "the checkpoint-faults suite did not finish in time"
        }
    return {
        "faults": fault_report,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "requirements_package": {
            "name": official.DISTRIBUTION,
            "version": versions[official.DISTRIBUTION],
            "path": str(official.REQUIREMENTS_DIR),
        },
        "main_suites": main_suites,
        "extra_suites": extra,
        "seed": args.seed,
        # (requirement, driver) pairs with ExpectedLogs whose driver does not capture logs.
        "expected_logs_not_checked": sorted(
            {
                f"{v.requirement} {v.driver}"
                for v in verdicts
                if v.facts.get("logs_checked") is False
            }
        ),
        "drivers": {
            n: {"description": d.description, "runner": d.runner}
            for n, d in drivers.items()
        },
        "versions": versions,
        "timing": {"wall_seconds": wall, "driver_seconds": driver_seconds},
        "verdicts": [v.to_json() for v in verdicts],
        "deviation_catalogue": [
            {"key": d.key, "runner": d.runner, "summary": d.summary, "source": d.source}
            for d in known.DEVIATIONS
            if d.runner in {x.runner for x in drivers.values()}
        ],
    }


# --- report --------------------------------------------------------------------------------------


def _is_race(verdict: Verdict, driver: Any) -> bool:
    """A FAILED cell of a racy runner (rerun once) whose history showed one of its documented
    deviations, or that the runner left to time out (it lost the re-invocation a fired timer
    asked for; a handler that really leaves nothing pending times out again on the rerun)."""
    return (
        driver.rerun_races
        and verdict.verdict == judging.FAILED
        and (bool(verdict.deviations) or verdict.status == "TIMED_OUT")
    )


def _delay_cell(rows: list[dict[str, Any]]) -> str:
    parts = []
    for v in rows:
        if v["same_delays"] is None and "durable-core" not in v["delays"]:
            continue
        seq = ",".join(str(d) for d in v["delays"].get("durable-core", []))
        mark = {True: "yes", False: "NO", None: "-"}[v["same_delays"]]
        parts.append(f"{SHORT.get(v['driver'], v['driver'])} {mark} [{seq}]")
    return "  ".join(parts)


def render(report: dict[str, Any]) -> tuple[str, int]:
    verdicts = report["verdicts"]
    drivers = list(report["drivers"])
    lines: list[str] = []
    width = max(len(DEVIATION), *(len(d) for d in drivers))
    failed_main = 0
    for suite in report["main_suites"] + report["extra_suites"]:
        rows = [v for v in verdicts if v["suite"] == suite]
        if not rows:
            continue
        main = suite in report["main_suites"]
        ids = list(dict.fromkeys(v["requirement"] for v in rows))
        title = (
            f"Suite {suite} ({'main' if main else EXTRA_NOTE}); "
            f"requirements from {report['requirements_package']['name']} "
            f"{report['requirements_package']['version']}"
        )
        lines += ["", title, "=" * len(title)]
        head = f"{'id':<5} {'description':<44} " + " ".join(
            f"{d:<{width}}" for d in drivers
        )
        with_delays = suite == "step"
        if with_delays:
            head += "  same delays as SDK [durable-core's delays]"
        lines += [head, "-" * len(head)]
        for rid in ids:
            by_driver = {v["driver"]: v for v in rows if v["requirement"] == rid}
            description = next(iter(by_driver.values()))["description"]
            if len(description) > 44:
                description = description[:41] + "..."
            cells = " ".join(
                f"{by_driver[d]['verdict'] if d in by_driver else '':<{width}}"
                for d in drivers
            )
            line = f"{rid:<5} {description:<44} {cells}"
            if with_delays:
                line += "  " + (
                    _delay_cell(list(by_driver.values()))
                    if rid in judging.RETRY_REQUIREMENTS
                    else ""
                )
            lines.append(line.rstrip())
            if main:
                failed_main += sum(
                    1 for v in by_driver.values() if v["verdict"] == FAILED
                )
        if with_delays:
            lines.append(
                "  (delays: NextAttemptDelaySeconds of each step close that has one; the Python "
                "runner also writes 0 on a final StepFailed, which 1-12 describes as having none; "
                "core step drivers compare with the SDK driver of their language; "
                "'-': nothing to compare with)"
            )
        counts = {
            d: Counter(v["verdict"] for v in rows if v["driver"] == d) for d in drivers
        }
        lines.append("")
        name_width = max(11, *(len(d) for d in drivers))
        for d in drivers:
            c = counts[d]
            lines.append(
                f"  {d:<{name_width}} "
                + ", ".join(
                    f"{k} {c.get(k, 0)}"
                    for k in (PASSED, DEVIATION, NOT_IMPLEMENTED, FAILED)
                )
            )

    def block(kind: str, header: str) -> None:
        chosen = [v for v in verdicts if v["verdict"] == kind]
        if not chosen:
            return
        lines.extend(["", header, "-" * len(header)])
        for v in chosen:
            lines.append(f"{v['requirement']} {v['driver']}: {v['reason']}")
            for d in v["deviations"]:
                for finding in d["findings"]:
                    lines.append(textwrap.indent(f"[{d['key']}] {finding}", "    "))
            if v["counterfactual"]:
                lines.append(f"    counterfactual: {v['counterfactual']}")
            if v["errors"]:
                lines.append("    official matcher / result check (durable-core run):")
                lines.extend(f"      {e}" for e in v["errors"])
            if (
                v["control_errors"] is not None
                and kind != PASSED
                and v["control_errors"] != v["errors"]
            ):
                lines.append("    control run (SDK's own strategy):")
                lines.extend(f"      {e}" for e in v["control_errors"] or ["(passes)"])
            elif v["control_errors"] is not None and kind == DEVIATION:
                lines.append("    control run (SDK's own strategy): the same messages")

    block(FAILED, "FAILED")
    reruns = [v for v in verdicts if v["facts"].get("first_run")]
    if reruns:
        header = "Rerun once after a runner race (the first run FAILED)"
        lines.extend(["", header, "-" * len(header)])
        for v in reruns:
            first = v["facts"]["first_run"]
            lines.append(
                f"{v['requirement']} {v['driver']}: rerun {v['verdict']}; first run "
                f"({', '.join(first['deviations'])} detected): {first['reason']}"
            )
            lines.extend(f"      {e}" for e in first["errors"])
    block(DEVIATION, "KNOWN_RUNNER_DEVIATION: evidence")
    block(NOT_IMPLEMENTED, "NOT_IMPLEMENTED: reasons")

    used = {d["key"] for v in verdicts for d in v["deviations"]}
    catalogue = [d for d in report["deviation_catalogue"] if d["key"] in used]
    if catalogue:
        lines += [
            "",
            "Runner deviations referenced above",
            "----------------------------------",
        ]
        for d in catalogue:
            lines.append(f"{d['key']} ({d['runner']})")
            lines.extend(
                textwrap.wrap(
                    d["summary"], 100, initial_indent="    ", subsequent_indent="    "
                )
            )
            lines.extend(
                textwrap.wrap(
                    "source: " + d["source"],
                    100,
                    initial_indent="    ",
                    subsequent_indent="      ",
                )
            )
    normalised = Counter(n for v in verdicts for n in v["normalisations"])
    if normalised:
        lines += [
            "",
            "History normalisations applied: "
            + ", ".join(f"{k} ({n} runs)" for k, n in normalised.items()),
        ]
    not_checked = report["expected_logs_not_checked"]
    if not_checked:
        lines.append(
            "ExpectedLogs not checked (the driver does not capture logs): "
            + ", ".join(not_checked)
        )
    t = report["timing"]
    lines += [
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()),
        f"Seed {report['seed']}; wall time {t['wall_seconds']} s; per driver (incl. waiting): "
        + ", ".join(f"{k} {v} s" for k, v in t["driver_seconds"].items()),
    ]
    faults = report.get("faults")
    if faults is not None:
        if "error" in faults:
            lines += [
                "",
                f"Suite {fault_suite.SUITE}: FAILED to run: {faults['error']}",
            ]
            failed_main += 1
        else:
            text, _status = fault_suite.render(faults)
            lines.append(text)
            failed_main += sum(1 for c in faults["cells"] if c["verdict"] == FAILED)
    lines.append("")
    lines.append(
        f"{'FAILED' if failed_main else 'OK'}: {failed_main} FAILED in main suites"
    )
    return "\n".join(lines), (1 if failed_main else 0)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.node_clock:
        os.environ["CONFORMANCE_NODE_CLOCK"] = args.node_clock
    if args.core_clock:
        os.environ["CONFORMANCE_CORE_CLOCK"] = args.core_clock
    if args.raw_python_history:
        os.environ["CONFORMANCE_PYTHON_RAW_HISTORY"] = "1"
    report = run_all(args)
    text, status = render(report)
    print(text)
    if args.json:
        Path(args.json).write_text(
            json.dumps(report, indent=1, default=str) + "\n", encoding="utf-8"
        )
        print(f"wrote {args.json}")
    if not args.only and not any(v["verdict"] == PASSED for v in report["verdicts"]):
        print("no requirement PASSED: the run proves nothing", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
