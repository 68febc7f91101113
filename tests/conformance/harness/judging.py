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
       own strategy configured identically, fails with the same messages (execution ids and
       timestamps masked), or it shows the same deviations and also passes with them undone
       (for a runner whose timing varies between runs); where no control run exists, the history
       with the detected deviations undone must pass;
    3. where every detected deviation can be undone, the history with them undone passes the
       official matcher and result check (so nothing else is wrong).
NOT_IMPLEMENTED
    The driver cannot run the requirement; the reason says why (measured where possible).

The matcher is never changed and requirements are never edited; corrected histories are
evidence only.
"""

from __future__ import annotations

import copy
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from . import deviations as known
from .drivers import NotImplementedCase, Outcome
from .official import PlaceholderContext, Requirement, judge, judge_logs

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
    control_history: list[dict[str, Any]] | None = None
    status: str | None = None
    result: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def strategy_delays(events: list[dict[str, Any]]) -> list[Any]:
    """NextAttemptDelaySeconds of the step closes that were followed by another attempt of the
    same step: the delays a retry strategy chose, without what a runner writes on a final close
    (the Python runner records 0 there, the JS runner nothing)."""
    ordered = sorted(events, key=lambda e: e.get("EventId", 0))
    out = []
    for i, event in enumerate(ordered):
        kind = event.get("EventType")
        if kind not in ("StepFailed", "StepSucceeded"):
            continue
        retry = (event.get(f"{kind}Details") or {}).get("RetryDetails") or {}
        again = any(
            e.get("EventType") == "StepStarted" and e.get("Id") == event.get("Id")
            for e in ordered[i + 1 :]
        )
        if again and isinstance(retry, dict) and "NextAttemptDelaySeconds" in retry:
            out.append(retry["NextAttemptDelaySeconds"])
    return out


def cross_check_delays(verdicts: list[Verdict], references: dict[str, str]) -> None:
    """A driver with no SDK run of its own (the core step drivers) may leave a requirement's
    delays open to the matcher (1-11, 1-13, 1-18 say '*'), so a wrong delay would pass. Its
    delays must equal those the SDK's own strategy chose in the SDK driver of its language
    (``references``: driver -> SDK driver; same seed, same draws): a difference FAILS the verdict;
    the comparison is recorded either way."""
    by = {(v.driver, v.requirement): v for v in verdicts}
    for v in verdicts:
        reference = references.get(v.driver)
        if (
            reference is None
            or v.requirement not in RETRY_REQUIREMENTS
            or v.history is None
        ):
            continue
        theirs = by.get((reference, v.requirement))
        if theirs is None or theirs.control_history is None:
            continue
        mine, sdk = strategy_delays(v.history), strategy_delays(theirs.control_history)
        v.delays["sdk-driver " + reference] = sdk
        v.same_delays = mine == sdk
        if not v.same_delays and v.verdict in (PASSED, DEVIATION):
            v.errors.append(
                f"NextAttemptDelaySeconds {mine}, the SDK's own strategy chose {sdk} in {reference}"
            )
            v.verdict = FAILED
            v.reason = f"retry delays differ from the SDK's own strategy in {reference}"


def retry_delays(events: list[dict[str, Any]]) -> list[Any]:
    """NextAttemptDelaySeconds of every step close that carries one, in EventId order."""
    out = []
    for event in sorted(events, key=lambda e: e.get("EventId", 0)):
        if event.get("EventType") in ("StepFailed", "StepSucceeded"):
            retry = event.get(f"{event['EventType']}Details", {}).get(
                "RetryDetails", {}
            )
            if isinstance(retry, dict) and "NextAttemptDelaySeconds" in retry:
                out.append(retry["NextAttemptDelaySeconds"])
    return out


def _errors(
    requirement: Requirement,
    base: PlaceholderContext,
    events: list,
    status: str | None,
    result: str | None,
    logs: list[dict[str, Any]] | None = None,
) -> list[str]:
    # Each judgement binds placeholders afresh from the same Variables. The official matcher
    # ignores actual events it was not asked about (one retry too many passes), so the number of
    # events per operation is checked as well. ExpectedLogs are judged when the driver captured
    # the context loggers' output (``facts["logs"]``).
    errors = judge(requirement, copy.deepcopy(base), events, status, result) + (
        operation_count_errors(
            requirement.spec.get("ExpectedExecutionHistory") or [],
            events,
            copy.deepcopy(base),
        )
    )
    if logs is not None:
        errors += judge_logs(requirement, copy.deepcopy(base), logs)
    return errors


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
    verdict.history, verdict.status, verdict.result = (
        outcome.events,
        outcome.status,
        outcome.result,
    )
    verdict.normalisations = list(outcome.normalisations)
    verdict.facts = dict(outcome.facts)
    logs = outcome.facts.get("logs")
    errors = _errors(
        requirement, base_context, outcome.events, outcome.status, outcome.result, logs
    )
    if requirement.spec.get("ExpectedLogs"):
        verdict.facts["logs_checked"] = logs is not None

    control_errors: list[str] | None = None
    if control is not None and control.outcome is not None:
        c = control.outcome
        control_errors = _errors(
            requirement, base_context, c.events, c.status, c.result
        )
        verdict.control_errors = control_errors
        verdict.control_history = c.events
        if requirement.id in RETRY_REQUIREMENTS:
            verdict.delays = {
                subject.strategy: retry_delays(outcome.events),
                control.strategy: retry_delays(c.events),
            }
            verdict.same_delays = (
                verdict.delays[subject.strategy] == verdict.delays[control.strategy]
            )
    elif control is not None:
        verdict.control_errors = None
        verdict.facts["control"] = control.not_implemented or control.error
    if requirement.id in RETRY_REQUIREMENTS and not verdict.delays:
        # No control run to compare with: the delays are reported, not judged.
        verdict.delays = {subject.strategy: retry_delays(outcome.events)}

    delay_error = None
    if verdict.same_delays is False:
        delay_error = (
            f"NextAttemptDelaySeconds {verdict.delays[subject.strategy]} with durable-core's "
            f"strategy, {verdict.delays[control.strategy]} with the SDK's own"
        )  # type: ignore[union-attr]
    verdict.errors = errors + ([delay_error] if delay_error else [])

    if not verdict.errors:
        verdict.verdict = PASSED
        if control_errors:
            verdict.reason = (
                "the control run (SDK strategy) failed where durable-core passed"
            )
        return verdict
    if delay_error:
        verdict.reason = "durable-core's delays differ from the SDK's own strategy"
        return verdict

    detected = _detect(runner, outcome)
    verdict.deviations = [
        {
            "key": d.key,
            "runner": d.runner,
            "summary": d.summary,
            "source": d.source,
            "findings": f,
        }
        for d, f in detected
    ]
    if not detected:
        verdict.reason = "no documented runner deviation explains the failure"
        return verdict

    counterfactual_errors = _undone(requirement, base_context, outcome, detected)
    if counterfactual_errors is None:
        verdict.counterfactual = (
            "not available: a detected deviation cannot be undone on the history alone"
        )
    elif counterfactual_errors:
        verdict.counterfactual = "fails: " + "; ".join(counterfactual_errors)
        verdict.reason = "runner deviations detected, but undoing them leaves failures"
        return verdict
    else:
        verdict.counterfactual = (
            "passes: with only the detected deviations undone the official matcher "
            "and result check accept the history"
        )

    keys = ", ".join(d.key for d, _ in detected)
    if control_errors is not None:
        assert control is not None and control.outcome is not None
        if _masked(control_errors) == _masked(errors):
            proof = "the control run with the SDK's own strategy fails with the same messages"
        elif _same_deviations_only(
            requirement, base_context, runner, control.outcome, detected
        ):
            proof = (
                "the control run with the SDK's own strategy shows the same deviations and, "
                "like this run, passes with them undone (its messages differ in detail)"
            )
        else:
            verdict.reason = (
                "runner deviations detected, but the control run with the SDK's own strategy "
                "fails differently, so durable-core's strategy changes the outcome"
            )
            return verdict
    elif counterfactual_errors == []:
        proof = "no control run for this requirement on this driver; the corrected history passes"
    else:
        verdict.reason = "runner deviations detected but not proven (no control run, no complete correction)"
        return verdict
    verdict.verdict = DEVIATION
    verdict.reason = f"{keys}; {proof}"
    return verdict


def _detect(runner: str, outcome: Outcome) -> list[tuple[known.Deviation, list[str]]]:
    found = []
    for deviation in known.for_runner(runner):
        findings = deviation.detect(outcome)
        if findings:
            found.append((deviation, findings))
    return found


def _undone(
    requirement: Requirement,
    base: PlaceholderContext,
    outcome: Outcome,
    detected: list[tuple[known.Deviation, list[str]]],
) -> list[str] | None:
    """The official judgement of the history with the detected deviations undone, or None when
    they cannot all be undone."""
    fixed, complete = known.corrected(outcome.events, outcome, [d for d, _ in detected])
    if not complete:
        return None
    return _errors(
        requirement,
        base,
        fixed,
        outcome.status,
        outcome.result,
        outcome.facts.get("logs"),
    )


def _same_deviations_only(
    requirement: Requirement,
    base: PlaceholderContext,
    runner: str,
    control: Outcome,
    detected: list[tuple[known.Deviation, list[str]]],
) -> bool:
    """The control run shows exactly the same kinds of deviation, and passes with them undone."""
    theirs = _detect(runner, control)
    if {d.key for d, _ in theirs} != {d.key for d, _ in detected}:
        return False
    return _undone(requirement, base, control, theirs) == []


_RUN_SPECIFIC = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # execution / request ids
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?"  # timestamps
)


def _masked(errors: list[str]) -> list[str]:
    """Messages with the values that differ between any two runs (ids, timestamps) masked."""
    return sorted(_RUN_SPECIFIC.sub("<run-specific>", e) for e in errors)


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
    except Exception as error:
        run.error = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=4)}"
    run.seconds = time.perf_counter() - started
    return run


CLOSING = ("Succeeded", "Failed", "TimedOut", "Stopped", "Cancelled")


def operation_count_errors(
    expected_events: list[dict[str, Any]],
    actual_events: list[dict[str, Any]],
    context: PlaceholderContext,
) -> list[str]:
    """The official matcher matches expected events by EventId and ignores every other actual
    event, so a history with one retry too many passes. This check closes that hole: for every
    operation the expected history lists (its ``Id``, resolved through the placeholders the
    matcher bound, or literal), the actual history must have exactly as many events with that Id
    as the expected history has, and as many of each EventType. ``context`` must be the one the
    matcher bound (``official.judge`` binds a copy; pass a fresh copy of the same base context and
    this function binds it by matching first)."""
    from .official import EventHistoryMatcher

    EventHistoryMatcher(context=context).match(expected_events, actual_events)
    bindings = context.bindings
    errors: list[str] = []
    wanted: dict[Any, list[str]] = {}
    for event in expected_events:
        raw = event.get("Id")
        if raw is None:
            continue
        name = (
            raw[2:-1]
            if isinstance(raw, str) and raw.startswith("${") and raw.endswith("}")
            else None
        )
        if name is not None and name not in bindings:
            continue  # unbound (the matcher reported that already)
        op = bindings[name] if name is not None else raw
        wanted.setdefault(op, []).append(str(event.get("EventType")))
    for op, types in wanted.items():
        if not any(t.endswith(CLOSING) for t in types):
            # The requirement stops before the operation ends (e.g. a one-hour wait, 2-5): what
            # comes later is not its subject.
            continue
        actual = [str(e.get("EventType")) for e in actual_events if e.get("Id") == op]
        if sorted(actual) != sorted(types):
            errors.append(
                f"operation {op}: {len(actual)} events {sorted(actual)} in the history, "
                f"the requirement lists {len(types)} {sorted(types)}"
            )
    return errors
