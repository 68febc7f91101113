import threading
from http import HTTPStatus

import pytest
from aws_durable_execution_sdk_python.exceptions import (
    CheckpointError,
    DurableApiErrorCategory,
    GetExecutionStateError,
)
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

import durable_core
from durable_core import Category, Classification, classify_api_error, classify_exception

STALE = "Invalid checkpoint token: token expired"


def client_error(status, code=None, message=None, operation="CheckpointDurableExecution"):
    error = {k: v for k, v in (("Code", code), ("Message", message)) if v is not None}
    response = {"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, operation)


def test_classification_is_a_frozen_record_with_the_deciding_rule():
    result = classify_api_error(429, "TooManyRequestsException", "Rate exceeded")
    assert result == Classification(Category.INVOCATION, True, "throttled", result.summary)
    assert result.summary
    with pytest.raises(AttributeError):
        result.retryable = False  # type: ignore[misc]


def test_profiles_split_on_the_services_stale_token_spelling():
    args = (400, "InvalidParameterValueException", STALE)
    assert classify_api_error(*args, profile="python").category is Category.INVOCATION
    assert classify_api_error(*args, profile="ts").category is Category.EXECUTION
    assert classify_api_error(*args).rule == "stale-checkpoint-token"


def test_enum_members_and_their_values_are_both_accepted():
    by_member = classify_api_error(
        400, api=durable_core.Api.GET_STATE, profile=durable_core.Profile.TS
    )
    by_value = classify_api_error(400, api="get-state", profile="ts")
    assert by_member == by_value
    assert by_value.rule == "state-fetch-unclassified"


def test_reads_a_real_botocore_client_error():
    exc = client_error(400, "InvalidParameterValueException", STALE)
    assert classify_exception(exc, profile="python").retryable is True
    assert classify_exception(exc, profile="ts").retryable is False
    kms = client_error(502, "KMSAccessDeniedException", "denied")
    assert classify_exception(kms).category is Category.EXECUTION


def test_a_client_error_without_a_body_keeps_the_python_distinction():
    no_body = ClientError(
        {"ResponseMetadata": {"HTTPStatusCode": 400}}, "CheckpointDurableExecution"
    )
    assert classify_exception(no_body, profile="python").rule == "client-error-without-body"
    assert classify_exception(no_body, profile="ts").rule == "client-error"
    # A body whose fields are both missing is still a body to the python SDK.
    empty_fields = ClientError(
        {"Error": {"Code": None, "Message": None}, "ResponseMetadata": {"HTTPStatusCode": 400}},
        "CheckpointDurableExecution",
    )
    assert classify_exception(empty_fields, profile="python").rule == "client-error"


def test_exceptions_without_an_http_response_are_retried():
    for exc in (
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
        RuntimeError("boom"),
    ):
        result = classify_exception(exc, api="get-state", profile="python")
        assert (result.rule, result.retryable) == ("no-http-response", True)


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"status": True}, TypeError, "status"),
        ({"status": [429]}, TypeError, "status"),
        ({"status": "lone \ud800"}, ValueError, "status"),
        ({"stated_scope": "invocation"}, ValueError, "stated_scope"),
        ({"stated_scope": 1}, TypeError, "stated_scope"),
        ({"wrapped": 1}, TypeError, "wrapped"),
        ({"stated_scope": ["EXECUTION"]}, TypeError, "stated_scope"),
        ({"profile": ["ts"]}, TypeError, "profile"),
        ({"api": {"checkpoint"}}, TypeError, "api"),
        ({"profile": "ts@2.3.0"}, ValueError, "profile"),
        ({"code": 5}, TypeError, "code"),
        ({"message": b"bytes"}, TypeError, "message"),
        ({"message": "lone \ud800 surrogate"}, ValueError, "message"),
        ({"profile": "java"}, ValueError, "profile"),
        ({"profile": None}, TypeError, "profile"),
        ({"api": "invoke"}, ValueError, "api"),
    ],
)
def test_bad_input_raises_a_typed_error_naming_the_field(kwargs, error, field):
    with pytest.raises(error, match=field) as raised:
        classify_api_error(**kwargs)
    assert isinstance(raised.value, durable_core.DurableCoreError)
    assert raised.value.field == field


def test_classify_exception_rejects_non_exceptions():
    with pytest.raises(TypeError, match="exc"):
        classify_exception("not an exception")  # type: ignore[arg-type]


def test_rule_table_comes_from_the_core_and_agrees_with_retryable():
    table = durable_core.rules()
    assert {r.rule for r in table} >= {"kms-customer-error", "client-error", "server-error"}
    for rule in table:
        assert rule.retryable == (rule.category is Category.INVOCATION)


def test_calls_from_many_threads_agree():
    expected = {
        (400, "InvalidParameterValueException", STALE): "stale-checkpoint-token",
        (502, "KMSNotFoundException", "x"): "kms-customer-error",
        (503, "ServiceUnavailableException", "x"): "server-error",
    }
    failures = []

    def worker():
        for _ in range(300):
            for args, rule in expected.items():
                got = classify_api_error(*args).rule
                if got != rule:
                    failures.append((args, got))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# --- statuses that are not an integer 0..65535: read as JavaScript's Number() reads them ------


@pytest.mark.parametrize(
    ("status", "rule"),
    [
        ("503", "server-error"),
        (" 404 ", "client-error"),
        (404.5, "client-error"),
        (429.0, "throttled"),
        (HTTPStatus.TOO_MANY_REQUESTS, "throttled"),
        (70000, "other-status"),
        (-1, "other-status"),
        (float("inf"), "other-status"),
        (float("nan"), "other-status"),
        ("abc", "other-status"),
        ("", "no-http-response"),
    ],
)
def test_odd_statuses_are_classified_not_raised(status, rule):
    assert classify_api_error(status, "SomeError", "m").rule == rule


def test_a_text_429_is_a_client_error_only_under_ts_2_4_0():
    args = ("429", "TooManyRequestsException", "Rate exceeded")
    assert classify_api_error(*args, profile="ts").rule == "client-error"
    assert classify_api_error(*args, profile="ts@2.4.0").rule == "client-error"
    assert classify_api_error(*args, profile="python").rule == "throttled"
    assert classify_api_error(*args).rule == "throttled"
    exc = ClientError(
        {"Error": {"Code": args[1]}, "ResponseMetadata": {"HTTPStatusCode": "429"}},
        "CheckpointDurableExecution",
    )
    assert classify_exception(exc, profile="ts").category is Category.EXECUTION


# --- release profiles ----------------------------------------------------------------------


def test_the_core_lists_release_profiles_and_their_aliases():
    table = {p.name: p for p in durable_core.profiles()}
    assert list(table) == ["unified", "python@3.0.0", "ts@2.4.0"]
    assert table["python@3.0.0"].alias == "python"
    assert table["ts@2.4.0"].family is durable_core.Profile.TS
    assert table["unified"].alias is None


@pytest.mark.parametrize(("alias", "release"), [("python", "python@3.0.0"), ("ts", "ts@2.4.0")])
def test_an_alias_and_its_release_answer_alike(alias, release):
    for status in (400, 429, 502, None, "429"):
        for code, message in (
            ("InvalidParameterValueException", STALE),
            ("KMSDisabledException", "x"),
            (None, None),
        ):
            for api in ("checkpoint", "get-state"):
                assert classify_api_error(
                    status, code, message, api=api, profile=alias
                ) == classify_api_error(status, code, message, api=api, profile=release)


# --- stated scopes and wrapped errors ------------------------------------------------------


def test_a_stated_scope_is_honoured_before_the_response():
    result = classify_api_error(503, "ServiceException", stated_scope="EXECUTION")
    assert (result.rule, result.category) == ("stated-execution", Category.EXECUTION)
    result = classify_api_error(
        400, "ValidationException", stated_scope=Category.INVOCATION, profile="ts"
    )
    assert (result.rule, result.retryable) == ("stated-invocation", True)


def test_the_sdks_own_checkpoint_error_is_followed_to_the_response_it_wraps():
    kms = client_error(502, "KMSDisabledException", "key disabled")
    for sdk_error in (CheckpointError, GetExecutionStateError):
        wrapped = sdk_error.from_exception(kms)
        for profile in ("unified", "python", "ts@2.4.0"):
            result = classify_exception(wrapped, api="checkpoint", profile=profile)
            assert (result.rule, result.category) == ("kms-customer-error", Category.EXECUTION)
    stale = CheckpointError.from_exception(
        client_error(400, "InvalidParameterValueException", STALE)
    )
    assert classify_exception(stale, profile="python").rule == "stale-checkpoint-token"
    assert classify_exception(stale, profile="ts").rule == "client-error"


def test_an_sdk_error_without_a_response_states_its_category():
    fatal = CheckpointError("rejected", error_category=DurableApiErrorCategory.EXECUTION)
    assert classify_exception(fatal, profile="ts").rule == "stated-execution"
    token = CheckpointError("Cannot checkpoint without a checkpoint token.")
    assert classify_exception(token).rule == "stated-invocation"


def test_causes_are_followed_where_the_profile_reads_them():
    kms = client_error(502, "KMSDisabledException", "key disabled")
    try:
        try:
            raise kms
        except ClientError as inner:
            raise RuntimeError("checkpoint failed") from inner
    except RuntimeError as outer:
        wrapper = outer
    assert classify_exception(wrapper).rule == "kms-customer-error"
    # The released SDKs read only the raised exception.
    assert classify_exception(wrapper, profile="python@3.0.0").rule == "no-http-response"
    assert classify_exception(wrapper, profile="ts").rule == "no-http-response"
    # An implicit context counts too, unless suppressed with `from None`.
    try:
        try:
            raise kms
        except ClientError:
            raise RuntimeError("while checkpointing")  # noqa: B904
    except RuntimeError as outer:
        assert classify_exception(outer).rule == "kms-customer-error"
    try:
        try:
            raise kms
        except ClientError:
            raise RuntimeError("unrelated") from None
    except RuntimeError as outer:
        assert classify_exception(outer).rule == "no-http-response"


def test_a_cyclic_or_endless_chain_ends():
    a, b = RuntimeError("a"), RuntimeError("b")
    a.__cause__, b.__cause__ = b, a
    assert classify_exception(a).rule == "no-http-response"
    head = link = RuntimeError("0")
    for i in range(100):
        link.__cause__ = RuntimeError(str(i + 1))
        link = link.__cause__
    link.__cause__ = client_error(400, "ValidationException", "x")
    # The response sits 101 links down: past the walk's bound, so it is not reached.
    assert classify_exception(head).rule == "no-http-response"


@pytest.mark.parametrize(
    "exc",
    [
        AttributeError("'NoneType' object has no attribute 'checkpoint_durable_execution'"),
        TypeError("'int' object is not callable"),
        NameError("name 'client' is not defined"),
    ],
)
def test_a_programming_error_is_a_type_error_not_an_invocation_failure(exc):
    with pytest.raises(TypeError, match=r"exc: .*programming error") as raised:
        classify_exception(exc)
    assert raised.value.__cause__ is exc
    wrapper = RuntimeError("checkpoint failed")
    wrapper.__cause__ = exc
    with pytest.raises(TypeError, match="programming error"):
        classify_exception(wrapper)
    with pytest.raises(TypeError, match="exc"):
        classify_exception(42)  # type: ignore[arg-type]


def test_a_type_error_caused_by_a_failed_call_is_still_classified():
    # The SDK's own from_exception raises AttributeError on botocore's HTTPClientError family
    # inside `except`: the root cause is the timeout, so the call is classified.
    try:
        try:
            raise ReadTimeoutError(endpoint_url="http://127.0.0.1:1")
        except ReadTimeoutError:
            raise AttributeError("'NoneType' object has no attribute 'get'")  # noqa: B904
    except AttributeError as sdk_crash:
        assert classify_exception(sdk_crash).rule == "no-http-response"
