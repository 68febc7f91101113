"""The cold-path records behave as the frozen dataclasses they replaced."""

from __future__ import annotations

import copy
import pickle

import pytest

import durable_core
from durable_core import Category, Classification, CoreInfo, Profile, ProfileInfo


def test_classification_values_equality_and_hash() -> None:
    a = Classification(Category.INVOCATION, True, "r1")
    b = Classification(category=Category.INVOCATION, retryable=True, rule="r1", summary="")
    assert a == b and hash(a) == hash(b)
    assert a != Classification(Category.INVOCATION, True, "r2")
    assert a != ("INVOCATION", True, "r1", "")  # not a tuple
    assert len({a, b}) == 1
    assert a.summary == ""


def test_repr_names_fields_in_order() -> None:
    info = CoreInfo("0.1.0", "0.2.0", 2)
    assert repr(info) == "CoreInfo(crate_version='0.1.0', wit_version='0.2.0', rules_version=2)"


def test_fields_cannot_be_assigned_deleted_or_added() -> None:
    c = Classification(Category.EXECUTION, False, "r")
    with pytest.raises(AttributeError, match="frozen Classification"):
        c.rule = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del c.rule  # type: ignore[misc]
    with pytest.raises(AttributeError):
        c.extra = 1  # type: ignore[attr-defined]


def test_constructor_rejects_missing_and_unknown_fields() -> None:
    with pytest.raises(TypeError):
        Classification(Category.EXECUTION, False)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Classification(Category.EXECUTION, False, "r", colour="red")  # type: ignore[call-arg]


def test_pickle_and_copy_round_trip() -> None:
    real = durable_core.classify_api_error(
        400, "InvalidParameterValueException", "Invalid checkpoint token: x", profile="python"
    )
    for clone in (pickle.loads(pickle.dumps(real)), copy.copy(real), copy.deepcopy(real)):
        assert clone == real and type(clone) is Classification
    profile = durable_core.profiles()[0]
    assert pickle.loads(pickle.dumps(profile)) == profile


def test_match_by_position() -> None:
    match ProfileInfo("unified", Profile.UNIFIED, "unified", "durable-core", 1):
        case ProfileInfo(name, family):
            assert (name, family) == ("unified", Profile.UNIFIED)
        case _:
            pytest.fail("ProfileInfo did not match by position")
