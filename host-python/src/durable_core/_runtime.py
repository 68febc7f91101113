"""Loading the component and calling it safely.

One engine and one compiled component per process; one instance, created lazily and
re-created after a trap (a trapped instance is poisoned). Calls hold a lock because a wasmtime
store is not thread-safe. The compiled component is cached on disk (``_cache``: verified byte
for byte before use), so a cold start deserializes instead of compiling.

Two backends load the same component with the same wasmtime library:
- native (``_native``): ctypes over the C library alone, so a process never imports
  wasmtime-py's Python modules (about 25 ms). It runs flat calls, typed calls without
  parameters, and the typed calls with parameters whose signatures ``_signatures`` lists
  (registering a retry strategy, an operation id, a text status: all the host makes).
- wasmtime-py: where the C library cannot be used, and for a typed call with parameters that
  has no signature there. Such a call switches the runtime to it; that is a new instance, like
  after a trap, so ``generation`` changes and instance-bound state is registered again.
``DURABLE_CORE_CALL_PATH=portable`` uses wasmtime-py's public ``Func.__call__`` for every call;
``fast`` (the default) uses the native backend, then wasmtime-py with the lean ctypes caller.
"""

from __future__ import annotations

import os
import platform
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import _cache, _native
from .errors import ComponentTrapError

_WIT_PACKAGE = "durable:core"
_WIT_VERSION = "0.2.0"


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
    every cold start costs more than the rest of a cached load); hashed here if it is missing.
    The cache does not trust it blindly: each artifact records the digest it was compiled from
    and is checked against the component file itself."""
    sidecar = component_path().with_name("durable_core.wasm.sha256")
    try:
        return sidecar.read_text().strip()
    except OSError:
        import hashlib

        return hashlib.sha256(component_path().read_bytes()).hexdigest()


def _library_path() -> Path:
    try:
        return _native.library_path()
    except _native.NativeUnavailable:
        import wasmtime

        return Path(wasmtime._ffi.filename)  # type: ignore[attr-defined]


def _cache_key() -> str:
    # Keyed by the full library alone, also with a runtime-only library: the artifact is the full
    # library's output either way, so both libraries share one file. A runtime library that
    # refuses it (another wasmtime version) hands over to the full library, which serves the
    # same file.
    stat = _library_path().stat()
    parts = [component_digest(), str(stat.st_size), str(stat.st_mtime_ns), platform.machine()]
    return _cache.blake2b("|".join(parts).encode(), digest_size=16).hexdigest()


def _component_bytes(wasm: bytes | str) -> bytes:
    if isinstance(wasm, str):  # WAT text (test fixtures)
        import wasmtime

        return wasmtime.wat2wasm(wasm)
    return wasm


class Runtime:
    """The component, its instance and the functions hosts call."""

    def __init__(self, wasm: bytes | str | None = None) -> None:
        """``wasm`` replaces the packaged component (tests load trapping fixtures this way)."""
        self._lock = threading.RLock()
        self._wasm = wasm
        self.instances_created = 0
        self._fast_path = os.environ.get("DURABLE_CORE_CALL_PATH", "fast") != "portable"
        self._backend: _NativeBackend | _PyBackend | None = None
        if self._fast_path:
            try:
                self._backend = _NativeBackend(wasm)
            except (_native.NativeUnavailable, _native.NativeError, OSError, AttributeError):
                self._backend = None  # no usable shared library here: wasmtime-py decides
        if self._backend is None:
            self._backend = _PyBackend(wasm, self._fast_path)
        self._instance: Any = None

    @property
    def lock(self) -> threading.RLock:
        """Held around every call; hold it to make several calls one unit."""
        return self._lock

    @property
    def generation(self) -> int:
        """Which instance is live (it changes when a trap forced a new one, or the runtime
        moved to wasmtime-py). State kept inside the instance, such as registered strategies,
        belongs to one generation."""
        with self._lock:
            self._ensure()
            return self.instances_created

    @property
    def call_path(self) -> str:
        with self._lock:
            return self._ensure().call_path

    @property
    def backend(self) -> str:
        """``native`` (ctypes over the C library) or ``wasmtime-py``."""
        with self._lock:
            return self._backend.name  # type: ignore[union-attr]

    def call(self, name: str, *args: Any) -> Any:
        """Call ``interface#function`` through the public (typed) path."""
        with self._lock:
            if args and isinstance(self._backend, _NativeBackend) and not _lowered(name):
                # Typed parameters without a signature here need wasmtime-py's type machinery:
                # move to it for good.
                self._backend = _PyBackend(self._wasm, self._fast_path)
                self._instance = None
            instance = self._ensure()
            try:
                return instance.call(name, *args)
            except instance.errors as trap:
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
            except instance.errors as trap:
                self._instance = None
                raise ComponentTrapError(
                    f"durable-core trapped in {name}: {trap}", kind="trap"
                ) from trap

    def _ensure(self) -> Any:
        if self._instance is None:
            self._instance = self._backend.instantiate()  # type: ignore[union-attr]
            self.instances_created += 1
        return self._instance


def _lowered(name: str) -> bool:
    """Whether the native backend lowers ``name``'s parameters itself (``_signatures``)."""
    from ._signatures import SIGNATURES

    return name in SIGNATURES


def _shipped_component(
    compile_wasm: Callable[[bytes], Any],
    deserialize: Callable[[memoryview], Any],
    errors: tuple[type[BaseException], ...],
) -> Any:
    """The shipped component, through the verified compiled-component cache (``_cache``), else
    the artifact a platform wheel ships precompiled, else compiled."""
    cache = _cache_dir()
    return _cache.load(
        cache,
        _cache_key() if cache is not None else "",
        component_path(),
        compile_wasm,
        lambda component: component.serialize(),
        deserialize,
        errors,
        precompiled_artifact(),
    )


def precompiled_artifact() -> tuple[Path, bytes]:
    """Where a platform wheel carries the component precompiled, and the key its digest is made
    with: a fresh Lambda environment has an empty cache, and compiling costs 130 ms or more.
    Verified like a cache file; refused (another CPU's features) means compiling here."""
    key = f"precompiled|wasmtime {_native.RUNTIME_WASMTIME}|{platform.machine()}"
    return component_path().with_name("durable_core.cwasm"), key.encode()


# CPU features a precompiled component must not assume, per machine: an artifact records the
# features it was compiled for, and a CPU without one refuses it (and compiles). x86-64 keeps
# AVX2, BMI and FMA and drops AVX-512, which not every x86 server has.
_PORTABLE = {
    "x86_64": {
        f"has_{feature}": "false"
        for feature in ("avx512f", "avx512vl", "avx512dq", "avx512vbmi", "avx512bitalg")
    },
}


def write_precompiled() -> Path:
    """Compiles the shipped component on wasmtime-py's full library for the CPUs of its machine
    kind (``_PORTABLE``), not only this one, and writes it beside the component as
    ``precompiled_artifact`` says. The build backend runs this for platform wheels."""
    path, key = precompiled_artifact()
    wasm = component_path()
    wasm_stat = os.stat(wasm)
    wasm_bytes = wasm.read_bytes()
    engine = _native.Engine(None, _PORTABLE.get(platform.machine()))
    artifact = _native.Component.compile(engine, wasm_bytes).serialize()
    _cache.write_atomic(path, key, wasm_bytes, wasm_stat, artifact)
    path.chmod(0o644)  # package data: readable by the user a function runs as
    return path


class _RuntimeLibraryRefused(Exception):
    """The runtime-only library would not load or deserialize: the full library serves instead
    (raised past the cache, so a refusal never recompiles or replaces a good artifact)."""


class _NativeBackend:
    name = "native"

    def __init__(self, wasm: bytes | str | None) -> None:
        self._native = _native
        try:
            runtime_library = _native.runtime_library_path()
            if runtime_library is not None:
                self._engine = _native.Engine(runtime_library)
                self._component = self._load(wasm, runtime_only=True)
                self.library = runtime_library
                return
        except (_RuntimeLibraryRefused, _native.NativeUnavailable, OSError, AttributeError):
            pass  # missing or not loadable here (another libc, a damaged file), another version
        self._engine = _native.Engine()
        self._component = self._load(wasm, runtime_only=False)
        self.library = _native.library_path()

    def _load(self, wasm: bytes | str | None, runtime_only: bool) -> Any:
        """The component on ``self._engine``. A runtime-only library cannot compile: the full
        library does then, on a cache miss only, so a warm start never maps it."""
        native, engine = self._native, self._engine
        if not runtime_only:
            compile_wasm: Callable[[bytes], Any] = lambda data: native.Component.compile(  # noqa: E731
                engine, data
            )
            deserialize = lambda artifact: native.Component.deserialize(engine, artifact)  # noqa: E731
        else:

            def compile_wasm(data: bytes) -> Any:
                compiled = native.Component.compile(native.Engine(), data).serialize()
                return deserialize(memoryview(bytearray(compiled)), compiled)

            def deserialize(artifact: memoryview, serialized: bytes | None = None) -> Any:
                try:
                    return native.Component.deserialize(engine, artifact, serialized)
                except native.NativeError as refused:
                    raise _RuntimeLibraryRefused(str(refused)) from refused

        if wasm is None:
            return _shipped_component(compile_wasm, deserialize, (native.NativeError,))
        return compile_wasm(_component_bytes(wasm))

    def instantiate(self) -> _NativeInstance:
        return _NativeInstance(self._native, self._component)


class _NativeInstance:
    call_path = "fast"

    def __init__(self, native: Any, component: Any) -> None:
        self._instance = native.Instance(component)
        self.errors = (native.NativeError,)
        self._flat: dict[str, Callable[..., Any]] = {}

    def call(self, name: str, *args: Any) -> Any:
        interface, _, function = name.partition("#")
        signature = self._instance.NO_ARGS
        if args:
            from ._signatures import SIGNATURES

            signature = SIGNATURES[name]
        return self._instance.call_typed(_interface(interface), function, signature, args)

    def flat(self, name: str, params: tuple[str, ...], result: str) -> Callable[..., Any]:
        caller = self._flat.get(name)
        if caller is None:
            interface, _, function = name.partition("#")
            caller = self._instance.flat(_interface(interface), function, params, result)
            self._flat[name] = caller
        return caller


class _PyBackend:
    name = "wasmtime-py"

    def __init__(self, wasm: bytes | str | None, fast: bool) -> None:
        import wasmtime
        from wasmtime import component as wc

        self._engine = wasmtime.Engine()
        self._fast = fast
        errors = (wasmtime.WasmtimeError,)
        if wasm is None:
            engine = self._engine
            self._component = _shipped_component(
                lambda data: wc.Component(engine, data),
                lambda artifact: wc.Component.deserialize(engine, bytes(artifact)),
                errors,
            )
        else:
            self._component = wc.Component(self._engine, wasm)

    def instantiate(self) -> _PyInstance:
        return _PyInstance(self._engine, self._component, self._fast)


class _PyInstance:
    def __init__(self, engine: Any, component: Any, fast: bool) -> None:
        import wasmtime
        from wasmtime import component as wc

        self.errors = (wasmtime.WasmtimeError, wasmtime.Trap)
        self.store = wasmtime.Store(engine)
        self._instance = wc.Linker(engine).instantiate(self.store, component)
        self._funcs: dict[str, Any] = {}
        self._flat: dict[str, Callable[..., Any]] = {}
        self.call_path = "fast" if fast and _fastcall_available() else "portable"

    def call(self, name: str, *args: Any) -> Any:
        return self.func(name)(self.store, *args)

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
