"""Running loft-authd in tests: a temporary directory with a config and a
passwd-file, the daemon started standalone (it binds its own sockets), and a
small client for Dovecot's auth protocols over unix sockets.

AuthdProcess.stop() kills what start_authd() started; the fixtures call it as
a finalizer.
"""
from __future__ import annotations

import base64
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import threading
import time

from loftd_util import make_shared_tempdir, wait_until

TIMEOUT = 10.0

# {PLAIN} and SHA512-CRYPT passwords (carol's made by `doveadm pw -p carolpw`).
PASSWD = """\
alice:{PLAIN}secret:1000:1000::/home/alice::userdb_mail=maildir:~/Maildir
bob:{PLAIN}pw:1001:1001::/home/bob::nologin reason=Suspended
carol:{SHA512-CRYPT}$6$OkBL7LJucXbNis3m$IpgXqO2wvESjmKFwIw6SqYxfaqUFz8JZj2i/XmVG7FG4.Js1SE2NuMdaGPEnW2kKpjbZqs/hfHFBF4D2Gz9SL.:1002:1002::/home/carol::
"""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def plain(user: str, password: str) -> str:
    """A PLAIN response (RFC 4616: authzid NUL authcid NUL passwd), base64."""
    return b64(b"\0" + user.encode() + b"\0" + password.encode())


def authd_binary(build_dir: pathlib.Path) -> str:
    built = build_dir / "daemons" / "authd" / "loft-authd"
    if not built.exists():
        raise AssertionError(f"{built} is not built (meson compile -C {build_dir})")
    return str(built)


def authd_config(workdir: pathlib.Path, *, failure_delay: str = "0", mechanisms: str = "plain login",
                 passwd: pathlib.Path | None = None, extra: str = "", listeners: str | None = None) -> str:
    passwd = passwd or workdir / "passwd"
    if listeners is None:
        listeners = """service auth {
  unix_listener auth-client {
    mode = 0666
  }
  unix_listener auth-userdb {
    mode = 0600
  }
}"""
    # The raw conversations send no rip= and no secured: without
    # disable_plaintext_auth = no such PLAIN requests are refused (as
    # Dovecot does); these tests are about the protocol, not that policy.
    return f"""base_dir = {workdir}/run
log_path = /dev/stderr
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
auth_failure_delay = {failure_delay}
{extra}
passdb {{
  driver = passwd-file
  args = {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
}}
{listeners}
"""


class AuthdProcess:
    """A standalone loft-authd with its stderr collected."""

    def __init__(self, binary: str, config: pathlib.Path, workdir: pathlib.Path):
        self.workdir = workdir
        self.proc = subprocess.Popen([binary, "-c", str(config)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._out: list[bytes] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._pump, args=(s,), daemon=True)
                         for s in (self.proc.stdout, self.proc.stderr)]
        for t in self._threads:
            t.start()

    def _pump(self, stream):
        for chunk in iter(lambda: stream.read1(4096), b""):
            with self._lock:
                self._out.append(chunk)

    @property
    def log(self) -> str:
        with self._lock:
            return b"".join(self._out).decode(errors="replace")

    def socket_path(self, name: str) -> str:
        return str(self.workdir / "run" / name)

    def wait_ready(self, names=("auth-client", "auth-userdb")):
        ok = wait_until(lambda: self.proc.poll() is not None or all(
            os.path.exists(self.socket_path(n)) for n in names), TIMEOUT)
        if self.proc.poll() is not None or not ok:
            raise AssertionError(f"loft-authd did not start (exit {self.proc.poll()}):\n{self.log}")
        # The socket file appears at bind(); accepting starts right after.
        for n in names:
            wait_until(lambda: _connectable(self.socket_path(n)), TIMEOUT)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for t in self._threads:
            t.join(TIMEOUT)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _connectable(path: str) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)
        return True
    except OSError:
        return False


def start_authd(build_dir: pathlib.Path, config_text: str | None = None,
                passwd_text: str = PASSWD, **config_args) -> AuthdProcess:
    workdir = make_shared_tempdir("authd-test-")
    (workdir / "passwd").write_text(passwd_text)
    (workdir / "run").mkdir()
    config = workdir / "loft.conf"
    config.write_text(config_text if config_text is not None else authd_config(workdir, **config_args))
    proc = AuthdProcess(authd_binary(build_dir), config, workdir)
    return proc


class LineConn:
    """A raw unix-socket conversation: send lines, read LF-terminated lines."""

    def __init__(self, path: str, timeout: float = TIMEOUT):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def send(self, data: str | bytes):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def line(self) -> str:
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"connection closed; pending {self.buf!r}")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="surrogateescape")

    def lines_until(self, last: str) -> list[str]:
        out = []
        while True:
            out.append(self.line())
            if out[-1] == last or out[-1].startswith(last):
                return out

    def closed(self) -> bool:
        """True when the server closes the connection (after any pending lines)."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


def client_conn(path: str) -> tuple[LineConn, list[str]]:
    """An auth-client connection after both handshakes; the server's lines."""
    c = LineConn(path)
    c.send("VERSION\t1\t2\nCPID\t4242\n")
    return c, c.lines_until("DONE")


def master_conn(path: str) -> tuple[LineConn, list[str]]:
    c = LineConn(path)
    c.send("VERSION\t1\t1\n")
    return c, [c.line(), c.line()]
