"""The delivery pipeline next to Dovecot 2.3 (docs/delivery.md).

- The same LMTP transactions sent to Dovecot's LMTP and to loft-lmtpd store
  the same bytes (the Received date and session id aside): Return-Path,
  Delivered-To, the Received layout with and without "for", LF line ends.
- Dovecot (doveadm) reads what loft-lmtpd delivered: the same UIDs, the
  same bytes, and sizes that agree with the S=/W= of the file names.

Runs as root (CI does): Dovecot's LMTP and doveadm switch to the mail user.
"""
from __future__ import annotations

import os
import pathlib
import pwd
import re
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time

import pytest

from lmtpd_util import LmtpServer, free_port, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("dovecot"),
                                reason="needs root and Debian's dovecot-lmtpd")

NOBODY = pwd.getpwnam("nobody")
USERS = ("alice@example.com", "bob@example.com")
SENDER = "sender@remote.org"

# (recipients, ORCPT of the first recipient or None, message)
TRANSACTIONS = [
    (["alice@example.com"], None,
     b"Subject: one\r\nMessage-ID: <one@x>\r\n\r\nbody line\r\nbare\nlf\r\n"),
    (["alice@example.com", "bob@example.com"], None,
     b"Subject: two\r\nMessage-ID: <two@x>\r\n\r\n8-bit: \xc3\xa9\r\n"),
    (["bob@example.com"], "orig@example.com",
     b"Subject: three\r\n\r\nx\r\n"),
]


class DovecotLmtp:
    """A throwaway Dovecot serving LMTP on a loopback port, users in a
    passwd-file owned by nobody."""

    def __init__(self, extra: str = ""):
        # Under /tmp with mode 0755: Dovecot's auth and lmtp run as nobody
        # and must reach the passwd-file and the homes (pytest's tmp_path is 0700).
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="dvlmtp-work-"))
        self.dir.chmod(0o755)
        self.mail = self.dir / "mail"
        self.mail.mkdir()
        os.chown(self.mail, NOBODY.pw_uid, NOBODY.pw_gid)
        self.base = pathlib.Path(tempfile.mkdtemp(prefix="dvlmtp-", dir="/tmp"))
        self.port = free_port()
        users = self.dir / "users"
        users.write_text("".join(f"{u}::{NOBODY.pw_uid}:{NOBODY.pw_gid}::{self.mail / u}::\n" for u in USERS))
        self.log = self.dir / "dovecot.log"
        self.conf = self.dir / "dovecot.conf"
        self.conf.write_text(
            f"base_dir = {self.base}\nlog_path = {self.log}\nssl = no\nprotocols = lmtp\n"
            "hostname = lmtp.test\nmail_location = maildir:~/Maildir\nfirst_valid_uid = 0\n"
            f"passdb {{\n  driver = passwd-file\n  args = {users}\n}}\n"
            f"userdb {{\n  driver = passwd-file\n  args = {users}\n}}\n"
            "service lmtp {\n"
            f"  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {self.port}\n  }}\n}}\n"
            "service anvil {\n  chroot =\n}\n"
            "default_internal_user = nobody\ndefault_login_user = nobody\n" + extra)
        self.proc = subprocess.Popen(["dovecot", "-c", str(self.conf), "-F"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)

        def ready():
            try:
                with smtplib.LMTP("127.0.0.1", self.port, timeout=5) as c:
                    c.noop()
                return True
            except OSError:
                return False

        wait_for(ready, "Dovecot's LMTP")

    def lmtp(self) -> smtplib.LMTP:
        return smtplib.LMTP("127.0.0.1", self.port, timeout=30)

    def messages(self, user: str) -> list[bytes]:
        return files_of(self.mail / user / "Maildir")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.base, ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def files_of(maildir: pathlib.Path) -> list[bytes]:
    """The message files of a Maildir's INBOX, in delivery (name) order."""
    paths = []
    for sub in ("new", "cur"):
        d = maildir / sub
        if d.is_dir():
            paths.extend(p for p in d.iterdir() if p.is_file())
    # Names start with the time, then .M<usec>: sort by (seconds, usec).
    def key(p: pathlib.Path):
        m = re.match(r"(\d+)\.M(\d+)P", p.name)
        return (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    return [p.read_bytes() for p in sorted(paths, key=key)]


def normalized(message: bytes) -> bytes:
    """The Received date and the session id replaced by fixed text."""
    message = re.sub(rb"\n\tid [^\n]*\n", b"\n\tid ID\n", message, count=1)
    return re.sub(rb"; [A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [-+]\d{4}\n", b"; DATE\n",
                  message, count=1)


def send_all(client: smtplib.LMTP, extra_orcpt: bool = True) -> None:
    client.ehlo_or_helo_if_needed = lambda: None  # LHLO is sent below
    code, _ = client.docmd("LHLO", "client.example.org")
    assert code == 250
    for rcpts, orcpt, message in TRANSACTIONS:
        code, _ = client.docmd("MAIL", f"FROM:<{SENDER}>")
        assert code == 250
        for i, r in enumerate(rcpts):
            arg = f"<{r}>" + (f" ORCPT=rfc822;{orcpt}" if i == 0 and orcpt else "")
            code, reply = client.docmd("RCPT", "TO:" + arg)
            assert code == 250, reply
        code, _ = client.docmd("DATA")
        assert code == 354
        client.send(message + b".\r\n")
        for _ in rcpts:
            code, reply = client.getreply()
            assert code == 250, reply
    client.docmd("QUIT")


@pytest.mark.parametrize("setting", ["", "lmtp_hdr_delivery_address = none\n",
                                     "lmtp_hdr_delivery_address = original\n"])
def test_same_bytes_as_dovecot_lmtp(build_dir, tmp_path, setting):
    dovecot = DovecotLmtp(setting)
    try:
        with dovecot.lmtp() as c:
            send_all(c)
        theirs = {u: dovecot.messages(u) for u in USERS}
    finally:
        dovecot.stop()
    with LmtpServer(build_dir, tmp_path / "loft", users=USERS, extra_config=setting) as srv:
        with srv.lmtp() as c:
            send_all(c)
        ours = {u: files_of(srv.maildir(u)) for u in USERS}
    for user in USERS:
        assert len(ours[user]) == len(theirs[user])
        for mine, dovecots in zip(ours[user], theirs[user]):
            if setting == "" and b"Subject: two" in mine:
                # The deliberate difference (docs/delivery.md): with several
                # recipients Loft still adds the recipient's Delivered-To.
                assert mine.count(b"Delivered-To: ") == 1
                assert f"Delivered-To: {user}\n".encode() in mine
                mine = mine.replace(f"Delivered-To: {user}\n".encode(), b"")
            assert normalized(mine) == normalized(dovecots)


def test_dovecot_reads_what_loft_delivered(build_dir, tmp_path):
    with LmtpServer(build_dir, tmp_path / "loft", users=USERS) as srv:
        with srv.lmtp() as c:
            send_all(c)
        maildir = srv.maildir("alice@example.com")
    ours = files_of(maildir)
    assert len(ours) == 2
    uidlist = (maildir / "dovecot-uidlist").read_text().splitlines()[1:]
    loft_uids = [int(line.split()[0]) for line in uidlist]
    names = {}
    for sub in ("new", "cur"):
        for p in (maildir / sub).iterdir():
            names[p.name.split(":")[0]] = p
    # A copy in a directory nobody can reach (pytest's tmp_path is 0700),
    # owned by nobody, whom doveadm runs as.
    work = pathlib.Path(tempfile.mkdtemp(prefix="dvread-", dir="/tmp"))
    try:
        work.chmod(0o755)
        home = work / "home"
        shutil.copytree(maildir.parent, home, symlinks=True)
        for root, dirs, files in os.walk(home):
            for n in dirs + files:
                os.chown(os.path.join(root, n), NOBODY.pw_uid, NOBODY.pw_gid)
        os.chown(home, NOBODY.pw_uid, NOBODY.pw_gid)
        conf = work / "dovecot.conf"
        conf.write_text(f"mail_location = maildir:{home}/Maildir\nmail_uid = nobody\nmail_gid = {NOBODY.pw_gid}\n"
                        f"first_valid_uid = 1\nbase_dir = {work}/run\nlog_path = /dev/stderr\nssl = no\n")
        conf.chmod(0o644)
        cmd = ["setpriv", f"--reuid={NOBODY.pw_uid}", f"--regid={NOBODY.pw_gid}", "--clear-groups", "env",
               "USER=alice", f"HOME={home}", "doveadm", "-c", str(conf), "-f", "flow", "fetch",
               "uid size.physical size.virtual text", "mailbox", "INBOX", "all"]
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        out = done.stdout
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # flow: "uid=1 size.physical=N size.virtual=M text=<message>" per message, one per line block
    records = re.findall(rb"uid=(\d+) size\.physical=(\d+) size\.virtual=(\d+) text=", out)
    assert [int(r[0]) for r in records] == loft_uids == [1, 2]
    for (uid, psize, vsize), line in zip(records, uidlist):
        base = line.split(":", 1)[1] if ":" in line else line.split()[-1]
        path = names[base]
        m = re.search(r",S=(\d+)(?:,W=(\d+))?", path.name)
        assert int(psize) == int(m.group(1)) == path.stat().st_size
        assert int(vsize) == int(m.group(2) or m.group(1))
    for message in ours:
        # doveadm's text is the stored message (LF line ends as stored).
        assert message in out
