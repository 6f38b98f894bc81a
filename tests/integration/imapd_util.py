"""Start a standalone loft-imapd (daemons/imapd) on free loopback ports with a
temporary config, users from a passwd-file and a self-signed certificate, and
talk to it.

    with ImapServer(build_dir, tmp_path) as srv:
        imap = srv.login("alice")          # imaplib.IMAP4, logged in
        imap.select("INBOX")
        raw = srv.raw()                    # RawClient: exact bytes
        raw.read_greeting()
        raw.send_line("a LOGIN bob secret")
        lines = raw.read_until_tagged("a")
"""
import imaplib
import os
import pathlib
import signal
import subprocess

from line_socket import WAIT, LineSocket, client_tls_context, free_port, wait_for  # noqa: F401 (re-exported)

def make_self_signed(directory: pathlib.Path, name: str = "imapd", cn: str = "imap.test"):
    """NAME.crt / NAME.key in `directory` (an EC key: fast to make)."""
    key, crt = directory / f"{name}.key", directory / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(crt), "-days", "2", "-subj", f"/CN={cn}"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return crt, key


class RawClient(LineSocket):
    """A socket client that sees the exact lines (CRLF removed) with bounded
    waits. A line that announces a literal ({n}) is returned with the
    literal's bytes and the rest of the response appended, as imaplib does
    not: read_line() returns text up to the next CRLF only."""

    def read_greeting(self) -> str:
        return self.read_line()

    def read_until_tagged(self, tag: str) -> list[str]:
        """Every line up to and including the tagged one for `tag`. Raises
        AssertionError when the server closes first."""
        lines = []
        while True:
            line = self.read_line()
            if line == "" and not self.buf:
                raise AssertionError(f"connection closed before the tagged reply {tag}: {lines}")
            lines.append(line)
            if line.startswith(tag + " "):
                return lines


class ImapServer:
    """One standalone loft-imapd (-c CONFIG). Users get {PLAIN} passwords in
    a passwd-file and the test's own uid/gid (the daemon refuses other
    uids); mail under tmp_path/mail/USER/Maildir."""

    def __init__(self, build_dir, tmp_path, users=("alice", "bob", "carol"), password="secret", extra_config="",
                 tls=True, env=None, start=True):
        self.build_dir = pathlib.Path(build_dir)
        self.dir = pathlib.Path(tmp_path)
        self.users = tuple(users)
        self.password = password
        self.host = "127.0.0.1"
        self.port = free_port()
        self.tls_port = free_port() if tls else 0
        self.tls = tls
        self.base_dir = self.dir / "run"
        self.log_path = self.dir / "imapd.log"
        self.mail_root = self.dir / "mail"
        self.config_path = self.dir / "loft.conf"
        self.passwd_path = self.dir / "users"
        self.env = env
        self.proc = None
        self.stderr = None
        self._clients = []
        self.write_config(extra_config)
        if start:
            self.start()

    # --- setup ----------------------------------------------------------------

    def write_config(self, extra_config: str = "") -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        uid, gid = os.getuid(), os.getgid()
        self.passwd_path.write_text("".join(
            f"{u}:{{PLAIN}}{self.password}:{uid}:{gid}::{self.mail_root / u}::\n" for u in self.users))
        tls_text = "ssl = no\n"
        listeners = f"  inet_listener imap {{\n    address = 127.0.0.1\n    port = {self.port}\n  }}\n"
        if self.tls:
            crt, key = make_self_signed(self.dir)
            tls_text = f"ssl = yes\nssl_cert = <{crt}\nssl_key = <{key}\n"
            listeners += (f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {self.tls_port}\n"
                          f"    ssl = yes\n  }}\n")
        else:
            listeners += "  inet_listener imaps {\n    port = 0\n  }\n"
        self.config_path.write_text(
            f"base_dir = {self.base_dir}\n"
            f"log_path = {self.log_path}\n"
            f"mail_location = maildir:{self.mail_root}/%u/Maildir\n"
            "mail_fsync = optimized\n"
            "protocols = imap\n"
            f"{tls_text}"
            "passdb {\n  driver = passwd-file\n"
            f"  args = scheme=PLAIN {self.passwd_path}\n}}\n"
            "userdb {\n  driver = passwd-file\n"
            f"  args = {self.passwd_path}\n}}\n"
            f"service imap-login {{\n{listeners}}}\n"
            f"{extra_config}\n")

    def start(self) -> "ImapServer":
        exe = self.build_dir / "daemons" / "imapd" / "loft-imapd"
        self.stderr = open(self.dir / "imapd.stderr", "ab")
        self.proc = subprocess.Popen([str(exe), "-c", str(self.config_path), *getattr(self, "daemon_args", ())],
                                     stdout=self.stderr,
                                     stderr=self.stderr, env={**os.environ, **self.env} if self.env else None)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"loft-imapd exited with {self.proc.returncode}: "
                                     f"{(self.dir / 'imapd.stderr').read_text(errors='replace')} {self.log_text()}")
            return self.log_text().count("Listening on") >= (2 if self.tls else 1)

        wait_for(ready, "loft-imapd to listen")
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def maildir(self, user: str = "alice") -> pathlib.Path:
        return self.mail_root / user / "Maildir"

    # --- clients --------------------------------------------------------------

    def connect(self) -> imaplib.IMAP4:
        c = imaplib.IMAP4(self.host, self.port, timeout=WAIT)
        self._clients.append(c)
        return c

    def connect_tls(self) -> imaplib.IMAP4_SSL:
        c = imaplib.IMAP4_SSL(self.host, self.tls_port, ssl_context=client_tls_context(), timeout=WAIT)
        self._clients.append(c)
        return c

    def login(self, user: str = "alice") -> imaplib.IMAP4:
        c = self.connect()
        c.login(user, self.password)
        return c

    def raw(self, tls: bool = False) -> RawClient:
        c = RawClient.connect(self.host, self.tls_port if tls else self.port, tls=tls)
        self._clients.append(c)
        return c

    # --- tools ------------------------------------------------------------------

    def loftadm(self, *args, input=None, check=False) -> subprocess.CompletedProcess:
        exe = self.build_dir / "daemons" / "loftadm" / "loftadm"
        return subprocess.run([str(exe), "-c", str(self.config_path), *map(str, args)], input=input,
                              capture_output=True, text=isinstance(input, str) or input is None, timeout=60,
                              check=check)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, text: str, count: int = 1, timeout: float = WAIT) -> str:
        """Wait until `text` appears `count` times in the log; returns the log."""
        return wait_for(lambda: (lambda t: t if t.count(text) >= count else "")(self.log_text()),
                        f"{text!r} in the log", timeout)

    def rss_kb(self) -> int:
        for line in pathlib.Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise KeyError("VmRSS")

    def admin_sockets(self) -> list[pathlib.Path]:
        return sorted((self.base_dir / "admin").glob("*.sock"))

    def signal(self, sig) -> None:
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float = WAIT) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        for c in self._clients:
            try:
                if isinstance(c, RawClient):
                    c.close()
                else:
                    c.shutdown()
            except Exception:  # noqa: BLE001 - a client the test already closed
                pass
        self._clients.clear()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.stderr:
            self.stderr.close()
            self.stderr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
