"""The checkpoint-faults suite: failed checkpoint calls inside running executions.

    .venv/bin/python -m pytest tests/conformance/test_faults.py

Uses the session's harness run (``harness_run`` in conftest.py, the same run as
test_conformance.py), plus one small live run of a deliberately wrong driver and the verdict rules
on made-up cells.
"""

from __future__ import annotations

import copy

import pytest
from harness import fault_suite
from harness.fault_proxy import Fault, _with_error_type
from harness.fault_suite import FAILED, PASSED, SDK_DEVIATION, Cell, FaultDriver

MIN_REQUIREMENTS = 20


@pytest.fixture(scope="session")
def faults(harness_run) -> dict:
    _done, report = harness_run
    assert report["faults"] is not None and "error" not in report["faults"], report[
        "faults"
    ]
    return report["faults"]


def _cells(faults: dict, driver: str) -> dict[str, dict]:
    return {c["requirement"]: c for c in faults["cells"] if c["driver"] == driver}


def test_every_requirement_ran_on_every_driver(faults):
    assert len(faults["requirements"]) >= MIN_REQUIREMENTS
    assert set(faults["drivers"]) == {d.name for d in fault_suite.REGISTRY}
    for driver in faults["drivers"]:
        assert set(_cells(faults, driver)) == set(faults["requirements"]), driver


def test_no_cell_failed_and_the_run_exits_zero(harness_run, faults):
    done, _report = harness_run
    failed = [
        f"{c['requirement']} {c['driver']}: {c['reason']}"
        for c in faults["cells"]
        if c["verdict"] == FAILED
    ]
    assert not failed, "\n".join(failed)
    assert done.returncode == 0, done.stdout[-3000:]


def test_the_requirements_cover_both_apis_both_categories_and_every_fault_kind():
    requirements = fault_suite.load_requirements()
    faults_ = [fault_suite.fault_of(r) for r in requirements]
    categories = {r.spec["Category"] for r in requirements}
    assert categories == {"INVOCATION", "EXECUTION"}
    for api in ("checkpoint", "get-state"):
        for category in categories:
            assert any(
                f.api == api and r.spec["Category"] == category
                for f, r in zip(faults_, requirements, strict=True)
            ), (api, category)
        # at the first call of an invocation and mid-way
        assert any(f.api == api and f.call == 1 for f in faults_)
        assert any(f.api == api and (f.call > 1 or f.invocation > 1) for f in faults_)
    assert {f.kind for f in faults_} == {
        "http",
        "reset",
        "timeout",
        "no-token",
        "not-json",
    }
    http = {(f.status, f.code, f.message, f.body) for f in faults_ if f.kind == "http"}
    for code in (
        "KMSAccessDeniedException",
        "KMSDisabledException",
        "KMSInvalidStateException",
        "KMSNotFoundException",
    ):
        assert any(s == 502 and c == code for s, c, _m, _b in http), code
    assert any(s == 429 for s, *_ in http) and any(s == 500 for s, *_ in http)
    messages = {m for _s, _c, m, _b in http if m}
    assert (
        "Invalid checkpoint token" in messages
        and "Invalid Checkpoint Token" in messages
    )
    assert any(m.startswith("STEP output payload size") for m in messages)
    assert any(not b for *_x, b in http)  # a 4xx with no body
    for r in requirements:
        for key in (
            "description",
            "handler",
            "invocations",
            "Why",
            "ExpectedResult",
            "ExpectedExecutionHistory",
            "ExpectedStepRuns",
        ):
            assert r.spec.get(key), (r.id, key)


def test_every_fault_was_injected_exactly_once(faults):
    for c in faults["cells"]:
        assert len(c["injected"]) == 1, (c["requirement"], c["driver"], c["calls"])


@pytest.mark.parametrize(
    "driver", ["python-sdk-core", "node-sdk-core", "core-python", "core-node"]
)
def test_with_the_unified_profile_every_core_driver_passes(faults, driver):
    cells = _cells(faults, driver)
    assert {c["verdict"] for c in cells.values()} == {PASSED}, {
        r: (c["verdict"], c["reason"])
        for r, c in cells.items()
        if c["verdict"] != PASSED
    }


@pytest.mark.parametrize(
    ("core", "sdk"),
    [("python-sdk-core@python", "python-sdk"), ("node-sdk-core@ts", "node-sdk")],
)
def test_with_the_sdks_profile_the_adapter_changes_nothing(faults, core, sdk):
    mine, theirs = _cells(faults, core), _cells(faults, sdk)
    assert {r: (c["verdict"], c["status"]) for r, c in mine.items()} == {
        r: (c["verdict"], c["status"]) for r, c in theirs.items()
    }


def test_sdk_deviations_carry_their_evidence(faults):
    by_driver = {d.name: d for d in fault_suite.REGISTRY}
    for c in faults["cells"]:
        if c["verdict"] != SDK_DEVIATION:
            continue
        d = by_driver[c["driver"]]
        assert d.classifier == "sdk" or d.profile == d.sdk_profile, c["driver"]
        assert c["observed_category"] != c["expected_category"]
        assert "rule" in c["reason"] and "SDK source:" in c["reason"], c["reason"]


def test_js_fails_the_execution_on_the_services_stale_token_message(faults):
    """The issue's headline case: JS 2.4.0 matches only 'Invalid Checkpoint Token'."""
    requirements = {r.id: r for r in fault_suite.load_requirements()}
    stale = [
        rid
        for rid, r in requirements.items()
        if r.spec["Fault"].get("message") == "Invalid checkpoint token"
        and r.spec["Fault"]["api"] == "checkpoint"
    ]
    assert stale
    node, python = _cells(faults, "node-sdk"), _cells(faults, "python-sdk")
    for rid in stale:
        assert (
            node[rid]["verdict"] == SDK_DEVIATION and node[rid]["status"] == "FAILED"
        ), rid
        assert (
            python[rid]["verdict"] == PASSED and python[rid]["status"] == "SUCCEEDED"
        ), rid


# --- mutation tests: a deliberately wrong driver or cell must FAIL ------------------------------


def test_a_core_driver_with_the_wrong_rules_fails():
    """The Python SDK classifying through durable-core with the ts rules is no SDK's own
    behaviour, so its wrong outcome on the service's stale-token message is no SDK_DEVIATION."""
    mutant = FaultDriver(
        "python-sdk-core-mutant", "python", "core", "python", profile="ts"
    )
    stale = next(
        r.id
        for r in fault_suite.load_requirements()
        if r.spec["Fault"].get("message") == "Invalid checkpoint token"
        and r.spec["Fault"]["api"] == "checkpoint"
    )
    report = fault_suite.run_suite({stale}, registry=(mutant,))
    (cell,) = report["cells"]
    assert cell["status"] == "FAILED"
    assert cell["verdict"] == FAILED, cell
    _text, status = fault_suite.render(report)
    assert status == 1


def test_an_adapter_that_changes_the_outcome_breaks_equality():
    def cell(driver: str, verdict: str, status: str) -> Cell:
        return Cell("CF-x", driver, verdict=verdict, status=status)

    same = [
        cell("node-sdk", SDK_DEVIATION, "FAILED"),
        cell("node-sdk-core@ts", SDK_DEVIATION, "FAILED"),
    ]
    fault_suite._check_equality(same, list(fault_suite.REGISTRY))
    assert [c.verdict for c in same] == [SDK_DEVIATION, SDK_DEVIATION]
    differ = [
        cell("node-sdk", SDK_DEVIATION, "FAILED"),
        cell("node-sdk-core@ts", PASSED, "SUCCEEDED"),
    ]
    fault_suite._check_equality(differ, list(fault_suite.REGISTRY))
    assert differ[1].verdict == FAILED and "EQUALITY" in differ[1].errors[-1]


def test_a_wrong_history_fails_the_judgement(faults):
    """A run that stored a step twice fails even where the official matcher would not look."""
    requirements = {r.id: r for r in fault_suite.load_requirements()}
    c = next(
        c
        for c in faults["cells"]
        if c["driver"] == "python-sdk-core"
        and requirements[c["requirement"]].spec["Category"] == "INVOCATION"
    )
    r = requirements[c["requirement"]]
    driver = next(d for d in fault_suite.REGISTRY if d.name == "python-sdk-core")
    good = Cell(
        c["requirement"],
        c["driver"],
        status=c["status"],
        result=c["result"],
        history=copy.deepcopy(c["history"]),
        injected=c["injected"],
        facts=c["facts"],
        calls=c["calls"],
    )
    fault_suite.judge(good, r, driver, _context(r))
    assert good.verdict == PASSED, good.errors
    bad = copy.deepcopy(good)
    last = max(e["EventId"] for e in bad.history)
    twice = [
        copy.deepcopy(e)
        for e in bad.history
        if e["EventType"] in ("StepStarted", "StepSucceeded")
    ][:2]
    for n, e in enumerate(twice, 1):
        e["EventId"] = last + n
    bad.history += twice
    bad.facts = dict(bad.facts, step_runs={"first": 3, "second": 1})
    fault_suite.judge(bad, r, driver, _context(r))
    assert bad.verdict == FAILED
    assert any("the requirement lists" in e for e in bad.errors)
    assert any("body ran 3 times" in e for e in bad.errors)


def _context(requirement):
    from harness import official

    context, _ = official.resolve(requirement)
    return context


def test_faults_are_checked_when_made():
    with pytest.raises(ValueError, match="Fault.api"):
        Fault("put", "http", status=500)
    with pytest.raises(ValueError, match="Fault.kind"):
        Fault("checkpoint", "explode")
    with pytest.raises(ValueError, match="Fault.status"):
        Fault("checkpoint", "http", status=200)
    with pytest.raises(ValueError, match="no-token"):
        Fault("get-state", "no-token")


def test_the_proxy_names_the_local_services_errors_as_the_service_does():
    body = b'{"Type": "InvalidParameterValueException", "message": "Invalid checkpoint token"}'
    assert (
        _with_error_type(400, {}, body)["X-Amzn-ErrorType"]
        == "InvalidParameterValueException"
    )
    assert _with_error_type(200, {}, body) == {}
    assert _with_error_type(400, {"x-amzn-errortype": "A"}, body) == {
        "x-amzn-errortype": "A"
    }
    assert _with_error_type(403, {}, b"") == {}
