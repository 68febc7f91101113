"""Adapters that plug durable-core into aws-durable-execution-sdk-python.

``retry_strategy`` uses the SDK's public hook (``StepConfig(retry_strategy=...)``).
``classifying_client`` has none to use for checkpoint-failure classification: it wraps the boto3
client and, version-guarded, the SDK's private error conversion (see its docstring and the
README's "Checkpoint failures at run time" for the hook the SDK would need).

The SDK is an optional dependency (``pip install durable-core[aws]``), imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import retry
from ._types import Profile


def retry_strategy(
    config: retry.StrategyConfig | retry.Preset | str | None = None,
    *,
    profile: Profile | str = Profile.PYTHON,
) -> Callable[[Exception, int], Any]:
    """A ``(error, attempts_made) -> RetryDecision`` for ``StepConfig(retry_strategy=...)``.

    The decision comes from the core; the default profile reproduces the SDK's own strategies.
    """
    from aws_durable_execution_sdk_python.config import Duration
    from aws_durable_execution_sdk_python.retries import RetryDecision

    strategy = retry.Strategy(config, profile=profile)

    def decide(error: Exception, attempts_made: int) -> RetryDecision:
        decision = strategy.decide(attempts_made, error=error)
        if decision.should_retry:
            return RetryDecision.retry(Duration(seconds=decision.delay_seconds))
        return RetryDecision.no_retry()

    decide.strategy = strategy  # type: ignore[attr-defined]
    return decide


# --- checkpoint-failure classification at run time ----------------------------------------------

TESTED_SDK_VERSIONS = ("3.0.0",)
"""aws-durable-execution-sdk-python versions ``classifying_client`` was tested with."""

_CLASSIFICATION_ATTRIBUTE = "__durable_core_classification__"
_installed = False


class UnsupportedSdkVersion(RuntimeError):
    """``classifying_client`` refuses an SDK version it was not tested with."""


def classifying_client(client: Any, *, profile: Profile | str = Profile.UNIFIED) -> Any:
    """Wrap a boto3 ``lambda`` client so aws-durable-execution-sdk-python decides with durable-core
    whether a failed CheckpointDurableExecution / GetDurableExecutionState call fails the
    invocation (the service re-invokes) or the execution::

        @durable_execution(boto3_client=durable_core.aws.classifying_client(boto3.client("lambda")))
        def handler(event, context): ...

    The SDK has no public hook for this. The wrapper classifies every exception the two calls
    raise (``classify_exception`` with the call's API and ``profile``) and marks it; the SDK's
    own conversion (``BotoClientError.from_exception``) is wrapped, once per process, so that a
    marked exception gets the core's category. Exceptions from clients that are not wrapped keep
    the SDK's own classification. Raises ``UnsupportedSdkVersion`` for an SDK version not in
    ``TESTED_SDK_VERSIONS`` (the wrapped method is private to the SDK).
    """
    from ._types import parse_profile

    chosen = parse_profile(profile)
    if not callable(getattr(client, "checkpoint_durable_execution", None)) or not callable(
        getattr(client, "get_durable_execution_state", None)
    ):
        from .errors import wrong_type

        raise wrong_type("client", client, "a boto3 lambda client")
    _install()
    return _ClassifyingLambdaClient(client, chosen)


class _ClassifyingLambdaClient:
    def __init__(self, client: Any, profile: Profile) -> None:
        self._client = client
        self._profile = profile

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def checkpoint_durable_execution(self, **params: Any) -> Any:
        return self._call(self._client.checkpoint_durable_execution, "checkpoint", params)

    def get_durable_execution_state(self, **params: Any) -> Any:
        return self._call(self._client.get_durable_execution_state, "get-state", params)

    def _call(self, method: Callable[..., Any], api: str, params: dict[str, Any]) -> Any:
        from .classify import classify_exception

        try:
            return method(**params)
        except Exception as error:
            setattr(
                error,
                _CLASSIFICATION_ATTRIBUTE,
                classify_exception(error, api=api, profile=self._profile),
            )
            raise


def _install() -> None:
    global _installed
    if _installed:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        sdk_version = version("aws-durable-execution-sdk-python")
    except PackageNotFoundError:
        raise UnsupportedSdkVersion("aws-durable-execution-sdk-python is not installed") from None
    if sdk_version not in TESTED_SDK_VERSIONS:
        raise UnsupportedSdkVersion(
            f"durable_core.aws.classifying_client was tested with aws-durable-execution-sdk-python "
            f"{', '.join(TESTED_SDK_VERSIONS)}, not {sdk_version}: it wraps the SDK's private "
            "BotoClientError.from_exception"
        )
    from aws_durable_execution_sdk_python import exceptions

    base = exceptions.BotoClientError
    original = base.__dict__.get("from_exception")
    category_type = getattr(exceptions, "DurableApiErrorCategory", None)
    if not isinstance(original, classmethod) or category_type is None:
        raise UnsupportedSdkVersion(
            "aws-durable-execution-sdk-python has no BotoClientError.from_exception classmethod "
            "or DurableApiErrorCategory"
        )
    convert = original.__func__

    def from_exception(cls: type, exception: Exception) -> Any:
        made = convert(cls, exception)
        decided = getattr(exception, _CLASSIFICATION_ATTRIBUTE, None)
        if decided is not None:
            made.error_category = category_type(decided.category.value)
        return made

    from_exception.__durable_core__ = True  # type: ignore[attr-defined]
    base.from_exception = classmethod(from_exception)  # type: ignore[method-assign,assignment]
    _installed = True
