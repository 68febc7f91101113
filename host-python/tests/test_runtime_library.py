"""The runtime-only wasmtime library (host-python/wasmtime-runtime, installed beside the package
by scripts/build-wasmtime-runtime): a warm start loads it alone and answers like the full
library; a cache miss compiles on the full library; a library that will not load, or refuses the
artifact, hands over to the full one without recompiling or rewriting the cache."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from durable_core import _native

HOST = Path(__file__).resolve().parents[1]
INSTALLED = HOST / "src" / "durable_core" / "_wasmtime_runtime.so"

CHILD = r"""
import json, sys
from durable_core import classify_api_error, _native, _runtime
refuse = len(sys.argv) > 1 and sys.argv[1] == "refuse"
if refuse:  # a runtime library of another wasmtime version: it refuses every artifact
    real = _native.Component.deserialize.__func__
    def deserialize(cls, engine, artifact, serialized=None):
        if engine.lib is not _native.lib():
            raise _native.NativeError("Module was compiled with a different Wasmtime version")
        return real(cls, engine, artifact, serialized)
    _native.Component.deserialize = classmethod(deserialize)
compiled = []
real_compile = _native.Component.compile.__func__
def compile(cls, engine, wasm):
    compiled.append(len(wasm))
    return real_compile(cls, engine, wasm)
_native.Component.compile = classmethod(compile)
r = classify_api_error(400, "InvalidParameterValueException", "Invalid checkpoint token: x",
                       profile="python")
maps = sorted({l.split()[-1] for l in open("/proc/self/maps") if l.rstrip().endswith(".so")})
backend = _runtime.runtime()._backend
print(json.dumps({"rule": r.rule, "backend": backend.name, "library": str(backend.library),
                  "loaded": [str(p) for p in _native._libs], "compiled": len(compiled),
                  "wasmtime_py": "wasmtime" in sys.modules, "maps": maps}))
"""


def child(cache: Path, library: str | None = None, *args: str) -> dict:
    env = {**os.environ, "DURABLE_CORE_CACHE_DIR": str(cache)}
    env.pop("DURABLE_CORE_RUNTIME_LIBRARY", None)
    if library is not None:
        env["DURABLE_CORE_RUNTIME_LIBRARY"] = library
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cache_files(cache: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in cache.iterdir()}


def test_the_three_pins_name_one_wasmtime() -> None:
    pyproject = tomllib.loads((HOST / "pyproject.toml").read_text())
    assert pyproject["project"]["dependencies"] == [f"wasmtime=={_native.RUNTIME_WASMTIME}"]
    crate = tomllib.loads((HOST / "wasmtime-runtime" / "Cargo.toml").read_text())
    for name in ("wasmtime", "wasmtime-c-api-impl"):
        assert crate["dependencies"][name]["version"] == f"={_native.RUNTIME_WASMTIME}", name
    lock = (HOST / "wasmtime-runtime" / "Cargo.lock").read_text()
    locked = re.findall(r'name = "wasmtime"\nversion = "([^"]+)"', lock)
    assert locked == [_native.RUNTIME_WASMTIME]
    import importlib.metadata

    assert importlib.metadata.version("wasmtime") == _native.RUNTIME_WASMTIME


def test_the_checkout_has_the_runtime_library_installed() -> None:
    # scripts/setup builds it; without it every warm start pages in the full library.
    assert INSTALLED.is_file(), "run scripts/build-wasmtime-runtime"
    assert _native.runtime_library_path() == INSTALLED
    assert INSTALLED.stat().st_size < _native.library_path().stat().st_size / 5


def test_a_warm_start_maps_only_the_runtime_library(tmp_path: Path) -> None:
    cold = child(tmp_path)  # cache miss: compiled on the full library, run on the runtime one
    assert cold["backend"] == "native" and cold["library"] == str(INSTALLED)
    assert cold["compiled"] == 1 and len(cold["loaded"]) == 2
    files = cache_files(tmp_path)
    assert len(files) == 1
    warm = child(tmp_path)
    assert warm["library"] == str(INSTALLED) and warm["loaded"] == [str(INSTALLED)]
    assert warm["compiled"] == 0 and not warm["wasmtime_py"]
    assert not any(m.endswith("/_libwasmtime.so") for m in warm["maps"]), warm["maps"]
    full = child(tmp_path, "off")  # the same artifact file serves the full library
    assert full["library"] == str(_native.library_path()) and full["compiled"] == 0
    assert cache_files(tmp_path) == files
    assert warm["rule"] == full["rule"] == cold["rule"] == "stale-checkpoint-token"


def test_a_library_that_will_not_load_hands_over_to_the_full_one(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.so"
    damaged.write_bytes(b"\x7fELF" + b"\0" * 60)
    cache = tmp_path / "cache"
    child(cache, "off")
    files = cache_files(cache)
    got = child(cache, str(damaged))
    assert got["library"] == str(_native.library_path()) and got["compiled"] == 0
    assert got["rule"] == "stale-checkpoint-token"
    assert cache_files(cache) == files


def test_a_library_that_refuses_the_artifact_never_recompiles_or_rewrites_it(
    tmp_path: Path,
) -> None:
    child(tmp_path, "off")
    files = cache_files(tmp_path)
    got = child(tmp_path, None, "refuse")
    assert got["library"] == str(_native.library_path())
    assert got["compiled"] == 0 and got["rule"] == "stale-checkpoint-token"
    assert cache_files(tmp_path) == files
    # A cache miss compiles once per library tried, and writes one file.
    empty = tmp_path / "empty"
    got = child(empty, None, "refuse")
    assert got["library"] == str(_native.library_path()) and got["compiled"] == 2
    assert got["rule"] == "stale-checkpoint-token" and len(list(empty.iterdir())) == 1


def test_a_named_library_that_is_not_there_hands_over_to_the_full_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DURABLE_CORE_RUNTIME_LIBRARY", str(tmp_path / "nowhere.so"))
    with pytest.raises(_native.NativeUnavailable, match=r"nowhere\.so is not a file"):
        _native.runtime_library_path()
    got = child(tmp_path, str(tmp_path / "nowhere.so"))
    assert got["library"] == str(_native.library_path()) and got["rule"] == "stale-checkpoint-token"
