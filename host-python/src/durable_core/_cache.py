"""The on-disk cache of the compiled component, trusted only when it verifies.

Deserializing a compiled artifact runs its machine code as is, so a damaged file must never
reach wasmtime: one changed byte in its data can change an answer, a zeroed page of code
crashes the process at every cold start. Each cache file is therefore

    header | artifact

where the header records which component the artifact was compiled from (its real sha256 and
the file identity it had then) and a keyed BLAKE2b of everything after the digest field. A
file is used only if the digest matches and the shipped component is still the one it was
compiled from; otherwise the component is compiled again and the file replaced atomically
(temporary file + rename, the temporary removed on any failure). Deserializing reads from the
verified bytes in memory, so the file cannot change between the check and the use. A component
file with the compiled content but another identity (a reinstall) is hashed once, and the file
re-stamped.

A platform wheel also ships the component precompiled in the same format (``durable_core.cwasm``
beside it): used, and copied into the cache, when the cache has nothing for this component, so
that a first start with an empty cache does not compile.

This module imports no wasmtime code: the loader passes in how to compile, serialize and
deserialize.
"""

from __future__ import annotations

import os
import stat
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:  # the C module behind hashlib.blake2b, without hashlib's OpenSSL import (~2 ms)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython always has it
    from hashlib import blake2b

_MAGIC = b"dc-cwasm\x01\x00\x00\x00"
# magic, digest, then (covered by the digest) the component's sha256 and the identity of its
# file when compiled: device, inode, size, mtime_ns, ctime_ns.
_HEADER = struct.Struct("<12s32s32sQQQQQ")
_STALE_TEMP_SECONDS = 600


def _identity(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _digest(key: bytes, covered: bytes | memoryview, artifact: bytes | memoryview) -> bytes:
    mac = blake2b(covered, key=key[:64], digest_size=32, person=b"durable-core")
    mac.update(artifact)
    return mac.digest()


def _sha256(data: bytes) -> bytes:
    try:  # the built-in module: hashlib would import OpenSSL first (about 2.5 ms)
        from _sha256 import sha256  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - CPython 3.12+ names it _sha2
        from hashlib import sha256
    return sha256(data).digest()


def read_verified(
    path: Path, key: bytes, wasm: Path, *, any_owner: bool = False
) -> tuple[memoryview, bytes | None] | None:
    """The artifact in ``path`` if it verifies against ``key`` and ``wasm``; else None. With it,
    None when ``wasm`` is the very file it was compiled from, else the sha256 they share (another
    file with the same content, such as after a reinstall: that costs a hash of the component at
    every start until the file is re-stamped). ``any_owner``: for a file installed with the
    package (as trusted as its code, whoever installed it), not one in a cache directory."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        # Only a regular file this user wrote: another user could plant code to run.
        if not stat.S_ISREG(st.st_mode) or (st.st_uid != os.getuid() and not any_owner):
            return None
        if st.st_size <= _HEADER.size:
            return None
        data = bytearray(st.st_size)
        view = memoryview(data)
        with open(fd, "rb", buffering=0, closefd=False) as f:
            got = 0
            while got < st.st_size:
                n = f.readinto(view[got:])
                if not n:
                    return None
                got += n
            if f.read(1):  # grew while being read
                return None
    except OSError:
        return None
    finally:
        os.close(fd)
    magic, digest, component_sha, *identity = _HEADER.unpack_from(data)
    if magic != _MAGIC:
        return None
    covered = view[len(_MAGIC) + 32 : _HEADER.size]
    artifact = view[_HEADER.size :]
    if _digest(key, covered, artifact) != digest:
        return None
    try:
        current = os.stat(wasm)
    except OSError:
        return None
    if _identity(current) == tuple(identity):
        return artifact, None
    # A different file (reinstalled, copied, or swapped beside a stale .sha256): trust it only
    # if its content is the one compiled.
    try:
        if _sha256(wasm.read_bytes()) != component_sha:
            return None
    except OSError:
        return None
    return artifact, component_sha


def write_atomic(
    path: Path, key: bytes, wasm_bytes: bytes, wasm_stat: Any, artifact: bytes
) -> None:
    """Write header + artifact to ``path`` via a temporary file and a rename. Raises OSError;
    never leaves the temporary file behind."""
    covered = _HEADER.pack(_MAGIC, b"", _sha256(wasm_bytes), *_identity(wasm_stat))[
        len(_MAGIC) + 32 :
    ]
    header = _MAGIC + _digest(key, covered, artifact) + covered
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _remove_stale_temporaries(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(header)
            out.write(artifact)
        if path.is_dir() and not path.is_symlink():
            os.rmdir(path)  # an (empty) directory in the way; a full one makes replace fail
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _store_verified(
    path: Path, key: bytes, wasm: Path, artifact: memoryview, compiled_from: bytes | None
) -> None:
    """Writes a verified artifact to ``path`` stamped with ``wasm``'s current identity, if
    ``wasm`` still holds what it was compiled from (``compiled_from``: that sha256; None when
    it was verified as the very file). Lets later starts skip hashing the component."""
    try:
        wasm_stat = os.stat(wasm)
        wasm_bytes = wasm.read_bytes()
        if _identity(os.stat(wasm)) != _identity(wasm_stat):
            return  # changing under us: leave it to a later start
        if compiled_from is not None and _sha256(wasm_bytes) != compiled_from:
            return
        write_atomic(path, key, wasm_bytes, wasm_stat, bytes(artifact))
    except OSError:
        pass  # a read-only cache costs the hash at each start, not correctness


def _remove_stale_temporaries(directory: Path) -> None:
    """Temporaries of writers that died mid-write (a killed process cannot clean up)."""
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(".tmp"):
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime > _STALE_TEMP_SECONDS:
                    os.unlink(entry.path)
            except OSError:
                pass


def load(
    cache: Path | None,
    key: str,
    wasm: Path,
    compile_wasm: Callable[[bytes], Any],
    serialize: Callable[[Any], bytes],
    deserialize: Callable[[memoryview], Any],
    errors: tuple[type[BaseException], ...],
    precompiled: tuple[Path, bytes] | None = None,
) -> Any:
    """The compiled component: from a verified cache file, else from the verified artifact the
    package ships (``precompiled``: its path and key; then copied into the cache), else compiled
    (and cached)."""
    path = cache / f"{key}.cwasm" if cache is not None else None
    if path is not None:
        verified = read_verified(path, key.encode(), wasm)
        if verified is not None:
            artifact, shared_sha = verified
            try:
                component = deserialize(artifact)
            except errors:
                pass  # verified, yet refused (a wasmtime whose build the key did not catch)
            else:
                # Another file with the compiled content: record its identity, so later starts
                # skip the hash.
                if shared_sha is not None:
                    _store_verified(path, key.encode(), wasm, artifact, shared_sha)
                return component
    if precompiled is not None:
        verified = read_verified(*precompiled, wasm, any_owner=True)
        if verified is not None:
            artifact, compiled_from = verified
            try:
                component = deserialize(artifact)
            except errors:
                pass  # built for another CPU or wasmtime: compile here instead
            else:
                if path is not None:
                    _store_verified(path, key.encode(), wasm, artifact, compiled_from)
                return component
    wasm_stat = os.stat(wasm)
    wasm_bytes = wasm.read_bytes()
    component = compile_wasm(wasm_bytes)
    if path is not None:
        try:
            write_atomic(path, key.encode(), wasm_bytes, wasm_stat, serialize(component))
        except OSError:
            pass  # a read-only or unusable cache costs speed, not correctness
    return component
