"""The package's PEP 517 build backend: setuptools, plus the component.

Every build (wheel, sdist, editable) first makes sure `durable_core.wasm` and its digest are there
and agree. In a durable-core checkout it runs `scripts/build-component` (which does nothing when
the component is newer than its sources); outside one (a build from the sdist, which carries the
component) it checks the files. Either way it never produces a package without the component:
`pip wheel`, `pip install`, and `python -m build` fail with a message naming
`scripts/build-component` instead.

In a checkout it also builds the runtime-only wasmtime library (`scripts/build-wasmtime-runtime`,
installed as `src/durable_core/_wasmtime_runtime.so`). A wheel that carries it also carries the
component precompiled for this platform (`durable_core.cwasm`) and is tagged for it
(`py3-none-<platform>`); without it (a build from the sdist, which carries no binary) the wheel is
pure and warm starts use wasmtime-py's full library.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import (
    get_requires_for_build_editable,
    get_requires_for_build_sdist,
    get_requires_for_build_wheel,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)

__all__ = [
    "build_editable",
    "build_sdist",
    "build_wheel",
    "get_requires_for_build_editable",
    "get_requires_for_build_sdist",
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "prepare_metadata_for_build_wheel",
]

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # host-python/ (or the unpacked sdist)
COMPONENT = PACKAGE_DIR / "src" / "durable_core" / "durable_core.wasm"
DIGEST = COMPONENT.with_name("durable_core.wasm.sha256")
BUILD_SCRIPT = PACKAGE_DIR.parent / "scripts" / "build-component"
RUNTIME_LIBRARIES = [COMPONENT.with_name(f"_wasmtime_runtime.{s}") for s in ("so", "dylib")]
RUNTIME_SCRIPT = PACKAGE_DIR.parent / "scripts" / "build-wasmtime-runtime"
PRECOMPILED = COMPONENT.with_name("durable_core.cwasm")


class ComponentMissingError(RuntimeError):
    """The component could not be built or found; the message says what to run."""


def ensure_component() -> Path:
    """Builds the component in a checkout, or checks the one an sdist carries; returns its path."""
    _run_build_script(
        BUILD_SCRIPT,
        "so no package is built without the WebAssembly component",
        "Run scripts/setup once (Rust wasm target and jco), then scripts/build-component, "
        "then build again.",
    )
    if not COMPONENT.is_file() or not DIGEST.is_file():
        raise ComponentMissingError(
            f"durable-core: the WebAssembly component {COMPONENT.name} is missing from "
            f"{COMPONENT.parent}, and there is no scripts/build-component beside this package "
            f"to build it. Build from a durable-core checkout (where this backend runs "
            f"scripts/build-component) or from the sdist, which carries the component."
        )
    actual = hashlib.sha256(COMPONENT.read_bytes()).hexdigest()
    recorded = DIGEST.read_text(encoding="utf-8").strip()
    if actual != recorded:
        raise ComponentMissingError(
            f"durable-core: {DIGEST.name} says {recorded} but {COMPONENT.name} hashes to {actual}; "
            f"run scripts/build-component --force to rebuild both."
        )
    return COMPONENT


def ensure_runtime_library() -> bool:
    """Builds the runtime-only wasmtime library in a checkout; True if the package has one."""
    _run_build_script(
        RUNTIME_SCRIPT,
        "so no wheel is built without the runtime-only wasmtime library",
        "Run scripts/setup once, then build again.",
    )
    return any(library.is_file() for library in RUNTIME_LIBRARIES)


def precompile() -> None:
    """Writes the component precompiled for this platform (durable_core._runtime's
    write_precompiled, on the build environment's wasmtime), so that a first start with an
    empty cache, as every new Lambda environment has, deserializes instead of compiling."""
    # src/ put on the path by the program itself: the build environment may ignore PYTHONPATH.
    program = (
        f"import sys; sys.path.insert(0, {str(PACKAGE_DIR / 'src')!r}); "
        "from durable_core._runtime import write_precompiled; write_precompiled()"
    )
    _run(
        [sys.executable, "-c", program],
        PACKAGE_DIR,
        "precompiling the component failed",
        "so no platform wheel is built without it",
        "The build environment needs wasmtime (a build requirement).",
    )


def _run_build_script(script: Path, consequence: str, advice: str) -> None:
    """Runs a checkout's build script (none outside a checkout); raises if it fails."""
    if script.is_file():
        _run([str(script)], script.parent.parent, f"{script} failed", consequence, advice)


def _run(command: list[str], cwd: Path, failed: str, consequence: str, advice: str) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ComponentMissingError(
            f"durable-core: {failed} (exit {done.returncode}), {consequence}. "
            f"Its output:\n{done.stdout}{done.stderr}\n{advice}"
        )


def _for_this_platform(
    config_settings: dict[str, str | list[str]] | None,
) -> dict[str, str | list[str]]:
    # The library is a platform binary loaded with ctypes, not an extension module: the Python
    # tag stays py3, the platform tag is this machine's.
    settings = dict(config_settings or {})
    options = settings.get("--build-option", [])
    options = [options] if isinstance(options, str) else list(options)
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    settings["--build-option"] = [*options, f"--plat-name={plat}"]
    return settings


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, str | list[str]] | None = None,
    metadata_directory: str | None = None,
) -> str:
    ensure_component()
    # setuptools copies package data into build/lib and never removes it: a platform file left
    # there by an earlier build must not reach this one unless src/ has it now.
    for platform_file in [*RUNTIME_LIBRARIES, PRECOMPILED]:
        (PACKAGE_DIR / "build" / "lib" / "durable_core" / platform_file.name).unlink(
            missing_ok=True
        )
    if not ensure_runtime_library():
        PRECOMPILED.unlink(missing_ok=True)  # platform code has no place in a pure wheel
        return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)
    # The precompiled component exists for the wheel only: a checkout keeps compiling into its
    # cache, whatever was built from it.
    precompile()
    try:
        return _setuptools.build_wheel(
            wheel_directory, _for_this_platform(config_settings), metadata_directory
        )
    finally:
        PRECOMPILED.unlink(missing_ok=True)


def build_sdist(
    sdist_directory: str, config_settings: dict[str, str | list[str]] | None = None
) -> str:
    ensure_component()
    return _setuptools.build_sdist(sdist_directory, config_settings)


def build_editable(
    wheel_directory: str,
    config_settings: dict[str, str | list[str]] | None = None,
    metadata_directory: str | None = None,
) -> str:
    ensure_component()
    return _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)
