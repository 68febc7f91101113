"""The official requirements and the official matcher, read from the installed PyPI package.

aws-durable-execution-conformance-tests 1.0.0 (Apache-2.0) declares Python >= 3.14 for its
AWS runner; the harness uses only its data (``test_requirements/<suite>/*.yaml``) and its two
pure modules ``history`` (``EventHistoryMatcher``) and ``variables`` (``PlaceholderContext``),
which run on 3.11. The package's top-level ``__init__`` is empty, so importing the submodules
pulls in nothing else; the version is checked so an upgrade is a conscious change.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Only the two pure submodules; never the package's runner (app, validate, clients, ...).
try:
    from aws_durable_execution_conformance_tests import cloudwatch, history, variables
except ImportError:  # reported with the version check below
    cloudwatch = history = variables = None  # type: ignore[assignment]

PACKAGE = "aws_durable_execution_conformance_tests"
DISTRIBUTION = "aws-durable-execution-conformance-tests"
PINNED_VERSION = "1.0.0"


class MissingPackage(RuntimeError):
    pass


def _check_installed() -> Path:
    try:
        version = importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise MissingPackage(
            f"{DISTRIBUTION} is not installed in this Python; run scripts/setup"
        ) from None
    if version != PINNED_VERSION:
        raise MissingPackage(
            f"{DISTRIBUTION} {version} is installed, the harness pins {PINNED_VERSION}"
        )
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations or history is None:
        raise MissingPackage(f"{PACKAGE} (history, variables) is not importable")
    return Path(next(iter(spec.submodule_search_locations)))


PACKAGE_DIR = _check_installed()
REQUIREMENTS_DIR = PACKAGE_DIR / "test_requirements"
EventHistoryMatcher = history.EventHistoryMatcher
PlaceholderContext = variables.PlaceholderContext


@dataclass(frozen=True)
class Requirement:
    id: str
    suite: str
    path: Path
    spec: dict[str, Any]

    @property
    def description(self) -> str:
        return str(self.spec.get("description", "")).strip()

    @property
    def optional(self) -> bool:
        return bool(self.spec.get("optional", False))


def _id_key(stem: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", stem))


def suites() -> list[str]:
    return sorted(p.name for p in REQUIREMENTS_DIR.iterdir() if p.is_dir())


def load_suite(suite: str) -> list[Requirement]:
    folder = REQUIREMENTS_DIR / suite
    if not folder.is_dir():
        raise ValueError(
            f"no suite {suite!r} in {REQUIREMENTS_DIR} (have: {', '.join(suites())})"
        )
    out = []
    for path in sorted(folder.glob("*.yaml"), key=lambda p: _id_key(p.stem)):
        with path.open(encoding="utf-8") as f:
            spec = yaml.safe_load(f)
        out.append(Requirement(path.stem, suite, path, spec))
    return out


def resolve(requirement: Requirement) -> tuple[PlaceholderContext, Any]:
    """Bind the requirement's ``Variables`` and substitute them into ``Input``, as the official
    runner does before invoking; the same context is later used by the matcher and the result
    check, so generated values (``${GEN_STR:8}``) are checked against what the handler received."""
    context = PlaceholderContext()
    context.resolve_variables(requirement.spec.get("Variables"))
    return context, context.substitute(requirement.spec.get("Input"))


def judge(
    requirement: Requirement,
    context: PlaceholderContext,
    events: list[dict[str, Any]],
    status: str | None,
    result: str | None,
) -> list[str]:
    """Every reason the outcome does not meet the requirement (empty = met).

    The history is matched by the official ``EventHistoryMatcher``. ``ExpectedResult`` is checked
    as the official runner checks it against ``GetDurableExecution``: the status must equal; when
    the actual status is SUCCEEDED and ``Result`` is a key, the actual result string is
    JSON-decoded once (kept raw if it is not JSON, ``None`` if absent) and compared with ``==`` to
    the expected value after placeholder substitution. Unlike the official runner, which stops at
    the first failing stage, both stages are always reported. ``ExpectedLogs``: ``judge_logs``.
    """
    errors: list[str] = []
    expected_events = requirement.spec.get("ExpectedExecutionHistory")
    if not expected_events:
        errors.append("No ExpectedExecutionHistory found in description file")
    else:
        match = EventHistoryMatcher(context=context).match(expected_events, events)
        errors.extend(match.errors)

    expected_result = requirement.spec.get("ExpectedResult")
    if expected_result:
        expected_status = expected_result.get("ExecutionStatus")
        if expected_status and status != expected_status:
            errors.append(
                f"Expected ExecutionStatus={expected_status!r}, got {status!r}"
            )
        elif status == "SUCCEEDED" and "Result" in expected_result:
            actual: Any = None
            if result is not None:
                try:
                    actual = json.loads(result)
                except (ValueError, TypeError):
                    actual = result
            expected = context.substitute(expected_result.get("Result"))
            if actual != expected:
                errors.append(f"Expected Result={expected!r}, got {actual!r}")
    return errors


def judge_logs(
    requirement: Requirement, context: PlaceholderContext, logs: list[dict[str, Any]]
) -> list[str]:
    """Every reason the captured logs do not meet ``ExpectedLogs`` (empty = met), by the official
    ``CloudWatchLogValidator``: ``logs`` are log events (``message``, ``timestamp``) as a driver
    captured them from the context loggers, in place of CloudWatch's."""
    expected = requirement.spec.get("ExpectedLogs")
    if not expected:
        return []
    result = cloudwatch.CloudWatchLogValidator().validate(
        expected, logs, context=context
    )
    return [f"logs: {e}" for e in result.errors]


def license_files() -> list[Path]:
    return [PACKAGE_DIR / "LICENSE", PACKAGE_DIR / "NOTICE"]
