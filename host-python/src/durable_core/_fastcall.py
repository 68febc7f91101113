"""A lean calling path for component functions whose parameters and result are flat.

wasmtime-py's ``Func.__call__`` re-reads the function's type and converts every value through
Python objects on each call (about 30 us for two strings and two integers); the rule itself
costs well under a microsecond. This caller keeps one pre-typed argument array per function and
fills it in place through the same C API (``wasmtime_component_func_call``), about 5 us a call.

It relies on wasmtime-py internals (``wasmtime._ffi``), so it is only used when the pinned
wasmtime range provides them and a self-check at load time agrees with the public path;
otherwise ``Func.__call__`` is used. ``DURABLE_CORE_CALL_PATH=portable`` forces the public path.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from typing import Any

from wasmtime import WasmtimeError, _ffi

from ._native import _BorrowedBytes  # laid over wasmtime-py's argument slots

_byte_vec_delete = _ffi.dll["wasm_byte_vec_delete"]
_byte_vec_delete.restype = None
_byte_vec_delete.argtypes = [ctypes.POINTER(_ffi.wasm_byte_vec_t)]
_func_call = _ffi.dll["wasmtime_component_func_call"]
_func_call.restype = ctypes.c_void_p
_func_call.argtypes = [
    ctypes.POINTER(_ffi.wasmtime_component_func_t),
    ctypes.POINTER(_ffi.wasmtime_context_t),
    ctypes.POINTER(_ffi.wasmtime_component_val_t),
    ctypes.c_size_t,
    ctypes.POINTER(_ffi.wasmtime_component_val_t),
    ctypes.c_size_t,
]

_KINDS = {
    "u32": _ffi.WASMTIME_COMPONENT_U32,
    "u64": _ffi.WASMTIME_COMPONENT_U64,
    "f64": _ffi.WASMTIME_COMPONENT_F64,
    "string": _ffi.WASMTIME_COMPONENT_STRING,
}


def make_caller(func: Any, store: Any, params: Sequence[str], result: str) -> Callable[..., Any]:
    """Return ``call(*args)`` for ``func``, whose parameter kinds are ``params`` (u32, u64, f64
    or string; strings are passed as UTF-8 ``bytes``) and whose result kind is ``result``
    (u32, u64 or string). Raises ``WasmtimeError`` (a trap) like ``Func.__call__``."""
    count = len(params)
    args = (_ffi.wasmtime_component_val_t * count)()
    for slot, kind in zip(args, params, strict=True):
        slot.kind = _KINDS[kind]
    out = _ffi.wasmtime_component_val_t()
    out_ref = ctypes.byref(out)
    func_ref = ctypes.byref(func._func)
    borrowed: list[_BorrowedBytes] = []  # the string slots, cleared after each call
    setters = [_setter(args, i, kind, borrowed) for i, kind in enumerate(params)]

    def call(*values: Any) -> Any:
        # Asked each call: a closed store (a finalizer at interpreter exit) raises ValueError
        # here instead of being called into.
        context = store._context()
        for set_value, value in zip(setters, values, strict=True):
            set_value(value)
        error = _func_call(func_ref, context, args, count, out_ref, 1)
        for slot in borrowed:
            slot.release()
        if error:
            raise WasmtimeError._from_ptr(ctypes.cast(error, ctypes.POINTER(_ffi.wasmtime_error_t)))
        if result == "string":
            text = _ffi.to_str(out.of.string)
            _byte_vec_delete(ctypes.byref(out.of.string))
            return text
        return getattr(out.of, result)

    return call


def _setter(
    args: Any, index: int, kind: str, borrowed: list[_BorrowedBytes]
) -> Callable[[Any], None]:
    union = args[index].of
    if kind == "string":
        slot = _BorrowedBytes.from_address(ctypes.addressof(union))
        borrowed.append(slot)

        def set_string(value: bytes) -> None:
            slot.hold(value, index)

        return set_string

    def set_scalar(value: Any) -> None:
        setattr(union, kind, value)

    return set_scalar
