"""The compiled-component cache is used only when it is byte for byte what was compiled.

Every damaged-cache case runs the loader in a fresh subprocess: deserializing damaged machine
code can crash the process (SIGSEGV), which must show up here as a failure, not kill pytest.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from durable_core import _cache, _runtime

FIXTURES = Path(__file__).parent / "fixtures"
PACKAGE = _runtime.component_path().parent

# The child answers with the installed (or copied) package; classify and retry are checked
# against the rules, and `other` is classify-packed at status 999 (the real core: other-status;
# the trapping fixture: a trap).
CHILD = r"""
import json, sys
from durable_core import classify_api_error, retry, _runtime
from durable_core.errors import ComponentTrapError
stale = classify_api_error(400, "InvalidParameterValueException",
                           "Invalid checkpoint token: token expired", profile="python")
decision = retry.Strategy(retry.exponential(jitter="NONE"), profile="python").decide(2, message="x")
try:
    other = _runtime.runtime().call_flat(
        "classify#classify-packed", ("u32", "u32", "string", "string"), "u32", 0, 999, b"", b"")
except ComponentTrapError:
    other = "trap"
print(json.dumps({"stale": [stale.rule, stale.category.value], "retry": decision.delay_seconds,
                  "other": other}))
"""
RIGHT = {"stale": ["stale-checkpoint-token", "INVOCATION"], "retry": 10, "other": 7}


def run_child(cache: Path | str, package_root: Path | None = None) -> dict:
    env = {**os.environ, "DURABLE_CORE_CACHE_DIR": str(cache)}
    if package_root is not None:
        env["PYTHONPATH"] = str(package_root)
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    return json.loads(done.stdout)


def only_artifact(cache: Path) -> Path:
    files = sorted(p for p in cache.iterdir())
    assert [p.suffix for p in files] == [".cwasm"], files  # and no temporary left behind
    return files[0]


def assert_verifies(artifact: Path, wasm: Path | None = None) -> None:
    key = artifact.stem.encode()
    assert _cache.read_verified(artifact, key, wasm or _runtime.component_path()) is not None


def test_a_reinstalled_component_is_hashed_once_then_recognized_by_its_identity(tmp_path: Path):
    root = tmp_path / "site"
    shutil.copytree(PACKAGE, root / "durable_core", ignore=shutil.ignore_patterns("__pycache__"))
    wasm = root / "durable_core" / "durable_core.wasm"
    cache = tmp_path / "cache"
    assert run_child(cache, root) == RIGHT
    artifact = only_artifact(cache)
    key = artifact.stem.encode()
    assert _cache.read_verified(artifact, key, wasm)[1] is None  # the file it was compiled from
    # The same content in a new file (a reinstall): trusted after hashing it, then re-stamped.
    content = wasm.read_bytes()
    wasm.unlink()
    wasm.write_bytes(content)
    sha = _cache.read_verified(artifact, key, wasm)[1]
    assert sha is not None and len(sha) == 32
    before = artifact.stat().st_ino
    assert run_child(cache, root) == RIGHT
    assert only_artifact(cache).stat().st_ino != before  # rewritten atomically
    assert _cache.read_verified(artifact, key, wasm)[1] is None
    # Changed content is never re-stamped: compiled again instead.
    wasm.write_bytes(content + b"\0")
    assert _cache.read_verified(artifact, key, wasm) is None


def elf_section(image: bytes, offset: int, name: bytes) -> tuple[int, int]:
    """(file offset, size) of the named section of the ELF image at ``offset``."""
    shoff = struct.unpack_from("<Q", image, offset + 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", image, offset + 0x3A)

    def header(i: int) -> tuple[int, int, int]:
        at = offset + shoff + i * shentsize
        name_off = struct.unpack_from("<I", image, at)[0]
        sec_off, sec_size = struct.unpack_from("<QQ", image, at + 0x18)
        return name_off, sec_off, sec_size

    strtab = header(shstrndx)[1]
    for i in range(shnum):
        name_off, sec_off, sec_size = header(i)
        start = offset + strtab + name_off
        if image[start : image.index(b"\0", start)] == name:
            return offset + sec_off, sec_size
    raise AssertionError(f"no {name!r} section")


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    cache = tmp_path / "cache"
    assert run_child(cache) == RIGHT
    assert_verifies(only_artifact(cache))
    return cache


def damage(artifact: Path, edit) -> bytes:
    image = bytearray(artifact.read_bytes())
    edit(image)
    artifact.write_bytes(image)
    return bytes(image)


def test_one_changed_byte_in_the_data_image_is_detected_and_repaired(filled: Path):
    artifact = only_artifact(filled)

    def edit(image: bytearray) -> None:
        # The stale-token prefix the rule compares against lives in the data image.
        at = image.index(b"Invalid checkpoint token")
        image[at] ^= 0x20

    damaged = damage(artifact, edit)
    assert run_child(filled) == RIGHT
    assert artifact.read_bytes() != damaged
    assert_verifies(only_artifact(filled))


def test_a_zeroed_page_of_code_is_detected_and_repaired(filled: Path):
    artifact = only_artifact(filled)
    image = artifact.read_bytes()
    elf = image.index(b"\x7fELF")
    text, size = elf_section(image, elf, b".text")
    assert size > 8192

    def edit(image: bytearray) -> None:
        image[text + 4096 : text + 8192] = bytes(4096)

    damaged = damage(artifact, edit)
    for _ in range(2):  # no crash loop: the next cold start is fine too
        assert run_child(filled) == RIGHT
    assert artifact.read_bytes() != damaged
    assert_verifies(only_artifact(filled))


@pytest.mark.parametrize("keep", [0, 10, 100, 0.5])
def test_a_truncated_artifact_is_detected_and_repaired(filled: Path, keep: float):
    artifact = only_artifact(filled)
    image = artifact.read_bytes()
    artifact.write_bytes(image[: int(len(image) * keep) if keep < 1 else int(keep)])
    assert run_child(filled) == RIGHT
    assert artifact.read_bytes() == image  # compiling is deterministic
    assert_verifies(only_artifact(filled))


def test_a_new_component_beside_a_stale_digest_is_compiled_not_served_from_cache(
    tmp_path: Path,
):
    import wasmtime

    root = tmp_path / "site"
    shutil.copytree(PACKAGE, root / "durable_core", ignore=shutil.ignore_patterns("__pycache__"))
    wasm = root / "durable_core" / "durable_core.wasm"
    cache = tmp_path / "cache"
    assert run_child(cache, root) == RIGHT
    original = wasm.read_bytes()
    # Another component (classify-packed traps at status 999), the old .sha256 left in place.
    wasm.write_bytes(wasmtime.wat2wasm((FIXTURES / "trapping_classify.wat").read_text()))
    env = {**os.environ, "DURABLE_CORE_CACHE_DIR": str(cache), "PYTHONPATH": str(root)}
    probe = (
        "from durable_core import _runtime\nfrom durable_core.errors import ComponentTrapError\n"
        "r = _runtime.runtime()\nargs = ('u32', 'u32', 'string', 'string')\n"
        "print(r.call_flat('classify#classify-packed', args, 'u32', 0, 500, b'', b''))\n"
        "try:\n    r.call_flat('classify#classify-packed', args, 'u32', 0, 999, b'', b'')\n"
        "except ComponentTrapError:\n    print('trap')\n"
    )
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.split() == ["5", "trap"]  # the new component's answers
    wasm.write_bytes(original)  # and back: the real core again, not the fixture
    assert run_child(cache, root) == RIGHT
    assert_verifies(only_artifact(cache), wasm)


@pytest.mark.parametrize("content", [False, True])
def test_a_directory_where_the_artifact_belongs_leaves_no_temporary_files(
    tmp_path: Path, content: bool
):
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {**os.environ, "DURABLE_CORE_CACHE_DIR": str(cache)}
    key = subprocess.run(
        [sys.executable, "-c", "from durable_core import _runtime; print(_runtime._cache_key())"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    blocker = cache / f"{key}.cwasm"
    blocker.mkdir()
    if content:
        (blocker / "keep").write_text("someone else's file")
    for _ in range(3):
        assert run_child(cache) == RIGHT
    if content:  # not ours to delete: used as is, nothing left behind
        assert sorted(p.name for p in cache.iterdir()) == [blocker.name]
        assert (blocker / "keep").exists()
    else:  # an empty directory in the way is replaced by the artifact
        assert_verifies(only_artifact(cache))


def test_an_unwritable_cache_still_gives_the_right_answers(tmp_path: Path):
    # /proc cannot be written even by root; a path through a regular file neither.
    (tmp_path / "file").write_text("")
    for cache in ("/proc/durable-core-test", tmp_path / "file" / "cache"):
        assert run_child(cache) == RIGHT
    if os.getuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert run_child(locked) == RIGHT
        assert not any(locked.iterdir())


def test_a_stale_temporary_from_a_killed_writer_is_removed(tmp_path: Path):
    cache = tmp_path / "cache"
    cache.mkdir()
    orphan = cache / ".abandoned.tmp"
    orphan.write_bytes(b"x" * 1000)
    os.utime(orphan, (1, 1))
    fresh = cache / ".writing-now.tmp"
    fresh.write_bytes(b"x")
    assert run_child(cache) == RIGHT
    assert not orphan.exists()
    assert fresh.exists()  # another process may still be writing it


def test_an_artifact_of_another_user_is_not_used(tmp_path: Path, monkeypatch):
    cache = tmp_path / "cache"
    assert run_child(cache) == RIGHT
    artifact = only_artifact(cache)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(artifact).st_uid + 1)
    assert _cache.read_verified(artifact, artifact.stem.encode(), _runtime.component_path()) is None


COUNTING = r"""
import json, sys
from durable_core import _native, classify_api_error
compiled, compile = [], _native.Component.compile.__func__
_native.Component.compile = classmethod(lambda cls, e, w: compiled.append(1) or compile(cls, e, w))
c = classify_api_error(400, "InvalidParameterValueException", "Invalid checkpoint token: x",
                       profile="python")
print(json.dumps([c.rule, len(compiled)]))
"""


def count_compiles(cache: Path | str, root: Path) -> tuple[str, int]:
    env = {**os.environ, "DURABLE_CORE_CACHE_DIR": str(cache), "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", COUNTING], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    rule, compiled = json.loads(done.stdout)
    return rule, compiled


@pytest.fixture
def precompiled_site(tmp_path: Path) -> Path:
    """A copy of the package with the component precompiled beside it, as a platform wheel
    installs it."""
    root = tmp_path / "site"
    shutil.copytree(PACKAGE, root / "durable_core", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run(
        [sys.executable, "-c", "from durable_core._runtime import write_precompiled as w; w()"],
        env=env,
        check=True,
        timeout=120,
    )
    return root


def test_a_precompiled_component_spares_a_first_start_the_compile(
    precompiled_site: Path, tmp_path: Path
):
    cache = tmp_path / "cache"
    assert count_compiles(cache, precompiled_site) == ("stale-checkpoint-token", 0)
    assert_verifies(only_artifact(cache), precompiled_site / "durable_core" / "durable_core.wasm")
    # A cache that cannot be written (Lambda's read-only places): every start still deserializes.
    assert count_compiles("off", precompiled_site) == ("stale-checkpoint-token", 0)
    assert count_compiles("/proc/durable-core-test", precompiled_site)[1] == 0


def test_a_precompiled_component_of_another_user_is_used(precompiled_site: Path, tmp_path: Path):
    # Installed with the package (by root, say) and as trusted as its code; a cache file of
    # another user is not (test_an_artifact_of_another_user_is_not_used).
    artifact = precompiled_site / "durable_core" / "durable_core.cwasm"
    if os.getuid() != 0:
        pytest.skip("changing a file's owner needs root")
    os.chown(artifact, 65534, 65534)
    assert count_compiles("off", precompiled_site) == ("stale-checkpoint-token", 0)


@pytest.mark.parametrize("how", ["byte", "truncated", "other-component"])
def test_a_damaged_or_stale_precompiled_component_is_compiled_instead(
    precompiled_site: Path, tmp_path: Path, how: str
):
    artifact = precompiled_site / "durable_core" / "durable_core.cwasm"
    wasm = precompiled_site / "durable_core" / "durable_core.wasm"
    image = bytearray(artifact.read_bytes())
    if how == "byte":
        image[len(image) // 2] ^= 0x40
        artifact.write_bytes(image)
    elif how == "truncated":
        artifact.write_bytes(image[: len(image) // 2])
    else:  # the component changed after precompiling (a custom section appended)
        wasm.write_bytes(wasm.read_bytes() + b"\x00\x05\x04note")
    cache = tmp_path / "cache"
    assert count_compiles(cache, precompiled_site) == ("stale-checkpoint-token", 1)
    assert count_compiles(cache, precompiled_site) == ("stale-checkpoint-token", 0)  # cached


def test_the_precompiled_component_assumes_no_avx512(precompiled_site: Path):
    # Compiled for every Lambda x86 host, not only this one: on a CPU with AVX-512 the default
    # compile records those features and the precompiled one does not, and both load here.
    cpu = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    if os.uname().machine != "x86_64" or " avx512f" not in cpu:
        pytest.skip("needs an x86-64 CPU with AVX-512 to tell the two apart")
    from durable_core import _native

    wasm = (precompiled_site / "durable_core" / "durable_core.wasm").read_bytes()
    shipped = (precompiled_site / "durable_core" / "durable_core.cwasm").read_bytes()
    default = _native.Component.compile(_native.Engine(), wasm).serialize()
    assert shipped[_cache._HEADER.size :] != default
    assert count_compiles("off", precompiled_site) == ("stale-checkpoint-token", 0)
