"""The offline conformance harness, run once, plus the verdict rules on made-up outcomes.

    .venv/bin/python -m pytest tests/conformance

The harness run must have no FAILED requirement in the main suites (step, wait, child), at least
MIN_PASSED requirements PASSED per driver and suite (so a run where everything is skipped or
excused cannot pass), every requirement of the three suites run on the core drivers (none
NOT_IMPLEMENTED), durable-core's retry delays equal to the SDK's own strategy's wherever both ran
(for the core drivers, which run no SDK, equal to the SDK run of the same language's SDK driver),
ExpectedLogs judged on the core drivers, and a reason with evidence for every NOT_IMPLEMENTED and
KNOWN_RUNNER_DEVIATION.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from harness import judging, official
from harness.drivers import Outcome

HERE = Path(__file__).resolve().parent

# Measured floor per driver (step suite). Raise these when a runner deviation is fixed upstream;
# never lower them to make a run pass.
MIN_PASSED = {"python-sdk": 14, "node-sdk": 13, "core-python": 11, "core-node": 11}
# The core drivers (durable-core's invocation engine, no SDK) in the wait and child suites.
MIN_PASSED_CORE = {"wait": 0, "child": 10}
CORE_DRIVERS = ("core-python", "core-node")
STEP_IDS = [f"1-{n}" for n in range(1, 21)]
SUITE_IDS = {
    "step": STEP_IDS,
    "wait": [f"2-{n}" for n in range(1, 6)],
    "child": [f"3-{n}" for n in range(1, 19)],
}
LOGGED = {"1-7", "1-17", "1-18", "3-11", "3-17"}
PY_RUNNER = "aws-durable-execution-sdk-python-testing 1.4.0"
JS_RUNNER = "@aws/durable-execution-sdk-js-testing 1.1.4"


def _step(report: dict) -> list[dict]:
    return [v for v in report["verdicts"] if v["suite"] == "step"]


def test_no_requirement_of_a_main_suite_failed(harness_run):
    done, report = harness_run
    failed = [
        f"{v['requirement']} {v['driver']}: {v['reason']}\n    "
        + "\n    ".join(v["errors"])
        for v in report["verdicts"]
        if v["suite"] in SUITE_IDS and v["verdict"] == judging.FAILED
    ]
    assert not failed, "\n".join(failed) + "\n\n" + done.stdout[-4000:]
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_every_step_requirement_ran_on_every_driver(harness_run):
    _done, report = harness_run
    for driver in MIN_PASSED:
        assert driver in report["drivers"]
        ids = [v["requirement"] for v in _step(report) if v["driver"] == driver]
        assert ids == STEP_IDS, driver


@pytest.mark.parametrize("driver", sorted(MIN_PASSED))
def test_enough_requirements_passed(harness_run, driver):
    _done, report = harness_run
    passed = [
        v["requirement"]
        for v in _step(report)
        if v["driver"] == driver and v["verdict"] == judging.PASSED
    ]
    assert len(passed) >= MIN_PASSED[driver], f"{driver} passed only {passed}"


def test_retry_delays_equal_the_sdks(harness_run):
    _done, report = harness_run
    compared: dict[str, int] = {}
    for v in _step(report):
        if (
            v["requirement"] in judging.RETRY_REQUIREMENTS
            and v["same_delays"] is not None
        ):
            assert v["same_delays"], f"{v['requirement']} {v['driver']}: {v['delays']}"
            compared[v["driver"]] = compared.get(v["driver"], 0) + 1
    # python-sdk runs all nine retry requirements; node-sdk all but the two crash ones.
    assert compared.get("python-sdk", 0) == 9, compared
    assert compared.get("node-sdk", 0) == 7, compared


def _retried_delays(events: list[dict]) -> list:
    """NextAttemptDelaySeconds of the step closes that were followed by another attempt of the
    same step: the delays a strategy chose, without what a runner writes on a final close (the
    Python runner records 0 there, the JS runner nothing)."""
    ordered = sorted(events, key=lambda e: e.get("EventId", 0))
    out = []
    for i, event in enumerate(ordered):
        kind = event.get("EventType")
        if kind not in ("StepFailed", "StepSucceeded"):
            continue
        retry = event.get(f"{kind}Details", {}).get("RetryDetails", {})
        again = any(
            e.get("EventType") == "StepStarted" and e.get("Id") == event.get("Id")
            for e in ordered[i + 1 :]
        )
        if again and "NextAttemptDelaySeconds" in retry:
            out.append(retry["NextAttemptDelaySeconds"])
    return out


@pytest.mark.parametrize(
    ("core", "sdk", "count"),
    [("core-python", "python-sdk", 9), ("core-node", "node-sdk", 7)],
)
def test_core_drivers_choose_the_sdks_delays(harness_run, core, sdk, count):
    """The core drivers have no SDK run of their own; their retry delays (same seed, same draws)
    must equal those of the SDK's own strategy in the SDK driver of the same language."""
    _done, report = harness_run
    by = {(v["driver"], v["requirement"]): v for v in _step(report)}
    compared = []
    for rid in sorted(judging.RETRY_REQUIREMENTS):
        mine, theirs = by.get((core, rid)), by.get((sdk, rid))
        if (
            not mine
            or not theirs
            or not mine["history"]
            or not theirs["control_history"]
        ):
            continue
        assert _retried_delays(mine["history"]) == _retried_delays(
            theirs["control_history"]
        ), rid
        compared.append(rid)
    assert len(compared) == count, compared


@pytest.mark.parametrize("driver", CORE_DRIVERS)
@pytest.mark.parametrize("suite", sorted(SUITE_IDS))
def test_core_drivers_run_every_requirement_of_the_three_suites(
    harness_run, driver, suite
):
    """The invocation engine runs STEP, WAIT and child CONTEXT: nothing is NOT_IMPLEMENTED, and
    at least the measured number PASSED outright (the rest are proven runner deviations)."""
    _done, report = harness_run
    mine = [
        v for v in report["verdicts"] if v["driver"] == driver and v["suite"] == suite
    ]
    assert [v["requirement"] for v in mine] == SUITE_IDS[suite]
    assert all(v["verdict"] in (judging.PASSED, judging.DEVIATION) for v in mine), [
        (v["requirement"], v["verdict"], v["reason"]) for v in mine
    ]
    floor = MIN_PASSED[driver] if suite == "step" else MIN_PASSED_CORE[suite]
    assert sum(v["verdict"] == judging.PASSED for v in mine) >= floor


@pytest.mark.parametrize("driver", CORE_DRIVERS)
def test_core_drivers_judge_expected_logs(harness_run, driver):
    """The core drivers capture the context loggers' output, and ExpectedLogs is judged: 1-7
    logs each line once; 3-11 shows the child running twice (ReplayChildren), 3-17 once."""
    _done, report = harness_run
    by = {v["requirement"]: v for v in report["verdicts"] if v["driver"] == driver}
    for rid in LOGGED:
        assert by[rid]["facts"]["logs_checked"] is True, rid
    child_runs = {
        rid: sum(
            "child context input" in e["message"] for e in by[rid]["facts"]["logs"]
        )
        for rid in ("3-11", "3-17")
    }
    assert child_runs == {"3-11": 2, "3-17": 1}


def test_a_log_too_many_fails(harness_run):
    """ExpectedLogs counts: the same history with one log line repeated is FAILED."""
    _done, report = harness_run
    v = _verdict(report, "core-python", "1-7")
    requirement = _requirement("1-7")
    context, _ = official.resolve(requirement)
    logs = v["facts"]["logs"]
    outcome = Outcome(
        v["history"], v["status"], v["result"], facts={"logs": logs + logs[:1]}
    )
    verdict = judging.decide(
        requirement,
        context,
        "mutant",
        PY_RUNNER,
        judging.Run("durable-core", outcome=outcome),
        None,
    )
    assert verdict.verdict == judging.FAILED
    assert any(e.startswith("logs:") for e in verdict.errors), verdict.errors


def test_every_excuse_carries_its_evidence(harness_run):
    _done, report = harness_run
    for v in report["verdicts"]:
        label = f"{v['requirement']} {v['driver']}"
        if v["verdict"] == judging.NOT_IMPLEMENTED:
            assert v["reason"].strip(), label
        if v["verdict"] == judging.DEVIATION:
            assert v["deviations"] and all(
                d["findings"] and d["source"] for d in v["deviations"]
            ), label
            if v["control_errors"] is not None:
                assert "control run with the SDK's own strategy" in v["reason"], label
            else:
                assert v["counterfactual"].startswith("passes"), label


# --- the verdict rules on made-up outcomes (no runner involved) ----------------------------------


def test_core_python_restores_the_recorded_invocation_details_only_when_they_pair():
    from harness.drivers.core_python import restore_invocation_details

    def history() -> list[dict]:
        return [
            {"EventType": "StepStarted", "EventId": 2, "EventTimestamp": 100.001},
            {
                "EventType": "InvocationCompleted",
                "EventId": 3,
                "EventTimestamp": 100.25,
            },
            {"EventType": "InvocationCompleted", "EventId": 4, "EventTimestamp": 101.5},
        ]

    stored = {
        "InvocationCompletions": [
            {"StartTimestamp": 101_400, "EndTimestamp": 101_500, "RequestId": "b"},
            {"StartTimestamp": 100_000, "EndTimestamp": 100_250, "RequestId": "a"},
        ]
    }
    events = history()
    assert restore_invocation_details(events, stored)
    assert [e.get("InvocationCompletedDetails") for e in events[1:]] == [
        {"StartTimestamp": 100.0, "EndTimestamp": 100.25, "RequestId": "a"},
        {"StartTimestamp": 101.4, "EndTimestamp": 101.5, "RequestId": "b"},
    ]
    shifted = {
        "InvocationCompletions": [
            dict(r, EndTimestamp=r["EndTimestamp"] + 1)
            for r in stored["InvocationCompletions"]
        ]
    }
    events = history()
    assert not restore_invocation_details(
        events, shifted
    )  # ends do not match: left as served
    assert not any("InvocationCompletedDetails" in e for e in events)
    assert not restore_invocation_details(history(), {"InvocationCompletions": []})


def _requirement(rid: str) -> official.Requirement:
    return next(r for r in official.load_suite("step") if r.id == rid)


def _history_1_11(current_attempt_on_success: int = 2, delay: int = 1) -> list[dict]:
    def event(eid: int, kind: str, **extra) -> dict:
        return {
            "EventType": kind,
            "EventId": eid,
            "EventTimestamp": f"2026-01-01T00:00:0{eid}+00:00",
            **extra,
        }

    step = {"SubType": "Step", "Id": "op-1"}
    return [
        event(1, "ExecutionStarted", ExecutionStartedDetails={}),
        event(2, "StepStarted", **step, StepStartedDetails={}),
        event(
            3,
            "StepFailed",
            **step,
            StepFailedDetails={
                "Error": {"Payload": {"ErrorType": "Error", "ErrorMessage": "x"}},
                "RetryDetails": {"CurrentAttempt": 1, "NextAttemptDelaySeconds": delay},
            },
        ),
        event(4, "InvocationCompleted", InvocationCompletedDetails={}),
        event(5, "StepStarted", **step, StepStartedDetails={}),
        event(
            6,
            "StepSucceeded",
            **step,
            StepSucceededDetails={
                "Result": {"Payload": '"Operation succeeded"'},
                "RetryDetails": {"CurrentAttempt": current_attempt_on_success},
            },
        ),
        event(7, "InvocationCompleted", InvocationCompletedDetails={}),
    ]


def _decide(
    events: list[dict], control_events: list[dict] | None, runner: str
) -> judging.Verdict:
    requirement = _requirement("1-11")
    context, _ = official.resolve(requirement)
    subject = judging.Run(
        "durable-core", outcome=Outcome(events, "SUCCEEDED", '"Operation succeeded"')
    )
    control = None
    if control_events is not None:
        control = judging.Run(
            "sdk", outcome=Outcome(control_events, "SUCCEEDED", '"Operation succeeded"')
        )
    return judging.decide(requirement, context, "test-driver", runner, subject, control)


def test_the_matcher_is_the_official_one():
    assert (
        official.EventHistoryMatcher.__module__
        == "aws_durable_execution_conformance_tests.history"
    )
    assert (
        official.PlaceholderContext.__module__
        == "aws_durable_execution_conformance_tests.variables"
    )


def test_a_conforming_history_passes():
    verdict = _decide(_history_1_11(), _history_1_11(), PY_RUNNER)
    assert verdict.verdict == judging.PASSED, verdict.errors
    assert verdict.same_delays is True


def test_different_delays_from_the_sdk_fail():
    verdict = _decide(_history_1_11(delay=1), _history_1_11(delay=2), PY_RUNNER)
    assert verdict.verdict == judging.FAILED
    assert "NextAttemptDelaySeconds" in verdict.errors[-1]


def test_a_documented_deviation_with_the_same_control_failure_is_excused():
    wrong = _history_1_11(current_attempt_on_success=1)  # what the JS runner reports
    verdict = _decide(wrong, copy.deepcopy(wrong), JS_RUNNER)
    assert verdict.verdict == judging.DEVIATION, verdict.reason
    assert [d["key"] for d in verdict.deviations] == ["js-current-attempt-off-by-one"]
    assert verdict.counterfactual.startswith("passes")


def test_a_deviation_the_control_run_does_not_share_fails():
    verdict = _decide(
        _history_1_11(current_attempt_on_success=1), _history_1_11(), JS_RUNNER
    )
    assert verdict.verdict == judging.FAILED
    assert "control run" in verdict.reason


def test_a_failure_no_deviation_of_the_runner_explains_fails():
    wrong = _history_1_11(
        current_attempt_on_success=1
    )  # not a deviation of the Python runner
    verdict = _decide(wrong, copy.deepcopy(wrong), PY_RUNNER)
    assert verdict.verdict == judging.FAILED
    assert "no documented runner deviation" in verdict.reason


# --- the matcher's holes, closed (mutation tests: a deliberately wrong history must FAIL) -------


def _verdict(report: dict, driver: str, rid: str) -> dict:
    return next(
        v for v in _step(report) if v["driver"] == driver and v["requirement"] == rid
    )


@pytest.mark.parametrize("rid", ["1-12", "1-19"])
def test_one_retry_too_many_fails(harness_run, rid):
    """The official matcher ignores trailing events, so a history with one more attempt of the
    step passes it; the per-operation event count catches it."""
    _done, report = harness_run
    passed = _verdict(report, "python-sdk", rid)
    assert passed["verdict"] == judging.PASSED
    events = copy.deepcopy(passed["history"])
    last_id = max(e["EventId"] for e in events)
    attempt = [e for e in events if e["EventType"] in ("StepStarted", "StepFailed")][
        -2:
    ]
    for offset, event in enumerate(copy.deepcopy(attempt), 1):
        event["EventId"] = last_id + offset
        events.append(event)
    requirement = _requirement(rid)
    context, _ = official.resolve(requirement)
    status, result = passed["status"], passed["result"]
    # The hole: the official judgement alone accepts the extra attempt.
    assert (
        official.judge(requirement, copy.deepcopy(context), events, status, result)
        == []
    )
    subject = judging.Run("durable-core", outcome=Outcome(events, status, result))
    verdict = judging.decide(requirement, context, "mutant", PY_RUNNER, subject, None)
    assert verdict.verdict == judging.FAILED
    assert any("events" in e and "the requirement lists" in e for e in verdict.errors)


def _as_verdict(v: dict) -> judging.Verdict:
    fields = judging.Verdict.__dataclass_fields__
    return judging.Verdict(**{k: copy.deepcopy(v[k]) for k in fields if k in v})


@pytest.mark.parametrize(
    ("core", "sdk", "rid"),
    [("core-python", "python-sdk", "1-13"), ("core-node", "node-sdk", "1-11")],
)
def test_a_core_driver_with_a_wrong_delay_fails(harness_run, core, sdk, rid):
    """1-11 and 1-13 leave NextAttemptDelaySeconds open ('*'), so a core driver that retried
    after the wrong delay passed them; its delays are now compared with the SDK driver's."""
    _done, report = harness_run
    mine, theirs = _verdict(report, core, rid), _verdict(report, sdk, rid)
    assert mine["verdict"] in (judging.PASSED, judging.DEVIATION)
    assert mine["same_delays"] is True, mine["delays"]
    wrong = copy.deepcopy(mine["history"])
    changed = 0
    for event in wrong:
        retry = (event.get(f"{event['EventType']}Details") or {}).get(
            "RetryDetails"
        ) or {}
        if retry.get("NextAttemptDelaySeconds"):
            retry["NextAttemptDelaySeconds"] += 1
            changed += 1
    assert changed
    requirement = _requirement(rid)
    context, _ = official.resolve(requirement)
    # The hole: the requirement leaves the delay open, so the matcher accepts the wrong one.
    assert not [
        e
        for e in official.judge(
            requirement, context, wrong, mine["status"], mine["result"]
        )
        if "NextAttemptDelaySeconds" in e
    ]
    mutant = _as_verdict(mine)
    mutant.history = wrong
    reference = _as_verdict(theirs)
    judging.cross_check_delays([mutant, reference], {core: sdk})
    assert mutant.verdict == judging.FAILED
    assert mutant.same_delays is False
    assert "retry delays differ" in mutant.reason
    honest = _as_verdict(mine)
    judging.cross_check_delays([honest, reference], {core: sdk})
    assert honest.verdict == mine["verdict"]


def test_only_a_failed_cell_showing_a_runner_race_is_rerun():
    from types import SimpleNamespace

    from harness.__main__ import _is_race

    def verdict(kind: str, deviations: list) -> judging.Verdict:
        return judging.Verdict(
            "2-1", "wait", "", "core-node", kind, deviations=deviations
        )

    race = [{"key": "py-skiptime-early-timer", "findings": []}]
    reruns, keeps = (
        SimpleNamespace(rerun_races=True),
        SimpleNamespace(rerun_races=False),
    )
    assert _is_race(verdict(judging.FAILED, race), reruns)
    assert not _is_race(
        verdict(judging.FAILED, []), reruns
    )  # no race seen: a real failure
    assert not _is_race(verdict(judging.DEVIATION, race), reruns)
    assert not _is_race(
        verdict(judging.FAILED, race), keeps
    )  # SDK drivers are never rerun
