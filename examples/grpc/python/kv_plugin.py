#!/usr/bin/python3
"""go-plugin's KV plugin, written in Python with grpcio: one file that hashicorp/go-plugin's Go host and
Atrium's gRPC transport both run, as they run the Go original.

What go-plugin asks of a plugin in any language, in the order it happens here:

1. The magic cookie: the host puts its key and value in the environment. Without them, say so on stderr and
   exit 1 (it was started by hand, not by a host).
2. The protocol versions the host accepts, in PLUGIN_PROTOCOL_VERSIONS: the plugin answers with the one it
   speaks (the host refuses one it did not offer).
3. A gRPC server on a Unix socket in $TMPDIR (the host gives each plugin its own), serving
   - the application's services (here proto.KV from kv.proto, its messages made by protoc --python_out),
   - grpc.health.v1.Health/Check, answering SERVING for the service "plugin",
   - plugin.GRPCController/Shutdown, which stops the server (the process then exits),
   - plugin.GRPCStdio/StreamStdio, which streams what the plugin prints (optional: hosts before
     go-plugin 1.1 never ask, and Atrium and newer hosts tolerate a plugin without it).
4. One line on stdout, the handshake: CORE|APP|NETWORK|ADDRESS|PROTOCOL (1|1|unix|/path|grpc).
5. Logs on the real stderr as hclog JSON lines ({"@level": ..., "@message": ...}): the host re-logs them at
   their level, under the plugin's name.

Not done here: AutoMTLS (PLUGIN_CLIENT_CERT; it needs a certificate made at run time) and the broker.
"""
import datetime
import json
import os
import queue
import sys
import tempfile
import threading
from concurrent import futures

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kv_pb2  # noqa: E402  (protoc --python_out of go-plugin's examples/grpc/proto/kv.proto)

COOKIE_KEY, COOKIE_VALUE = "BASIC_PLUGIN", "hello"
APP_VERSION = 1
SIGNATURE = b"\n\nWritten from plugin-python"

log_out = sys.stderr  # the real stderr: logs; what the plugin prints goes through GRPCStdio


def log(level, message, **fields):
    """One hclog JSON line."""
    entry = {"@level": level, "@message": message, "@module": "kv-python",
             "@timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    entry.update(fields)
    log_out.write(json.dumps(entry) + "\n")
    log_out.flush()


def identity(b):
    return b


class Stdio:
    """What the plugin prints after its handshake, as plugin.StdioData messages, until a host streams them.
    Bounded: a host that never asks (go-plugin before 1.1) loses the oldest, the plugin never blocks."""

    STDOUT, STDERR = 1, 2

    def __init__(self):
        self.chunks = queue.Queue(maxsize=1024)

    def writer(self, channel):
        stdio = self

        class Writer:
            def write(self, text):
                if text:
                    stdio.put(channel, text.encode("utf-8"))
                return len(text)

            def flush(self):
                pass

        return Writer()

    def put(self, channel, data):
        # StdioData { Channel channel = 1; bytes data = 2; }, encoded by hand: no generated code for it
        message = bytes([0x08, channel, 0x12]) + varint(len(data)) + data
        while True:
            try:
                self.chunks.put_nowait(message)
                return
            except queue.Full:
                try:
                    self.chunks.get_nowait()
                except queue.Empty:
                    pass

    def stream(self, request, context):
        while context.is_active():
            try:
                yield self.chunks.get(timeout=0.5)
            except queue.Empty:
                continue


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


class KV:
    """The example's store: a file kv_KEY in the working folder, the value with the plugin's signature."""

    def get(self, request, context):
        try:
            with open("kv_" + request.key, "rb") as f:
                return kv_pb2.GetResponse(value=f.read())
        except FileNotFoundError:
            context.abort(grpc.StatusCode.NOT_FOUND, "no key " + request.key)

    def put(self, request, context):
        with open("kv_" + request.key, "wb") as f:
            f.write(request.value + SIGNATURE)
        metadata = dict(context.invocation_metadata())
        log("info", "put", key=request.key, traceparent=metadata.get("traceparent", ""))
        print("stored " + request.key)  # reaches the host through GRPCStdio
        return kv_pb2.Empty()


def health(request, context):
    # HealthCheckRequest { string service = 1; } -> HealthCheckResponse { ServingStatus status = 1; }, SERVING = 1
    if request == b"\x0a\x06plugin":
        return b"\x08\x01"
    context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")


def main():
    if os.environ.get(COOKIE_KEY) != COOKIE_VALUE:
        sys.stderr.write("This binary is a plugin. These are not meant to be executed directly. Please execute the "
                         "program that consumes these plugins, which will load any plugins automatically\n")
        sys.exit(1)
    offered = [v.strip() for v in os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "").split(",") if v.strip()]
    if offered and str(APP_VERSION) not in offered:
        log("warn", "the host offers no protocol version this plugin speaks", offered=",".join(offered), speaks=APP_VERSION)

    stdio = Stdio()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    kv = KV()
    server.add_generic_rpc_handlers((
        grpc.method_handlers_generic_handler("proto.KV", {
            "Get": grpc.unary_unary_rpc_method_handler(kv.get, kv_pb2.GetRequest.FromString, kv_pb2.GetResponse.SerializeToString),
            "Put": grpc.unary_unary_rpc_method_handler(kv.put, kv_pb2.PutRequest.FromString, kv_pb2.Empty.SerializeToString),
        }),
        grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
            "Check": grpc.unary_unary_rpc_method_handler(health, identity, identity),
        }),
        grpc.method_handlers_generic_handler("plugin.GRPCController", {
            "Shutdown": grpc.unary_unary_rpc_method_handler(
                lambda request, context: threading.Thread(target=server.stop, args=(0,)).start() or b"", identity, identity),
        }),
        grpc.method_handlers_generic_handler("plugin.GRPCStdio", {
            "StreamStdio": grpc.unary_stream_rpc_method_handler(stdio.stream, identity, identity),
        }),
    ))
    socket = os.path.join(tempfile.gettempdir(), "plugin-kv-%d.sock" % os.getpid())
    server.add_insecure_port("unix:" + socket)
    server.start()

    sys.stdout.write("1|%d|unix|%s|grpc\n" % (APP_VERSION, socket))
    sys.stdout.flush()
    sys.stdout = stdio.writer(Stdio.STDOUT)
    sys.stderr = stdio.writer(Stdio.STDERR)
    log("info", "serving", socket=socket)
    server.wait_for_termination()
    try:
        os.unlink(socket)
    except OSError:
        pass


if __name__ == "__main__":
    main()
