"""The python profile of the `step` and `operation-id` vectors, re-checked against the real SDK.

Every `python`-profile case of suite `step` is run through aws-durable-execution-sdk-python 3.0.0
by tests/evidence/step_capture.py (a real `durable_execution` handler calling `context.step`,
with an in-memory stand-in for the boto3 `lambda` client): the OperationUpdate dicts the SDK
checkpoints must be the vector's updates byte for byte (compact `json.dumps`, ASCII-escaped; the
only normalisation is the clock the SDK reads, which is pinned to the request's `now_ms`), and
what the step did (ran attempt N with or without START / returned / raised / suspended until T /
failed the execution) must be the vector's action. Nothing from durable-core is imported: if a
vector disagrees with the SDK, the vector is wrong.

Cases an SDK invocation cannot express (bad input the SDK never receives) are skipped with a
counted reason, and their vector source must say they are not drivable. The last tests fail if
fewer than the stated minimum of cases reached the SDK.

Operation ids: every python `operation-id` case is checked against the SDK's own
`OperationIdNamespace`, and those at positions of a real nested handler also against the Ids
(and ParentIds) that handler checkpoints.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "evidence"))

import step_capture  # noqa: E402  (tests/evidence/step_capture.py)

# Minimums: below these the evidence checked too little to mean anything.
MIN_STEP_CASES_CHECKED = 70
MIN_ID_CASES_CHECKED = 12
MIN_ID_CASES_OBSERVED = 9


def _vector_files(suite: str) -> list[Path]:
    extra = [Path(d) for d in os.environ.get("DURABLE_CORE_VECTORS", "").split(":") if d]
    files = []
    for directory in [REPO / "tests" / "vectors", *extra]:
        for path in sorted(directory.glob("*.json")):
            if json.loads(path.read_text(encoding="utf-8")).get("suite") == suite:
                files.append(path)
    return files


def _cases(suite: str, is_python) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in _vector_files(suite):
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            if is_python(case):
                found.append((f"{path.name}::{case['name']}", case))
    return found


def _python_step(case: dict) -> bool:
    request = case["input"].get("request")
    if isinstance(request, dict):
        return request.get("profile") == "python"
    return case["name"].startswith("python:")


STEP_CASES = _cases("step", _python_step)
ID_CASES = _cases("operation-id", lambda c: c["input"].get("profile") in ("python", "python@3.0.0"))
CHECKED: dict[str, set[str]] = {"step": set(), "id": set(), "id-observed": set()}
SKIPPED: Counter[str] = Counter()


@pytest.mark.parametrize(("case_id", "case"), STEP_CASES, ids=[c[0] for c in STEP_CASES])
def test_step_case_matches_the_sdk(case_id: str, case: dict[str, Any]) -> None:
    if "error" in case["expected"]:
        assert "not drivable" in case["source"].lower(), (
            f"{case_id}: a skipped case must say why in its source"
        )
        SKIPPED["bad input: the SDK never receives or validates this request"] += 1
        pytest.skip("bad input: the SDK never receives or validates this request")
    try:
        problem = step_capture.compare(case)
    except step_capture.NotDrivable as why:
        assert "not drivable" in case["source"].lower(), (
            f"{case_id}: not drivable ({why}) but its source does not say so"
        )
        SKIPPED[str(why)] += 1
        pytest.skip(str(why))
    assert problem is None, f"{case_id}: {problem}"
    CHECKED["step"].add(case_id)


_NESTED: dict | None = None


def _nested() -> dict:
    global _NESTED
    if _NESTED is None:
        _NESTED = step_capture.observed_nested_ids()
    return _NESTED


@pytest.mark.parametrize(("case_id", "case"), ID_CASES, ids=[c[0] for c in ID_CASES])
def test_operation_id_matches_the_sdk(case_id: str, case: dict[str, Any]) -> None:
    inp, expected = case["input"], case["expected"]
    if "error" in expected:
        assert "not drivable" in case["source"].lower()
        SKIPPED["operation-id bad input: the SDK has no such position"] += 1
        pytest.skip("the SDK has no such position")
    parent, counter = inp["parent"], inp["counter"]
    assert expected == step_capture.python_operation_id(parent, counter), case_id
    CHECKED["id"].add(case_id)
    observed = _nested().get((parent, counter))
    if observed is not None:
        op_id, parent_id = observed
        assert expected["id"] == op_id and parent_id == parent, (
            f"{case_id}: the SDK sent {observed}"
        )
        CHECKED["id-observed"].add(case_id)


def test_zz_enough_cases_reached_the_sdk() -> None:
    """Runs last (pytest keeps file order). Evidence that checked too little must fail."""
    print(
        f"step: {len(CHECKED['step'])} python cases checked against the SDK; "
        f"operation-id: {len(CHECKED['id'])} checked with OperationIdNamespace, "
        f"{len(CHECKED['id-observed'])} also observed in a nested handler; skipped: {dict(SKIPPED)}"
    )
    assert len(CHECKED["step"]) >= MIN_STEP_CASES_CHECKED, (len(CHECKED["step"]), dict(SKIPPED))
    assert len(CHECKED["id"]) >= MIN_ID_CASES_CHECKED
    assert len(CHECKED["id-observed"]) >= MIN_ID_CASES_OBSERVED
