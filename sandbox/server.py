"""Serve sandbox apps over HTTPS on 127.0.0.1 with a CA made at start."""

from __future__ import annotations

import logging
import socket
import ssl
import tempfile
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme

from sandbox.app import SandboxApp
from sandbox.http import Request

log = logging.getLogger(__name__)


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, app: SandboxApp, context: ssl.SSLContext) -> None:
        self.app = app
        self.context = context
        super().__init__(("127.0.0.1", port), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        # Headers and body go out as two writes; without this, Nagle plus the client's
        # delayed ACK holds every keep-alive answer about 40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Handshake in the worker thread, so one slow client cannot stall accept().
        wrapped = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, addr


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _TLSServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, self.path, dict(self.headers.items()), body)
        response = self.server.app.dispatch(request)
        if response.drop_connection:
            self.close_connection = True
            self.connection.close()
            return
        payload = response.encoded()
        self.send_response(response.status)
        headers = {"Content-Type": "application/json;charset=UTF-8", **response.headers}
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header: the app's own clock (tests move it), as the real server's."""
        clock = getattr(self.server.app, "clock", None)
        if timestamp is None and clock is not None:
            return formatdate(clock.now().timestamp(), usegmt=True)
        return super().date_time_string(timestamp)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.server.app.name, format % args)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ssl.SSLError, ConnectionError, OSError):
            self.close_connection = True


class CertificateAuthority:
    """A throwaway CA and a certificate for 127.0.0.1/localhost, written to a temp dir."""

    def __init__(self, directory: Path | None = None) -> None:
        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert("127.0.0.1", "localhost")
        self.directory = directory or Path(tempfile.mkdtemp(prefix="crmops-sandbox-"))
        self.ca_bundle = self.directory / "sandbox-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_bundle))

    def server_context(self) -> ssl.SSLContext:
        """An SSL context that serves the issued certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        return context


class AppServer:
    """One app served on one port in a background thread."""

    def __init__(self, app: SandboxApp, context: ssl.SSLContext, port: int = 0) -> None:
        self.app = app
        self._server = _TLSServer(port, app, context)
        self.port = self._server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            # A short poll makes stop() quick: tests start and stop many sandboxes.
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{app.name}",
            daemon=True,
        )

    def start(self) -> AppServer:
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
