"""Real Postfix (the Debian package) authenticating SMTP AUTH through
loft-authd: smtpd_sasl_type = dovecot pointed at loft-authd's auth-client
socket, swaks as the SMTP client (docs/authd.md "Postfix").

Postfix runs from a temporary config directory (`postfix -c DIR`) with its
queue, data directory and log file there, smtpd on a free loopback port and
no chroot. It needs root (its master runs as root and hands the data
directory to mail_owner = postfix)."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import time

import pytest

from authd_util import start_authd, authd_config, TIMEOUT
from loftd_util import free_port, wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="Postfix's master must start as root")

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class Postfix:
    def __init__(self, workdir: pathlib.Path, sasl_path: str):
        self.dir = workdir / "postfix"
        self.conf = self.dir / "conf"
        self.port = free_port()
        self.log = self.dir / "maillog"
        for d in ("conf", "queue", "data"):
            (self.dir / d).mkdir(parents=True)
        # master takes data_directory/master.lock as mail_owner.
        shutil.chown(self.dir / "data", "postfix")
        (self.conf / "main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {self.dir}/queue
data_directory = {self.dir}/data
# Postfix only writes its log where maillog_file_prefixes allows.
maillog_file_prefixes = {self.dir}
maillog_file = {self.log}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = loft-test.localdomain
mydestination =
smtpd_tls_security_level = none
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {sasl_path}
smtpd_sasl_security_options = noanonymous
broken_sasl_auth_clients = yes
""")
        (self.conf / "master.cf").write_text(MASTER_CF.format(port=self.port))

    def postfix(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["postfix", "-c", str(self.conf), *args], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)

    def start(self):
        check = self.postfix("check")
        assert check.returncode == 0, check.stderr + self.maillog()
        started = self.postfix("start")
        assert started.returncode == 0, started.stderr + self.maillog()
        import socket

        def listening():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                return False
        assert wait_until(listening, TIMEOUT), self.maillog()

    def stop(self):
        self.postfix("stop")
        pid_file = self.dir / "queue" / "pid" / "master.pid"
        # `postfix stop` returns before master has gone; wait for it.
        def gone():
            try:
                pid = int(pid_file.read_text().split()[0])
                os.kill(pid, 0)
                return False
            except (OSError, ValueError, IndexError):
                return True
        wait_until(gone, TIMEOUT)

    def maillog(self) -> str:
        try:
            return self.log.read_text()
        except OSError:
            return ""

    def swaks(self, mech: str, user: str, password: str) -> subprocess.CompletedProcess:
        return subprocess.run(["swaks", "--server", f"127.0.0.1:{self.port}", "--auth", mech,
                               "--auth-user", user, "--auth-password", password, "--quit-after", "AUTH",
                               "--timeout", "30"],
                              capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL)


@pytest.fixture
def postfix_with_authd(build_dir):
    if shutil.which("postfix") is None or shutil.which("swaks") is None:
        pytest.fail("postfix and swaks are required (scripts/debian-packages.txt)")
    authd = start_authd(build_dir)
    postfix = None
    try:
        authd.wait_ready()
        postfix = Postfix(authd.workdir, authd.socket_path("auth-client"))
        postfix.start()
        yield postfix, authd
    finally:
        if postfix is not None:
            postfix.stop()
        authd.stop()


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_swaks_auth_success(postfix_with_authd, mech):
    postfix, authd = postfix_with_authd
    r = postfix.swaks(mech, "alice", "secret")
    assert r.returncode == 0, r.stdout + r.stderr + postfix.maillog() + authd.log
    assert "<-  235 2.7.0 Authentication successful" in r.stdout


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_swaks_auth_wrong_password(postfix_with_authd, mech):
    postfix, authd = postfix_with_authd
    r = postfix.swaks(mech, "alice", "wrong")
    assert r.returncode != 0
    assert "<** 535 5.7.8 Error: authentication failed:" in r.stdout, r.stdout + postfix.maillog()
    assert "235 " not in r.stdout
    assert wait_until(lambda: "SASL " + mech + " authentication failed" in postfix.maillog(), TIMEOUT)


def test_swaks_nologin_user_refused_with_reason(postfix_with_authd):
    postfix, authd = postfix_with_authd
    r = postfix.swaks("PLAIN", "bob", "pw")
    assert r.returncode != 0
    assert "<** 535 5.7.8 Error: authentication failed: Suspended" in r.stdout, r.stdout + postfix.maillog()


def test_ehlo_advertises_loft_mechanisms(postfix_with_authd):
    postfix, authd = postfix_with_authd
    r = subprocess.run(["swaks", "--server", f"127.0.0.1:{postfix.port}", "--quit-after", "EHLO"],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    lines = [l for l in r.stdout.splitlines() if l.startswith("<-  250")]
    auth = [l for l in lines if "AUTH" in l]
    # broken_sasl_auth_clients = yes: both forms, exactly the mechanisms
    # loft-authd announced (auth_mechanisms = plain login).
    assert auth == ["<-  250-AUTH PLAIN LOGIN", "<-  250-AUTH=PLAIN LOGIN"], r.stdout
