"""The python profile of the `invocation` vectors, re-checked against the real SDK.

Every `python`-profile case of suite `invocation` is run through aws-durable-execution-sdk-python
3.0.0 by tests/evidence/invocation_capture.py: the SDK's own `durable_execution` handler over a
real botocore `lambda` client whose HTTP layer answers from the case's `service` list. Every
service call the SDK makes (checkpoint token and each update as compact, ASCII-escaped
`json.dumps`; get-state token and marker) must be the vector's `calls`, in order, and the
invocation's output (or its failure, or a recorded timeout) must be the vector's. Nothing from
durable-core is imported: if a vector disagrees with the SDK, the vector is wrong.

Concurrent branches run in an interleaving the capture fixes (see `_run_concurrent`), so every
case is deterministic and gets one attempt. The last test fails if fewer than the stated minimum
of cases reached the SDK.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "evidence"))

import invocation_capture  # noqa: E402  (tests/evidence/invocation_capture.py)

# Below this the evidence checked too little to mean anything.
MIN_CASES_CHECKED = 80


def _vector_files() -> list[Path]:
    extra = [Path(d) for d in os.environ.get("DURABLE_CORE_VECTORS", "").split(":") if d]
    files = []
    for directory in [REPO / "tests" / "vectors", *extra]:
        for path in sorted(directory.glob("*.json")):
            if json.loads(path.read_text(encoding="utf-8")).get("suite") == "invocation":
                files.append(path)
    return files


def _cases() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in _vector_files():
        doc = json.loads(path.read_text(encoding="utf-8"))
        for case in invocation_capture.python_cases(doc):
            found.append((f"{path.name}::{case['name']}", case))
    return found


CASES = _cases()
CHECKED: set[str] = set()


@pytest.mark.parametrize(("case_id", "case"), CASES, ids=[c[0] for c in CASES])
def test_invocation_case_matches_the_sdk(case_id: str, case: dict[str, Any]) -> None:
    assert "expected" in case, f"{case_id}: no expectation"
    assert "captured from aws-durable-execution-sdk-python 3.0.0" in case["source"], case_id
    problem = invocation_capture.compare(case)
    CHECKED.add(case_id)
    assert problem is None, f"{case_id}: {problem}"


def test_enough_invocation_cases_reached_the_sdk() -> None:
    assert len(CHECKED) >= MIN_CASES_CHECKED, (
        f"only {len(CHECKED)} python invocation cases were checked against the SDK "
        f"(minimum {MIN_CASES_CHECKED})"
    )
