"""durable_core._signatures against the component: each signature the native backend lowers by is
the one the component reports (read through wasmtime-py's type reflection), and a process that
registers a strategy, derives an operation id and classifies a text status never loads
wasmtime-py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from wasmtime import component as wc

from durable_core import _native, _runtime
from durable_core._signatures import SIGNATURES


def spelled(ty: Any) -> Any:
    """A wasmtime-py value type in _signatures' notation."""
    scalars = {wc.U16: "u16", wc.U32: "u32", wc.U64: "u64", wc.F64: "f64", wc.Bool: "bool"}
    for cls, name in scalars.items():
        if isinstance(ty, cls):
            return name
    if isinstance(ty, wc.String):
        return "string"
    if isinstance(ty, wc.EnumType):
        return ("enum", tuple(ty.names))
    if isinstance(ty, wc.OptionType):
        return ("option", spelled(ty.payload))
    if isinstance(ty, wc.ListType):
        return ("list", spelled(ty.element))
    if isinstance(ty, wc.RecordType):
        return ("record", tuple((name, spelled(field)) for name, field in ty.fields))
    if isinstance(ty, wc.ResultType):
        return ("result", spelled(ty.ok), spelled(ty.err))
    raise AssertionError(f"no spelling for {ty!r}")


@pytest.fixture(scope="module")
def instance() -> Any:
    backend = _runtime._PyBackend(None, fast=False)
    return backend.instantiate()


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_each_signature_is_the_components(instance: Any, name: str) -> None:
    func_type = instance.func(name).type(instance.store)
    params, result = SIGNATURES[name]
    assert tuple(spelled(ty) for _, ty in func_type.params) == params
    reported = func_type.result
    assert (None if reported is None else spelled(reported)) == result


def test_lowering_rejects_a_wrong_value_before_the_call_naming_where() -> None:
    keep: list[Any] = []
    slot = _native._Val()
    strategy_config = SIGNATURES["retry#register"][0][0]
    record = _native.Record()
    for name, _ in strategy_config[1]:
        setattr(record, name, None)
    record.backoff = "sideways"
    with pytest.raises(ValueError, match=r"config\.backoff must be one of exponential, linear"):
        _native._lower(slot, strategy_config, record, keep, "config")
    del record.backoff
    with pytest.raises(TypeError, match="config has no field 'backoff'"):
        _native._lower(slot, strategy_config, record, keep, "config")
    for ty, value, message in [
        ("u32", 2**32, r"x must be an int in 0\.\.4294967295"),
        ("u32", True, "x must be an int"),
        ("u16", -1, r"x must be an int in 0\.\.65535"),
        ("f64", "1", "x must be a number"),
        ("string", b"b", "x must be str"),
        (("list", "string"), "ab", "x must be a list"),
        ("bool", 1, "x must be bool"),
    ]:
        with pytest.raises(TypeError, match=message):
            _native._lower(slot, ty, value, keep, "x")
    with pytest.raises(UnicodeEncodeError):
        _native._lower(slot, "string", "\ud800", keep, "x")


CHILD = r"""
import json, re, sys
import durable_core
from durable_core import retry, step, _runtime
strategy = retry.Strategy(retry.exponential(retryable_errors=[re.compile("x")]), profile="python")
decisions = [strategy.decide(1, error=ValueError(m), random=0.5).outcome for m in ("x", "y")]
decisions.append(retry.Strategy("transient", profile="python").decide(1).outcome)
ids = [step.operation_id("ts", "1-2", 3).id, step.operation_id("python", None, 1).id[:8]]
rule = durable_core.classify_api_error("429", "TooManyRequestsException", "slow", profile="ts").rule
print(json.dumps({"decisions": decisions, "ids": ids, "rule": rule,
                  "backend": _runtime.runtime().backend,
                  "wasmtime_py": sorted(m for m in sys.modules if m.split(".")[0] == "wasmtime")}))
"""


def run_child(tmp_path: Path, call_path: str) -> dict:
    env = {
        **os.environ,
        "DURABLE_CORE_CACHE_DIR": str(tmp_path),
        "DURABLE_CORE_CALL_PATH": call_path,
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_strategies_ids_and_text_statuses_need_no_wasmtime_py(tmp_path: Path) -> None:
    native = run_child(tmp_path, "fast")
    assert native["backend"] == "native" and native["wasmtime_py"] == []
    portable = run_child(tmp_path, "portable")
    assert portable["backend"] == "wasmtime-py"
    for key in ("decisions", "ids", "rule"):
        assert native[key] == portable[key], key
    assert native["decisions"] == ["retry", "not-retryable", "retry"]
