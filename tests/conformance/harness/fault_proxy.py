"""A loopback proxy that injects failures into a durable function's calls to the local service.

    function (SDK transport) --CheckpointDurableExecution / GetDurableExecutionState--> proxy
        --> dex-local-runner start-server
    dex-local-runner --Lambda Invoke--> proxy --> the function's endpoint

Every execution has its own function; the proxy finds the execution's ``Plan`` by the function
name of the invocation, and then by the ``DurableExecutionArn`` of that invocation. A plan lists faults,
each for one call: the n-th CheckpointDurableExecution or GetDurableExecutionState call of the
execution's k-th invocation that calls that API (``Fault.invocation``, ``Fault.call``, both
1-based). The proxy tells invocations apart by their checkpoint token: a token the proxy did not
hand out in a checkpoint answer came from an invocation input, so it starts a new invocation.

Invocations pass through the proxy too, so it can make the function read its state in pages, as
the service does for a large state: an invocation input with more than one operation keeps only
the first (the EXECUTION operation) and gets ``NextMarker`` ``fault-proxy-page:1``. A
GetDurableExecutionState call with that marker is forwarded to the service without it (the service
checks the token and returns the operations) and answered with one operation per page. Both SDKs
fetch every page before running the handler, so each replaying invocation makes
GetDurableExecutionState calls, which faults can then hit.

Fault kinds (``KINDS``): an HTTP error answer (status, ``X-Amzn-ErrorType`` code, JSON message,
or no body), a connection reset (RST, nothing answered), a read timeout (the proxy holds the
answer longer than the client waits), a 200 without ``CheckpointToken`` and a 200 whose body is not
JSON. Error answers and resets are never forwarded: the service never sees the call. A timeout, a
200 without token and a non-JSON 200 are forwarded first: the service applied the call, the
function just never learns its answer.

Loopback only; every upstream call has a timeout; the number of requests the proxy serves is
capped (``MAX_REQUESTS``).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from . import local_service

MAX_REQUESTS = 20000
UPSTREAM_TIMEOUT_SECONDS = 30
INVOKE_TIMEOUT_SECONDS = 90
PAGE_MARKER = "fault-proxy-page:"
# Longer than every client's read timeout in the fault suite (2 s), bounded.
HOLD_SECONDS = 4.0

KINDS = ("http", "reset", "timeout", "no-token", "not-json")
APIS = ("checkpoint", "get-state")


@dataclass(frozen=True)
class Fault:
    api: str
    """``checkpoint`` (CheckpointDurableExecution) or ``get-state`` (GetDurableExecutionState)."""
    kind: str
    invocation: int = 1
    """The k-th invocation (1-based) that calls ``api``."""
    call: int = 1
    """The n-th call (1-based) of ``api`` within that invocation."""
    status: int | None = None
    code: str | None = None
    message: str | None = None
    body: bool = True
    """``http`` only: False sends the status with an empty body and no error-type header."""

    def __post_init__(self) -> None:
        if self.api not in APIS:
            raise ValueError(f"Fault.api must be one of {APIS}, not {self.api!r}")
        if self.kind not in KINDS:
            raise ValueError(f"Fault.kind must be one of {KINDS}, not {self.kind!r}")
        if self.kind == "http" and not (
            isinstance(self.status, int) and 400 <= self.status < 600
        ):
            raise ValueError(
                f"Fault.status must be an HTTP error status, not {self.status!r}"
            )
        if self.kind in ("no-token",) and self.api != "checkpoint":
            raise ValueError("Fault.kind no-token applies to checkpoint calls only")
        if self.invocation < 1 or self.call < 1:
            raise ValueError("Fault.invocation and Fault.call are 1-based")


@dataclass
class Plan:
    function: str
    endpoint: str
    """The function's own Lambda Invoke endpoint (base URL)."""
    faults: list[Fault] = field(default_factory=list)
    paginate: bool = True
    # What the proxy saw, in order: (api, invocation, call, fault kind or "ok", HTTP status or None).
    calls: list[tuple[str, int, int, str, int | None]] = field(default_factory=list)
    # The service's own error answers the function received: (api, invocation, call, status,
    # code, message).
    errors: list[tuple[Any, ...]] = field(default_factory=list)
    invocations: int = 0
    issued: set[str] = field(default_factory=set)
    token_invocation: dict[str, int] = field(default_factory=dict)
    per_invocation: dict[tuple[str, int], int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def injected(self) -> list[tuple[str, int, int, str, int | None]]:
        with self.lock:
            return [c for c in self.calls if c[3] != "ok"]


class FaultProxy:
    def __init__(self, service_url: str) -> None:
        self.service_url = service_url.rstrip("/")
        self.plans: dict[str, Plan] = {}
        self._by_arn: dict[str, Plan] = {}
        self._lock = threading.Lock()
        self._served = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy._handle(self, "GET")

            def do_POST(self) -> None:
                proxy._handle(self, "POST")

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = local_service.serve_loopback(Handler, "fault-proxy")
        self.url = local_service.server_url(self.server)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def register(self, plan: Plan) -> None:
        with self._lock:
            self.plans[plan.function] = plan

    # --- routing ---------------------------------------------------------------------------------

    def _plan_for(self, arn: str) -> Plan | None:
        with self._lock:
            return self._by_arn.get(arn)

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        with self._lock:
            self._served += 1
            over = self._served > MAX_REQUESTS
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        if over:
            _answer(
                request,
                503,
                {"message": f"fault proxy: more than {MAX_REQUESTS} requests"},
            )
            return
        parsed = urllib.parse.urlsplit(request.path)
        parts = parsed.path.strip("/").split("/")
        if (
            method == "POST"
            and len(parts) == 4
            and parts[:2] == ["2015-03-31", "functions"]
        ):
            self._invoke(request, urllib.parse.unquote(parts[2]), body)
            return
        api = None
        # The ARN may reach us with its slashes unescaped: take everything between the two.
        if len(parts) >= 4 and parts[1] == "durable-executions":
            if method == "POST" and parts[-1] == "checkpoint":
                api = "checkpoint"
            elif method == "GET" and parts[-1] == "state":
                api = "get-state"
        if api is None:
            status, headers, data = _forward(self.service_url, method, request, body)
            _answer_raw(request, status, headers, data)
            return
        arn = urllib.parse.unquote("/".join(parts[2:-1]))
        plan = self._plan_for(arn)
        query = urllib.parse.parse_qs(parsed.query)
        if api == "checkpoint":
            try:
                token = json.loads(body or b"{}").get("CheckpointToken")
            except ValueError:
                token = None
        else:
            token = (query.get("CheckpointToken") or [None])[0]
        if plan is None:
            status, headers, data = _forward(self.service_url, method, request, body)
            _answer_raw(request, status, headers, data)
            return
        with plan.lock:
            invocation = plan.token_invocation.get(token or "")
            if invocation is None:
                # A token the proxy did not issue comes from an invocation input.
                plan.invocations += 1
                invocation = plan.invocations
                plan.token_invocation[token or ""] = invocation
            key = (api, invocation)
            # Invocations are numbered per API: the k-th invocation that calls this API.
            ordinal = (
                sorted(
                    {i for a, i in plan.per_invocation if a == api} | {invocation}
                ).index(invocation)
                + 1
            )
            plan.per_invocation[key] = plan.per_invocation.get(key, 0) + 1
            call = plan.per_invocation[key]
            fault = next(
                (
                    f
                    for f in plan.faults
                    if f.api == api and f.invocation == ordinal and f.call == call
                ),
                None,
            )
        if api == "get-state":
            marker = (query.get("Marker") or [""])[0]
            if marker.startswith(PAGE_MARKER):
                self._page(request, plan, fault, (ordinal, call), parsed, query, marker)
                return
        self._call(request, plan, fault, (ordinal, call), api, method, body)

    def _record(
        self,
        plan: Plan,
        api: str,
        where: tuple[int, int],
        what: str,
        status: int | None,
    ) -> None:
        with plan.lock:
            plan.calls.append((api, where[0], where[1], what, status))

    def _call(
        self,
        request: BaseHTTPRequestHandler,
        plan: Plan,
        fault: Fault | None,
        where: tuple[int, int],
        api: str,
        method: str,
        body: bytes,
    ) -> None:
        if fault is not None and fault.kind in ("http", "reset"):
            self._record(plan, api, where, fault.kind, fault.status)
            _inject(request, fault)
            return
        status, headers, data = _forward(self.service_url, method, request, body)
        if api == "checkpoint" and status == 200:
            try:
                token = json.loads(data).get("CheckpointToken")
            except ValueError:
                token = None
            if token:
                with plan.lock:
                    plan.issued.add(token)
                    # Later calls with this token belong to the same invocation.
                    plan.token_invocation[token] = plan.token_invocation.get(
                        _request_token(body), plan.invocations
                    )
        if fault is None or status != 200:
            headers = _with_error_type(status, headers, data)
            self._record(
                plan,
                api,
                where,
                "ok" if fault is None else f"{fault.kind}-skipped",
                status,
            )
            if status != 200:
                with plan.lock:
                    plan.errors.append(
                        (api, where[0], where[1], status, *_error_fields(headers, data))
                    )
            _answer_raw(request, status, headers, data)
            return
        self._record(plan, api, where, fault.kind, status)
        if fault.kind == "timeout":
            time.sleep(HOLD_SECONDS)
            _reset(request)
        elif fault.kind == "no-token":
            answer = json.loads(data)
            answer.pop("CheckpointToken", None)
            _answer(request, 200, answer)
        else:  # not-json
            _answer_raw(
                request,
                200,
                {"Content-Type": "text/html"},
                b"<html><body>Bad Gateway</body></html>",
            )

    def _page(
        self,
        request: BaseHTTPRequestHandler,
        plan: Plan,
        fault: Fault | None,
        where: tuple[int, int],
        parsed: urllib.parse.SplitResult,
        query: dict[str, list[str]],
        marker: str,
    ) -> None:
        if fault is not None and fault.kind in ("http", "reset"):
            self._record(plan, "get-state", where, fault.kind, fault.status)
            _inject(request, fault)
            return
        try:
            index = int(marker[len(PAGE_MARKER) :])
        except ValueError:
            _answer(request, 400, {"message": f"fault proxy: bad marker {marker!r}"})
            return
        upstream = {
            k: v[0] for k, v in query.items() if k not in ("Marker", "MaxItems")
        }
        upstream["MaxItems"] = "1000"
        path = parsed.path + "?" + urllib.parse.urlencode(upstream)
        status, headers, data = _send(
            self.service_url + path, "GET", None, dict(request.headers)
        )
        if status != 200:
            headers = _with_error_type(status, headers, data)
            self._record(plan, "get-state", where, "ok", status)
            with plan.lock:
                plan.errors.append(
                    (
                        "get-state",
                        where[0],
                        where[1],
                        status,
                        *_error_fields(headers, data),
                    )
                )
            _answer_raw(request, status, headers, data)
            return
        operations = json.loads(data).get("Operations") or []
        page: dict[str, Any] = {"Operations": operations[index : index + 1]}
        if index + 1 < len(operations):
            page["NextMarker"] = f"{PAGE_MARKER}{index + 1}"
        self._record(
            plan, "get-state", where, "ok" if fault is None else fault.kind, status
        )
        if fault is not None and fault.kind == "timeout":
            time.sleep(HOLD_SECONDS)
            _reset(request)
        elif fault is not None and fault.kind == "not-json":
            _answer_raw(
                request, 200, {"Content-Type": "text/html"}, b"<html>Bad Gateway</html>"
            )
        else:
            _answer(request, 200, page)

    def _invoke(
        self, request: BaseHTTPRequestHandler, function: str, body: bytes
    ) -> None:
        with self._lock:
            plan = self.plans.get(function)
        if plan is None:
            _answer(
                request,
                404,
                {"Type": "User", "Message": f"Function not found: {function}"},
            )
            return
        try:
            arn = json.loads(body).get("DurableExecutionArn")
        except (ValueError, AttributeError):
            arn = None
        if isinstance(arn, str):
            with self._lock:
                self._by_arn[arn] = plan
        if plan.paginate:
            try:
                event = json.loads(body)
                state = event.get("InitialExecutionState") or {}
                operations = state.get("Operations") or []
                if len(operations) > 1 and not state.get("NextMarker"):
                    event["InitialExecutionState"] = {
                        "Operations": operations[:1],
                        "NextMarker": f"{PAGE_MARKER}1",
                    }
                    body = json.dumps(event).encode()
            except (ValueError, AttributeError):
                pass
        path = request.path
        status, headers, data = _send(
            plan.endpoint.rstrip("/") + path,
            "POST",
            body,
            {"Content-Type": "application/json"},
            timeout=INVOKE_TIMEOUT_SECONDS,
        )
        _answer_raw(request, status, headers, data)


def _with_error_type(
    status: int, headers: dict[str, str], data: bytes
) -> dict[str, str]:
    """dex-local-runner 1.4.0 names an error only in its JSON body (``Type``) and sends no
    ``X-Amzn-ErrorType`` header, which is where botocore and the AWS SDK v3 read the error code
    (both then report the bare status: ``404``, ``Unknown``). The service sends the header, so
    the proxy adds it from the body: normalisation ``dex-error-type-header``."""
    if status < 400 or any(k.lower() == "x-amzn-errortype" for k in headers):
        return headers
    try:
        code = json.loads(data).get("Type")
    except (ValueError, AttributeError):
        return headers
    if not isinstance(code, str) or not code:
        return headers
    return {**headers, "X-Amzn-ErrorType": code}


def _error_fields(
    headers: dict[str, str], data: bytes
) -> tuple[str | None, str | None]:
    code = next(
        (v for k, v in headers.items() if k.lower() == "x-amzn-errortype"), None
    )
    try:
        body = json.loads(data)
        message = body.get("message") or body.get("Message")
    except (ValueError, AttributeError):
        message = None
    return code, message


def _request_token(body: bytes) -> str:
    try:
        return json.loads(body or b"{}").get("CheckpointToken") or ""
    except ValueError:
        return ""


HOP_HEADERS = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "host",
}


def _send(
    url: str,
    method: str,
    body: bytes | None,
    headers: dict[str, str],
    *,
    timeout: float = UPSTREAM_TIMEOUT_SECONDS,
) -> tuple[int, dict[str, str], bytes]:
    clean = {k: v for k, v in headers.items() if k.lower() not in HOP_HEADERS}
    upstream = urllib.request.Request(url, data=body, method=method, headers=clean)
    try:
        with urllib.request.urlopen(upstream, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except OSError as error:
        return (
            502,
            {"Content-Type": "application/json"},
            json.dumps(
                {"message": f"fault proxy: upstream unreachable: {error}"}
            ).encode(),
        )


def _forward(
    base: str, method: str, request: BaseHTTPRequestHandler, body: bytes
) -> tuple[int, dict[str, str], bytes]:
    return _send(
        base + request.path,
        method,
        body if method == "POST" else None,
        dict(request.headers),
    )


def _answer_raw(
    request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], data: bytes
) -> None:
    request.send_response(status)
    for key, value in headers.items():
        if key.lower() not in HOP_HEADERS and key.lower() not in ("date", "server"):
            request.send_header(key, value)
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)


def _answer(request: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
    _answer_raw(
        request,
        status,
        {"Content-Type": "application/json"},
        json.dumps(payload).encode(),
    )


def _inject(request: BaseHTTPRequestHandler, fault: Fault) -> None:
    if fault.kind == "reset":
        _reset(request)
        return
    assert fault.status is not None
    if not fault.body:
        _answer_raw(request, fault.status, {}, b"")
        return
    headers = {"Content-Type": "application/json"}
    if fault.code:
        headers["X-Amzn-ErrorType"] = fault.code
    payload: dict[str, Any] = {"Type": "User", "message": fault.message or ""}
    _answer_raw(request, fault.status, headers, json.dumps(payload).encode())


def _reset(request: BaseHTTPRequestHandler) -> None:
    """Close the connection with a TCP RST (SO_LINGER 0) and answer nothing."""
    request.close_connection = True
    try:
        request.connection.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        request.connection.close()
    except OSError:
        pass
