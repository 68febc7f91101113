import hashlib
import os
from pathlib import Path

import pytest
import wasmtime
from conftest import move_to_wasmtime_py
from wasmtime import component as wc

import durable_core
from durable_core import _runtime
from durable_core._runtime import Runtime

FIXTURES = Path(__file__).parent / "fixtures"
PACKED = ("u32", "u32", "string", "string")
REPO = Path(__file__).resolve().parents[2]


def test_the_component_imports_nothing():
    engine = wasmtime.Engine()
    component = wc.Component.from_file(engine, str(_runtime.component_path()))
    ty = component.type
    assert list(ty.imports(engine)) == []
    assert set(ty.exports(engine)) == {
        "durable:core/types@0.2.0",
        "durable:core/info@0.2.0",
        "durable:core/classify@0.2.0",
        "durable:core/retry@0.2.0",
        "durable:core/step@0.2.0",
        "durable:core/invocation@0.2.0",
    }


def test_the_packaged_component_is_the_built_one():
    built = REPO / "build" / "durable_core.wasm"
    assert _runtime.component_path().read_bytes() == built.read_bytes()
    # The cache key's digest sidecar describes exactly these bytes.
    assert _runtime.component_digest() == hashlib.sha256(built.read_bytes()).hexdigest()


def test_core_info_reports_the_contract_version():
    info = durable_core.core_info()
    assert info.wit_version == "0.2.0"
    assert info.rules_version >= 1


@pytest.mark.parametrize("path", ["fast", "portable"])
def test_a_trap_costs_one_call_and_the_next_call_gets_a_fresh_instance(monkeypatch, path):
    monkeypatch.setenv("DURABLE_CORE_CALL_PATH", path)
    runtime = Runtime((FIXTURES / "trapping_classify.wat").read_text())
    call = runtime.call_flat
    assert call("classify#classify-packed", PACKED, "u32", 0, 500, b"", b"") == 5
    with pytest.raises(durable_core.ComponentTrapError, match="unreachable") as raised:
        call("classify#classify-packed", PACKED, "u32", 0, 999, b"", b"")
    assert raised.value.kind == "trap"
    assert call("classify#classify-packed", PACKED, "u32", 0, 500, b"", b"") == 5
    assert runtime.instances_created == 2
    assert runtime.call_path == path


def test_the_compiled_component_is_cached_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("DURABLE_CORE_CACHE_DIR", str(tmp_path))
    Runtime()
    artifacts = list(tmp_path.glob("durable-core*")) or list(tmp_path.glob("*.cwasm"))
    assert len(artifacts) == 1
    first = artifacts[0].stat().st_mtime_ns
    runtime = Runtime()  # deserializes: the artifact is not rewritten
    assert artifacts[0].stat().st_mtime_ns == first
    assert runtime.call("classify#rules")


def test_a_corrupt_cache_entry_is_replaced_not_trusted(tmp_path, monkeypatch):
    monkeypatch.setenv("DURABLE_CORE_CACHE_DIR", str(tmp_path))
    Runtime()
    (artifact,) = tmp_path.glob("*.cwasm")
    artifact.write_bytes(b"not a compiled component")
    runtime = Runtime()
    assert runtime.call("classify#rules")
    assert artifact.read_bytes() != b"not a compiled component"


def test_cache_can_be_turned_off(monkeypatch, tmp_path):
    monkeypatch.setenv("DURABLE_CORE_CACHE_DIR", "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Runtime().call("classify#rules")
    assert not any(tmp_path.iterdir())
    assert os.environ["DURABLE_CORE_CACHE_DIR"] == "off"


def test_the_fast_path_lowers_known_typed_parameters_and_moves_to_wasmtime_py_for_others(
    monkeypatch,
):
    monkeypatch.setenv("DURABLE_CORE_CALL_PATH", "fast")
    runtime = Runtime()
    monkeypatch.setattr("durable_core._runtime._runtime", runtime)
    assert runtime.backend == "native"
    stale = ("InvalidParameterValueException", "Invalid checkpoint token: expired")
    assert durable_core.classify_api_error(400, *stale, profile="python").rule == (
        "stale-checkpoint-token"
    )
    assert runtime.call("classify#rules")[1].rule == "stale-checkpoint-token"
    before = runtime.generation
    # Registering a strategy, resolving it and deciding: signatures in _signatures, lowered
    # natively on the same instance.
    strategy = durable_core.retry.Strategy(
        durable_core.retry.exponential(jitter="NONE"), profile="python"
    )
    assert strategy.decide(2, message="x").delay_seconds == 10
    assert strategy.effective.max_attempts == 3
    assert runtime.backend == "native" and runtime.generation == before
    # A typed call with parameters and no signature here moves to wasmtime-py, for good.
    move_to_wasmtime_py(runtime)
    assert strategy.decide(2, message="x").delay_seconds == 10  # registered again there
    assert runtime.generation == before + 1
    assert runtime.call_path == "fast"
    assert durable_core.classify_api_error(400, *stale, profile="python").rule == (
        "stale-checkpoint-token"
    )


def test_a_cold_start_that_only_classifies_imports_no_wasmtime_py_module(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys, durable_core\n"
        "durable_core.classify_api_error(500)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'wasmtime'))\n"
    )
    env = {**os.environ, "DURABLE_CORE_CACHE_DIR": str(tmp_path)}
    env.pop("DURABLE_CORE_CALL_PATH", None)
    for _ in range(2):  # compiling, then from the cache
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("backend", ["native", "wasmtime-py"])
def test_flat_calls_read_their_string_arguments_and_keep_none(backend, monkeypatch):
    # String arguments are passed by pointer into the caller's bytes: the answer must be the
    # one for exactly those bytes, and no reference may outlive the call (a held payload).
    import sys

    monkeypatch.setenv("DURABLE_CORE_CALL_PATH", "fast")
    rt = Runtime()
    if backend == "wasmtime-py":
        move_to_wasmtime_py(rt)
        assert rt.call_path == "fast"
    assert rt.backend == backend
    signature = ("u32", "u32", "string", "string")
    stale = b"Invalid checkpoint token: " + b"x" * 100_000
    other = b"something else entirely " + b"y" * 100_000
    before = sys.getrefcount(stale)
    packed = [
        rt.call_flat("classify#classify-packed", signature, "u32", 0b11000, 400, code, msg)
        for code, msg in [(b"InvalidParameterValueException", stale), (b"X", other)] * 3
    ]
    assert packed[0::2] == [packed[0]] * 3 and packed[1::2] == [packed[1]] * 3
    assert packed[0] != packed[1]
    assert sys.getrefcount(stale) == before
    with pytest.raises(TypeError, match="UTF-8 bytes"):
        rt.call_flat("classify#classify-packed", signature, "u32", 0, 400, "text", b"")
