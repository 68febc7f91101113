"""The driver contract and driver discovery.

A driver runs one requirement's handler somewhere and reports what happened. It is one module in
this package that defines ``DRIVER = Driver(...)``; ``discover()`` finds it, nothing else needs to
change. Its ``run`` takes a ``Case`` (the requirement, with its ``Input`` already resolved against
the requirement's ``Variables``) and returns an ``Outcome``: the execution history in the
service's JSON shape (``GetDurableExecutionHistory`` ``Events``), the execution status and the raw
result string (``GetDurableExecution`` ``Status`` and ``Result``). A requirement a driver cannot run
raises ``NotImplementedCase(reason)``.

``Case.strategy`` says whose retry strategy the handler must configure:
``"durable-core"`` (the subject) or ``"sdk"`` (the SDK's own strategy with the same configuration,
used as the control run that separates runner deviations from durable-core defects and to compare
retry delays). A driver lists the strategies it supports in ``Driver.strategies``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

STRATEGIES = ("durable-core", "sdk")


@dataclass(frozen=True)
class Case:
    id: str
    """The requirement id (file stem), e.g. ``1-13``."""
    suite: str
    spec: dict[str, Any]
    """The requirement as read from its YAML file (not modified)."""
    input: Any
    """``Input`` with the requirement's ``Variables`` substituted: the execution's input event."""
    strategy: str = "durable-core"
    seed: int = 0
    """Seed for every random draw the handler's retry strategy makes (jitter), identical for the
    durable-core run and its SDK control run so their delays are comparable."""
    attempt: int = 0
    """0 for the run; 1 for the one rerun of a cell whose history showed a documented runner race
    and still FAILED (``Driver.rerun_races``): a fresh execution, same input and seed."""


@dataclass
class Outcome:
    events: list[dict[str, Any]]
    """History events, service JSON shape, EventId order."""
    status: str | None
    """``SUCCEEDED``, ``FAILED``, ``TIMED_OUT``, ``STOPPED`` or ``RUNNING``."""
    result: str | None
    """The execution's ``Result`` string (JSON text) when it succeeded, else ``None``."""
    facts: dict[str, Any] = field(default_factory=dict)
    """Optional observations of the driver itself (for example how many invocations it ran or
    crashed), used only to explain runner deviations."""
    normalisations: list[str] = field(default_factory=list)
    """Each shape conversion applied to the runner's history, named (see the README)."""


class NotImplementedCase(Exception):
    """The driver cannot run this requirement; the message is the reason."""


@dataclass(frozen=True)
class Driver:
    name: str
    description: str
    run: Callable[[Case], Outcome]
    runner: str
    """The local runner that produced the histories, as named in ``deviations.RUNNERS``; its
    documented deviations are the ones a failure may be attributed to."""
    strategies: Sequence[str] = STRATEGIES
    prepare: Callable[[Sequence[Case]], None] | None = None
    """Optional: called once with every case before any ``run`` (a driver that runs a whole batch
    in one process does its work here and answers ``run`` from the batch)."""
    close: Callable[[], None] | None = None
    rank: int = 100
    """Column order in reports (lower first)."""
    rerun_races: bool = False
    """Rerun once (a fresh execution) a cell that FAILED although a documented deviation of its
    runner was detected in its history: the runner's races (a timer fired early under
    --skip-time, a re-invoke it then loses) are load-dependent. Both runs are reported."""
    delay_reference: str | None = None
    """For a driver with no SDK strategy of its own: the SDK driver of the same language whose
    control run's retry delays this driver's must equal (``judging.cross_check_delays``)."""


def discover() -> dict[str, Driver]:
    """Every ``DRIVER`` defined by a module of this package, by name."""
    drivers: dict[str, Driver] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        driver = getattr(
            importlib.import_module(f"{__name__}.{module.name}"), "DRIVER", None
        )
        if isinstance(driver, Driver):
            if driver.name in drivers:
                raise RuntimeError(f"two drivers are named {driver.name!r}")
            drivers[driver.name] = driver
    return dict(sorted(drivers.items(), key=lambda item: (item[1].rank, item[0])))
