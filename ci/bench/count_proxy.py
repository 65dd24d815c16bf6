"""A counting HTTP proxy for ci/bench-exports.sh's S3 benchmark: forwards every request to the emulator and
appends the size of each response body (the bytes the client fetched) to a file, one number per line.

    python count_proxy.py PORT UPSTREAM_URL COUNT_FILE

Binds 127.0.0.1 only. The Host header and the body are passed through unchanged (moto does not check signatures
unless told to), so both clients sign as they would against S3.
"""
import http.client
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, UPSTREAM, COUNT = int(sys.argv[1]), urllib.parse.urlsplit(sys.argv[2]), sys.argv[3]
LOCK = threading.Lock()


class Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=120)
        upstream.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        with LOCK, open(COUNT, "a") as out:
            out.write(f"{len(data) if self.command != 'HEAD' else 0}\n")
        upstream.close()

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = forward

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Forward).serve_forever()
