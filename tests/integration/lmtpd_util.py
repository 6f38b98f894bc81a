"""Start a standalone loft-lmtpd (daemons/lmtpd) with a temporary config:
users in a passwd-file with the test's own uid/gid, mail under
tmp_path/mail/USER/Maildir, an inet listener on a free loopback port and the
unix socket base_dir/lmtp. Optionally a loft-authd on the same config, so
that recipients are looked up through its auth-userdb socket.

    with LmtpServer(build_dir, tmp_path) as srv:
        with srv.lmtp() as c:                     # smtplib.LMTP over TCP
            c.sendmail("from@example.org", ["alice@example.com"], b"...")
        srv.messages("alice@example.com")          # [bytes of each stored file]
        raw = srv.raw()                            # LmtpRaw: exact reply lines
"""
from __future__ import annotations

import os
import pathlib
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile

from line_socket import WAIT, LineSocket, free_port, wait_for  # noqa: F401 (re-exported)

USERS = ("alice@example.com", "bob@example.com", "carol@example.com")


class LmtpRaw(LineSocket):
    """A socket client that sees the exact reply lines (CRLF removed)."""

    def read_reply(self) -> list[str]:
        """One reply: its lines up to the one with a space after the code."""
        lines = []
        while True:
            line = self.read_line()
            if line == "":
                raise AssertionError(f"connection closed in the middle of a reply: {lines}")
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return lines

    def read_replies(self, n: int) -> list[str]:
        """The last lines of `n` replies (one line each for non-LHLO replies)."""
        return [self.read_reply()[-1] for _ in range(n)]

    def command(self, line: str) -> str:
        self.send_line(line)
        return self.read_reply()[-1]

class LmtpServer:
    """One standalone loft-lmtpd (-c CONFIG), optionally with loft-authd."""

    def __init__(self, build_dir, tmp_path, users=USERS, extra_config: str = "", authd: bool = False,
                 start: bool = True, strace_log: pathlib.Path | None = None, mail_fsync: str = "optimized"):
        self.build_dir = pathlib.Path(build_dir)
        self.dir = pathlib.Path(tmp_path)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.users = tuple(users)
        self.host = "127.0.0.1"
        self.port = free_port()
        # A short base_dir: unix socket paths are limited to 107 bytes.
        self.base_dir = pathlib.Path(tempfile.mkdtemp(prefix="lmtpd-", dir="/tmp"))
        self.socket_path = self.base_dir / "lmtp"
        self.log_path = self.dir / "lmtpd.log"
        self.mail_root = self.dir / "mail"
        self.config_path = self.dir / "loft.conf"
        self.passwd_path = self.dir / "users"
        self.use_authd = authd
        self.strace_log = strace_log
        self.mail_fsync = mail_fsync
        self.proc = None
        self.authd = None
        self._files = []
        self._clients = []
        self.write_config(extra_config)
        if start:
            if authd:
                self.start_authd()
            self.start()

    # --- setup ----------------------------------------------------------------

    def write_config(self, extra_config: str = "") -> None:
        uid, gid = os.getuid(), os.getgid()
        self.passwd_path.write_text("".join(
            f"{u}:{{PLAIN}}secret:{uid}:{gid}::{self.mail_root / u}::\n" for u in self.users))
        self.config_path.write_text(
            f"base_dir = {self.base_dir}\n"
            f"log_path = {self.log_path}\n"
            f"mail_location = maildir:{self.mail_root}/%u/Maildir\n"
            f"mail_fsync = {self.mail_fsync}\n"
            # The users have the test's own uid (0 under CI's root).
            f"first_valid_uid = {uid}\n"
            "hostname = lmtp.test\n"
            "protocols = lmtp\n"
            "ssl = no\n"
            "passdb {\n  driver = passwd-file\n"
            f"  args = scheme=PLAIN {self.passwd_path}\n}}\n"
            "userdb {\n  driver = passwd-file\n"
            f"  args = {self.passwd_path}\n}}\n"
            "service lmtp {\n"
            f"  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {self.port}\n  }}\n"
            "}\n"
            # loft-authd serves auth-userdb only here (no passwords asked).
            "service auth {\n  unix_listener auth-userdb {\n    mode = 0600\n  }\n}\n"
            f"{extra_config}\n")

    def start_authd(self) -> None:
        exe = self.build_dir / "daemons" / "authd" / "loft-authd"
        err = open(self.dir / "authd.stderr", "ab")
        self._files.append(err)
        self.authd = subprocess.Popen([str(exe), "-c", str(self.config_path)], stdout=err, stderr=err)
        userdb = self.base_dir / "auth-userdb"

        def ready():
            if self.authd.poll() is not None:
                raise AssertionError(f"loft-authd exited with {self.authd.returncode}: "
                                     f"{(self.dir / 'authd.stderr').read_text(errors='replace')}")
            if not userdb.exists():
                return False
            with socket.socket(socket.AF_UNIX) as s:
                try:
                    s.connect(str(userdb))
                    return True
                except OSError:
                    return False

        wait_for(ready, "loft-authd's auth-userdb socket")

    def stop_authd(self) -> None:
        if self.authd and self.authd.poll() is None:
            self.authd.send_signal(signal.SIGTERM)
            try:
                self.authd.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.authd.kill()
                self.authd.wait()

    def start(self) -> "LmtpServer":
        exe = self.build_dir / "daemons" / "lmtpd" / "loft-lmtpd"
        err = open(self.dir / "lmtpd.stderr", "ab")
        self._files.append(err)
        before = self.log_text().count("lmtp: Info: Listening on")
        argv = [str(exe), "-c", str(self.config_path)]
        if self.strace_log:
            argv = ["strace", "-f", "-qq", "-o", str(self.strace_log),
                    "-e", "trace=fsync,fdatasync,rename,renameat,renameat2,link,linkat,write,sendto,sendmsg",
                    "-s", "256", "-yy", *argv]
        env = None
        if self.strace_log:
            # Under strace LeakSanitizer (AddressSanitizer builds) cannot
            # attach for its final check; leaks are checked by the other tests.
            env = dict(os.environ, ASAN_OPTIONS=":".join(
                filter(None, [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"])))
        self.proc = subprocess.Popen(argv, stdout=err, stderr=err, env=env)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"loft-lmtpd exited with {self.proc.returncode}: "
                                     f"{(self.dir / 'lmtpd.stderr').read_text(errors='replace')} {self.log_text()}")
            return self.log_text().count("lmtp: Info: Listening on") >= before + 2

        wait_for(ready, "loft-lmtpd to listen")
        return self

    def kill(self) -> None:
        """SIGKILL: no goodbye, no flushing."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    @property
    def pid(self) -> int:
        """loft-lmtpd's pid (under strace: the traced child's)."""
        if not self.strace_log:
            return self.proc.pid

        def child():
            try:
                text = pathlib.Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            except OSError:
                return 0
            return int(text[0]) if text else 0

        return wait_for(child, "strace to start loft-lmtpd")

    def maildir(self, user: str = "alice@example.com") -> pathlib.Path:
        return self.mail_root / user / "Maildir"

    def message_files(self, user: str = "alice@example.com", folder: str = "") -> list[pathlib.Path]:
        """The message files of INBOX (or the Maildir++ folder `folder`) in new/ and cur/, by name."""
        root = self.maildir(user) / (f".{folder}" if folder else "")
        files = []
        for sub in ("new", "cur"):
            d = root / sub
            if d.is_dir():
                files.extend(p for p in d.iterdir() if p.is_file())
        return sorted(files, key=lambda p: p.name)

    def messages(self, user: str = "alice@example.com", folder: str = "") -> list[bytes]:
        return [p.read_bytes() for p in self.message_files(user, folder)]

    # --- clients --------------------------------------------------------------

    def lmtp(self, unix: bool = False) -> smtplib.LMTP:
        # A fixed LHLO name (smtplib would send this host's FQDN).
        c = smtplib.LMTP(str(self.socket_path), timeout=WAIT, local_hostname="client.example") if unix else \
            smtplib.LMTP(self.host, self.port, timeout=WAIT, local_hostname="client.example")
        self._clients.append(c)
        return c

    def raw(self, unix: bool = False, greeting: bool = True) -> LmtpRaw:
        if unix:
            sock = socket.socket(socket.AF_UNIX)
            sock.settimeout(WAIT)
            sock.connect(str(self.socket_path))
        else:
            sock = socket.create_connection((self.host, self.port), timeout=WAIT)
        c = LmtpRaw(sock)
        self._clients.append(c)
        if greeting:
            line = c.read_line()
            assert line.startswith("220 "), line
        return c

    # --- logs -----------------------------------------------------------------

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, text: str, count: int = 1, timeout: float = WAIT) -> str:
        return wait_for(lambda: (lambda t: t if t.count(text) >= count else "")(self.log_text()),
                        f"{text!r} in the log", timeout)

    # --- teardown ---------------------------------------------------------------

    def stop(self) -> None:
        for c in self._clients:
            try:
                c.close()
            except Exception:  # noqa: BLE001 - a client the test already closed
                pass
        self._clients.clear()
        if self.proc and self.proc.poll() is None:
            # Under strace the signal goes to loft-lmtpd itself; strace
            # exits with it.
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stop_authd()
        for f in self._files:
            f.close()
        self._files.clear()
        shutil.rmtree(self.base_dir, ignore_errors=True)
        self.check_sanitizers()

    def check_sanitizers(self) -> None:
        """Sanitizer builds: a report in loft-lmtpd's stderr fails the test."""
        try:
            text = (self.dir / "lmtpd.stderr").read_text(errors="replace")
        except FileNotFoundError:
            return
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in text:
                raise AssertionError(f"loft-lmtpd: {marker}\n{text[-4000:]}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
