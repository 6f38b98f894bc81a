"""What every protocol test client shares: a blocking socket that reads
lines with bounded waits, free loopback ports, and polling with a deadline.
The protocol utilities (imapd_util.RawClient, pop3d_util.RawPop,
lmtpd_util.LmtpRaw, echod_util.LineClient) add their protocol's framing on
top of LineSocket."""
import socket
import ssl
import time

WAIT = 15.0  # upper bound for anything we wait for; tests never rely on timing otherwise


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, what: str, timeout: float = WAIT, interval: float = 0.05):
    """The first true value of predicate(), polled until `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def client_tls_context() -> ssl.SSLContext:
    """A TLS client context that accepts the tests' self-signed certificates."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class LineSocket:
    """A socket client that sees the exact bytes, a line at a time."""

    def __init__(self, sock: socket.socket, timeout: float = WAIT):
        self.sock = sock
        self.sock.settimeout(timeout)
        self.buf = b""

    @classmethod
    def connect(cls, host: str, port: int, tls: bool = False, timeout: float = WAIT, proxy_header: bytes = b""):
        """Connects; `proxy_header` (a HAProxy PROXY header) goes first, before any TLS."""
        sock = socket.create_connection((host, port), timeout=timeout)
        if proxy_header:
            sock.sendall(proxy_header)
        if tls:
            sock = client_tls_context().wrap_socket(sock)
        return cls(sock, timeout)

    def send(self, data) -> None:
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def send_line(self, line) -> None:
        self.send((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def read_raw_line(self) -> bytes:
        """The next line with its line end; what is left (maybe b"") at EOF."""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                line, self.buf = self.buf, b""
                return line
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def read_line(self) -> str:
        """The next line without CRLF; '' at EOF (raises socket.timeout when
        nothing comes within the timeout)."""
        return self.read_raw_line().rstrip(b"\r\n").decode(errors="replace")

    def closed_by_server(self, timeout: float = WAIT) -> bool:
        """True when the server closes the connection (after any pending data) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, ssl.SSLError):
            return True
        except socket.timeout:
            return False
        finally:
            self.sock.settimeout(WAIT)

    def starttls(self) -> None:
        self.sock = client_tls_context().wrap_socket(self.sock)
        self.sock.settimeout(WAIT)
        self.buf = b""

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
