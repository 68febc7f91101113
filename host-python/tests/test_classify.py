import threading

import pytest
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
        ({"status": 70000}, ValueError, "status"),
        ({"status": -1}, ValueError, "status"),
        ({"status": "400"}, TypeError, "status"),
        ({"status": True}, TypeError, "status"),
        ({"status": 400.0}, TypeError, "status"),
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
