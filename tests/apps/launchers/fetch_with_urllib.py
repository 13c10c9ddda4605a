"""An app with no OpenTelemetry code at all: `opentelemetry-instrument` gives it its spans.

It serves one page on a loopback port and fetches it with urllib (instrumented by
opentelemetry-instrumentation-urllib), so the only span comes from auto-instrumentation.
"""

import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer


class Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


server = HTTPServer(("127.0.0.1", 0), Page)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/", timeout=5).read())
server.shutdown()
