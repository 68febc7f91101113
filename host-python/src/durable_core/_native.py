"""The component through wasmtime's C library alone (ctypes), without wasmtime-py's modules.

Importing wasmtime-py costs about 25 ms of a cold start (its bindings for the whole C API,
dataclasses for every type); classifying an error needs a handful of C functions. This module
declares just those, against wasmtime's C library (its layouts are the C API of the pinned
wasmtime, checked by the installed wasmtime-py distribution's version), and offers: compile /
serialize / deserialize, instantiate, flat calls (u32, u64, f64, string), and typed calls (their
arguments lowered by the signatures in ``_signatures``; results decoded like wasmtime-py does:
records as objects with one attribute per field, enums as str). A typed call with parameters and
no signature there needs wasmtime-py's type machinery; ``_runtime`` switches to it then.

Two libraries of the same wasmtime version serve it:
- the full one wasmtime-py ships (31 MB, with the cranelift compiler), which compiles;
- the runtime-only one built from ``host-python/wasmtime-runtime`` (2.5 MB, no compiler) and
  installed beside this file as ``_wasmtime_runtime.so``, which deserializes what the full one
  compiled. A warm start maps only this one: about 4 MiB less memory paged in.
``DURABLE_CORE_RUNTIME_LIBRARY`` names another runtime library, or ``off`` to use the full one
for everything.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Sequence
from ctypes import (
    POINTER,
    Structure,
    Union,
    byref,
    c_bool,
    c_char_p,
    c_double,
    c_float,
    c_int8,
    c_int16,
    c_int32,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
    string_at,
)
from pathlib import Path
from typing import Any

# The wasmtime version both libraries must be: pinned in pyproject.toml (wasmtime-py) and in
# wasmtime-runtime/Cargo.toml (the runtime library); tests/test_runtime_library.py holds the three
# together. An artifact records its wasmtime version, and any other version refuses it.
RUNTIME_WASMTIME = "48.0.0"
_DIST_INFO = f"wasmtime-{RUNTIME_WASMTIME}.dist-info"  # wasmtime-py's metadata, as pip installs it
_RUNTIME_NAMES = {"linux": "_wasmtime_runtime.so", "darwin": "_wasmtime_runtime.dylib"}


class NativeUnavailable(Exception):
    """The shared library is missing or not the pinned version: use wasmtime-py."""


class NativeError(Exception):
    """wasmtime reported an error (a trap, or a component it refused)."""


_library: Path | None = None


def library_path() -> Path:
    """wasmtime-py's shared library, found on sys.path without importing wasmtime-py."""
    global _library
    if _library is None:
        _library = _find_library()
    return _library


def _find_library() -> Path:
    names = {"linux": "_libwasmtime.so", "darwin": "_libwasmtime.dylib", "win32": "_wasmtime.dll"}
    name = names.get(sys.platform)
    machine = os.uname().machine if hasattr(os, "uname") else ""
    machine = {"AMD64": "x86_64", "arm64": "aarch64", "ARM64": "aarch64"}.get(machine, machine)
    if name is None or machine not in ("x86_64", "aarch64"):
        raise NativeUnavailable(f"no wasmtime library for {sys.platform}/{machine}")
    for entry in sys.path:
        path = Path(entry or ".") / "wasmtime" / f"{sys.platform}-{machine}" / name
        if path.is_file():
            # The pinned version's metadata beside it (one stat; listing site-packages costs
            # a few tenths of a millisecond at every start).
            if (Path(entry or ".") / _DIST_INFO).is_dir():
                return path
            try:
                versions = [n for n in os.listdir(entry or ".") if n.startswith("wasmtime-")]
            except OSError:
                versions = []
            raise NativeUnavailable(f"wasmtime beside {path} is not {RUNTIME_WASMTIME}: {versions}")
    raise NativeUnavailable("wasmtime's shared library is not on sys.path")


def runtime_library_path() -> Path | None:
    """The runtime-only library: ``DURABLE_CORE_RUNTIME_LIBRARY`` when set (``off``: none), else
    the one installed beside this file, if any. None means the full library does everything."""
    configured = os.environ.get("DURABLE_CORE_RUNTIME_LIBRARY", "")
    if configured == "off":
        return None
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise NativeUnavailable(f"DURABLE_CORE_RUNTIME_LIBRARY {path} is not a file")
        return path
    name = _RUNTIME_NAMES.get(sys.platform)
    path = Path(__file__).with_name(name) if name else None
    return path if path is not None and path.is_file() else None


# --- C API layouts (wasmtime 48 component model) --------------------------------------


class _ByteVec(Structure):
    _fields_ = [("size", c_size_t), ("data", POINTER(c_uint8))]


class _BorrowedBytes(Structure):
    """A ``wasm_byte_vec_t`` pointing into a Python bytes object: how the flat calls pass a
    string argument. ``wasmtime_component_func_call`` only reads its arguments (it copies each
    into its own value before the call), so the bytes need no C copy, and ctypes keeps the bytes
    object alive while the field refers to it."""

    _fields_ = [("size", c_size_t), ("data", c_char_p)]

    def hold(self, value: bytes, index: int) -> None:
        """Points at ``value`` (the call's argument ``index``) until ``release``."""
        if type(value) is not bytes:
            raise TypeError(f"argument {index} must be UTF-8 bytes, not {type(value).__name__}")
        self.size = len(value)
        self.data = value

    def release(self) -> None:
        self.data = None  # keeps no caller's bytes (a payload) alive after the call


class _Val(Structure):
    pass


class _RecordEntry(Structure):
    pass


class _MapEntry(Structure):
    pass


class _ValList(Structure):
    _fields_ = [("size", c_size_t), ("data", POINTER(_Val))]


class _ValRecord(Structure):
    _fields_ = [("size", c_size_t), ("data", POINTER(_RecordEntry))]


class _ValFlags(Structure):
    _fields_ = [("size", c_size_t), ("data", POINTER(_ByteVec))]


class _ValMap(Structure):
    _fields_ = [("size", c_size_t), ("data", POINTER(_MapEntry))]


class _ValVariant(Structure):
    _fields_ = [("discriminant", _ByteVec), ("val", POINTER(_Val))]


class _ValResult(Structure):
    _fields_ = [("is_ok", c_bool), ("val", POINTER(_Val))]


class _ValUnion(Union):
    _fields_ = [
        ("boolean", c_bool),
        ("s8", c_int8),
        ("u8", c_uint8),
        ("s16", c_int16),
        ("u16", c_uint16),
        ("s32", c_int32),
        ("u32", c_uint32),
        ("s64", c_int64),
        ("u64", c_uint64),
        ("f32", c_float),
        ("f64", c_double),
        ("character", c_uint32),
        ("string", _ByteVec),
        ("borrowed_string", _BorrowedBytes),
        ("list", _ValList),
        ("record", _ValRecord),
        ("tuple", _ValList),
        ("variant", _ValVariant),
        ("enumeration", _ByteVec),
        ("option", POINTER(_Val)),
        ("result", _ValResult),
        ("flags", _ValFlags),
        ("map", _ValMap),
        ("resource", c_void_p),
    ]


_Val._fields_ = [("kind", c_uint8), ("of", _ValUnion)]
_RecordEntry._fields_ = [("name", _ByteVec), ("val", _Val)]
_MapEntry._fields_ = [("key", _Val), ("value", _Val)]


class _FuncHead(Structure):
    _fields_ = [("store_id", c_uint64), ("private1", c_uint32)]


class _Func(Structure):
    # wasmtime 48's wasmtime_component_func_t is 16 bytes; 50's adds __private3 (24). The C side
    # writes and reads only its own size, so this layout serves both should the pin move.
    _fields_ = [("head", _FuncHead), ("private2", c_uint32), ("private3", c_void_p)]


class _Instance(Structure):
    _fields_ = [("store_id", c_uint64), ("private", c_uint32)]


# Value kinds (wasmtime_component_valkind_t).
_BOOL, _S8, _U8, _S16, _U16, _S32, _U32, _S64, _U64, _F32, _F64, _CHAR, _STRING = range(13)
_LIST, _RECORD, _TUPLE, _VARIANT, _ENUM, _OPTION, _RESULT, _FLAGS = range(13, 21)
_SCALARS = {
    _S8: "s8",
    _U8: "u8",
    _S16: "s16",
    _U16: "u16",
    _S32: "s32",
    _U32: "u32",
    _S64: "s64",
    _U64: "u64",
    _F32: "f32",
    _F64: "f64",
}
_FLAT_KINDS = {"u32": _U32, "u64": _U64, "f64": _F64, "string": _STRING}

_P = c_void_p  # opaque handles
_SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "wasm_engine_new": (_P, []),
    "wasm_config_new": (_P, []),
    "wasm_engine_new_with_config": (_P, [_P]),
    "wasmtime_config_cranelift_flag_set": (None, [_P, c_char_p, c_char_p]),
    "wasm_engine_delete": (None, [_P]),
    "wasm_byte_vec_new": (None, [POINTER(_ByteVec), c_size_t, c_char_p]),
    "wasm_byte_vec_delete": (None, [POINTER(_ByteVec)]),
    "wasmtime_error_message": (None, [_P, POINTER(_ByteVec)]),
    "wasmtime_error_delete": (None, [_P]),
    "wasmtime_component_new": (_P, [_P, c_char_p, c_size_t, POINTER(_P)]),
    "wasmtime_component_serialize": (_P, [_P, POINTER(_ByteVec)]),
    "wasmtime_component_deserialize": (_P, [_P, _P, c_size_t, POINTER(_P)]),
    "wasmtime_component_delete": (None, [_P]),
    "wasmtime_store_new": (_P, [_P, _P, _P]),
    "wasmtime_store_context": (_P, [_P]),
    "wasmtime_store_delete": (None, [_P]),
    "wasmtime_component_linker_new": (_P, [_P]),
    "wasmtime_component_linker_delete": (None, [_P]),
    "wasmtime_component_linker_instantiate": (_P, [_P, _P, _P, POINTER(_Instance)]),
    "wasmtime_component_instance_get_export_index": (
        _P,
        [POINTER(_Instance), _P, _P, c_char_p, c_size_t],
    ),
    "wasmtime_component_export_index_delete": (None, [_P]),
    "wasmtime_component_instance_get_func": (c_bool, [POINTER(_Instance), _P, _P, POINTER(_Func)]),
    "wasmtime_component_func_call": (
        _P,
        [POINTER(_Func), _P, POINTER(_Val), c_size_t, POINTER(_Val), c_size_t],
    ),
    "wasmtime_component_val_delete": (None, [POINTER(_Val)]),
}


# Present only in a library built with a compiler.
_COMPILER_ONLY = frozenset(
    {"wasmtime_component_new", "wasmtime_component_serialize", "wasmtime_config_cranelift_flag_set"}
)


class _Lib:
    def __init__(self, path: Path) -> None:
        dll = ctypes.CDLL(str(path))
        for name, (restype, argtypes) in _SIGNATURES.items():
            if name in _COMPILER_ONLY and not hasattr(dll, name):
                setattr(self, name, None)  # a runtime-only library: it deserializes only
                continue
            fn = getattr(dll, name)
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name, fn)


_libs: dict[Path, _Lib] = {}


def lib(path: Path | None = None) -> _Lib:
    """The library at ``path`` (default: wasmtime-py's full library), loaded once."""
    path = library_path() if path is None else path
    loaded = _libs.get(path)
    if loaded is None:
        loaded = _libs[path] = _Lib(path)
    return loaded


def _error(lib: _Lib, error: int) -> NativeError:
    message = _ByteVec()
    lib.wasmtime_error_message(error, byref(message))
    text = string_at(message.data, message.size).decode("utf-8", "replace")
    lib.wasm_byte_vec_delete(byref(message))
    lib.wasmtime_error_delete(error)
    return NativeError(text)


class Engine:
    def __init__(self, path: Path | None = None, cranelift: dict[str, str] | None = None) -> None:
        """``cranelift``: compiler settings (the library must have a compiler); otherwise the
        default Config. wasmtime's C API aborts the process on a setting it does not know, so
        only the fixed settings of ``_runtime.write_precompiled`` come here, at build time, in a
        process of their own."""
        self.lib = lib(path)
        if not cranelift:
            self.ptr = self.lib.wasm_engine_new()
            return
        if self.lib.wasmtime_config_cranelift_flag_set is None:
            raise NativeError("this wasmtime library has no compiler to configure")
        config = self.lib.wasm_config_new()
        for name, value in cranelift.items():
            self.lib.wasmtime_config_cranelift_flag_set(config, name.encode(), value.encode())
        self.ptr = self.lib.wasm_engine_new_with_config(config)  # takes the config

    def __del__(self) -> None:
        if getattr(self, "ptr", None):
            self.lib.wasm_engine_delete(self.ptr)
            self.ptr = None


class Component:
    def __init__(self, engine: Engine, ptr: int, serialized: bytes | None = None) -> None:
        self.engine = engine  # the engine outlives its components
        self.ptr = ptr
        self._serialized = serialized  # the artifact it came from, when compiled elsewhere

    @classmethod
    def compile(cls, engine: Engine, wasm: bytes | bytearray) -> Component:
        wasm = bytes(wasm)
        if engine.lib.wasmtime_component_new is None:
            raise NativeError("this wasmtime library has no compiler")
        out = _P()
        error = engine.lib.wasmtime_component_new(engine.ptr, wasm, len(wasm), byref(out))
        if error:
            raise _error(engine.lib, error)
        return cls(engine, out.value)

    @classmethod
    def deserialize(
        cls, engine: Engine, artifact: memoryview, serialized: bytes | None = None
    ) -> Component:
        """From verified bytes in memory (wasmtime copies them into executable memory).
        ``serialized``: those bytes, kept for ``serialize`` (a runtime-only library has none)."""
        buffer = (c_uint8 * len(artifact)).from_buffer(artifact)
        out = _P()
        error = engine.lib.wasmtime_component_deserialize(
            engine.ptr, ctypes.addressof(buffer), len(artifact), byref(out)
        )
        del buffer  # release the export of the memoryview
        if error:
            raise _error(engine.lib, error)
        return cls(engine, out.value, serialized)

    def serialize(self) -> bytes:
        if self._serialized is not None:
            return self._serialized
        vec = _ByteVec()
        error = self.engine.lib.wasmtime_component_serialize(self.ptr, byref(vec))
        if error:
            raise _error(self.engine.lib, error)
        data = string_at(vec.data, vec.size)
        self.engine.lib.wasm_byte_vec_delete(byref(vec))
        return data

    def __del__(self) -> None:
        if getattr(self, "ptr", None):
            self.engine.lib.wasmtime_component_delete(self.ptr)
            self.ptr = None


class Record:
    """A WIT record, one attribute per field (named as in WIT), like wasmtime-py's."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"Record({vars(self)!r})"


class Variant:
    def __init__(self, tag: str, payload: Any = None) -> None:
        self.tag = tag
        self.payload = payload

    def __repr__(self) -> str:
        return f"Variant({self.tag!r}, {self.payload!r})"


def _text(vec: _ByteVec) -> str:
    return string_at(vec.data, vec.size).decode()


def _decode(val: _Val) -> Any:
    kind = val.kind
    of = val.of
    if kind == _STRING:
        return _text(of.string)
    if kind == _ENUM:
        return _text(of.enumeration)
    if kind == _BOOL:
        return bool(of.boolean)
    if kind in _SCALARS:
        return getattr(of, _SCALARS[kind])
    if kind == _CHAR:
        return chr(of.character)
    if kind == _RECORD:
        record = Record()
        for i in range(of.record.size):
            entry = of.record.data[i]
            setattr(record, _text(entry.name), _decode(entry.val))
        return record
    if kind in (_LIST, _TUPLE):
        items = of.list if kind == _LIST else of.tuple
        values = [_decode(items.data[i]) for i in range(items.size)]
        return values if kind == _LIST else tuple(values)
    if kind == _OPTION:
        return _decode(of.option[0]) if of.option else None
    if kind == _RESULT:
        payload = _decode(of.result.val[0]) if of.result.val else None
        return Variant("ok" if of.result.is_ok else "err", payload)
    if kind == _VARIANT:
        payload = _decode(of.variant.val[0]) if of.variant.val else None
        return Variant(_text(of.variant.discriminant), payload)
    if kind == _FLAGS:
        return {_text(of.flags.data[i]) for i in range(of.flags.size)}
    raise NativeError(f"durable-core returned a value of kind {kind} this host does not read")


_UNSIGNED = {"u16": (_U16, 0xFFFF), "u32": (_U32, 0xFFFF_FFFF), "u64": (_U64, 2**64 - 1)}


def _lower(slot: _Val, ty: Any, value: Any, keep: list[Any], path: str) -> None:
    """Writes ``value`` as WIT type ``ty`` (see ``_signatures``) into ``slot``. ``keep`` holds what
    the slot points into until the call returns; ``wasmtime_component_func_call`` copies its
    arguments and never frees them."""
    if isinstance(ty, str):
        if ty == "string":
            if type(value) is not str:
                raise TypeError(f"{path} must be str, not {type(value).__name__}")
            slot.kind = _STRING
            _point(slot.of.string, value, keep)
        elif ty in _UNSIGNED:
            kind, bound = _UNSIGNED[ty]
            if type(value) is not int or not 0 <= value <= bound:
                raise TypeError(f"{path} must be an int in 0..{bound}, not {value!r}")
            slot.kind = kind
            setattr(slot.of, ty, value)
        elif ty == "f64":
            if type(value) not in (int, float):
                raise TypeError(f"{path} must be a number, not {type(value).__name__}")
            slot.kind = _F64
            slot.of.f64 = float(value)
        elif ty == "bool":
            if type(value) is not bool:
                raise TypeError(f"{path} must be bool, not {type(value).__name__}")
            slot.kind = _BOOL
            slot.of.boolean = value
        else:
            raise NativeError(f"{path}: no lowering for WIT type {ty}")
        return
    shape = ty[0]
    if shape == "enum":
        if value not in ty[1]:
            raise ValueError(f"{path} must be one of {', '.join(ty[1])}, not {value!r}")
        slot.kind = _ENUM
        _point(slot.of.enumeration, value, keep)
    elif shape == "option":
        slot.kind = _OPTION
        if value is None:
            slot.of.option = None
        else:
            inner = _Val()
            _lower(inner, ty[1], value, keep, path)
            keep.append(inner)
            slot.of.option = ctypes.pointer(inner)
    elif shape == "list":
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise TypeError(f"{path} must be a list, not {type(value).__name__}")
        items = (_Val * len(value))()
        keep.append(items)
        for i, item in enumerate(value):
            _lower(items[i], ty[1], item, keep, f"{path}[{i}]")
        slot.kind = _LIST
        slot.of.list.size = len(value)
        slot.of.list.data = ctypes.cast(items, POINTER(_Val))
    elif shape == "record":
        fields = ty[1]
        entries = (_RecordEntry * len(fields))()
        keep.append(entries)
        for entry, (name, field_type) in zip(entries, fields, strict=True):
            if not hasattr(value, name):
                raise TypeError(f"{path} has no field {name!r}")
            _point(entry.name, name, keep)
            _lower(entry.val, field_type, getattr(value, name), keep, f"{path}.{name}")
        slot.kind = _RECORD
        slot.of.record.size = len(fields)
        slot.of.record.data = ctypes.cast(entries, POINTER(_RecordEntry))
    else:
        raise NativeError(f"{path}: no lowering for WIT type {shape}")


def _point(vec: _ByteVec, text: str, keep: list[Any]) -> None:
    data = text.encode()  # a lone surrogate raises here, before any call
    buffer = (c_uint8 * len(data)).from_buffer_copy(data)
    keep.append(buffer)
    vec.size = len(data)
    vec.data = ctypes.cast(buffer, POINTER(c_uint8))


class Instance:
    """One store and one instance of the component."""

    def __init__(self, component: Component) -> None:
        self.component = component
        lib = self.lib = component.engine.lib
        self.store = lib.wasmtime_store_new(component.engine.ptr, None, None)
        self.context = lib.wasmtime_store_context(self.store)
        self.instance = _Instance()
        linker = lib.wasmtime_component_linker_new(component.engine.ptr)
        try:
            error = lib.wasmtime_component_linker_instantiate(
                linker, self.context, component.ptr, byref(self.instance)
            )
        finally:
            lib.wasmtime_component_linker_delete(linker)
        if error:
            raise _error(lib, error)
        self._funcs: dict[str, _Func] = {}

    def __del__(self) -> None:
        # A caller may still hold a call made from this instance (a finalizer at interpreter
        # exit runs in no particular order): with `store` None it raises instead of calling
        # into freed memory.
        if getattr(self, "store", None):
            store, self.store = self.store, None
            self.lib.wasmtime_store_delete(store)

    def _alive(self) -> None:
        if self.store is None:
            raise NativeError("durable-core's instance was already released")

    def func(self, interface: str, function: str) -> _Func:
        self._alive()
        key = f"{interface}#{function}"
        func = self._funcs.get(key)
        if func is None:
            lib = self.lib
            parent = lib.wasmtime_component_instance_get_export_index(
                byref(self.instance), self.context, None, interface.encode(), len(interface)
            )
            if not parent:
                raise LookupError(f"durable-core component does not export {interface}")
            try:
                index = lib.wasmtime_component_instance_get_export_index(
                    byref(self.instance), self.context, parent, function.encode(), len(function)
                )
            finally:
                lib.wasmtime_component_export_index_delete(parent)
            if not index:
                raise LookupError(f"durable-core component does not export {key}")
            func = _Func()
            try:
                found = lib.wasmtime_component_instance_get_func(
                    byref(self.instance), self.context, index, byref(func)
                )
            finally:
                lib.wasmtime_component_export_index_delete(index)
            if not found:
                raise LookupError(f"durable-core export {key} is not a function")
            self._funcs[key] = func
        return func

    # A function without parameters whose one result is decoded (the signature of a typed call
    # without arguments: its result's type is read from the value itself).
    NO_ARGS: tuple[Any, Any] = ((), "decoded")

    def call_typed(
        self, interface: str, function: str, signature: tuple[Any, Any], args: Sequence[Any]
    ) -> Any:
        """A typed function, its arguments lowered by ``signature`` (see ``_signatures``) and
        its result, if it has one, decoded."""
        params, result = signature
        if len(args) != len(params):
            raise TypeError(f"{interface}#{function} takes {len(params)} arguments")
        func = self.func(interface, function)
        argv = (_Val * len(params))()
        keep: list[Any] = []
        for i, (ty, value) in enumerate(zip(params, args, strict=True)):
            _lower(argv[i], ty, value, keep, f"{function} argument {i}")
        out = _Val()
        results = 0 if result is None else 1
        error = self.lib.wasmtime_component_func_call(
            byref(func), self.context, argv, len(params), byref(out) if results else None, results
        )
        del keep  # the arguments were copied into the call
        if error:
            raise _error(self.lib, error)
        if not results:
            return None
        try:
            return _decode(out)
        finally:
            self.lib.wasmtime_component_val_delete(byref(out))

    def flat(
        self, interface: str, function: str, params: Sequence[str], result: str
    ) -> Callable[..., Any]:
        """``call(*args)`` for a function of u32/u64/f64/string parameters (strings as UTF-8
        bytes) and a u32/u64/string result, with one pre-typed argument array reused."""
        lib = self.lib
        func_ref = byref(self.func(interface, function))
        count = len(params)
        args = (_Val * count)()
        for slot, kind in zip(args, params, strict=True):
            slot.kind = _FLAT_KINDS[kind]
        out = _Val()
        out_ref = byref(out)
        context = self.context
        call_c = lib.wasmtime_component_func_call
        vec_delete = lib.wasm_byte_vec_delete
        # The argument slots' views, made once: a call only stores into them.
        strings = [(i, args[i].of.borrowed_string) for i, k in enumerate(params) if k == "string"]
        scalars = [(i, args[i].of, kind) for i, kind in enumerate(params) if kind != "string"]
        answer = out.of.string
        answer_ref = byref(answer)

        instance = self

        def call(*values: Any) -> Any:
            if instance.store is None:
                instance._alive()
            for i, borrowed in strings:
                borrowed.hold(values[i], i)
            for i, union, kind in scalars:
                setattr(union, kind, values[i])
            error = call_c(func_ref, context, args, count, out_ref, 1)
            for _, borrowed in strings:
                borrowed.release()
            if error:
                raise _error(lib, error)
            if result == "string":
                text = string_at(answer.data, answer.size).decode()
                vec_delete(answer_ref)
                return text
            return getattr(out.of, result)

        return call
