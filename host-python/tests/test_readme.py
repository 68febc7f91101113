"""The README's Python examples are doctests: they must run and print what the README shows."""

import doctest
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_python_examples_run_as_shown():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    examples = "\n".join(b for b in blocks if ">>>" in b)
    assert examples.count(">>>") >= 3
    parser = doctest.DocTestParser()
    test = parser.get_doctest(examples, {}, "README", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0
    assert runner.tries >= 3
