"""Every vector file, through the public API, on both calling paths."""

import pytest
from conftest import vector_dirs
from vector_runner import run_file, vector_files

from durable_core._runtime import Runtime


@pytest.mark.parametrize("path", ["fast", "portable"])
def test_every_vector_passes(monkeypatch, path):
    monkeypatch.setenv("DURABLE_CORE_CALL_PATH", path)
    reports = []
    for file in vector_files(vector_dirs()):
        # A runtime of its own per file, so the chosen calling path is the one measured: on the
        # fast path a suite whose calls are all flat (invocation: JSON strings and handles) runs
        # entirely on the native backend; the others move to wasmtime-py at their first typed
        # call with parameters (a retry config, a text status, an operation id).
        runtime = Runtime()
        monkeypatch.setattr("durable_core._runtime._runtime", runtime)
        reports.append(run_file(file))
        if path == "portable":
            assert runtime.backend == "wasmtime-py"
        elif reports[-1]["suite"] == "invocation":
            assert runtime.backend == "native", reports[-1]["file"]
    assert sum(r["passed"] for r in reports) > 0
    failures = [(r["file"], f) for r in reports for f in r["failures"]]
    assert failures == []
