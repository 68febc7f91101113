"""``StepContext`` where the SDK keeps it (``aws_durable_execution_sdk_python.types``)."""

from .context import DurableContext, StepContext

__all__ = ["DurableContext", "StepContext"]
