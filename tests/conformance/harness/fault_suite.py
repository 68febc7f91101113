"""Suite ``checkpoint-faults``: failed checkpoint calls inside running executions, on the real SDKs.

Requirements: ``tests/conformance/requirements/checkpoint-faults/*.yaml``, in the official format
(``description``, ``handler``, ``invocations``, ``Input``, ``ExpectedResult``,
``ExpectedExecutionHistory``, judged by the official ``EventHistoryMatcher``) plus four keys of
ours: ``Fault`` (what the fault proxy injects, ``fault_proxy.Fault``), ``Category`` (what the
service wants: ``INVOCATION``, the execution goes on in a new invocation, or ``EXECUTION``, it
fails), ``ExpectedStepRuns`` (how often each step body runs: nothing done twice unless it was not
stored) and ``Why`` (why the service behaves so).

Every requirement runs on every driver of ``REGISTRY`` at once: one ``dex-local-runner``, the fault
proxy in front of it (``fault_proxy``), the Python SDK's handlers in this process and the JS SDK's
in one Node process (``node/fault-server.mjs``). dex-local-runner re-invokes after a failed
invocation by itself (``Executor._retry_invocation``: 5 s back-off, at most 5 consecutive failed
attempts), so the harness does not have to play Lambda's retry.

Verdicts: ``PASSED``; ``FAILED``; ``SDK_DEVIATION``, only for a driver that classifies with the
SDK's own rules (or with durable-core's profile of that SDK), when the requirement fails because
the failure was put in the other category than the service wants, and durable-core's profile of
that SDK puts the injected failure in the category the run showed (the rule is named); and
``NOT_IMPLEMENTED``. The -core drivers with the SDK's profile must have exactly the SDK driver's
verdicts and statuses (``EQUALITY``): the adapters change nothing but the rules.
"""

from __future__ import annotations

import copy
import importlib
import json
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import fault_proxy, judging, local_service, official
from .fault_proxy import Fault, FaultProxy, Plan

SUITE = "checkpoint-faults"
REQUIREMENTS_DIR = Path(__file__).resolve().parents[1] / "requirements" / SUITE
NODE_SERVER = Path(__file__).resolve().parents[1] / "node" / "fault-server.mjs"
RUN_TIMEOUT_SECONDS = 120
SDK_DEVIATION = "SDK_DEVIATION"
PASSED, FAILED, NOT_IMPLEMENTED = (
    judging.PASSED,
    judging.FAILED,
    judging.NOT_IMPLEMENTED,
)


# --- the driver registry -------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultDriver:
    name: str
    host: str
    """Which function host serves it (``HOSTS``): ``python`` (in process) or ``node``."""
    classifier: str
    """``sdk``: the SDK's own rules; ``core``: durable-core's classifier with ``profile``."""
    sdk_profile: str
    """durable-core's profile that reproduces the SDK this driver runs (``python`` or ``ts``)."""
    profile: str | None = None
    entry: str | None = None
    """``python`` host: ``module:function`` making the Lambda entry point,
    ``(proxy_url, driver, facts) -> (event -> output)`` (default: ``fault_python.sdk_entry``).
    ``node`` host: the server's handler table (``node/fault-server.mjs``) is keyed by the driver
    name without its ``@profile`` suffix."""
    same_as: str | None = None
    """A driver whose cells this one must equal (the SDK driver, for a -core driver with the
    SDK's own profile)."""
    description: str = ""


REGISTRY: tuple[FaultDriver, ...] = (
    FaultDriver(
        "python-sdk",
        "python",
        "sdk",
        "python",
        description="aws-durable-execution-sdk-python 3.0.0, its own classification",
    ),
    FaultDriver(
        "python-sdk-core",
        "python",
        "core",
        "python",
        profile="unified",
        description="the same SDK, boto3 client wrapped by durable_core.aws.classifying_client "
        "(profile unified)",
    ),
    FaultDriver(
        "python-sdk-core@python",
        "python",
        "core",
        "python",
        profile="python",
        same_as="python-sdk",
        description="as python-sdk-core, profile python: must equal python-sdk",
    ),
    FaultDriver(
        "node-sdk",
        "node",
        "sdk",
        "ts",
        description="@aws/durable-execution-sdk-js 2.4.0, its own transport and classification",
    ),
    FaultDriver(
        "node-sdk-core",
        "node",
        "core",
        "ts",
        profile="unified",
        description="the same SDK with durableExecutionClient: "
        "aws.createDurableExecutionClient(lambdaClient, {profile: 'unified'})",
    ),
    FaultDriver(
        "node-sdk-core@ts",
        "node",
        "core",
        "ts",
        profile="ts",
        same_as="node-sdk",
        description="as node-sdk-core, profile ts: must equal node-sdk",
    ),
    FaultDriver(
        "core-python",
        "python",
        "core",
        "python",
        profile="unified",
        entry="harness.fault_python:core_entry",
        description="no SDK: the same handler on durable_core.sdk (the invocation engine), "
        "profile unified",
    ),
    FaultDriver(
        "core-node",
        "node",
        "core",
        "ts",
        profile="unified",
        description="no SDK: the same handler on durable-core/sdk (the invocation engine), "
        "profile unified",
    ),
)


# Where each SDK's classification lives (read there, reproduced by durable-core's profile of it).
SDK_SOURCES = {
    "python": "aws-durable-execution-sdk-python 3.0.0 exceptions.py "
    "BotoClientError._classify_error_category (the stale-token prefix 'Invalid checkpoint token' "
    "is case-sensitive)",
    "ts": "@aws/durable-execution-sdk-js 2.4.0 dist/index.mjs "
    "CheckpointManager.classifyCheckpointError (only 'Invalid Checkpoint Token', title case, is "
    "carved out of the 4xx rule) and the withDurableExecution catch around state reads (only an "
    "EXECUTION-scoped DurableExecutionClientError or a KMS name fails the execution)",
}


# --- requirements --------------------------------------------------------------------------------


def load_requirements(only: set[str] | None = None) -> list[official.Requirement]:
    out = []
    for path in sorted(
        REQUIREMENTS_DIR.glob("*.yaml"), key=lambda p: official._id_key(p.stem)
    ):
        if only and path.stem not in only:
            continue
        with path.open(encoding="utf-8") as f:
            spec = yaml.safe_load(f)
        out.append(official.Requirement(path.stem, SUITE, path, spec))
    return out


def fault_of(requirement: official.Requirement) -> Fault:
    spec = dict(requirement.spec["Fault"])
    return Fault(**{k: spec[k] for k in spec})


# --- function hosts ------------------------------------------------------------------------------


class PythonHost:
    """aws-durable-execution-sdk-python handlers in this process (``fault_python``)."""

    def __init__(self, proxy_url: str) -> None:
        from . import fault_python

        self._fp = fault_python
        self.proxy_url = proxy_url
        self.endpoint = local_service.FunctionEndpoint()
        self.facts: dict[str, Any] = {}

    def register(self, function: str, driver: FaultDriver) -> str:
        module, _, name = (driver.entry or "harness.fault_python:sdk_entry").partition(
            ":"
        )
        entry = getattr(importlib.import_module(module), name)
        facts = self._fp.Facts()
        self.facts[function] = facts
        self.endpoint.handlers[function] = entry(self.proxy_url, driver, facts)
        return self.endpoint.url

    def read_facts(self, function: str) -> dict[str, Any]:
        return self.facts[function].to_json()

    def versions(self) -> dict[str, str]:
        return {}

    def close(self) -> None:
        self.endpoint.close()


class NodeHost:
    """@aws/durable-execution-sdk-js handlers in one Node process (``node/fault-server.mjs``)."""

    def __init__(self, proxy_url: str) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH")
        self.workdir = Path(tempfile.mkdtemp(prefix="fault-node-"))
        self._log = (self.workdir / "log").open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [node, str(NODE_SERVER), proxy_url],
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        line = _read_line(self.process, 30)
        try:
            ready = json.loads(line)
        except ValueError:
            log = self.log()
            self.close()
            raise RuntimeError(
                f"fault-server.mjs did not start: {line!r} {log}"
            ) from None
        self.url = ready["url"]
        self._versions = ready.get("versions", {})

    def register(self, function: str, driver: FaultDriver) -> str:
        _http(
            "POST",
            f"{self.url}/cases",
            {
                "function": function,
                "driver": driver.name.split("@")[0],
                "profile": driver.profile,
            },
        )
        return self.url

    def read_facts(self, function: str) -> dict[str, Any]:
        return _http("GET", f"{self.url}/facts/{function}")

    def versions(self) -> dict[str, str]:
        return dict(self._versions)

    def log(self) -> str:
        self._log.flush()
        return (self.workdir / "log").read_text(encoding="utf-8")[-3000:]

    def close(self) -> None:
        local_service.stop_process(self.process)
        self._log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


HOSTS: dict[str, Callable[[str], Any]] = {"python": PythonHost, "node": NodeHost}


def _read_line(process: subprocess.Popen, seconds: float) -> str:
    box: list[str] = []
    reader = threading.Thread(
        target=lambda: box.append(process.stdout.readline()), daemon=True
    )  # type: ignore[union-attr]
    reader.start()
    reader.join(seconds)
    return box[0] if box else ""


def _http(method: str, url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


# --- running -------------------------------------------------------------------------------------


@dataclass
class Cell:
    requirement: str
    driver: str
    verdict: str = FAILED
    reason: str = ""
    errors: list[str] = field(default_factory=list)
    status: str | None = None
    result: str | None = None
    error: Any = None
    expected_category: str | None = None
    observed_category: str | None = None
    sdk_rule: str | None = None
    injected: list[Any] = field(default_factory=list)
    service_errors: list[Any] = field(default_factory=list)
    calls: list[Any] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] | None = None
    normalisations: list[str] = field(default_factory=list)


def run_suite(
    only: set[str] | None = None,
    drivers: list[str] | None = None,
    registry: tuple[FaultDriver, ...] = REGISTRY,
) -> dict[str, Any]:
    """Run the requirements (``only``: these ids) on the drivers of ``registry`` (``drivers``:
    these names) and judge them; see ``render`` for the table."""
    requirements = load_requirements(only)
    chosen = [d for d in registry if not drivers or d.name in drivers]
    started = time.perf_counter()
    proxy = FaultProxy("http://127.0.0.1:9")  # the service's URL is set once it runs
    hosts: dict[str, Any] = {}
    service = None
    cells: list[Cell] = []
    try:
        service = local_service.LocalService(proxy.url, skip_time=True)
        proxy.service_url = service.url
        for name in sorted({d.host for d in chosen}):
            hosts[name] = HOSTS[name](proxy.url)
        started_runs = []
        for r in requirements:
            fault = fault_of(r)
            for d in chosen:
                function = (
                    f"cf-{r.id}-{d.name.replace('@', '-')}-{uuid.uuid4().hex[:8]}"
                )
                endpoint = hosts[d.host].register(function, d)
                plan = Plan(function, endpoint, [fault])
                proxy.register(plan)
                context, value = official.resolve(r)
                arn = service.start(
                    function,
                    value,
                    lambda_endpoint=proxy.url,
                    timeout_seconds=RUN_TIMEOUT_SECONDS,
                )
                started_runs.append((r, d, function, plan, context, arn))
        for r, d, function, plan, context, arn in started_runs:
            cells.append(
                _collect(service, hosts[d.host], r, d, function, plan, context, arn)
            )
    finally:
        for host in hosts.values():
            host.close()
        if service is not None:
            service.close()
        proxy.close()
    _check_equality(cells, chosen)
    versions = {}
    for host in hosts.values():
        versions.update(host.versions())
    return {
        "suite": SUITE,
        "requirements_dir": str(REQUIREMENTS_DIR),
        "drivers": {d.name: asdict(d) for d in chosen},
        "requirements": {r.id: r.description for r in requirements},
        "cells": [asdict(c) for c in cells],
        "versions": versions,
        "wall_seconds": round(time.perf_counter() - started, 2),
    }


def _collect(
    service: local_service.LocalService,
    host: Any,
    r: official.Requirement,
    d: FaultDriver,
    function: str,
    plan: Plan,
    context: Any,
    arn: str,
) -> Cell:
    from .drivers.core_python import read_history

    cell = Cell(r.id, d.name, expected_category=r.spec.get("Category"))
    described = service.wait(arn, RUN_TIMEOUT_SECONDS)
    cell.status = described.get("Status")
    cell.result = described.get("Result") if cell.status == "SUCCEEDED" else None
    cell.error = described.get("Error")
    events, cell.normalisations, _recorded = read_history(service, arn)
    cell.history = events
    cell.facts = host.read_facts(function)
    cell.calls = [list(c) for c in plan.calls]
    cell.injected = [list(c) for c in plan.injected()]
    with plan.lock:
        cell.service_errors = [list(e) for e in plan.errors]
    if cell.service_errors:
        cell.normalisations.append("dex-error-type-header")
    judge(cell, r, d, context)
    return cell


def observed_category(status: str | None) -> str | None:
    return {"SUCCEEDED": "INVOCATION", "FAILED": "EXECUTION"}.get(status or "")


def predicted(fault: Fault, profile: str, errors: list[Any] | None = None) -> Any:
    """durable-core's classification of the injected failure, as a client sees it. A 200 answer
    is no failed call; what follows it may be: the first error answer of the service after the
    fault (``errors``: the proxy's record) is classified instead."""
    from durable_core import classify_api_error

    if fault.kind in ("no-token", "not-json") and errors:
        api, _inv, _call, status, code, message = errors[0]
        return classify_api_error(status, code, message, api=api, profile=profile)

    if fault.kind == "http":
        code = fault.code if fault.body else None
        message = fault.message if fault.body else None
        return classify_api_error(
            fault.status, code, message, api=fault.api, profile=profile
        )
    if fault.kind in ("reset", "timeout"):
        return classify_api_error(None, api=fault.api, profile=profile)
    return None  # a 200 answer: no failed call for the classifier


def judge(cell: Cell, r: official.Requirement, d: FaultDriver, context: Any) -> None:
    errors = official.judge(
        r, copy.deepcopy(context), cell.history or [], cell.status, cell.result
    )
    errors += judging.operation_count_errors(
        r.spec.get("ExpectedExecutionHistory") or [],
        cell.history or [],
        copy.deepcopy(context),
    )
    fault = fault_of(r)
    hits = [c for c in cell.injected if c[3] == fault.kind]
    if len(hits) != 1:
        errors.append(
            f"the fault was injected {len(hits)} times, not once: calls {cell.calls}"
        )
    expected_runs = r.spec.get("ExpectedStepRuns") or {}
    runs = cell.facts.get("step_runs") or {}
    for name in sorted(set(expected_runs) | set(runs)):
        allowed = expected_runs.get(name, 0)
        allowed = allowed if isinstance(allowed, list) else [allowed]
        if runs.get(name, 0) not in allowed:
            errors.append(
                f"step {name!r} body ran {runs.get(name, 0)} times, the requirement allows {allowed}"
            )
    cell.errors = errors
    cell.observed_category = observed_category(cell.status)
    verdict = predicted(fault, d.profile or d.sdk_profile, cell.service_errors)
    if verdict is not None:
        cell.sdk_rule = f"{d.profile or d.sdk_profile}:{verdict.rule}"
    if not errors:
        cell.verdict = PASSED
        return
    if d.classifier == "sdk" or (d.profile and d.profile == d.sdk_profile):
        sdk_verdict = predicted(fault, d.sdk_profile, cell.service_errors)
        if (
            sdk_verdict is not None
            and cell.expected_category is not None
            and cell.observed_category is not None
            and cell.observed_category != cell.expected_category
            and sdk_verdict.category.value == cell.observed_category
            and _shows(cell, fault)
        ):
            cell.verdict = SDK_DEVIATION
            cell.reason = (
                f"the service wants {cell.expected_category}; the SDK's rule "
                f"({d.sdk_profile} profile, rule {sdk_verdict.rule}: {sdk_verdict.summary}) "
                f"makes it {cell.observed_category}, and the run shows {cell.status}. "
                f"SDK source: {SDK_SOURCES[d.sdk_profile]}"
            )
            return
    cell.verdict = FAILED
    cell.reason = "; ".join(errors[:3])


def _shows(cell: Cell, fault: Fault) -> bool:
    """The run itself shows the classification, not just its outcome: a failed execution carries
    the failed call's message; a retried one had a failed invocation."""
    if cell.observed_category == "EXECUTION":
        messages = [fault.message] if fault.kind == "http" else []
        messages += [e[5] for e in cell.service_errors if e[5]]
        text = str((cell.error or {}).get("ErrorMessage") or "")
        return any(m and m in text for m in messages) or (
            fault.kind == "http" and not fault.body
        )
    outputs = cell.facts.get("outputs") or []
    return any(str(o).startswith("error") for o in outputs)


def _check_equality(cells: list[Cell], drivers: list[FaultDriver]) -> None:
    by = {(c.requirement, c.driver): c for c in cells}
    names = {d.name for d in drivers}
    for d in drivers:
        if d.same_as is None or d.same_as not in names:
            continue
        for c in cells:
            if c.driver != d.name:
                continue
            other = by.get((c.requirement, d.same_as))
            if other is None:
                continue
            if (c.verdict, c.status, c.error) != (
                other.verdict,
                other.status,
                other.error,
            ):
                c.errors.append(
                    f"EQUALITY: {d.name} {c.verdict}/{c.status}/{c.error}, {d.same_as} "
                    f"{other.verdict}/{other.status}/{other.error}"
                )
                c.reason = f"differs from {d.same_as}: " + c.errors[-1]
                c.verdict = FAILED


# --- report --------------------------------------------------------------------------------------


def render(report: dict[str, Any]) -> tuple[str, int]:
    cells = report["cells"]
    drivers = list(report["drivers"])
    ids = list(report["requirements"])
    width = max(len(SDK_DEVIATION), *(len(d) for d in drivers))
    title = f"Suite {SUITE} (main; requirements of our own in {REQUIREMENTS_DIR.name}/)"
    lines = ["", title, "=" * len(title)]
    head = f"{'id':<6} {'description':<46} " + " ".join(
        f"{d:<{width}}" for d in drivers
    )
    lines += [head, "-" * len(head)]
    by = {(c["requirement"], c["driver"]): c for c in cells}
    for rid in ids:
        description = report["requirements"][rid]
        if len(description) > 46:
            description = description[:43] + "..."
        row = " ".join(
            f"{by[(rid, d)]['verdict'] if (rid, d) in by else '':<{width}}"
            for d in drivers
        )
        lines.append(f"{rid:<6} {description:<46} {row}".rstrip())
    lines.append("")
    for d in drivers:
        count = Counter(c["verdict"] for c in cells if c["driver"] == d)
        lines.append(
            f"  {d:<24} "
            + ", ".join(
                f"{k} {count.get(k, 0)}"
                for k in (PASSED, SDK_DEVIATION, NOT_IMPLEMENTED, FAILED)
            )
        )
    failed = [c for c in cells if c["verdict"] == FAILED]
    for kind, header in (
        (FAILED, "FAILED"),
        (SDK_DEVIATION, "SDK_DEVIATION: evidence"),
    ):
        chosen = [c for c in cells if c["verdict"] == kind]
        if not chosen:
            continue
        lines += ["", header, "-" * len(header)]
        for c in chosen:
            lines.append(f"{c['requirement']} {c['driver']}: {c['reason']}")
            if kind == FAILED:
                lines.extend(f"    {e}" for e in c["errors"])
                lines.append(
                    f"    status {c['status']}, facts {c['facts']}, calls {c['calls']}"
                )
            else:
                error = (
                    (c.get("error") or {}).get("ErrorMessage")
                    if c.get("error")
                    else None
                )
                lines.append(
                    f"    injected {c['injected']}; execution error: {error!r}"
                )
                if c["service_errors"]:
                    lines.append(
                        f"    the service's answers after it: {c['service_errors']}"
                    )
    lines += [
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()),
        f"wall time {report['wall_seconds']} s",
        f"{'FAILED' if failed else 'OK'}: {len(failed)} FAILED in suite {SUITE}",
    ]
    return "\n".join(lines), (1 if failed else 0)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m harness.fault_suite")
    parser.add_argument("--only", action="append")
    parser.add_argument("--driver", action="append")
    parser.add_argument("--json")
    parser.add_argument("--dump", action="store_true", help="print every history")
    args = parser.parse_args(argv)
    report = run_suite(set(args.only) if args.only else None, args.driver)
    text, status = render(report)
    if args.dump:
        for c in report["cells"]:
            print(
                f"== {c['requirement']} {c['driver']} {c['status']} {c['error']} {c['facts']}"
            )
            print(f"   calls {c['calls']}")
            for e in c["history"] or []:
                details = {k: v for k, v in e.items() if k.endswith("Details")}
                print(
                    f"   {e['EventId']} {e['EventType']} {e.get('Name')} {json.dumps(details)[:160]}"
                )
    print(text)
    if args.json:
        Path(args.json).write_text(
            json.dumps(report, indent=1, default=str), encoding="utf-8"
        )
    return status


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["REGISTRY", "FaultDriver", "fault_proxy", "render", "run_suite"]
