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
