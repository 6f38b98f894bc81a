"""POP3 compared with Dovecot 2.3 on the same Maildir.

A Maildir with a Dovecot-style dovecot-uidlist (some messages carry a P
field, the UIDL a migration preserved) is served first by a throwaway
Dovecot (`dovecot -c CONF -F`, its own base_dir, a loopback port), then the
same files (Dovecot's uidlist included) by loft-pop3d. The same scripted
session must give the same bytes from both: STAT, LIST, UIDL (the default
%08Xu%08Xv and the preserved P fields), RETR and TOP with CRLF and
dot-stuffing, Dovecot's error texts, LAST, DELE/RSET; and the logout
counters (pop3_logout_format) must match Dovecot's log line.

Dovecot refuses to serve mail as root, so its user is `nobody`; the test
needs root (as CI runs it) and Dovecot installed (Debian dovecot-pop3d).
"""
import grp
import os
import pathlib
import pwd
import re
import shutil
import socket
import subprocess
import tempfile

import pytest

from imapd_util import WAIT, free_port, wait_for
from pop3d_util import Pop3Server

pytestmark = [
    pytest.mark.skipif(shutil.which("dovecot") is None, reason="Dovecot is not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="Dovecot needs root to switch to the mail user"),
]

UIDVALIDITY = 1700000000

# name in cur/ (without ":2,"), content, P field (or None).
MESSAGES = [
    ("1700000001.M1P100.host", b"From: a@example.com\nSubject: one\n\nline1\n.dot\nline3", "migrated+one"),
    ("1700000002.M2P100.host", b"From: a@example.com\r\nSubject: two\r\n\r\nbody2\r\n", None),
    ("1700000003.M3P100.host", b"Subject: no body\n", "UIDL:3#kept"),
    ("1700000004.M4P100.host", b"Subject: dots\n\n.\n..\n...x\nend\n", None),
    ("1700000005.M5P100.host", b"Subject: long\n\n" + b"".join(b"line %d\n" % i for i in range(200)), None),
    ("1700000006.M6P100.host", b"Subject: cr\r\n\r\na\rb\r\nlast line without newline", None),
]

# The session both servers get, after USER/PASS. Commands whose answers the
# two servers word differently on purpose are left out (docs/pop3.md).
SCRIPT = [
    "STAT", "LIST", "LIST 3", "LIST 9", "LIST 0", "LIST x", "LIST 1 2", "UIDL", "UIDL 1", "UIDL 3",
    "RETR 1", "RETR 2", "RETR 3", "RETR 4", "retr 5", "RETR 6",
    "TOP 1 0", "TOP 1 1", "TOP 1 99", "TOP 3 1", "TOP 5 3", "TOP 6 1", "TOP 1", "TOP 1 x", "TOP 1 -1",
    "LAST", "DELE 2", "DELE 2", "RETR 2", "LIST 2", "UIDL 2", "STAT", "LIST", "UIDL", "DELE 9", "DELE x",
    "NOOP", "FOO", "RSET", "STAT", "LAST", "CAPA", "QUIT",
]
MULTI = {"LIST", "UIDL", "CAPA"}


# Messages whose last line has no line end: Loft's sizes count the CRLF RETR
# adds (RFC 1939 §3), Dovecot 2.3.19's do not (docs/pop3.md).
NO_FINAL_EOL = [n for n, (_, body, _) in enumerate(MESSAGES, start=1) if not body.endswith(b"\n")]


def with_final_crlf_counted(command: str, answer: bytes) -> bytes:
    """Dovecot's answer with 2 octets more for each NO_FINAL_EOL message in
    it: LIST lines, RETR's +OK, STAT's total (no such message is deleted)."""
    word = command.split(" ")[0].upper()
    if not answer.startswith(b"+OK"):
        return answer
    if word == "STAT":
        count, total = answer[4:-2].split(b" ")
        return b"+OK %s %d\r\n" % (count, int(total) + 2 * len(NO_FINAL_EOL))
    if word == "LIST":
        return re.sub(rb"(?m)^(\+OK )?(\d+) (\d+)\r$",
                      lambda m: b"%s%s %d\r" % (m.group(1) or b"", m.group(2),
                                                 int(m.group(3)) + (2 if int(m.group(2)) in NO_FINAL_EOL else 0)),
                      answer)
    if word == "RETR" and int(command.split(" ")[1]) in NO_FINAL_EOL:
        return re.sub(rb"^\+OK (\d+) octets", lambda m: b"+OK %d octets" % (int(m.group(1)) + 2), answer)
    return answer


def make_maildir(md: pathlib.Path) -> None:
    for d in ("cur", "new", "tmp"):
        (md / d).mkdir(parents=True, exist_ok=True)
    lines = [f"3 V{UIDVALIDITY} N{len(MESSAGES) + 1} G0123456789abcdef0123456789abcdef\n"]
    for uid, (name, body, p) in enumerate(MESSAGES, start=1):
        (md / "cur" / f"{name},S={len(body)}:2,").write_bytes(body)
        fields = f"P{p} " if p else ""
        lines.append(f"{uid} {fields}:{name},S={len(body)}\n")
    (md / "dovecot-uidlist").write_text("".join(lines))


def is_multi(command: str, status: bytes) -> bool:
    word = command.split(" ")[0].upper()
    if not status.startswith(b"+OK"):
        return False
    if word in ("RETR", "TOP"):
        return True
    return word in MULTI and " " not in command.strip()


def run_script(port: int, user: str, password: str) -> list[bytes]:
    """The exact bytes of each answer (multi-line bodies included)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    buf = b""

    def line() -> bytes:
        nonlocal buf
        while b"\r\n" not in buf:
            chunk = sock.recv(65536)
            assert chunk, "connection closed"
            buf += chunk
        out, buf = buf.split(b"\r\n", 1)
        return out + b"\r\n"

    try:
        greeting = line()
        assert greeting.startswith(b"+OK ")
        sock.sendall(f"USER {user}\r\nPASS {password}\r\n".encode())
        assert line() == b"+OK\r\n"
        assert line() == b"+OK Logged in.\r\n"
        answers = []
        for command in SCRIPT:
            sock.sendall(command.encode() + b"\r\n")
            status = line()
            answer = status
            if is_multi(command, status):
                while True:
                    l = line()
                    answer += l
                    if l == b".\r\n":
                        break
            answers.append(answer)
        return answers
    finally:
        sock.close()


class Dovecot:
    """A throwaway Dovecot serving POP3 for `user` from `mail_root`."""

    def __init__(self, tmp: pathlib.Path, mail_root: pathlib.Path, user: str, password: str):
        self.dir = tmp
        self.port = free_port()
        self.log = tmp / "dovecot.log"
        nobody = pwd.getpwnam("nobody")
        users = tmp / "dovecot-users"
        users.write_text(f"{user}:{{PLAIN}}{password}:{nobody.pw_uid}:{nobody.pw_gid}::{tmp / 'home'}::\n")
        (tmp / "home").mkdir(exist_ok=True)
        os.chown(tmp / "home", nobody.pw_uid, nobody.pw_gid)
        for p in [mail_root, *mail_root.rglob("*")]:
            os.chown(p, nobody.pw_uid, nobody.pw_gid)
        self.conf = tmp / "dovecot.conf"
        self.conf.write_text(
            f"base_dir = {tmp / 'dovecot-run'}\nstate_dir = {tmp / 'dovecot-state'}\n"
            f"log_path = {self.log}\nprotocols = pop3\nlisten = 127.0.0.1\nssl = no\n"
            "disable_plaintext_auth = no\nauth_mechanisms = plain login\n"
            f"mail_location = maildir:{mail_root}/%u/Maildir\n"
            "default_internal_user = nobody\ndefault_login_user = nobody\n"
            f"default_internal_group = {grp.getgrgid(nobody.pw_gid).gr_name}\n"
            "pop3_enable_last = yes\n"
            f"passdb {{\n  driver = passwd-file\n  args = {users}\n}}\n"
            f"userdb {{\n  driver = passwd-file\n  args = {users}\n}}\n"
            "service anvil {\n  chroot =\n}\n"
            f"service pop3-login {{\n  chroot =\n  inet_listener pop3 {{\n    port = {self.port}\n  }}\n"
            "  inet_listener pop3s {\n    port = 0\n  }\n}\n")
        (tmp / "dovecot-state").mkdir(exist_ok=True)
        self.proc = subprocess.Popen(["dovecot", "-c", str(self.conf), "-F"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

        def ready():
            assert self.proc.poll() is None, f"dovecot exited: {self.log_text()}"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False

        wait_for(ready, "Dovecot to listen")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def counters(log: str) -> str:
    found = re.findall(r"Disconnected: Logged out (top=\S+ retr=\S+ del=\S+ size=\d+)", log)
    assert found, log
    return found[-1]


@pytest.fixture
def dovecot_dir():
    """A directory Dovecot's unprivileged processes can reach (pytest's
    tmp_path is private to root)."""
    d = pathlib.Path(tempfile.mkdtemp(prefix="loft-pop3-dovecot-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_same_bytes_as_dovecot_on_the_same_maildir(build_dir, tmp_path, dovecot_dir):
    dov_dir = dovecot_dir
    dov_mail = dov_dir / "mail"
    make_maildir(dov_mail / "alice" / "Maildir")
    dovecot = Dovecot(dov_dir, dov_mail, "alice", "secret")
    try:
        expected = run_script(dovecot.port, "alice", "secret")
        wait_for(lambda: "Logged out" in dovecot.log_text(), "Dovecot's logout line")
        dovecot_counters = counters(dovecot.log_text())
    finally:
        dovecot.stop()

    # The P fields and the default format, as Dovecot sent them.
    uidl = expected[SCRIPT.index("UIDL")].decode()
    assert "1 migrated+one\r\n" in uidl
    assert "3 UIDL:3#kept\r\n" in uidl
    assert f"2 00000002{UIDVALIDITY:08x}\r\n" in uidl

    srv = Pop3Server(build_dir, tmp_path / "loft", tls=False, extra_config="pop3_enable_last = yes\n",
                     start=False)
    # Dovecot's files (its dovecot-uidlist, its renames to :2,S) as it left them.
    shutil.copytree(dov_mail / "alice", srv.mail_root / "alice", symlinks=True)
    uid, gid = os.getuid(), os.getgid()
    for p in [srv.mail_root, *srv.mail_root.rglob("*")]:
        os.chown(p, uid, gid)
    srv.start()
    try:
        got = run_script(srv.port, "alice", "secret")
        wait_for(lambda: "Logged out" in srv.log_text(), "loft-pop3d's logout line")
        loft_counters = counters(srv.log_text())
    finally:
        srv.stop()

    for command, want, have in zip(SCRIPT, expected, got):
        if command == "CAPA":
            # Loft adds IMPLEMENTATION (RFC 2449 §6.9); the rest is the same.
            have = have.replace(b"IMPLEMENTATION Loft\r\n", b"")
        want = with_final_crlf_counted(command, want)
        assert have == want, f"{command}: Dovecot {want!r} Loft {have!r}"
    assert loft_counters == re.sub(r"size=(\d+)", lambda m: f"size={int(m.group(1)) + 2 * len(NO_FINAL_EOL)}",
                                   dovecot_counters)


def test_list_sizes_are_the_octets_retr_sends(build_dir, tmp_path):
    """LIST/STAT and RETR's +OK count the CRLF RETR adds after a last line
    without a line end (RFC 1939 §3), in the first session (read from the
    file) and the next (from the index cache)."""
    srv = Pop3Server(build_dir, tmp_path / "loft", tls=False, start=False)
    make_maildir(srv.mail_root / "alice" / "Maildir")
    srv.start()
    try:
        for _ in range(2):
            sock = socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT)
            f = sock.makefile("rb")
            assert f.readline().startswith(b"+OK")
            sock.sendall(b"USER alice\r\nPASS secret\r\nLIST\r\n")
            assert f.readline() == b"+OK\r\n" and f.readline() == b"+OK Logged in.\r\n"
            assert f.readline().startswith(b"+OK")
            listed = {}
            while (line := f.readline()) != b".\r\n":
                n, size = line.split()
                listed[int(n)] = int(size)
            for n in listed:
                sock.sendall(f"RETR {n}\r\n".encode())
                assert f.readline() == f"+OK {listed[n]} octets\r\n".encode()
                body = b""
                while (line := f.readline()) != b".\r\n":
                    body += line[1:] if line.startswith(b"..") else line
                assert len(body) == listed[n], (n, body)
            sock.sendall(b"QUIT\r\n")
            assert f.readline().startswith(b"+OK")
            sock.close()
            assert listed[1] == 57 and listed[6] == 47  # 55 and 45 octets, then CRLF
    finally:
        srv.stop()
