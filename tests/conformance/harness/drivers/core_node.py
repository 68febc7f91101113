"""Driver ``core-node``: durable-core's own invocation engine from Node, no SDK. The handlers are
the ``node-sdk`` driver's (``tests/conformance/node/handlers.mjs``), wrapped by
``durable-core/sdk``'s ``withDurableExecution`` instead of the JS SDK's: the same handler source
with only the package changed, run by ``tests/conformance/node/core-server.mjs`` (a Node process
serving the Lambda Invoke API on a loopback port), profile ``ts``, strategies from
``durable-core/sdk``'s ``createRetryStrategy``/``retryPresets`` (no strategy: the core's default),
over the AWS SDK v3 ``LambdaClient`` from host-node's ``node_modules`` (nothing is installed for
the harness). Each execution names that process as its ``LambdaEndpoint``, so one local service
(``dex-local-runner start-server``, aws-durable-execution-sdk-python-testing 1.4.0) serves both
core drivers.

As for ``core-python``: no control run (delays compared with ``node-sdk``'s), logs captured per
execution and judged against ``ExpectedLogs``, every execution started in ``prepare``. A crash
(1-17, 1-18, 3-12) is the step function never settling while the invocation answers with an
Unhandled ``Runtime.ExitError``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import local_service
from . import Case, Driver, NotImplementedCase, Outcome
from .core_python import RUN_TIMEOUT_SECONDS, RUNNER, read_history, wait_finished

PROFILE = "ts"
SERVER = Path(__file__).resolve().parents[2] / "node" / "core-server.mjs"
HOST_NODE = Path(__file__).resolve().parents[4] / "host-node"
READY_SECONDS = 30


@dataclass
class _Execution:
    case: Case
    function: str
    arn: str | None = None
    start_error: str | None = None


@dataclass
class _Server:
    process: subprocess.Popen
    url: str
    handled: frozenset[str]
    versions: dict[str, str]
    workdir: Path
    log_path: Path
    log_file: Any = None
    executions: dict[str, _Execution] = field(default_factory=dict)

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return "(no log)"


_lock = threading.Lock()
_server: _Server | None = None
_service: local_service.LocalService | None = None
_unavailable: str | None = None
_versions: dict[str, str] = {}


def _key(case: Case) -> str:
    return f"{case.id}/{case.strategy}/{case.seed}/{case.attempt}"


def _http(method: str, url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, method=method, data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def _start_server(service_url: str) -> _Server:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH")
    if not (HOST_NODE / "node_modules" / "@aws-sdk" / "client-lambda").is_dir():
        raise RuntimeError(
            f"{HOST_NODE}/node_modules has no @aws-sdk/client-lambda; run scripts/setup"
        )
    workdir = Path(tempfile.mkdtemp(prefix="core-node-"))
    log_path = workdir / "server.log"
    log_file = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [node, str(SERVER), service_url],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=workdir,
        env={**os.environ, **local_service.DUMMY_ENV},
    )
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith('{"url"'):
                hello = json.loads(line)
                return _Server(
                    process,
                    hello["url"],
                    frozenset(hello["handled"]),
                    hello["versions"],
                    workdir,
                    log_path,
                    log_file,
                )
        if process.poll() is not None:
            break
        time.sleep(0.05)
    text = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
    local_service.stop_process(process)
    log_file.close()
    shutil.rmtree(workdir, ignore_errors=True)
    raise RuntimeError(
        f"core-server.mjs did not start (exit {process.poll()}):\n{text}"
    )


def prepare(cases: Sequence[Case]) -> None:
    """Start the Node handler process and every execution this driver can run, at once."""
    global _server, _service, _unavailable
    wanted = [c for c in cases if c.strategy == "durable-core"]
    if not wanted:
        return
    with _lock:
        if _server is None and _unavailable is None:
            try:
                if _service is None:
                    _service, _ = local_service.acquire()
                _server = _start_server(_service.url)
                _versions.update(_server.versions)
            except Exception as error:  # every case of this driver then FAILS with it
                _unavailable = f"{type(error).__name__}: {error}"
        server, service = _server, _service
    if server is None or service is None:
        return
    for case in wanted:
        if case.id not in server.handled:
            continue
        function = f"core-node-{case.id}-{uuid.uuid4().hex[:10]}"
        execution = _Execution(case, function)
        server.executions[_key(case)] = execution
        try:
            _http(
                "POST",
                f"{server.url}/cases",
                {"function": function, "id": case.id, "seed": case.seed},
            )
            execution.arn = service.start(
                function,
                case.input,
                lambda_endpoint=server.url,
                timeout_seconds=RUN_TIMEOUT_SECONDS,
            )
        except Exception as error:
            execution.start_error = f"{type(error).__name__}: {error}"


def run(case: Case) -> Outcome:
    if case.strategy != "durable-core":
        raise NotImplementedCase(
            "core-node has no SDK strategy: it runs durable-core only"
        )
    with _lock:
        prepared = _server is not None and _key(case) in _server.executions
    if not prepared:
        prepare([case])
    with _lock:
        server, service, unavailable = _server, _service, _unavailable
    if server is None or service is None:
        raise RuntimeError(
            f"core-server.mjs (durable-core/sdk) could not be started: "
            f"{unavailable or 'not prepared'}"
        )
    if case.id not in server.handled:
        raise NotImplementedCase(
            f"no core-node handler for {case.id} (suite {case.suite})"
        )
    execution = server.executions[_key(case)]
    if execution.arn is None:
        raise RuntimeError(f"StartDurableExecution failed: {execution.start_error}")
    described = wait_finished(service, execution.arn, f"handler log:\n{server.log()}")
    status = described.get("Status")
    events, normalisations, recorded = read_history(service, execution.arn)
    try:
        facts = _http("GET", f"{server.url}/facts/{execution.function}")
    except (OSError, urllib.error.URLError) as error:
        facts = {"facts_error": str(error)}
    facts["function"] = execution.function
    facts.update(recorded)
    return Outcome(
        events=events,
        status=status,
        result=described.get("Result") if status == "SUCCEEDED" else None,
        facts=facts,
        normalisations=normalisations,
    )


def close() -> None:
    global _server, _service, _unavailable
    with _lock:
        server, service = _server, _service
        _server = _service = _unavailable = None
    if server is not None:
        local_service.stop_process(server.process)
        if server.log_file is not None:
            server.log_file.close()
        shutil.rmtree(server.workdir, ignore_errors=True)
    if service is not None:
        local_service.release()


def versions() -> dict[str, str]:
    return dict(_versions)


DRIVER = Driver(
    name="core-node",
    description="durable-core's invocation engine from Node (durable-core/sdk, the node-sdk "
    "driver's handlers, profile ts, no SDK) on dex-local-runner start-server (testing 1.4.0; "
    "--skip-time unless --core-clock real) over HTTP",
    run=run,
    runner=RUNNER,
    strategies=("durable-core",),
    prepare=prepare,
    close=close,
    rank=40,
    delay_reference="node-sdk",
    rerun_races=True,
)
