"""Start a standalone loft-pop3d (daemons/pop3d) on free loopback ports with a
temporary config, users from a passwd-file and a self-signed certificate, and
talk to it.

    with Pop3Server(build_dir, tmp_path) as srv:
        srv.deliver("alice", b"Subject: hi\\r\\n\\r\\nbody\\r\\n")  # into Maildir new/
        pop = srv.login("alice")           # poplib.POP3, logged in
        raw = srv.raw()                    # RawPop: exact bytes
        raw.greeting()
        raw.cmd("USER alice")              # -> "+OK"
        raw.multi("LIST")                  # -> ["+OK 1 messages:", "1 25"]

The same config also has an imap-login service (imap=True): start_imapd()
runs loft-imapd on it, so IMAP and POP3 share users and Maildirs.
"""
import os
import pathlib
import poplib
import signal
import subprocess
import time

from imapd_util import make_self_signed
from line_socket import WAIT, LineSocket, client_tls_context, free_port, wait_for  # noqa: F401 (re-exported)

# A bound on every multi-line answer a test reads (messages are small).
MAX_MULTI_LINES = 200_000


class RawPop(LineSocket):
    """A socket POP3 client that sees the exact bytes, with bounded waits."""

    line = LineSocket.read_line

    def greeting(self) -> str:
        return self.line()

    def cmd(self, command) -> str:
        self.send_line(command)
        return self.line()

    def read_multi_raw(self) -> bytes:
        """The bytes of a multi-line body up to (not including) the ".\\r\\n"
        terminator, still dot-stuffed."""
        out = []
        for _ in range(MAX_MULTI_LINES):
            raw = self.read_raw_line()
            if raw == b"":
                raise AssertionError(f"connection closed inside a multi-line answer: {b''.join(out)[-200:]!r}")
            if raw == b".\r\n":
                return b"".join(out)
            out.append(raw)
        raise AssertionError("multi-line answer too long")

    def multi(self, command) -> list[str]:
        """Sends `command`; its status line, then (on +OK) the body lines,
        without CRLF and without the terminator."""
        self.send_line(command)
        first = self.line()
        if not first.startswith("+OK"):
            return [first]
        body = self.read_multi_raw()
        return [first] + [l.decode(errors="replace") for l in body.split(b"\r\n")[:-1]]

    def login(self, user: str, password: str) -> None:
        assert self.cmd(f"USER {user}") == "+OK"
        reply = self.cmd(f"PASS {password}")
        assert reply == "+OK Logged in.", reply

def undot(body: bytes) -> bytes:
    """A multi-line body (RFC 1939 §3) with its dot-stuffing removed."""
    return b"".join(l[1:] if l.startswith(b".") else l for l in body.splitlines(keepends=True))


def crlf(data: bytes) -> bytes:
    """Line ends made CRLF, as POP3 sends them."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


class Pop3Server:
    """One standalone loft-pop3d (-c CONFIG). Users get {PLAIN} passwords in a
    passwd-file (APOP possible) unless `password_scheme` names a hashed one,
    and the test's own uid/gid; mail under tmp_path/mail/USER/Maildir."""

    def __init__(self, build_dir, tmp_path, users=("alice", "bob", "carol"), password="secret", extra_config="",
                 tls=True, imap=False, haproxy=False, password_scheme="PLAIN", start=True):
        self.build_dir = pathlib.Path(build_dir)
        self.dir = pathlib.Path(tmp_path)
        self.users = tuple(users)
        self.password = password
        self.password_scheme = password_scheme
        self.host = "127.0.0.1"
        self.port = free_port()
        self.tls = tls
        self.tls_port = free_port() if tls else 0
        self.haproxy_port = free_port() if haproxy else 0
        self.imap = imap
        self.imap_port = free_port() if imap else 0
        self.base_dir = self.dir / "run"
        self.log_path = self.dir / "pop3d.log"
        self.mail_root = self.dir / "mail"
        self.config_path = self.dir / "loft.conf"
        self.passwd_path = self.dir / "users"
        self.cert = None
        self.proc = None
        self.imapd = None
        self.stderr = None
        self._clients = []
        self._seq = 0
        self.write_config(extra_config)
        if start:
            self.start()

    # --- setup ----------------------------------------------------------------

    def _password_field(self) -> str:
        if self.password_scheme == "PLAIN":
            return f"{{PLAIN}}{self.password}"
        out = subprocess.run(["doveadm", "pw", "-s", self.password_scheme, "-p", self.password],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def write_config(self, extra_config: str = "") -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        uid, gid = os.getuid(), os.getgid()
        field = self._password_field()
        self.passwd_path.write_text("".join(
            f"{u}:{field}:{uid}:{gid}::{self.mail_root / u}::\n" for u in self.users))
        tls_text = "ssl = no\n"
        listeners = f"  inet_listener pop3 {{\n    address = 127.0.0.1\n    port = {self.port}\n  }}\n"
        if self.tls:
            crt, key = make_self_signed(self.dir, "pop3d", "pop3.test")
            self.cert = crt
            tls_text = f"ssl = yes\nssl_cert = <{crt}\nssl_key = <{key}\n"
            listeners += (f"  inet_listener pop3s {{\n    address = 127.0.0.1\n    port = {self.tls_port}\n"
                          f"    ssl = yes\n  }}\n")
        else:
            listeners += "  inet_listener pop3s {\n    port = 0\n  }\n"
        if self.haproxy_port:
            listeners += (f"  inet_listener pop3proxy {{\n    address = 127.0.0.1\n    port = {self.haproxy_port}\n"
                          f"    haproxy = yes\n  }}\n")
        imap_service = ""
        if self.imap:
            imap_service = ("service imap-login {\n"
                            f"  inet_listener imap {{\n    address = 127.0.0.1\n    port = {self.imap_port}\n  }}\n"
                            "  inet_listener imaps {\n    port = 0\n  }\n}\n")
        self.config_path.write_text(
            f"base_dir = {self.base_dir}\n"
            f"log_path = {self.log_path}\n"
            f"mail_location = maildir:{self.mail_root}/%u/Maildir\n"
            "mail_fsync = optimized\n"
            f"protocols = pop3{' imap' if self.imap else ''}\n"
            f"{tls_text}"
            + ("haproxy_trusted_networks = 127.0.0.0/8\n" if self.haproxy_port else "") +
            "passdb {\n  driver = passwd-file\n"
            f"  args = scheme={self.password_scheme} {self.passwd_path}\n}}\n"
            "userdb {\n  driver = passwd-file\n"
            f"  args = {self.passwd_path}\n}}\n"
            f"service pop3-login {{\n{listeners}}}\n"
            f"{imap_service}"
            f"{extra_config}\n")

    def start(self) -> "Pop3Server":
        exe = self.build_dir / "daemons" / "pop3d" / "loft-pop3d"
        self.stderr = open(self.dir / "pop3d.stderr", "ab")
        self.proc = subprocess.Popen([str(exe), "-c", str(self.config_path), *getattr(self, "daemon_args", ())],
                                     stdout=self.stderr, stderr=self.stderr)
        listeners = 1 + (1 if self.tls else 0) + (1 if self.haproxy_port else 0)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"loft-pop3d exited with {self.proc.returncode}: "
                                     f"{(self.dir / 'pop3d.stderr').read_text(errors='replace')} {self.log_text()}")
            return self.log_text().count("Listening on") >= listeners

        wait_for(ready, "loft-pop3d to listen")
        return self

    def start_imapd(self) -> None:
        """loft-imapd on the same config (imap=True): its imap-login listener."""
        assert self.imap, "Pop3Server(imap=True) makes the imap-login listener"
        exe = self.build_dir / "daemons" / "imapd" / "loft-imapd"
        before = self.log_text().count("Listening on")
        self.imapd = subprocess.Popen([str(exe), "-c", str(self.config_path)], stdout=self.stderr,
                                      stderr=self.stderr)

        def ready():
            if self.imapd.poll() is not None:
                raise AssertionError(f"loft-imapd exited with {self.imapd.returncode}: {self.log_text()}")
            return self.log_text().count("Listening on") >= before + 1

        wait_for(ready, "loft-imapd to listen")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def maildir(self, user: str = "alice") -> pathlib.Path:
        return self.mail_root / user / "Maildir"

    def deliver(self, user: str, message: bytes, subdir: str = "new") -> pathlib.Path:
        """Writes `message` into the user's Maildir as another MDA would
        (tmp/ then rename into new/ or cur/). Returns the file's path."""
        md = self.maildir(user)
        for d in ("tmp", "new", "cur"):
            (md / d).mkdir(parents=True, exist_ok=True)
        self._seq += 1
        # Names sort in delivery order (the sync numbers new files by name):
        # the time, then a zero-padded counter where the microseconds go.
        name = f"{int(time.time())}.M{self._seq:07d}P{os.getpid()}.pop3test"
        tmp = md / "tmp" / name
        tmp.write_bytes(message)
        dest = md / subdir / (name + (":2," if subdir == "cur" else ""))
        os.rename(tmp, dest)
        return dest

    def mail_files(self, user: str = "alice") -> list[pathlib.Path]:
        md = self.maildir(user)
        return sorted(p for d in ("new", "cur") if (md / d).is_dir() for p in (md / d).iterdir())

    # --- clients --------------------------------------------------------------

    def connect(self) -> poplib.POP3:
        c = poplib.POP3(self.host, self.port, timeout=WAIT)
        self._clients.append(c)
        return c

    def connect_tls(self) -> poplib.POP3_SSL:
        c = poplib.POP3_SSL(self.host, self.tls_port, context=client_tls_context(), timeout=WAIT)
        self._clients.append(c)
        return c

    def login(self, user: str = "alice") -> poplib.POP3:
        c = self.connect()
        c.user(user)
        c.pass_(self.password)
        return c

    def raw(self, tls: bool = False, port: int = 0, proxy_from: str = "") -> RawPop:
        """A raw client; `proxy_from` connects through the haproxy listener
        with a PROXY v1 header naming that (non-loopback) client address."""
        header = b""
        if proxy_from:
            port = self.haproxy_port
            header = f"PROXY TCP4 {proxy_from} 127.0.0.1 40000 110\r\n".encode()
        c = RawPop.connect(self.host, port or (self.tls_port if tls else self.port), tls=tls, proxy_header=header)
        self._clients.append(c)
        return c

    # --- tools ------------------------------------------------------------------

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, text: str, count: int = 1, timeout: float = WAIT) -> str:
        """Wait until `text` appears `count` times in the log; returns the log."""
        return wait_for(lambda: (lambda t: t if t.count(text) >= count else "")(self.log_text()),
                        f"{text!r} in the log", timeout)

    def signal(self, sig) -> None:
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float = WAIT) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        for c in self._clients:
            try:
                if isinstance(c, RawPop):
                    c.close()
                else:
                    c.close()
            except Exception:  # noqa: BLE001 - a client the test already closed
                pass
        self._clients.clear()
        for proc in (self.proc, self.imapd):
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=WAIT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self.stderr:
            self.stderr.close()
            self.stderr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def message(n: int, body_lines: int = 3, extra_headers: str = "") -> bytes:
    """A small message numbered `n` with a unique Message-ID."""
    body = "".join(f"line {i} of message {n}\r\n" for i in range(body_lines))
    return (f"From: sender@example.org\r\nTo: alice@example.org\r\nSubject: message {n}\r\n"
            f"Message-ID: <msg{n}@pop3.test>\r\n{extra_headers}\r\n{body}").encode()
