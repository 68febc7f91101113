"""Serialization hooks shaped like ``aws_durable_execution_sdk_python.serdes``."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..invocation import SerDes as EngineSerDes

T = TypeVar("T")


@dataclass(frozen=True)
class SerDesContext:
    operation_id: str = ""
    durable_execution_arn: str = ""


class SerDes(ABC, Generic[T]):
    @abstractmethod
    def serialize(self, value: T, serdes_context: SerDesContext) -> str: ...

    @abstractmethod
    def deserialize(self, data: str, serdes_context: SerDesContext) -> T: ...


class JsonSerDes(SerDes[Any]):
    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        return json.dumps(value)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        return json.loads(data)


def engine_serdes(serdes: SerDes[Any] | None, arn: str) -> EngineSerDes:
    """The user's SerDes as the engine's (serialize, deserialize) pair; None: JSON."""
    if serdes is None:
        return EngineSerDes(json.dumps, json.loads)
    if not isinstance(serdes, SerDes):
        raise TypeError(
            f"serdes: expected a durable_core.sdk.serdes.SerDes, got {type(serdes).__name__}"
        )
    context = SerDesContext(durable_execution_arn=arn)
    return EngineSerDes(
        lambda value: serdes.serialize(value, context),
        lambda data: serdes.deserialize(data, context),
    )
