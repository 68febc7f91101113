"""From a driver's outcomes to a verdict per requirement and driver.

Verdicts:

PASSED
    The durable-core run meets the requirement: the official ``EventHistoryMatcher`` accepts the
    history and ``ExpectedResult`` holds (``official.judge``); for a retry requirement, its
    NextAttemptDelaySeconds also equal those of the SDK's own strategy (control run).
FAILED
    Anything else that is not proven to be the runner's doing.
KNOWN_RUNNER_DEVIATION
    The durable-core run fails, and all of these hold:
    1. at least one documented deviation of this driver's runner (``deviations.py``) is detected
       in the run's history;
    2. proof that durable-core is not the cause: the control run, the same handler with the SDK's
       own strategy configured identically, fails with exactly the same messages; or, where no
       control run exists, the history with the detected deviations undone passes;
    3. where every detected deviation can be undone, the history with them undone passes the
       official matcher and result check (so nothing else is wrong).
NOT_IMPLEMENTED
    The driver cannot run the requirement; the reason says why (measured where possible).

The matcher is never changed and requirements are never edited; corrected histories are
evidence only.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Any

from . import deviations as known
from .drivers import NotImplementedCase, Outcome
from .official import PlaceholderContext, Requirement, judge

PASSED = "PASSED"
FAILED = "FAILED"
DEVIATION = "KNOWN_RUNNER_DEVIATION"
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"

# The retry requirements of the step suite (the ones whose delays are compared with the SDK's).
RETRY_REQUIREMENTS = frozenset(f"1-{n}" for n in range(11, 20))


@dataclass
class Run:
    """One driver run of one case, as the harness saw it."""

    strategy: str
    outcome: Outcome | None = None
    not_implemented: str | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def available(self) -> bool:
        return self.outcome is not None


@dataclass
class Verdict:
    requirement: str
    suite: str
    description: str
    driver: str
    verdict: str
    reason: str = ""
    errors: list[str] = field(default_factory=list)
    control_errors: list[str] | None = None
    deviations: list[dict[str, Any]] = field(default_factory=list)
    counterfactual: str | None = None
    delays: dict[str, list[Any]] = field(default_factory=dict)
    same_delays: bool | None = None
    normalisations: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, Any]] | None = None
    status: str | None = None
    result: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def retry_delays(events: list[dict[str, Any]]) -> list[Any]:
    """NextAttemptDelaySeconds of every step close that carries one, in EventId order."""
    out = []
    for event in sorted(events, key=lambda e: e.get("EventId", 0)):
        if event.get("EventType") in ("StepFailed", "StepSucceeded"):
            retry = event.get(f"{event['EventType']}Details", {}).get("RetryDetails", {})
            if isinstance(retry, dict) and "NextAttemptDelaySeconds" in retry:
                out.append(retry["NextAttemptDelaySeconds"])
    return out


def _errors(requirement: Requirement, base: PlaceholderContext, events: list, status: str | None,
            result: str | None) -> list[str]:
    # Each judgement binds placeholders afresh from the same Variables.
    return judge(requirement, copy.deepcopy(base), events, status, result)


def decide(
    requirement: Requirement,
    base_context: PlaceholderContext,
    driver: str,
    runner: str,
    subject: Run,
    control: Run | None,
) -> Verdict:
    verdict = Verdict(
        requirement=requirement.id,
        suite=requirement.suite,
        description=requirement.description,
        driver=driver,
        verdict=FAILED,
        seconds={subject.strategy: round(subject.seconds, 3)},
    )
    if control is not None:
        verdict.seconds[control.strategy] = round(control.seconds, 3)
    if subject.not_implemented is not None:
        verdict.verdict, verdict.reason = NOT_IMPLEMENTED, subject.not_implemented
        return verdict
    if subject.error is not None or subject.outcome is None:
        verdict.reason = f"driver error: {subject.error}"
        return verdict

    outcome = subject.outcome
    verdict.history, verdict.status, verdict.result = outcome.events, outcome.status, outcome.result
    verdict.normalisations = list(outcome.normalisations)
    verdict.facts = dict(outcome.facts)
    errors = _errors(requirement, base_context, outcome.events, outcome.status, outcome.result)

    control_errors: list[str] | None = None
    if control is not None and control.outcome is not None:
        c = control.outcome
        control_errors = _errors(requirement, base_context, c.events, c.status, c.result)
        verdict.control_errors = control_errors
        if requirement.id in RETRY_REQUIREMENTS:
            verdict.delays = {subject.strategy: retry_delays(outcome.events),
                              control.strategy: retry_delays(c.events)}
            verdict.same_delays = verdict.delays[subject.strategy] == verdict.delays[control.strategy]
    elif control is not None:
        verdict.control_errors = None
        verdict.facts["control"] = control.not_implemented or control.error

    delay_error = None
    if verdict.same_delays is False:
        delay_error = (f"NextAttemptDelaySeconds {verdict.delays[subject.strategy]} with durable-core's "
                       f"strategy, {verdict.delays[control.strategy]} with the SDK's own")  # type: ignore[union-attr]
    verdict.errors = errors + ([delay_error] if delay_error else [])

    if not verdict.errors:
        verdict.verdict = PASSED
        if control_errors:
            verdict.reason = "the control run (SDK strategy) failed where durable-core passed: see control_errors"
        return verdict
    if delay_error:
        verdict.reason = "durable-core's delays differ from the SDK's own strategy"
        return verdict

    detected = []
    for deviation in known.for_runner(runner):
        findings = deviation.detect(outcome)
        if findings:
            detected.append((deviation, findings))
    verdict.deviations = [
        {"key": d.key, "runner": d.runner, "summary": d.summary, "source": d.source, "findings": f}
        for d, f in detected
    ]
    if not detected:
        verdict.reason = "no documented runner deviation explains the failure"
        return verdict

    fixed, complete = known.corrected(outcome.events, outcome, [d for d, _ in detected])
    counterfactual_errors = _errors(requirement, base_context, fixed, outcome.status, outcome.result) if complete else None
    if complete:
        verdict.counterfactual = ("passes: with only the detected deviations undone the official matcher "
                                  "and result check accept the history"
                                  if not counterfactual_errors else
                                  "fails: " + "; ".join(counterfactual_errors))
    else:
        verdict.counterfactual = "not available: a detected deviation cannot be undone on the history alone"

    if counterfactual_errors:
        verdict.reason = "runner deviations detected, but undoing them leaves failures"
        return verdict
    if control_errors is not None:
        if sorted(control_errors) != sorted(errors):
            verdict.reason = ("runner deviations detected, but the control run with the SDK's own strategy "
                              "fails differently, so durable-core's strategy changes the outcome")
            return verdict
        proof = "the control run with the SDK's own strategy fails with the same messages"
    elif complete:
        proof = "no control run for this requirement; the corrected history passes"
    else:
        verdict.reason = "runner deviations detected but not proven (no control run, no complete correction)"
        return verdict
    verdict.verdict = DEVIATION
    verdict.reason = f"{', '.join(d.key for d, _ in detected)}; {proof}"
    return verdict


def as_run(strategy: str, call: Any) -> Run:
    """Run ``call()`` and capture its outcome, NotImplementedCase or error, with its duration."""
    import time
    import traceback

    started = time.perf_counter()
    run = Run(strategy)
    try:
        run.outcome = call()
    except NotImplementedCase as reason:
        run.not_implemented = str(reason)
    except Exception as error:  # noqa: BLE001 - reported as the verdict's reason
        run.error = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=4)}"
    run.seconds = time.perf_counter() - started
    return run
