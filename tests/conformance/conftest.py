"""Makes the ``harness`` package importable for test_conformance.py in any pytest import mode."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
