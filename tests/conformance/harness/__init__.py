"""durable-core's offline conformance harness for the official AWS durable-execution requirements.

The requirements (YAML) and the history matcher come from the installed PyPI package
aws-durable-execution-conformance-tests; this package only runs handlers and judges the results.
Entry point: ``python -m harness`` (see ``tests/conformance/run``).
"""
