"""Atrium process-plugin helper for Python 3 (standard library only).

    from atrium_plugin import serve
    serve(name="python-greeter", version="1.0.0",
          contract="io.atrium.api.greeting.Greeter",
          capabilities=["greet"],
          methods={"greet": lambda name: f"Hello, {name}!"})

A plugin with no Java contract (its manifest names none) passes contract=None; its methods are then
called by name. serve() checks that Atrium started the process, sends the handshake, then answers calls, several
at once (on `workers` threads, 8 by default, with 1 MiB stacks unless threading.stack_size was set:
a memory cap counts every thread's stack), until the host asks it to stop or closes stdin. The protocol is in docs/protocol.md.
Inside a method, `host` (the argument serve() passes when a method takes a `host=` keyword) logs to
the host and reads the plugin's configuration. print() goes to stderr, which the host logs.
"""
import inspect
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

COOKIE_ENV = "ATRIUM_PLUGIN_COOKIE"
COOKIE = "atrium-plugin-7f3c9b2e"
PROTOCOL = 1
# A worker's stack. A memory cap (limits.memoryMb, RLIMIT_DATA) counts a thread's whole stack from its start,
# and glibc's default is RLIMIT_STACK, 8 MiB: under a 64 MiB cap the 7th worker could not start. 1 MiB holds
# Python's default recursion limit (1000 frames, through C calls too); 8 workers cost 8 MiB.
WORKER_STACK = 1 << 20


class PluginError(Exception):
    """Raise it to fail a call with a code (JSON-RPC: -32000 to -32099 are free) and a message."""

    def __init__(self, message, code=-32000):
        super().__init__(message)
        self.code = code


class Host:
    """The host's services, over the same connection: log() and config()."""

    def __init__(self, send):
        self._send = send
        self._lock = threading.Lock()
        self._next = 0
        self._waiting = {}

    def log(self, message, level="info"):
        self._send({"jsonrpc": "2.0", "method": "host.log", "params": {"level": level, "message": str(message)}})

    def config(self, timeout=5.0):
        return self._call("host.config", None, timeout)

    def _call(self, method, params, timeout):
        with self._lock:
            self._next += 1
            call_id = self._next
            slot = self._waiting[call_id] = [threading.Event(), None]
        self._send({"jsonrpc": "2.0", "id": call_id, "method": method, "params": params})
        if not slot[0].wait(timeout):
            self._waiting.pop(call_id, None)
            raise TimeoutError(f"the host did not answer {method} within {timeout} s")
        answer = slot[1]
        if "error" in answer:
            raise PluginError(answer["error"].get("message", "error"), answer["error"].get("code", -32000))
        return answer.get("result")

    def _answered(self, msg):
        slot = self._waiting.pop(msg.get("id"), None)
        if slot is not None:
            slot[1] = msg
            slot[0].set()


_call = threading.local()


def trace_context():
    """The W3C trace context of the call this thread serves, as {"traceparent": ..., "tracestate": ...},
    or None when the host sent none (tracing off): hand it to your tracer so your spans join the host's trace."""
    return getattr(_call, "trace", None)


def serve(name, version, contract, methods, capabilities=(), workers=8):
    if os.environ.get(COOKIE_ENV) != COOKIE:
        sys.stderr.write(f"{name} is an Atrium plugin: drop its manifest into an Atrium server's plugin folder; "
                         "it is not meant to be run by hand.\n")
        sys.exit(1)
    offered = [v.strip() for v in os.environ.get("ATRIUM_PROTOCOL_VERSIONS", "").split(",")]
    if str(PROTOCOL) not in offered:
        sys.stderr.write(f"{name} speaks Atrium protocol {PROTOCOL}; the host offers {offered}\n")
        sys.exit(1)

    wire = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print() must not break the protocol
    lock = threading.Lock()

    def send(msg):
        data = (json.dumps(msg, separators=(",", ":")) + "\n").encode("utf-8")
        with lock:
            wire.write(data)
            wire.flush()

    host = Host(send)
    wants_host = {m for m, fn in methods.items() if "host" in inspect.signature(fn).parameters}

    def handle(msg):
        method, params = msg["method"], msg.get("params") or []
        _call.trace = {"traceparent": msg["traceparent"], "tracestate": msg.get("tracestate")} if "traceparent" in msg else None
        try:
            fn = methods.get(method)
            if fn is None:
                raise PluginError(f"no method '{method}'", -32601)
            kwargs = {"host": host} if method in wants_host else {}
            result = fn(*params, **kwargs) if isinstance(params, list) else fn(**params, **kwargs)
            reply = {"jsonrpc": "2.0", "id": msg["id"], "result": result}
        except PluginError as e:
            reply = {"jsonrpc": "2.0", "id": msg["id"], "error": {"code": e.code, "message": str(e)}}
        except Exception as e:  # the plugin's bug: the caller gets it as an error, the plugin lives on
            reply = {"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32603, "message": f"{type(e).__name__}: {e}"}}
        if "id" in msg:
            send(reply)

    announced = {"cookie": COOKIE, "protocol": PROTOCOL, "name": name, "version": version, "capabilities": list(capabilities)}
    if contract is not None:  # None: a plugin with no contract, its methods called by name
        announced["contract"] = contract
    send({"jsonrpc": "2.0", "method": "atrium.handshake", "params": announced})

    if threading.stack_size() == 0:  # the plugin did not choose a size itself
        threading.stack_size(WORKER_STACK)
    pool = ThreadPoolExecutor(max_workers=workers)
    for raw in sys.stdin.buffer:
        if not raw.strip():
            continue
        msg = json.loads(raw)
        method = msg.get("method")
        if method is None:
            host._answered(msg)
        elif method == "atrium.ping":
            send({"jsonrpc": "2.0", "id": msg["id"], "result": "pong"})
        elif method == "atrium.shutdown":
            send({"jsonrpc": "2.0", "id": msg["id"], "result": True})
            break
        else:
            pool.submit(handle, msg)
    pool.shutdown(wait=True)
