import os
import sys
from pathlib import Path

# The vector runner is a script beside the tests; make it importable from them.
sys.path.insert(0, str(Path(__file__).parent))

REPO = Path(__file__).resolve().parents[2]
# The conformance harness's local-service helpers serve the end-to-end tests too.
sys.path.insert(0, str(REPO / "tests" / "conformance"))


def vector_dirs() -> list[str]:
    extra = [d for d in os.environ.get("DURABLE_CORE_VECTORS", "").split(":") if d]
    return [str(REPO / "tests" / "vectors"), *extra]


def move_to_wasmtime_py(runtime) -> None:
    """Moves a fast-path runtime to wasmtime-py: a typed call with parameters that has no
    signature in durable_core._signatures (the host itself never makes `retry#decide`)."""
    from durable_core import retry

    config = retry._to_wit(retry.exponential())
    runtime.call("retry#decide", config, "python", 1.0, 0.5, "", [])
    assert runtime.backend == "wasmtime-py"
