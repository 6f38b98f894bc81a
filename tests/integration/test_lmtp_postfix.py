"""A real Postfix (the Debian package) in front of Loft, as the book sets it up
(docs/lmtp.md, docs/lda.md): mail submitted with swaks to Postfix's SMTP port
reaches Loft

- over LMTP: `virtual_transport = lmtp:inet:127.0.0.1:PORT` to loft-lmtpd,
  with `reject_unverified_recipient`, so Postfix probes Loft's RCPT before it
  accepts a recipient at SMTP time;
- through loft-lda in a pipe(8) transport (`flags=DRhu user=nobody`), the
  dovecot-lda line of the book;
- through loft-lda as local(8)'s `mailbox_command`, run as the recipient (a
  local user made with useradd).

Then the message is in the user's Maildir and visible over IMAP (loft-imapd
on the same config) with Postfix's and Loft's trace headers; an unknown
recipient is refused at SMTP time (LMTP) or bounced (loft-lda's exit 67);
Postfix's queue is empty at the end.

Postfix runs from its own config directory with its own queue, data
directory and log, smtpd on a free loopback port, no chroot, stopped at the
end. Its master must start as root."""
from __future__ import annotations

import imaplib
import os
import pathlib
import pwd
import re
import shutil
import signal
import socket
import subprocess
import uuid

import pytest

from lmtpd_util import LmtpServer, free_port, wait_for
from loftd_util import make_shared_tempdir

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="Postfix's master must start as root")

WAIT = 30.0

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
local     unix  -       n       n       -       -       local
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
loftlda   unix  -       n       n       -       5       pipe
  flags=DRhu user=nobody argv={lda} -c {lda_conf} -d ${{user}}@${{nexthop}} -f ${{sender}} -a ${{original_recipient}}
"""


class Postfix:
    def __init__(self, workdir: pathlib.Path, lmtp_port: int, lda: str, lda_conf: pathlib.Path, lda_line: str):
        self.dir = workdir / "postfix"
        self.conf = self.dir / "conf"
        self.port = free_port()
        self.log = self.dir / "maillog"
        for d in ("conf", "queue", "data"):
            (self.dir / d).mkdir(parents=True)
        shutil.chown(self.dir / "data", "postfix")
        (self.conf / "main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {self.dir}/queue
data_directory = {self.dir}/data
maillog_file_prefixes = {self.dir}
maillog_file = {self.log}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.loft-test.localdomain
mydomain = loft-test.localdomain
myorigin = $myhostname
mynetworks = 127.0.0.0/8
smtpd_tls_security_level = none
# Loft's domains: example.com over LMTP to loft-lmtpd, pipe.example through
# loft-lda in a pipe(8) transport, local.test to local users (local(8) runs
# mailbox_command = loft-lda as the recipient).
mydestination = local.test
virtual_mailbox_domains = example.com pipe.example
virtual_transport = lmtp:inet:127.0.0.1:{lmtp_port}
transport_maps = inline:{{ pipe.example=loftlda: }}
loftlda_destination_recipient_limit = 1
mailbox_command = {lda_line}
alias_maps =
alias_database =
# Address verification (the book's recipe): Postfix asks Loft's LMTP RCPT
# before accepting a recipient; a definite "no" is a 550.
smtpd_recipient_restrictions = reject_unverified_recipient
unverified_recipient_reject_code = 550
address_verify_negative_cache = yes
# No retries while a test waits: a deferred message is retried at once.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
""")
        (self.conf / "master.cf").write_text(MASTER_CF.format(port=self.port, lda=lda, lda_conf=lda_conf))

    def postfix(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["postfix", "-c", str(self.conf), *args], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)

    def start(self):
        check = self.postfix("check")
        assert check.returncode == 0, check.stderr + self.maillog()
        started = self.postfix("start")
        assert started.returncode == 0, started.stderr + self.maillog()

        def listening():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                return False
        wait_for(listening, "Postfix's smtpd to listen", WAIT)

    def stop(self):
        self.postfix("stop")
        pid_file = self.dir / "queue" / "pid" / "master.pid"

        def gone():
            try:
                pid = int(pid_file.read_text().split()[0])
                os.kill(pid, 0)
                return False
            except (OSError, ValueError, IndexError):
                return True
        try:
            wait_for(gone, "Postfix's master to exit", WAIT)
        except AssertionError:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGKILL)

    def maillog(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def queue(self) -> str:
        return subprocess.run(["postqueue", "-c", str(self.conf), "-p"], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL).stdout

    def flush(self):
        subprocess.run(["postqueue", "-c", str(self.conf), "-f"], capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)

    def swaks(self, to: str, sender: str = "sender@example.com", body: str = "Hello through Postfix.",
              header: str = "") -> subprocess.CompletedProcess:
        args = ["swaks", "--server", f"127.0.0.1:{self.port}", "--from", sender, "--to", to,
                "--helo", "client.test", "--timeout", "60",
                "--header", f"Subject: loft postfix test {to}", "--body", body]
        if header:
            args += ["--add-header", header]
        return subprocess.run(args, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def local_user():
    """A throwaway local user for local(8), removed afterwards."""
    name = "loftpf" + uuid.uuid4().hex[:6]
    home = make_shared_tempdir("loftpf-home-")
    subprocess.run(["useradd", "--home-dir", str(home), "--shell", "/usr/sbin/nologin", name], check=True,
                   capture_output=True, timeout=60)
    user = pwd.getpwnam(name)
    os.chown(home, user.pw_uid, user.pw_gid)
    try:
        yield user
    finally:
        subprocess.run(["userdel", name], capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


class Setup:
    """loft-lmtpd (+ loft-authd) for example.com, loft-lda's config for
    pipe.example and local users, loft-imapd on the LMTP config, Postfix."""

    def __init__(self, build_dir: pathlib.Path, workdir: pathlib.Path, local: pwd.struct_passwd):
        self.dir = workdir
        self.local = local
        nobody = pwd.getpwnam("nobody")
        self.imap_port = free_port()
        imap = ("service imap-login {\n"
                f"  inet_listener imap {{\n    address = 127.0.0.1\n    port = {self.imap_port}\n  }}\n"
                "  inet_listener imaps {\n    port = 0\n  }\n}\n")
        self.lmtp = LmtpServer(build_dir, workdir, users=("alice@example.com", "bob@example.com"),
                               extra_config=imap, start=False)
        # carol is reached through the pipe transport, which runs loft-lda
        # as nobody: her files belong to nobody.
        uid, gid = os.getuid(), os.getgid()
        self.lmtp.passwd_path.write_text(
            "".join(f"{u}:{{PLAIN}}secret:{uid}:{gid}::{self.lmtp.mail_root / u}::\n"
                    for u in ("alice@example.com", "bob@example.com")) +
            f"carol@pipe.example:{{PLAIN}}secret:{nobody.pw_uid}:{nobody.pw_gid}::/nonexistent::\n")
        self.lmtp.passwd_path.chmod(0o644)
        self.lmtp.mail_root.mkdir()
        for user, owner in (("carol@pipe.example", nobody), (local.pw_name, local)):
            (self.lmtp.mail_root / user).mkdir()
            os.chown(self.lmtp.mail_root / user, owner.pw_uid, owner.pw_gid)

        # loft-lda's config: the same mail and userdb, no auth service (the
        # passwd-file is read in process), a log file everyone may append to.
        self.lda = str(build_dir / "daemons" / "lda" / "loft-lda")
        self.lda_log = workdir / "lda.log"
        self.lda_log.touch()
        self.lda_log.chmod(0o666)
        self.lda_conf = workdir / "lda.conf"
        self.lda_conf.write_text(
            f"base_dir = {workdir}/lda-run\n"
            f"log_path = {self.lda_log}\n"
            f"mail_location = maildir:{self.lmtp.mail_root}/%u/Maildir\n"
            "mail_fsync = optimized\n"
            f"userdb {{\n  driver = passwd-file\n  args = {self.lmtp.passwd_path}\n}}\n")
        self.lda_conf.chmod(0o644)
        self.imapd = None
        self.postfix = Postfix(workdir, self.lmtp.port, self.lda, self.lda_conf,
                               f'{self.lda} -c {self.lda_conf} -f "$SENDER" -a "$RECIPIENT"')

    def start(self):
        self.lmtp.start_authd()
        self.lmtp.start()
        self.imapd = subprocess.Popen(
            [str(self.lmtp.build_dir / "daemons" / "imapd" / "loft-imapd"), "-c", str(self.lmtp.config_path)],
            stdout=subprocess.DEVNULL, stderr=open(self.dir / "imapd.stderr", "ab"))

        def imap_ready():
            if self.imapd.poll() is not None:
                raise AssertionError(f"loft-imapd exited: {(self.dir / 'imapd.stderr').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.imap_port), timeout=1):
                    return True
            except OSError:
                return False
        wait_for(imap_ready, "loft-imapd to listen", WAIT)
        self.postfix.start()

    def stop(self):
        try:
            self.postfix.stop()
        finally:
            if self.imapd and self.imapd.poll() is None:
                self.imapd.terminate()
                try:
                    self.imapd.wait(WAIT)
                except subprocess.TimeoutExpired:
                    self.imapd.kill()
                    self.imapd.wait()
            self.lmtp.stop()

    def logs(self) -> str:
        return (f"\n--- maillog\n{self.postfix.maillog()}\n--- lmtpd\n{self.lmtp.log_text()}"
                f"\n--- lda\n{self.lda_log.read_text(errors='replace')}")

    def wait_delivered(self, user: str, count: int = 1) -> list[pathlib.Path]:
        def files():
            found = self.lmtp.message_files(user)
            return found if len(found) >= count else None
        try:
            return wait_for(files, f"{count} message(s) for {user}", WAIT)
        except AssertionError as e:
            raise AssertionError(f"{e}{self.logs()}") from None

    def wait_maillog(self, pattern: str) -> re.Match:
        """Postfix logs a delivery after the file is in place: wait for it."""
        try:
            return wait_for(lambda: re.search(pattern, self.postfix.maillog()), f"{pattern!r} in the maillog", WAIT)
        except AssertionError as e:
            raise AssertionError(f"{e}{self.logs()}") from None

    def wait_queue_empty(self):
        def empty():
            out = self.postfix.queue()
            if "Mail queue is empty" in out:
                return True
            self.postfix.flush()
            return False
        try:
            wait_for(empty, "Postfix's queue to empty", WAIT, interval=0.5)
        except AssertionError:
            raise AssertionError(f"queue: {self.postfix.queue()}{self.logs()}") from None


# One Postfix and one Loft for the whole file (each test uses its own
# recipients): starting them is most of the time.
@pytest.fixture(scope="module")
def setup(build_dir, local_user):
    for tool in ("postfix", "swaks", "postqueue"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required (scripts/debian-packages.txt)")
    workdir = make_shared_tempdir("lmtp-postfix-")
    s = Setup(build_dir, workdir, local_user)
    try:
        s.start()
        yield s
    finally:
        s.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def header_block(data: bytes) -> str:
    return re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0].decode(errors="replace")


def submit_until_final(setup: Setup, to: str) -> subprocess.CompletedProcess:
    """swaks until the RCPT answer is not the 450 of a verification still in
    progress (Postfix answers that while its first probe is under way)."""
    last = None
    for _ in range(10):
        last = setup.postfix.swaks(to)
        if "Address verification in progress" not in last.stdout and "unverified address" not in last.stdout:
            return last
    return last


def test_lmtp_delivery_visible_in_imap_with_trace_headers(setup):
    r = submit_until_final(setup, "alice@example.com")
    assert r.returncode == 0, r.stdout + r.stderr + setup.logs()
    assert re.search(r"<-  250 2\.0\.0 Ok: queued as \w+", r.stdout), r.stdout
    [saved] = setup.wait_delivered("alice@example.com")
    data = saved.read_bytes()
    head = header_block(data)
    # Loft's own trace headers first (RFC 5321 §4.4), then Postfix's; the
    # file has LF line ends, as Dovecot's Maildir files.
    assert head.startswith("Return-Path: <sender@example.com>\nDelivered-To: alice@example.com\n"
                           "Received: from mx.loft-test.localdomain ([127.0.0.1])\n"), head
    received = re.findall(r"^Received: .*(?:\r?\n[ \t].*)*", head, re.M)
    assert len(received) == 2, head
    assert "by lmtp.test" in received[0] and "with LMTP" in received[0] and "alice@example.com" in received[0], \
        received[0]
    assert "by mx.loft-test.localdomain (Postfix) with ESMTP" in received[1], received[1]
    assert b"\n\nHello through Postfix.\n" in data, data[-200:]
    setup.wait_maillog(r"postfix/lmtp\[\d+\]: \w+: to=<alice@example\.com>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+,"
                       r".* status=sent \(250 2\.0\.0 <alice@example\.com> \S+ Saved\)")

    imap = imaplib.IMAP4("127.0.0.1", setup.imap_port, timeout=WAIT)
    try:
        imap.login("alice@example.com", "secret")
        typ, data_ = imap.select("INBOX")
        assert (typ, data_) == ("OK", [b"1"])
        typ, fetched = imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (RETURN-PATH DELIVERED-TO SUBJECT)] RFC822.SIZE)")
        assert typ == "OK", fetched
        assert fetched[0][1] == (b"Return-Path: <sender@example.com>\r\nDelivered-To: alice@example.com\r\n"
                                 b"Subject: loft postfix test alice@example.com\r\n\r\n"), fetched
        # RFC822.SIZE counts CRLF line ends.
        crlf_size = len(data) + data.count(b"\n")
        assert f"RFC822.SIZE {crlf_size}".encode() in fetched[0][0], fetched
        imap.logout()
    finally:
        imap.shutdown() if imap.state != "LOGOUT" else None
    setup.wait_queue_empty()


def test_unknown_recipient_rejected_at_smtp_time(setup):
    """Address verification: the LMTP probe's 550 5.1.1 makes Postfix refuse
    the RCPT, and nothing is queued or delivered."""
    r = submit_until_final(setup, "nosuchuser@example.com")
    assert r.returncode != 0, r.stdout
    assert re.search(r"<\*\* 550 5\.1\.1 <nosuchuser@example\.com>: Recipient address rejected: "
                     r"undeliverable address: .*User doesn't exist", r.stdout), r.stdout + setup.logs()
    assert "queued as" not in r.stdout
    # The probe reached Loft (RCPT, then no DATA).
    assert re.search(r"postfix/lmtp\[\d+\]: \w+: to=<nosuchuser@example\.com>, .*status=undeliverable "
                     r"\(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 5\.1\.1 <nosuchuser@example\.com> "
                     r"User doesn't exist", setup.postfix.maillog()), setup.logs()
    assert not (setup.lmtp.mail_root / "nosuchuser@example.com").exists()
    setup.wait_queue_empty()


def test_pipe_transport_runs_loft_lda(setup):
    """pipe(8) with flags=DRhu user=nobody: Postfix adds Delivered-To and
    Return-Path (D, R), loft-lda (as nobody) stores the message as is."""
    r = setup.postfix.swaks("Carol@Pipe.Example")
    assert r.returncode == 0, r.stdout + r.stderr + setup.logs()
    [saved] = setup.wait_delivered("carol@pipe.example")
    st = saved.stat()
    nobody = pwd.getpwnam("nobody")
    assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid)
    head = header_block(saved.read_bytes())
    # pipe(8) hands the message over with LF line ends; loft-lda keeps them.
    assert head.startswith("Return-Path: <sender@example.com>\nDelivered-To: Carol@Pipe.Example\n"
                           "Received: from client.test (localhost [127.0.0.1])\n"), head
    assert b"\n\nHello through Postfix.\n" in saved.read_bytes()
    setup.wait_maillog(r"postfix/pipe\[\d+\]: \w+: to=<Carol@Pipe\.Example>, relay=loftlda,.* dsn=2\.0\.0, "
                       r"status=sent \(delivered via loftlda service\)")
    assert re.search(r"lda\(carol@pipe\.example\)<\d+><[^>]+>: Info: msgid=<[^>]+>: saved mail to INBOX",
                     setup.lda_log.read_text()), setup.logs()
    setup.wait_queue_empty()


def test_pipe_transport_unknown_user_bounces(setup):
    """loft-lda's exit 67 (EX_NOUSER) is Postfix's "user unknown": the
    message bounces to its sender (bob, over LMTP) and leaves the queue."""
    r = setup.postfix.swaks("nobody-here@pipe.example", sender="bob@example.com")
    assert r.returncode == 0, r.stdout + r.stderr + setup.logs()

    def bounced():
        return re.search(r"postfix/pipe\[\d+\]: \w+: to=<nobody-here@pipe\.example>, relay=loftlda,"
                         r".* dsn=5\.1\.1, status=bounced \(user unknown\. Command output: "
                         r"loft-lda: Error: User nobody-here@pipe\.example doesn't exist", setup.postfix.maillog())
    try:
        wait_for(bounced, "the bounce", WAIT)
    except AssertionError:
        raise AssertionError(setup.logs()) from None
    [dsn] = setup.wait_delivered("bob@example.com")
    text = dsn.read_bytes().decode(errors="replace")
    assert "Undelivered Mail Returned to Sender" in text and "<nobody-here@pipe.example>" in text, text
    assert "Status: 5.1.1" in text
    assert not (setup.lmtp.mail_root / "nobody-here@pipe.example").exists()
    setup.wait_queue_empty()


def test_mailbox_command_runs_loft_lda_as_the_local_user(setup):
    """local(8)'s mailbox_command: loft-lda runs as the recipient, without
    -d (the invoking user's passwd entry is the user)."""
    r = setup.postfix.swaks(f"{setup.local.pw_name}@local.test")
    assert r.returncode == 0, r.stdout + r.stderr + setup.logs()
    [saved] = setup.wait_delivered(setup.local.pw_name)
    st = saved.stat()
    assert (st.st_uid, st.st_gid) == (setup.local.pw_uid, setup.local.pw_gid)
    head = header_block(saved.read_bytes())
    # local(8) adds Delivered-To and Return-Path itself.
    assert re.match(rf"Return-Path: <sender@example\.com>\nX-Original-To: {setup.local.pw_name}@local\.test\n"
                    rf"Delivered-To: {setup.local.pw_name}@local\.test\n", head), head
    setup.wait_maillog(rf"postfix/local\[\d+\]: \w+: to=<{setup.local.pw_name}@local\.test>, relay=local,"
                       r".* status=sent \(delivered to command: ")
    assert re.search(rf"lda\({setup.local.pw_name}\)<\d+><[^>]+>: Info: msgid=<[^>]+>: saved mail to INBOX",
                     setup.lda_log.read_text()), setup.logs()
    setup.wait_queue_empty()
