"""A handler written for aws-durable-execution-sdk-python runs on durable-core with only the
package name in its imports changed (``aws_durable_execution_sdk_python`` ->
``durable_core.sdk``): the same names, in modules of the same names. Covered: steps, waits and
child contexts; see the README for what is not yet."""

from .config import ChildConfig, Duration, JitterStrategy, StepConfig, StepSemantics
from .context import DurableContext, StepContext, durable_step, durable_with_child_context
from .exceptions import (
    ChildContextError,
    DurableOperationError,
    ExecutionError,
    StepError,
    ValidationError,
)
from .execution import durable_execution
from .retries import (
    LinearRetryStrategyConfig,
    RetryDecision,
    RetryPresets,
    RetryStrategyConfig,
    create_linear_retry_strategy,
    create_retry_strategy,
)
from .serdes import SerDes, SerDesContext

__all__ = [
    "ChildConfig",
    "ChildContextError",
    "DurableContext",
    "DurableOperationError",
    "Duration",
    "ExecutionError",
    "JitterStrategy",
    "LinearRetryStrategyConfig",
    "RetryDecision",
    "RetryPresets",
    "RetryStrategyConfig",
    "SerDes",
    "SerDesContext",
    "StepConfig",
    "StepContext",
    "StepError",
    "StepSemantics",
    "ValidationError",
    "create_linear_retry_strategy",
    "create_retry_strategy",
    "durable_execution",
    "durable_step",
    "durable_with_child_context",
]
