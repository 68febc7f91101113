"""Known deviations of the local runners from the service, as detectors and corrections.

A deviation is a documented way a local runner's history differs from what the Lambda service
records for the same checkpoints. Each one has

- ``detect(outcome) -> findings``: the facts in this run that show the deviation happened (empty
  when it did not happen), each naming the event it concerns;
- optionally ``correct(events, outcome) -> (events, complete)``: the history as the service
  would have recorded it, with only this deviation undone. It is used solely as evidence ("with
  only this deviation undone, the official matcher passes"); a verdict is never computed from a
  corrected history.

The verdict rules that use them live in ``judging.py``. Sources are cited by file and symbol of
the installed runner packages so the evidence can be checked.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .drivers import Outcome

Events = list[dict[str, Any]]


@dataclass(frozen=True)
class Deviation:
    key: str
    runner: str
    """The runner's id (``PY_RUNNER`` or ``JS_RUNNER``); a driver names its runner in
    ``Driver.runner``, so a new driver on the same runner inherits these detectors."""
    summary: str
    source: str
    detect: Callable[[Outcome], list[str]]
    correct: Callable[[Events, Outcome], tuple[Events, bool]] | None = None


# --- helpers -------------------------------------------------------------------------------------


def _details(event: dict[str, Any]) -> dict[str, Any]:
    value = event.get(f"{event.get('EventType')}Details")
    return value if isinstance(value, dict) else {}


def _time(value: Any) -> datetime | None:
    """An event timestamp: ISO 8601 text (the in-process runners' ``to_dict``) or epoch seconds
    (the service's JSON, as dex-local-runner serves it over HTTP)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _renumber(events: Events) -> Events:
    for number, event in enumerate(events, 1):
        event["EventId"] = number
    return events


def _service_attempts(events: Events) -> dict[int, int]:
    """EventId -> the attempt that just ended, by the service rule (conformance-notes §2.3): the
    number of StepStarted events recorded for that step so far. Only step closes after at least
    one StepStarted are listed."""
    started: dict[str, int] = {}
    out: dict[int, int] = {}
    for event in sorted(events, key=lambda e: e.get("EventId", 0)):
        kind, op = event.get("EventType"), event.get("Id")
        if kind == "StepStarted":
            started[op] = started.get(op, 0) + 1
        elif kind in ("StepFailed", "StepSucceeded") and started.get(op):
            out[event["EventId"]] = started[op]
    return out


def _retried_step_ids(events: Events, before: int) -> set[str]:
    return {
        e.get("Id")
        for e in events
        if e.get("EventType") in ("StepFailed", "StepSucceeded")
        and e.get("EventId", 0) < before
        and "NextAttemptDelaySeconds" in _details(e).get("RetryDetails", {})
    }


# --- python-sdk: aws-durable-execution-sdk-python-testing 1.4.0 ----------------------------------

PY_RUNNER = "aws-durable-execution-sdk-python-testing 1.4.0"


def _py_missing_invocation_details(outcome: Outcome) -> list[str]:
    return [
        f"EventId {e['EventId']}: InvocationCompleted has no InvocationCompletedDetails"
        for e in outcome.events
        if e.get("EventType") == "InvocationCompleted"
        and "InvocationCompletedDetails" not in e
    ]


def _py_add_invocation_details(
    events: Events, _outcome: Outcome
) -> tuple[Events, bool]:
    for event in events:
        if event.get("EventType") == "InvocationCompleted":
            event.setdefault("InvocationCompletedDetails", {})
    return events, True


def _py_missing_retry_details(outcome: Outcome) -> list[str]:
    attempts = _service_attempts(outcome.events)
    findings = []
    for e in outcome.events:
        if (
            e.get("EventType") == "StepSucceeded"
            and "RetryDetails" not in _details(e)
            and e.get("Id") in _retried_step_ids(outcome.events, e["EventId"])
        ):
            findings.append(
                f"EventId {e['EventId']}: StepSucceeded after a retry has no RetryDetails "
                f"(service rule: CurrentAttempt {attempts.get(e['EventId'])})"
            )
    return findings


def _py_add_retry_details(events: Events, _outcome: Outcome) -> tuple[Events, bool]:
    attempts = _service_attempts(events)
    for e in events:
        if (
            e.get("EventType") == "StepSucceeded"
            and "RetryDetails" not in _details(e)
            and e.get("Id") in _retried_step_ids(events, e["EventId"])
            and e["EventId"] in attempts
        ):
            e.setdefault("StepSucceededDetails", {})["RetryDetails"] = {
                "CurrentAttempt": attempts[e["EventId"]]
            }
    return events, True


def _py_crash_unrecorded(outcome: Outcome) -> list[str]:
    crashed = outcome.facts.get("crashed_invocations", 0)
    recorded = sum(
        1 for e in outcome.events if e.get("EventType") == "InvocationCompleted"
    )
    invocations = outcome.facts.get("invocations", 0)
    if crashed and recorded < invocations:
        return [
            (
                f"{invocations} invocations ran, {crashed} of them crashed (Runtime.ExitError), "
                f"but the history has {recorded} InvocationCompleted events: the crashed "
                "invocation has none, so every later EventId is one lower than the service's"
            )
        ]
    return []


def _py_insert_crash_records(events: Events, outcome: Outcome) -> tuple[Events, bool]:
    """Insert an InvocationCompleted with a Runtime.ExitError for each crashed invocation, placed
    after that invocation's last event: the events recorded before the next recorded invocation
    started."""
    crashed_at = sorted(outcome.facts.get("crashed_at", []))
    recorded = [e for e in events if e.get("EventType") == "InvocationCompleted"]
    starts = [
        _time(e.get("InvocationCompletedDetails", {}).get("StartTimestamp"))
        for e in recorded
    ]
    if None in starts and "recorded_invocation_starts" in outcome.facts:
        # The history lacks the details (py-invocation-details-dropped, not restored): the start
        # times the runner recorded for the same invocations, read by the driver from its store.
        starts = [_time(t) for t in outcome.facts["recorded_invocation_starts"]]
        if len(starts) != len(recorded):
            return events, False
    if not crashed_at or None in starts:
        return events, False
    ordinals = [
        n
        for n in range(1, outcome.facts.get("invocations", 0) + 1)
        if n not in crashed_at
    ]
    if len(ordinals) != len(recorded):
        return events, False
    for crash in reversed(crashed_at):
        later = [starts[i] for i, n in enumerate(ordinals) if n > crash]
        if not later:
            return events, False
        boundary = later[0]
        index = next(
            (
                i
                for i, e in enumerate(events)
                if i > 0 and (_time(e.get("EventTimestamp")) or boundary) >= boundary
            ),
            len(events),
        )
        events.insert(
            index,
            {
                "EventType": "InvocationCompleted",
                "EventTimestamp": "(inserted)",
                "InvocationCompletedDetails": {
                    "Error": {
                        "Payload": {
                            "ErrorType": "Runtime.ExitError",
                            "ErrorMessage": "simulated crash",
                        }
                    }
                },
            },
        )
    return _renumber(events), True


# --- node-sdk: @aws/durable-execution-sdk-js-testing 1.1.4 ---------------------------------------

JS_RUNNER = "@aws/durable-execution-sdk-js-testing 1.1.4"


def _js_attempt_findings(events: Events) -> list[tuple[int, int, int]]:
    attempts = _service_attempts(events)
    out = []
    for e in events:
        reported = _details(e).get("RetryDetails", {}).get("CurrentAttempt")
        expected = attempts.get(e.get("EventId"))
        if reported is not None and expected is not None and reported != expected:
            out.append((e["EventId"], reported, expected))
    return out


def _js_attempt_off(outcome: Outcome) -> list[str]:
    return [
        f"EventId {eid}: RetryDetails.CurrentAttempt {got}, service rule {want} "
        f"({want} StepStarted events recorded for the step so far)"
        for eid, got, want in _js_attempt_findings(outcome.events)
    ]


def _js_fix_attempts(events: Events, _outcome: Outcome) -> tuple[Events, bool]:
    fixes = {eid: want for eid, _got, want in _js_attempt_findings(events)}
    for e in events:
        if e.get("EventId") in fixes:
            _details(e)["RetryDetails"]["CurrentAttempt"] = fixes[e["EventId"]]
    return events, True


EARLY_TOLERANCE = timedelta(milliseconds=100)


def _js_early_timers(outcome: Outcome) -> list[str]:
    """Timers the runner completed before they were due: a WaitSucceeded earlier than its
    WaitStarted's ScheduledEndTimestamp, or a retried step's StepStarted earlier than the previous
    close plus its NextAttemptDelaySeconds."""
    findings = []
    due: dict[str, datetime] = {}
    for e in sorted(outcome.events, key=lambda e: e.get("EventId", 0)):
        kind, op, at = e.get("EventType"), e.get("Id"), _time(e.get("EventTimestamp"))
        details = _details(e)
        if kind == "WaitStarted" and _time(details.get("ScheduledEndTimestamp")):
            due[op] = _time(details["ScheduledEndTimestamp"])
        elif (
            kind in ("StepFailed", "StepSucceeded")
            and at
            and "NextAttemptDelaySeconds" in details.get("RetryDetails", {})
        ):
            due[op] = at + timedelta(
                seconds=details["RetryDetails"]["NextAttemptDelaySeconds"]
            )
        elif kind in ("WaitSucceeded", "StepStarted") and op in due and at:
            if at + EARLY_TOLERANCE < due[op]:
                early = (due[op] - at).total_seconds()
                findings.append(
                    f"EventId {e['EventId']}: {kind} at {e['EventTimestamp']}, "
                    f"{early:.3f} s before the timer was due"
                )
            del due[op]
    return findings


def _js_end_invocations_before_early_timers(
    events: Events, outcome: Outcome
) -> tuple[Events, bool]:
    """The service would have ended the arming invocation before the timer fired: put an
    InvocationCompleted right before each early timer event (the WaitSucceeded, or the retried
    step's StepStarted) unless one is already there, and renumber."""
    early_ids = {int(f.split(":")[0].split()[1]) for f in _js_early_timers(outcome)}
    ordered = sorted(events, key=lambda e: e.get("EventId", 0))
    fixed: Events = []
    for event in ordered:
        if event.get("EventId") in early_ids and (
            not fixed or fixed[-1].get("EventType") != "InvocationCompleted"
        ):
            fixed.append(
                {
                    "EventType": "InvocationCompleted",
                    "EventTimestamp": "(inserted)",
                    "InvocationCompletedDetails": {},
                }
            )
        fixed.append(event)
    return _renumber(fixed), True


def _py_timers_inside_arming_invocation(outcome: Outcome) -> list[tuple[int, int]]:
    """(timer event id, InvocationCompleted id) pairs where a timer fired while the invocation
    that armed it was still running: a WaitSucceeded (or a retried step's StepStarted) with no
    InvocationCompleted between it and the event that armed the timer, followed by the
    InvocationCompleted of an invocation that started before the timer was armed."""
    ordered = sorted(outcome.events, key=lambda e: e.get("EventId", 0))
    pairs = []
    armed: dict[str, tuple[int, datetime | None]] = {}  # op -> (index armed, when)
    for i, e in enumerate(ordered):
        kind, op = e.get("EventType"), e.get("Id")
        details = _details(e)
        if kind == "InvocationCompleted":
            armed.clear()
            continue
        retry = details.get("RetryDetails", {})
        if kind == "WaitStarted" or (
            kind == "StepFailed"
            and isinstance(retry, dict)
            and "NextAttemptDelaySeconds" in retry
        ):
            armed[op] = (i, _time(e.get("EventTimestamp")))
        elif kind in ("WaitSucceeded", "StepStarted") and op in armed:
            _, when = armed.pop(op)
            for later in ordered[i + 1 :]:
                if later.get("EventType") != "InvocationCompleted":
                    continue
                started = _time(_details(later).get("StartTimestamp"))
                if started is not None and when is not None and started <= when:
                    pairs.append((e["EventId"], later["EventId"]))
                break
    return pairs


def _py_early_timers(outcome: Outcome) -> list[str]:
    return [
        f"EventId {timer}: the timer fired while the invocation that armed it was still running "
        f"(its InvocationCompleted is EventId {end})"
        for timer, end in _py_timers_inside_arming_invocation(outcome)
    ]


def _py_end_invocations_before_early_timers(
    events: Events, outcome: Outcome
) -> tuple[Events, bool]:
    """The service ends the arming invocation before the timer fires: move that invocation's
    InvocationCompleted to just before the timer event, and renumber."""
    moves = dict(_py_timers_inside_arming_invocation(outcome))
    ordered = sorted(events, key=lambda e: e.get("EventId", 0))
    by_id = {e.get("EventId"): e for e in ordered}
    moved = {end for end in moves.values()}
    fixed: Events = []
    for event in ordered:
        if event.get("EventId") in moved:
            continue
        end = moves.get(event.get("EventId"))
        if end is not None and end in by_id:
            fixed.append(by_id[end])
        fixed.append(event)
    return _renumber(fixed), True


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        key="py-invocation-details-dropped",
        runner=PY_RUNNER,
        summary="InvocationCompleted events carry no InvocationCompletedDetails: the runner "
        "records "
        "them (Execution.invocation_completions) but drops the field when it renumbers the "
        "events. The driver restores the recorded details by default (normalisation "
        "python-invocation-details-restored); --raw-python-history turns that off.",
        source="aws_durable_execution_sdk_python_testing/model.py HistoryEvent.from_event_with_id "
        "(copies every *_details field except invocation_completed_details); "
        "executor.py Executor.get_execution_history",
        detect=_py_missing_invocation_details,
        correct=_py_add_invocation_details,
    ),
    Deviation(
        key="py-no-retrydetails-after-retry",
        runner=PY_RUNNER,
        summary="A StepSucceeded that follows a retry has no RetryDetails: the runner passes the "
        "checkpoint update to the event (and so RetryDetails) only for RETRY and FAIL.",
        source="aws_durable_execution_sdk_python_testing/executor.py "
        "Executor.get_execution_history (op_update_ref only for RETRY/FAIL); model.py "
        "EventCreationContext.get_retry_details (None without an update)",
        detect=_py_missing_retry_details,
        correct=_py_add_retry_details,
    ),
    Deviation(
        key="py-crashed-invocation-unrecorded",
        runner=PY_RUNNER,
        summary="A crashed invocation (the handler raised out of the Lambda entry point) gets no "
        "InvocationCompleted event, and InvocationCompletedDetails has no Error field at "
        "all, so the service's Runtime.ExitError record cannot appear; the runner re-invokes "
        "after a real-time 5 s back-off.",
        source="aws_durable_execution_sdk_python_testing/executor.py Executor._invoke_handler "
        "(except Exception -> _retry_after_error, which records no completion); model.py "
        "InvocationCompletedDetails (StartTimestamp, EndTimestamp, RequestId only)",
        detect=_py_crash_unrecorded,
        correct=_py_insert_crash_records,
    ),
    Deviation(
        key="js-current-attempt-off-by-one",
        runner=JS_RUNNER,
        summary="RetryDetails.CurrentAttempt is read from the operation before the update without "
        "the +1 for later attempts, so the k-th close reports max(1, k-1) instead of k "
        "(1, 1, 2, 3 for four attempts; the service and the requirements say 1, 2, 3, 4).",
        source="@aws/durable-execution-sdk-js-testing/dist/checkpoint-server/index.mjs "
        "(history details: CurrentAttempt: operation.StepDetails?.Attempt ?? 1)",
        detect=_js_attempt_off,
        correct=_js_fix_attempts,
    ),
    Deviation(
        key="js-skiptime-early-timer",
        runner=JS_RUNNER,
        summary="With skipTime the runner's QueueScheduler ignores the timer's due time and "
        "applies the timer's checkpoint change (wait SUCCEEDED, retry READY) as soon as the next "
        "invocation is scheduled, while the invocation that armed it is still running: "
        "WaitSucceeded lands before that invocation's InvocationCompleted, or the still-running "
        "invocation sees the timer done and carries on instead of suspending. The service "
        "completes a timer only when it is due. The harness therefore runs requirements with "
        "short timers on the runner's real timers (--node-clock auto).",
        source="@aws/durable-execution-sdk-js-testing/dist/history-event-types.mjs "
        "QueueScheduler.scheduleFunction (timestamp ignored; updateCheckpoint run immediately "
        "upon scheduling)",
        detect=_js_early_timers,
        correct=_js_end_invocations_before_early_timers,
    ),
    Deviation(
        key="py-skiptime-early-timer",
        runner=PY_RUNNER,
        summary="dex-local-runner start-server --skip-time fires a timer (a wait, a retry delay) "
        "as soon as the checkpoint that arms it is applied, while the invocation that armed it is "
        "still running: the WaitSucceeded (or the retried StepStarted) lands before that "
        "invocation's InvocationCompleted, which started before the timer was armed. The service "
        "fires a timer only when it is due, after the arming invocation suspended. The core "
        "drivers run on --skip-time by default (--core-clock real runs them on real timers).",
        source="aws_durable_execution_sdk_python_testing executor.py (skip_time: the wait's "
        "timer is scheduled with no delay when its START is checkpointed)",
        detect=_py_early_timers,
        correct=_py_end_invocations_before_early_timers,
    ),
)


def for_runner(runner: str) -> list[Deviation]:
    return [d for d in DEVIATIONS if d.runner == runner]


def corrected(
    events: Events, outcome: Outcome, deviations: list[Deviation]
) -> tuple[Events, bool]:
    """The history with every given deviation undone (a deep copy); ``complete`` is False when
    some deviation has no correction or could not be fully undone."""
    fixed = copy.deepcopy(sorted(events, key=lambda e: e.get("EventId", 0)))
    complete = True
    for deviation in deviations:
        if deviation.correct is None:
            complete = False
            continue
        fixed, done = deviation.correct(fixed, outcome)
        complete = complete and done
    return fixed, complete
