"""Start loft-echod (tests/support/echod.cpp) on free loopback ports with a
temporary config, and talk to it. Certificates are made with the `openssl`
command (EC keys: fast to generate)."""
import os
import pathlib
import re
import signal
import socket
import ssl
import subprocess
import time

from line_socket import WAIT, LineSocket, free_port  # noqa: F401 (re-exported)

def run_openssl(*args, cwd=None):
    subprocess.run(["openssl", *args], check=True, cwd=cwd,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_self_signed(directory: pathlib.Path, name: str, cn: str):
    """Write NAME.key / NAME.crt, a self-signed certificate for CN."""
    key, crt = directory / f"{name}.key", directory / f"{name}.crt"
    run_openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", str(key), "-out", str(crt), "-days", "2", "-subj", f"/CN={cn}")
    return crt, key


def make_signed(directory: pathlib.Path, name: str, cn: str, ca_crt, ca_key, client=False):
    """Write NAME.key / NAME.crt signed by the CA."""
    key, csr, crt = directory / f"{name}.key", directory / f"{name}.csr", directory / f"{name}.crt"
    run_openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={cn}")
    ext = directory / f"{name}.ext"
    ext.write_text("extendedKeyUsage = clientAuth\n" if client else "extendedKeyUsage = serverAuth\n")
    run_openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key),
                "-CAcreateserial", "-out", str(crt), "-days", "2", "-extfile", str(ext))
    return crt, key


def cert_subject_cn(der: bytes) -> str:
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject"],
                         input=der, capture_output=True, check=True).stdout.decode()
    m = re.search(r"CN\s*=\s*([^,/\n]+)", out)
    return m.group(1).strip() if m else ""


def client_context(cert=None, key=None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(str(cert), str(key))
    return ctx


class LineClient(LineSocket):
    """A blocking line-protocol client with bounded waits."""

    @classmethod
    def connect(cls, port, host="127.0.0.1", tls_context=None, server_hostname=None):
        # (port, host, context): the echo tests' order, with client certificates.
        sock = socket.create_connection((host, port), timeout=WAIT)
        if tls_context is not None:
            sock = tls_context.wrap_socket(sock, server_hostname=server_hostname)
        return cls(sock)

    def cmd(self, line: str) -> str:
        self.send(line + "\r\n")
        return self.readline()

    readline = LineSocket.read_line

    def readline_unbuffered(self) -> str:
        """Read one line a byte at a time, so nothing after it is consumed
        (needed before a STARTTLS handshake on the same socket)."""
        out = b""
        while not out.endswith(b"\n"):
            b = self.sock.recv(1)
            if not b:
                break
            out += b
        return out.rstrip(b"\r\n").decode(errors="replace")

    def starttls(self, ctx, server_hostname=None):
        self.sock = ctx.wrap_socket(self.sock, server_hostname=server_hostname)
        self.sock.settimeout(WAIT)
        self.buf = b""


def wait_for(predicate, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Echod:
    """One loft-echod process. `listeners` maps a listener name to its
    inet_listener settings (port is filled in); `settings` is extra config text."""

    def __init__(self, build_dir, tmp_path, settings="", listeners=None, args=(), service="echo", env=None):
        self.build_dir = pathlib.Path(build_dir)
        self.dir = pathlib.Path(tmp_path)
        self.service = service
        self.base_dir = self.dir / "run"
        self.log_path = self.dir / "echod.log"
        self.listeners = listeners or {"echo": {}}
        self.ports = {name: free_port() for name in self.listeners}
        self.settings = settings
        self.args = list(args)
        self.env = env  # extra environment variables
        self.proc = None
        self.config_path = self.dir / "loft.conf"
        self.write_config()

    def write_config(self):
        blocks = []
        for name, opts in self.listeners.items():
            body = "".join(f"    {k} = {v}\n" for k, v in opts.items())
            blocks.append(f"  inet_listener {name} {{\n    address = 127.0.0.1\n"
                          f"    port = {self.ports[name]}\n{body}  }}\n")
        text = (f"base_dir = {self.base_dir}\nlog_path = {self.log_path}\n"
                f"{self.settings}\nservice {self.service} {{\n{''.join(blocks)}}}\n")
        self.config_path.write_text(text)

    def start(self):
        exe = self.build_dir / "tests" / "support" / "loft-echod"
        self.stderr = open(self.dir / "echod.stderr", "wb")
        self.proc = subprocess.Popen([str(exe), "-c", str(self.config_path), "--service", self.service,
                                      *self.args], stdout=self.stderr, stderr=self.stderr,
                                     env={**os.environ, **self.env} if self.env else None)
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"loft-echod exited with {self.proc.returncode}: "
                                     f"{(self.dir / 'echod.stderr').read_text()} {self.log()}")
            # Logged once every accept loop runs (no probe connection that
            # would count against per-IP limits).
            return self.log().count("Listening on") >= len(self.ports)
        wait_for(ready, "loft-echod to listen")
        return self

    def port(self, name="echo"):
        return self.ports[name]

    def connect(self, name="echo", **kw) -> LineClient:
        return LineClient.connect(self.ports[name], **kw)

    def log(self) -> str:
        if self.env and self.env.get("LOFT_LOG_PIPE") == "1":
            # Log records go framed to stderr (what loftd reads).
            return (self.dir / "echod.stderr").read_bytes().decode(errors="replace")
        try:
            return self.log_path.read_text()
        except FileNotFoundError:
            return ""

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=WAIT) -> int:
        return self.proc.wait(timeout=timeout)

    def admin(self, *request_lines):
        """Send requests on the admin socket; returns the response lines of each."""
        path = wait_for(lambda: next((self.base_dir / "admin").glob(f"{self.service}.{self.proc.pid}.sock"), None),
                        "the admin socket")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(WAIT)
        s.connect(str(path))
        f = s.makefile("rwb")
        hello = f.readline().decode().rstrip("\n")
        f.write(b"VERSION\tloft-admin\t1\t0\n")
        replies = []
        for req in request_lines:
            f.write(req.encode() + b"\n")
            f.flush()
            lines = []
            while True:
                line = f.readline().decode().rstrip("\n")
                lines.append(line)
                if line == "OK" or line.startswith("ERROR") or line == "":
                    break
            replies.append(lines)
        s.close()
        return hello, replies

    def wait_idle(self):
        """Wait until no connection is open (e.g. the readiness probe's)."""
        wait_for(lambda: self.admin("WHO")[1][0] == ["OK"], "all connections to end")

    def vm_status(self, field) -> int:
        for line in pathlib.Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])  # kB
        raise KeyError(field)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.stderr.close()


def tls_settings(crt, key):
    return f"ssl_cert = <{crt}\nssl_key = <{key}\n"


def environment_ok():
    return os.path.exists("/usr/bin/openssl")


import pytest  # noqa: E402  (fixtures below are imported by the test modules)


@pytest.fixture
def echod(build_dir, tmp_path):
    """echod(settings=..., listeners=..., args=...) starts a loft-echod; all are stopped at the end."""
    started = []

    def start(settings="", listeners=None, args=(), start=True, env=None):
        d = tmp_path / f"echod{len(started)}"
        d.mkdir()
        e = Echod(build_dir, d, settings=settings, listeners=listeners, args=args, env=env)
        started.append(e)
        return e.start() if start else e

    yield start
    for e in started:
        e.stop()


@pytest.fixture
def certs(tmp_path):
    """A CA, a default server certificate, and helpers to make more."""
    d = tmp_path / "certs"
    d.mkdir()

    class Certs:
        dir = d
        ca_crt, ca_key = make_self_signed(d, "ca", "Loft Test CA")
        default_crt, default_key = make_self_signed(d, "default", "default.test")

        @staticmethod
        def self_signed(name, cn):
            return make_self_signed(d, name, cn)

        @staticmethod
        def signed(name, cn, client=False):
            return make_signed(d, name, cn, Certs.ca_crt, Certs.ca_key, client=client)

    return Certs
