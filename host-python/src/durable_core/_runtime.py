"""Loading the component and calling it safely.

One engine and one compiled component per process; one instance, created lazily and
re-created after a trap (a trapped instance is poisoned). Calls hold a lock because
wasmtime-py's store is not thread-safe. The compiled component is cached on disk, keyed by
the component's hash, the wasmtime build and the machine, so a cold start deserializes
(about 0.5 ms) instead of compiling (about 25 ms).
"""

from __future__ import annotations

import hashlib
import os
import platform
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import wasmtime
from wasmtime import component as wc

from . import _cache
from .errors import ComponentTrapError

_WIT_PACKAGE = "durable:core"
_WIT_VERSION = "0.1.0"


def _interface(name: str) -> str:
    return f"{_WIT_PACKAGE}/{name}@{_WIT_VERSION}"


def component_path() -> Path:
    # Beside this file; importlib.resources would cost ~2 ms of imports at cold start.
    return Path(__file__).with_name("durable_core.wasm")


def _cache_dir() -> Path | None:
    configured = os.environ.get("DURABLE_CORE_CACHE_DIR")
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    # Lambda's home is read-only; /tmp is the writable place there.
    for root in (base, tempfile.gettempdir()):
        path = Path(root) / "durable-core"
        if os.access(root, os.W_OK) or path.is_dir():
            return path
    return None


def component_digest() -> str:
    """The component's sha256, from the sidecar the build writes beside it (hashing 200 KB at
    every cold start costs more than the rest of a cached load); hashed here if it is missing."""
    sidecar = component_path().with_name("durable_core.wasm.sha256")
    try:
        return sidecar.read_text().strip()
    except OSError:
        return hashlib.sha256(component_path().read_bytes()).hexdigest()


def _cache_key() -> str:
    library = Path(wasmtime._ffi.filename)  # type: ignore[attr-defined]
    stat = library.stat()
    parts = [component_digest(), str(stat.st_size), str(stat.st_mtime_ns), platform.machine()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _load_component(engine: wasmtime.Engine) -> wc.Component:
    cache = _cache_dir()
    return _cache.load(
        cache,
        _cache_key() if cache is not None else "",
        component_path(),
        lambda wasm: wc.Component(engine, wasm),
        lambda component: component.serialize(),
        lambda artifact: wc.Component.deserialize(engine, bytes(artifact)),
        (wasmtime.WasmtimeError,),
    )


class Runtime:
    """The component, its instance and the functions hosts call."""

    def __init__(self, wasm: bytes | str | None = None) -> None:
        """``wasm`` replaces the packaged component (tests load trapping fixtures this way)."""
        self._lock = threading.RLock()
        self._engine = wasmtime.Engine()
        self._component = (
            _load_component(self._engine) if wasm is None else wc.Component(self._engine, wasm)
        )
        self.instances_created = 0
        self._fast_path = os.environ.get("DURABLE_CORE_CALL_PATH", "fast") != "portable"
        self._instance: _Instance | None = None

    @property
    def lock(self) -> threading.RLock:
        """Held around every call; hold it to make several calls one unit."""
        return self._lock

    @property
    def generation(self) -> int:
        """Which instance is live (it changes when a trap forced a new one). State kept inside
        the instance, such as registered strategies, belongs to one generation."""
        with self._lock:
            self._ensure()
            return self.instances_created

    @property
    def call_path(self) -> str:
        with self._lock:
            return self._ensure().call_path

    def call(self, name: str, *args: Any) -> Any:
        """Call ``interface#function`` through the public (typed) path."""
        with self._lock:
            instance = self._ensure()
            try:
                return instance.func(name)(instance.store, *args)
            except (wasmtime.WasmtimeError, wasmtime.Trap) as trap:
                self._instance = None
                raise ComponentTrapError(
                    f"durable-core trapped in {name}: {trap}", kind="trap"
                ) from trap

    def call_flat(self, name: str, params: tuple[str, ...], result: str, *args: Any) -> Any:
        """Call a flat function (u32/u64/f64/string parameters) on the fastest safe path."""
        with self._lock:
            instance = self._ensure()
            try:
                return instance.flat(name, params, result)(*args)
            except (wasmtime.WasmtimeError, wasmtime.Trap) as trap:
                self._instance = None
                raise ComponentTrapError(
                    f"durable-core trapped in {name}: {trap}", kind="trap"
                ) from trap

    def _ensure(self) -> _Instance:
        if self._instance is None:
            self._instance = _Instance(self._engine, self._component, self._fast_path)
            self.instances_created += 1
        return self._instance


class _Instance:
    def __init__(self, engine: wasmtime.Engine, component: wc.Component, fast: bool) -> None:
        self.store = wasmtime.Store(engine)
        self._instance = wc.Linker(engine).instantiate(self.store, component)
        self._funcs: dict[str, Any] = {}
        self._flat: dict[str, Callable[..., Any]] = {}
        self.call_path = "fast" if fast and _fastcall_available() else "portable"

    def func(self, name: str) -> Any:
        func = self._funcs.get(name)
        if func is None:
            interface, _, function = name.partition("#")
            parent = self._instance.get_export_index(self.store, _interface(interface))
            index = self._instance.get_export_index(self.store, function, parent)
            func = self._instance.get_func(self.store, index) if index is not None else None
            if func is None:
                raise LookupError(f"durable-core component does not export {name}")
            self._funcs[name] = func
        return func

    def flat(self, name: str, params: tuple[str, ...], result: str) -> Callable[..., Any]:
        caller = self._flat.get(name)
        if caller is None:
            func = self.func(name)
            if self.call_path == "fast":
                from ._fastcall import make_caller

                caller = make_caller(func, self.store, params, result)
            else:
                store = self.store

                def caller(*args: Any) -> Any:
                    return func(store, *(_decode(a) for a in args))

            self._flat[name] = caller
        return caller


def _decode(value: Any) -> Any:
    # The fast path takes strings as UTF-8 bytes; the public path takes str.
    return value.decode() if isinstance(value, bytes) else value


def _fastcall_available() -> bool:
    try:
        from . import _fastcall  # noqa: F401
    except (ImportError, AttributeError):
        return False
    return True


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def runtime() -> Runtime:
    """The process-wide runtime, created on first use."""
    global _runtime
    if _runtime is None:
        with _runtime_lock:
            if _runtime is None:
                _runtime = Runtime()
    return _runtime
