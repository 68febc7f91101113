"""The Python package as users get it: built by its own backend, installed outside the repository.

The builds run offline (no build isolation: the venv's setuptools and `build`), the installs go
into a fresh venv in a temporary directory whose only borrowed package is wasmtime, and the
calls run there with the repository nowhere on the path.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest
import wasmtime

REPO = Path(__file__).resolve().parents[2]
HOST = REPO / "host-python"
COMPONENT = HOST / "src" / "durable_core" / "durable_core.wasm"
PYTHON = sys.executable


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def copy_host(dest: Path, *, with_component: bool) -> Path:
    """host-python's package sources (what a checkout or an sdist holds), optionally without
    the built component."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "tests", "target")
    shutil.copytree(HOST, dest, ignore=ignore)
    if not with_component:
        for name in ("durable_core.wasm", "durable_core.wasm.sha256"):
            (dest / "src" / "durable_core" / name).unlink()
    return dest


def pip_wheel(project: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return run(
        PYTHON, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "--disable-pip-version-check", "-w", out, project,
    )  # fmt: skip


def test_licence_files_are_one_text() -> None:
    root = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in root
    assert "Version 2.0, January 2004" in root
    assert "END OF TERMS AND CONDITIONS" in root
    assert (HOST / "LICENSE").read_text(encoding="utf-8") == root
    assert (REPO / "host-node" / "LICENSE").read_text(encoding="utf-8") == root


def test_no_wheel_without_the_component_outside_a_checkout(tmp_path: Path) -> None:
    project = copy_host(tmp_path / "host-python", with_component=False)
    done = pip_wheel(project, tmp_path / "out")
    assert done.returncode != 0
    assert "scripts/build-component" in done.stdout + done.stderr
    assert not list(tmp_path.glob("out/*.whl"))


def test_no_wheel_when_the_build_script_fails(tmp_path: Path) -> None:
    # A checkout whose scripts/build-component fails: the stale component beside the sources
    # must not be packaged.
    project = copy_host(tmp_path / "repo" / "host-python", with_component=True)
    script = tmp_path / "repo" / "scripts" / "build-component"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\necho 'no wasm32 target here' >&2\nexit 3\n", encoding="utf-8")
    script.chmod(0o755)
    done = pip_wheel(project, tmp_path / "out")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "scripts/build-component failed (exit 3)" in output
    assert "no wasm32 target here" in output


def test_no_wheel_when_the_digest_disagrees(tmp_path: Path) -> None:
    project = copy_host(tmp_path / "host-python", with_component=True)
    (project / "src" / "durable_core" / "durable_core.wasm.sha256").write_text("0" * 64 + "\n")
    done = pip_wheel(project, tmp_path / "out")
    assert done.returncode != 0
    assert "scripts/build-component --force" in done.stdout + done.stderr


def fresh_venv(where: Path) -> Path:
    """A venv in `where` with the repository's wasmtime visible through a .pth file (no network,
    and nothing else from the repository's venv: no durable_core)."""
    where.mkdir(parents=True, exist_ok=True)
    venv = where / "venv"
    assert run(PYTHON, "-m", "venv", "--without-pip", venv).returncode == 0
    borrowed = where / "borrowed"
    borrowed.mkdir()
    site_packages = Path(wasmtime.__file__).parent.parent
    (borrowed / "wasmtime").symlink_to(site_packages / "wasmtime", target_is_directory=True)
    for dist_info in site_packages.glob("wasmtime-*.dist-info"):  # its version, as pip leaves it
        (borrowed / dist_info.name).symlink_to(dist_info, target_is_directory=True)
    (site,) = venv.glob("lib/python3*/site-packages")
    (site / "borrowed.pth").write_text(f"{borrowed}\n", encoding="utf-8")
    return venv / "bin" / "python"


def install_and_classify(where: Path, package: Path) -> tuple[str, int]:
    """Installs ``package`` in a fresh venv, classifies there with an empty cache; returns the
    wasmtime library's file name the calls ran on and how many times the component was
    compiled."""
    python = fresh_venv(where)
    installed = run(
        PYTHON, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        "--disable-pip-version-check", package,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    program = (
        "import durable_core, json\n"
        "from durable_core import _native\n"
        "compiled, compile = [], _native.Component.compile.__func__\n"
        "_native.Component.compile = classmethod("
        "lambda cls, e, w: compiled.append(1) or compile(cls, e, w))\n"
        "c = durable_core.classify_api_error(400, 'InvalidParameterValueException',"
        " 'Invalid checkpoint token: expired', profile='python')\n"
        "from durable_core import _runtime\n"
        "lib = _runtime.runtime()._backend.library.name\n"
        "print(json.dumps([durable_core.__file__, c.category.value, c.retryable, c.rule, lib,"
        " len(compiled)]))\n"
    )
    env = {"PATH": os.environ["PATH"], "DURABLE_CORE_CACHE_DIR": str(where / "cache")}
    done = subprocess.run(
        [str(python), "-I", "-c", program], cwd=where, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    file, category, retryable, rule, library, compiled = json.loads(done.stdout)
    assert Path(file).is_relative_to(where / "venv")
    assert (category, retryable, rule) == ("INVOCATION", True, "stale-checkpoint-token")
    return library, compiled


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m build`: the sdist, then the wheel built from the unpacked sdist."""
    out = tmp_path_factory.mktemp("dist")
    done = run(PYTHON, "-m", "build", "--no-isolation", "--outdir", out, HOST)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_wheel_from_the_sdist_carries_the_component(built: Path) -> None:
    (wheel,) = built.glob("durable_core-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        wasm = z.read("durable_core/durable_core.wasm")
        digest = z.read("durable_core/durable_core.wasm.sha256").decode().strip()
        metadata = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert wasm == COMPONENT.read_bytes()
    assert digest == hashlib.sha256(wasm).hexdigest()
    assert "durable_core/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: Apache-2.0" in metadata
    assert "Classifier: Typing :: Typed" in metadata
    assert "Keywords:" in metadata
    assert "Project-URL:" in metadata


def test_sdist_carries_the_component_and_the_backend(built: Path) -> None:
    (sdist,) = built.glob("durable_core-*.tar.gz")
    with tarfile.open(sdist) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    assert {
        "src/durable_core/durable_core.wasm",
        "src/durable_core/durable_core.wasm.sha256",
        "build_backend/durable_core_build.py",
        "LICENSE",
        "pyproject.toml",
    } <= names
    assert "src/durable_core/_wasmtime_runtime.so" not in names  # platform binaries
    assert "src/durable_core/durable_core.cwasm" not in names


def test_built_wheel_installs_and_classifies_outside_the_repository(
    built: Path, tmp_path: Path
) -> None:
    # From the sdist: no runtime-only library (a platform binary), so a pure wheel whose calls
    # run on wasmtime-py's full library.
    (wheel,) = built.glob("durable_core-*.whl")
    assert wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as z:
        assert "durable_core/durable_core.cwasm" not in z.namelist()
    assert install_and_classify(tmp_path, wheel) == ("_libwasmtime.so", 1)  # compiled there


def test_pip_wheel_in_the_checkout_builds_the_component_in(tmp_path: Path) -> None:
    done = pip_wheel(HOST, tmp_path / "out")
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (tmp_path / "out").glob("durable_core-*.whl")
    runtime_library = COMPONENT.with_name("_wasmtime_runtime.so")
    with zipfile.ZipFile(wheel) as z:
        assert z.read("durable_core/durable_core.wasm") == COMPONENT.read_bytes()
        assert z.read("durable_core/_wasmtime_runtime.so") == runtime_library.read_bytes()
        assert "durable_core/durable_core.cwasm" in z.namelist()
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    assert wheel.name.endswith(f"-py3-none-{platform}.whl")
    # The component precompiled: a first start with an empty cache (every new Lambda
    # environment) deserializes it instead of compiling.
    assert install_and_classify(tmp_path / "install", wheel) == ("_wasmtime_runtime.so", 0)
