"""Makes the ``harness`` package importable for the tests here in any pytest import mode, and runs
the harness once per session for every test file that asks (``harness_run``)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def harness_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path_factory.mktemp("conformance") / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "harness", "--json", str(out)],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.exists(), (
        f"the harness wrote no report:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done, json.loads(out.read_text(encoding="utf-8"))
