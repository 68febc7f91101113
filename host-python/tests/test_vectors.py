"""Every vector file, through the public API, on both calling paths."""

import pytest
from conftest import vector_dirs
from vector_runner import run_file, vector_files

from durable_core._runtime import Runtime


@pytest.mark.parametrize("path", ["fast", "portable"])
def test_every_vector_passes(monkeypatch, path):
    monkeypatch.setenv("DURABLE_CORE_CALL_PATH", path)
    # A runtime of its own, so the chosen calling path is the one measured.
    monkeypatch.setattr("durable_core._runtime._runtime", Runtime())
    reports = [run_file(p) for p in vector_files(vector_dirs())]
    assert sum(r["passed"] for r in reports) > 0
    failures = [(r["file"], f) for r in reports for f in r["failures"]]
    assert failures == []
