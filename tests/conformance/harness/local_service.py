"""The Python testing SDK's local durable-execution service (``dex-local-runner start-server``)
on a loopback port, and a Lambda-compatible invoke endpoint for it to call.

The service plays Lambda's durable-execution side: it starts executions, invokes the function
with the durable invocation input (``POST {LambdaEndpoint}/2015-03-31/functions/{name}/
invocations``), validates and applies every checkpoint, fires retry timers and re-invokes. The
function side is ``FunctionEndpoint``: a small HTTP server in this process that runs the handler
registered under the function name (the ``core-python`` driver's handlers, which run durable-core's
invocation engine). A handler may instead be served by another process (``core-node``): each
execution names its own ``LambdaEndpoint``.

Everything binds to 127.0.0.1; the service gets dummy credentials and
``AWS_EC2_METADATA_DISABLED`` so botocore never looks for real ones; the service is stopped by
``close()``; every wait is bounded. The execution store is a filesystem store in a temporary
directory, so the harness can read what the service recorded but leaves out of its history (the
``InvocationCompletedDetails`` of each invocation).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-west-2",
    "AWS_REGION": "us-west-2",
    "AWS_EC2_METADATA_DISABLED": "true",
}
READY_SECONDS = 30
HTTP_TIMEOUT_SECONDS = 30
API = "2025-12-01"


def lambda_client(
    endpoint: str, *, connect_timeout: float = 5, read_timeout: float = 30
) -> Any:
    """A botocore ``lambda`` client for a loopback service: dummy credentials and no retries of
    its own (every failed call reaches the SDK or engine that made it, as each fault must)."""
    import botocore.session
    from botocore.config import Config

    return botocore.session.get_session().create_client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
        config=Config(
            retries={"max_attempts": 0},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=64,
        ),
    )


def serve_loopback(handler: type[BaseHTTPRequestHandler], name: str) -> ThreadingHTTPServer:
    """A threaded HTTP server on a free loopback port, serving ``handler`` on a daemon thread
    named ``name`` until its ``shutdown()``."""
    server = ThreadingHTTPServer((LOOPBACK, 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server


def server_url(server: ThreadingHTTPServer) -> str:
    return f"http://{LOOPBACK}:{server.server_address[1]}"


def stop_process(process: subprocess.Popen) -> None:
    """Ends a child process: terminated, and killed if it is still there after 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


class FunctionCrashed(Exception):
    """What a handler raises to end its invocation as Lambda ends a crashed runtime: an Unhandled
    function error (``X-Amz-Function-Error: Unhandled``) with this error type and message."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


class FunctionEndpoint:
    """A Lambda-compatible Invoke endpoint: ``POST /2015-03-31/functions/<name>/invocations``
    runs ``handlers[<name>](event)`` and answers with its return value as JSON, or with an
    Unhandled function error when it raises ``FunctionCrashed``."""

    def __init__(self) -> None:
        self.handlers: dict[str, Callable[[Any], Any]] = {}
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path.split("?")[0].strip("/").split("/")
                headers = {"Content-Type": "application/json"}
                status = 200
                if len(parts) != 4 or parts[:2] != ["2015-03-31", "functions"]:
                    status, output = 404, {"message": f"no route {self.path}"}
                else:
                    name = urllib.parse.unquote(parts[2])
                    handler = endpoint.handlers.get(name)
                    if handler is None:
                        status = 404
                        headers["X-Amzn-ErrorType"] = "ResourceNotFoundException"
                        output = {
                            "Type": "User",
                            "Message": f"Function not found: {name}",
                        }
                    else:
                        try:
                            output = handler(json.loads(body or b"null"))
                        except FunctionCrashed as crash:
                            headers["X-Amz-Function-Error"] = "Unhandled"
                            output = {
                                "errorType": crash.error_type,
                                "errorMessage": crash.message,
                            }
                data = json.dumps(output).encode()
                self.send_response(status)
                for key, value in {**headers, "Content-Length": str(len(data))}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = serve_loopback(Handler, "core-lambda")
        self.url = server_url(self.server)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class LocalService:
    """``dex-local-runner start-server`` on a free loopback port. ``skip_time`` makes durable
    timers (retry delays) fire at once while the history keeps the modelled times; the runner's
    5 s back-off after a crashed invocation is real time either way."""

    def __init__(self, lambda_endpoint: str, *, skip_time: bool = True) -> None:
        executable = shutil.which(
            "dex-local-runner", path=str(Path(sys.executable).parent)
        )
        if executable is None:
            raise RuntimeError(
                "dex-local-runner (aws-durable-execution-sdk-python-testing) is not installed "
                "next to this Python; run scripts/setup"
            )
        self.lambda_endpoint = lambda_endpoint
        self.skip_time = skip_time
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.workdir = Path(tempfile.mkdtemp(prefix="core-dex-"))
        self.store = self.workdir / "executions"
        self.log_path = self.workdir / "dex-local-runner.log"
        self._log = self.log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [
                executable,
                "start-server",
                "--host",
                LOOPBACK,
                "--port",
                str(self.port),
                "--lambda-endpoint",
                lambda_endpoint,
                "--local-runner-endpoint",
                self.url,
                "--store-type",
                "filesystem",
                "--store-path",
                str(self.store),
                "--execution-timeout",
                "300",
                "--invocation-timeout",
                "60",
                "--skip-time" if skip_time else "--no-skip-time",
                "--log-level",
                "WARNING",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **DUMMY_ENV},
            cwd=self.workdir,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.close()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dex-local-runner exited:\n{self.log()}")
            try:
                with urllib.request.urlopen(
                    f"{self.url}/health", timeout=1
                ) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(
            f"dex-local-runner not ready in {READY_SECONDS} s:\n{self.log()}"
        )

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        try:
            return self.log_path.read_text(encoding="utf-8")[-4000:]
        except OSError:
            return "(no log)"

    def close(self) -> None:
        stop_process(self.process)
        if not self._log.closed:
            self._log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- the service's API (plain JSON over HTTP, as the service's own handlers write it) ------

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=data,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(
                request, timeout=HTTP_TIMEOUT_SECONDS
            ) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:2000]
            raise RuntimeError(
                f"{method} {path}: HTTP {error.code}: {detail}"
            ) from None

    def start(
        self,
        function_name: str,
        payload: Any,
        *,
        lambda_endpoint: str | None = None,
        timeout_seconds: int = 300,
    ) -> str:
        """Start an execution of ``function_name`` with ``payload`` as its input; the service
        invokes it at ``lambda_endpoint`` (default: the one given at start-up)."""
        answer = self._request(
            "POST",
            "/start-durable-execution",
            {
                "AccountId": "123456789012",
                "FunctionName": function_name,
                "FunctionQualifier": "$LATEST",
                "ExecutionName": function_name,
                "ExecutionTimeoutSeconds": timeout_seconds,
                "ExecutionRetentionPeriodDays": 1,
                "Input": json.dumps(payload),
                "LambdaEndpoint": lambda_endpoint or self.lambda_endpoint,
            },
        )
        return answer["ExecutionArn"]

    def execution(self, arn: str) -> dict[str, Any]:
        """GetDurableExecution."""
        return self._request("GET", f"/{API}/durable-executions/{_quote(arn)}")

    def wait(self, arn: str, timeout_seconds: float) -> dict[str, Any]:
        """Poll GetDurableExecution until the status is no longer RUNNING."""
        deadline = time.monotonic() + timeout_seconds
        while True:
            execution = self.execution(arn)
            if execution.get("Status") != "RUNNING" or time.monotonic() > deadline:
                return execution
            time.sleep(0.05)

    def history(self, arn: str) -> list[dict[str, Any]]:
        """GetDurableExecutionHistory with IncludeExecutionData, every page."""
        events: list[dict[str, Any]] = []
        marker: str | None = None
        for _ in range(1000):
            query = {
                "IncludeExecutionData": "true",
                **({"Marker": marker} if marker else {}),
            }
            page = self._request(
                "GET",
                f"/{API}/durable-executions/{_quote(arn)}/history?"
                + urllib.parse.urlencode(query),
            )
            events.extend(page.get("Events") or [])
            marker = page.get("NextMarker")
            if not marker:
                return events
        raise RuntimeError("GetDurableExecutionHistory never ended its listing")

    def stored(self, arn: str) -> dict[str, Any] | None:
        """The execution as the service stored it (its filesystem store's JSON), or None."""
        path = self.store / (arn.replace(":", "_").replace("/", "_") + ".json")
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None


def _quote(arn: str) -> str:
    return urllib.parse.quote(arn, safe="")


# --- one service for every driver that uses it ---------------------------------------------------

CLOCK_ENV = "CONFORMANCE_CORE_CLOCK"
_shared_lock = threading.Lock()
_shared: tuple[LocalService, FunctionEndpoint] | None = None
_users = 0


def clock_policy() -> str:
    """``skip`` (default: ``--skip-time``, retry timers fire at once) or ``real``."""
    policy = os.environ.get(CLOCK_ENV, "skip")
    if policy not in ("skip", "real"):
        raise ValueError(f"{CLOCK_ENV} must be skip or real, not {policy!r}")
    return policy


def acquire() -> tuple[LocalService, FunctionEndpoint]:
    """The shared service and the in-process function endpoint, started on first use; every
    ``acquire`` is paired with a ``release``, and the last release stops both."""
    global _shared, _users
    with _shared_lock:
        if _shared is None:
            endpoint = FunctionEndpoint()
            try:
                service = LocalService(endpoint.url, skip_time=clock_policy() == "skip")
            except BaseException:
                endpoint.close()
                raise
            _shared = (service, endpoint)
        _users += 1
        return _shared


def release() -> None:
    global _shared, _users
    with _shared_lock:
        if _shared is None:
            return
        _users -= 1
        if _users <= 0:
            service, endpoint = _shared
            _shared, _users = None, 0
            try:
                service.close()
            finally:
                endpoint.close()


def acquire_endpoint() -> FunctionEndpoint:
    """The in-process function endpoint of the shared service (acquired already)."""
    with _shared_lock:
        if _shared is None:
            raise RuntimeError("the local service is not running: acquire() first")
        return _shared[1]
