"""Configuration types shaped like ``aws_durable_execution_sdk_python.config``."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any, Generic, TypeVar

from .exceptions import ValidationError

T = TypeVar("T")


@dataclass(frozen=True)
class Duration:
    """A duration in whole seconds, as the SDK keeps it."""

    seconds: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.seconds, int) or isinstance(self.seconds, bool):
            raise ValidationError(f"Duration seconds must be an int, got {self.seconds!r}")
        if self.seconds < 0:
            raise ValidationError("Duration seconds must be positive")

    def to_seconds(self) -> int:
        return self.seconds

    @classmethod
    def from_seconds(cls, value: float) -> Duration:
        return cls(seconds=int(value))

    @classmethod
    def from_minutes(cls, value: float) -> Duration:
        return cls(seconds=int(value * 60))

    @classmethod
    def from_hours(cls, value: float) -> Duration:
        return cls(seconds=int(value * 3600))

    @classmethod
    def from_days(cls, value: float) -> Duration:
        return cls(seconds=int(value * 86400))


class StepSemantics(Enum):
    AT_MOST_ONCE_PER_RETRY = "AT_MOST_ONCE_PER_RETRY"
    AT_LEAST_ONCE_PER_RETRY = "AT_LEAST_ONCE_PER_RETRY"


class JitterStrategy(StrEnum):
    """NONE: the computed delay; FULL: random in [0, delay); HALF: random in [delay/2, delay)."""

    NONE = "NONE"
    FULL = "FULL"
    HALF = "HALF"


@dataclass(frozen=True)
class StepConfig:
    """``retry_strategy``: from ``create_retry_strategy``/``RetryPresets`` (the core decides);
    ``serdes``: a ``SerDes`` for the step's result."""

    retry_strategy: Any = None
    step_semantics: StepSemantics = StepSemantics.AT_LEAST_ONCE_PER_RETRY
    serdes: Any = None
    sub_type: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if self.sub_type:
            raise ValidationError(
                "sub_type is not supported by durable_core.sdk yet (the core writes SubType Step)"
            )


@dataclass(frozen=True)
class ChildConfig(Generic[T]):
    """``serdes``: a ``SerDes`` for the child's result."""

    serdes: Any = None
    sub_type: str | None = None
    summary_generator: Any = None
