"""``durable_execution`` shaped like ``aws_durable_execution_sdk_python.execution``: the Lambda
handler wrapper. The core runs the invocation; this wrapper calls the user's handler, and turns
how it ended into the core's ``finish``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..invocation import Engine, Stopped, Suspended
from ..service import LambdaTransport
from .context import DurableContext

Handler = Callable[[Any, DurableContext], Any]


def durable_execution(
    func: Handler | None = None,
    *,
    boto3_client: Any = None,
    profile: str = "python",
    random_source: Callable[[], float] | None = None,
) -> Any:
    """Wrap ``handler(event, context: DurableContext)`` as a Lambda handler. ``profile`` picks
    the rules (``python`` reproduces aws-durable-execution-sdk-python 3.0.0; ``unified`` is
    durable-core's reconciliation). ``random_source`` draws the retry jitter (default: the
    ``random`` module). Usable bare (``@durable_execution``) or with arguments."""

    def decorate(handler: Handler) -> Callable[[Any, Any], dict[str, Any]]:
        def lambda_handler(event: Any, lambda_context: Any = None) -> dict[str, Any]:
            client = boto3_client
            if client is None:
                import boto3

                client = boto3.client("lambda")
            engine = Engine(event, LambdaTransport(client), profile=profile, random=random_source)
            if engine.stopped:
                return engine.finish_stopped()
            context = DurableContext(engine, 0, lambda_context)
            try:
                result = handler(json.loads(engine.input_text), context)
                text = json.dumps(result)
            except Suspended:
                return engine.finish_suspend()
            except Stopped:
                return engine.finish_stopped()
            except Exception as err:
                return engine.finish_throw(err)
            return engine.finish_return(text)

        lambda_handler.__wrapped__ = handler  # type: ignore[attr-defined]
        return lambda_handler

    return decorate(func) if func is not None else decorate
