#!/usr/bin/env python3
"""The greeter of examples/workflows/hello_world.yaml, in Python's standard library only.

Shows that Maestro orchestrates any HTTP JSON service. Like the TypeScript services it is
idempotent by `Idempotency-Key` (a repeated key gets the first reply) and can be told to
fail: FAULTS='{"times": 2, "status": 503}' fails the first two calls of each key.

Run alone: python3 examples/services/python/greeter.py [port]   (0 = any free port;
the chosen address is printed as `greeter=http://127.0.0.1:PORT`).
"""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = json.loads(os.environ.get("FAULTS", "{}"))
replies = {}
failures = {}
lock = threading.Lock()


class Greeter(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/healthz":
            self.reply(200, {"ok": True})
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self.reply(400, {"error": "body is not JSON"})
            return
        if self.path != "/greetings":
            self.reply(404, {"error": "not found"})
            return
        key = self.headers.get("idempotency-key")
        with lock:
            if key in replies:
                self.reply(200, replies[key])
                return
            seen = failures.get(key, 0)
            if seen < FAULTS.get("times", 0):
                failures[key] = seen + 1
                self.reply(FAULTS.get("status", 503), {"error": "injected fault"})
                return
            reply = {"message": f"Hello, {body.get('name', 'world')}!", "from": "python"}
            if key is not None:
                replies[key] = reply
        self.reply(200, reply)

    def log_message(self, format, *args):
        pass


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Greeter)
    print(f"greeter=http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
