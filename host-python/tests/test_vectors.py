"""Every vector file, through the public API, on both calling paths."""

import pytest
from conftest import move_to_wasmtime_py, vector_dirs
from vector_runner import run_file, vector_files

from durable_core._runtime import Runtime


@pytest.mark.parametrize("path", ["fast", "fast-on-wasmtime-py", "portable"])
def test_every_vector_passes(monkeypatch, path):
    monkeypatch.setenv("DURABLE_CORE_CALL_PATH", "fast" if path.startswith("fast") else path)
    reports = []
    for file in vector_files(vector_dirs()):
        # A runtime of its own per file, so the chosen calling path is the one measured: the
        # fast path runs every suite on the native backend (typed parameters lowered by
        # durable_core._signatures); fast-on-wasmtime-py is where it runs without wasmtime's C
        # library beside it (wasmtime-py with the lean ctypes caller); portable is wasmtime-py's
        # public path.
        runtime = Runtime()
        monkeypatch.setattr("durable_core._runtime._runtime", runtime)
        if path == "fast-on-wasmtime-py":
            move_to_wasmtime_py(runtime)
        reports.append(run_file(file))
        expected = "native" if path == "fast" else "wasmtime-py"
        assert runtime.backend == expected, reports[-1]["file"]
    assert sum(r["passed"] for r in reports) > 0
    failures = [(r["file"], f) for r in reports for f in r["failures"]]
    assert failures == []
