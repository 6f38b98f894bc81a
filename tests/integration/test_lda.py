"""loft-lda (daemons/lda, docs/lda.md): dovecot-lda's command line and exit
statuses, what lands in the Maildir, a 100 MB message through a pipe at a
bounded memory cost, running unprivileged (userdb through loft-authd's
auth-userdb socket and in process), and durability: the message file and its
directory are fsynced before the process exits 0.

Run as root (CI), loft-lda takes the userdb's uid for good before touching
mail, so the users here get nobody's uid and the mail directory belongs to
it; run as another user, the users get that user's uid."""
from __future__ import annotations

import os
import pathlib
import pwd
import re
import shutil
import subprocess
import uuid

import pytest

from authd_util import start_authd
from loftd_util import built_with_asan, make_shared_tempdir
from test_storage_crash import fd_path, parse_trace, resolve, unquote

EX_OK, EX_USAGE, EX_DATAERR, EX_NOUSER, EX_TEMPFAIL = 0, 64, 65, 67, 75
TIMEOUT = 60

MESSAGE = b"From: Sender <sender@example.org>\nTo: alice@example.com\nSubject: lda test\n" \
          b"Message-ID: <lda-1@example.org>\n\nHello from loft-lda.\n"


def lda_binary(build_dir: pathlib.Path) -> str:
    built = build_dir / "daemons" / "lda" / "loft-lda"
    if not built.exists():
        raise AssertionError(f"{built} is not built (ninja -C {build_dir} daemons/lda/loft-lda)")
    return str(built)


def mail_ids() -> tuple[int, int]:
    """The uid/gid the test users get: nobody's when root (loft-lda drops
    root to it), else our own (loft-lda refuses another uid)."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid
    return os.getuid(), os.getgid()


class Lda:
    """A config, a passwd-file userdb and a mail root for loft-lda runs."""

    def __init__(self, build_dir: pathlib.Path, workdir: pathlib.Path, *, uid: int | None = None,
                 gid: int | None = None, extra: str = "", userdb: str | None = None):
        self.build_dir = build_dir
        self.exe = lda_binary(build_dir)
        self.dir = workdir
        self.mail = workdir / "mail"
        self.mail.mkdir(exist_ok=True)
        default_uid, default_gid = mail_ids()
        self.uid = default_uid if uid is None else uid
        self.gid = default_gid if gid is None else gid
        os.chown(self.mail, self.uid, self.gid)
        self.log_path = workdir / "lda.log"
        self.passwd = workdir / "passwd"
        self.passwd.write_text("".join(
            f"{u}:{{PLAIN}}secret:{self.uid}:{self.gid}::{self.mail / u}::\n" for u in ("alice", "bob")))
        self.passwd.chmod(0o644)
        if userdb is None:
            userdb = f"userdb {{\n  driver = passwd-file\n  args = {self.passwd}\n}}\n"
        self.config = workdir / "loft.conf"
        self.config.write_text(
            f"base_dir = {workdir}/run\n"
            f"log_path = {self.log_path}\n"
            f"mail_location = maildir:{self.mail}/%u/Maildir\n"
            "mail_fsync = optimized\n"
            f"{userdb}{extra}\n")
        self.config.chmod(0o644)

    def run(self, *args: str, input: bytes | None = MESSAGE, config: bool = True, env=None,
            user: int | None = None, group: int | None = None, **kw) -> subprocess.CompletedProcess:
        argv = [self.exe] + (["-c", str(self.config)] if config else []) + list(args)
        return subprocess.run(argv, input=input, capture_output=True, timeout=TIMEOUT, env=env, user=user,
                              group=group, extra_groups=[] if user is not None else None, **kw)

    def maildir(self, user: str = "alice", mailbox: str = "INBOX") -> pathlib.Path:
        root = self.mail / user / "Maildir"
        return root if mailbox == "INBOX" else root / f".{mailbox}"

    def messages(self, user: str = "alice", mailbox: str = "INBOX") -> list[pathlib.Path]:
        d = self.maildir(user, mailbox)
        return sorted(p for sub in ("new", "cur") if (d / sub).is_dir() for p in (d / sub).iterdir())

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


@pytest.fixture
def workdir():
    path = make_shared_tempdir("lda-test-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def lda(build_dir, workdir):
    return Lda(build_dir, workdir)


def explain(r: subprocess.CompletedProcess, lda: Lda) -> str:
    return f"exit {r.returncode}\nstderr: {r.stderr.decode(errors='replace')}\nlog:\n{lda.log()}"


# --- delivery and exit statuses -------------------------------------------------

def test_delivers_into_inbox_exit_0(lda):
    r = lda.run("-d", "alice")
    assert r.returncode == EX_OK, explain(r, lda)
    [saved] = lda.messages()
    # Dovecot 2.3's LDA adds no header (the MTA's pipe flags do): the file
    # holds exactly the message, its LF line ends kept, as dovecot-lda's.
    assert saved.read_bytes() == MESSAGE
    vsize = len(MESSAGE) + MESSAGE.count(b"\n")  # W=: with CRLF line ends
    assert saved.name.split(":")[0].endswith(f",S={len(MESSAGE)},W={vsize}"), saved.name
    st = saved.stat()
    assert (st.st_uid, st.st_gid) == (lda.uid, lda.gid)
    assert r.stdout == b""
    assert re.search(r"lda\(alice\)<\d+><[^>]+>: Info: msgid=<lda-1@example.org>: saved mail to INBOX", lda.log()), \
        lda.log()
    assert lda.messages("bob") == []


def test_message_from_file_with_p(lda, workdir):
    source = workdir / "message.eml"
    source.write_bytes(MESSAGE)
    r = lda.run("-d", "bob", "-p", str(source), input=b"not this one\n")
    assert r.returncode == EX_OK, explain(r, lda)
    [saved] = lda.messages("bob")
    assert saved.read_bytes() == MESSAGE
    r = lda.run("-d", "bob", "-p", str(workdir / "missing.eml"))
    assert r.returncode == EX_USAGE, explain(r, lda)
    assert len(lda.messages("bob")) == 1


def test_unknown_user_exit_67(lda):
    r = lda.run("-d", "nosuchuser")
    assert r.returncode == EX_NOUSER, explain(r, lda)
    assert b"User nosuchuser doesn't exist" in r.stderr
    assert "lda(nosuchuser)" in lda.log() and "Error: User nosuchuser doesn't exist" in lda.log()
    assert not (lda.mail / "nosuchuser").exists()


def test_detail_falls_back_to_the_user(lda):
    """-d user+detail: looked up as given, then without the detail (the
    recipient_delimiter), as Dovecot does."""
    r = lda.run("-d", "alice+lists")
    assert r.returncode == EX_OK, explain(r, lda)
    assert [p.read_bytes() for p in lda.messages()] == [MESSAGE]
    r = lda.run("-d", "nosuchuser+lists")
    assert r.returncode == EX_NOUSER, explain(r, lda)


@pytest.mark.parametrize("socket_config", [
    "service auth {\n  unix_listener auth-userdb {\n    mode = 0666\n  }\n}\n",
    "auth_socket_path = auth-userdb\n",
])
def test_userdb_socket_unreachable_exit_75(build_dir, workdir, socket_config):
    """The config names loft-authd's auth-userdb socket and nothing listens
    there: a temporary failure (the MTA keeps the message), not 67, even
    though the config's passwd-file would know the user."""
    lda = Lda(build_dir, workdir, extra=socket_config)
    r = lda.run("-d", "alice")
    assert r.returncode == EX_TEMPFAIL, explain(r, lda)
    assert b"userdb lookup failed for alice: connect(" in r.stderr and b"/run/auth-userdb)" in r.stderr, r.stderr
    assert lda.messages() == []


def test_userdb_through_authd_socket(build_dir, workdir):
    uid, gid = mail_ids()
    # loft-authd's passwd-file decides: alice exists there, bob does not.
    authd = start_authd(build_dir, passwd_text=f"alice:{{PLAIN}}x:{uid}:{gid}::/nonexistent::\n")
    try:
        authd.wait_ready()
        sock = authd.socket_path("auth-userdb")
        lda = Lda(build_dir, workdir, userdb=f"auth_socket_path = {sock}\n")
        r = lda.run("-d", "alice")
        assert r.returncode == EX_OK, explain(r, lda) + authd.log
        assert [p.read_bytes() for p in lda.messages()] == [MESSAGE]
        r = lda.run("-d", "bob")
        assert r.returncode == EX_NOUSER, explain(r, lda) + authd.log
    finally:
        authd.stop()


def test_storage_failure_exit_75(lda):
    """A mail directory the user cannot write: a temporary failure (the MTA
    retries), with the pipeline's reason on stderr."""
    lda.mail.chmod(0o555)
    try:
        r = lda.run("-d", "alice")
    finally:
        lda.mail.chmod(0o755)
    assert r.returncode == EX_TEMPFAIL, explain(r, lda)
    assert re.search(rb"loft-lda: Error: 4\.\d\.\d ", r.stderr), r.stderr
    assert not (lda.mail / "alice").exists()
    # Writable again: the retry delivers.
    r = lda.run("-d", "alice")
    assert r.returncode == EX_OK, explain(r, lda)
    assert [p.read_bytes() for p in lda.messages()] == [MESSAGE]


@pytest.mark.parametrize("args", [
    ["-d", "alice", "-x"],                     # an option dovecot-lda does not have
    ["-d"],                                    # a missing value
    ["-d", "alice", "-o", "mail_fsync"],       # -o without =
    ["-d", "alice", "-f", "a\nb@example.org"],  # a control character in the sender
    ["-d", "alice", "-a", "x" * 300 + "@example.org"],  # longer than an SMTP path
    ["-d", "alice", "-r", "final\t@example.org"],  # a control character in the final recipient
    ["-d", "alice", "extra"],                  # a stray argument
])
def test_bad_arguments_exit_64(lda, args):
    r = lda.run(*args)
    assert r.returncode == EX_USAGE, explain(r, lda)
    assert r.stderr, "no reason given"
    assert lda.messages() == []


def test_unknown_setting_in_o_is_a_temporary_failure(lda):
    """A config error (here from -o) keeps the mail queued, as dovecot-lda's
    fatal config errors do."""
    r = lda.run("-d", "alice", "-o", "no_such_setting=1")
    assert r.returncode == EX_TEMPFAIL, explain(r, lda)
    assert b"no_such_setting" in r.stderr
    assert lda.messages() == []


def test_empty_message_exit_65(lda):
    for data in (b"", b"From sender@example.org Sat Nov 28 10:00:00 2026\n"):
        r = lda.run("-d", "alice", input=data)
        assert r.returncode == EX_DATAERR, explain(r, lda)
        assert b"Empty mail" in r.stderr
    assert lda.messages() == []


def test_o_overrides_the_config(lda):
    """-o mail_location=... wins over the file's value."""
    other = lda.dir / "other"
    other.mkdir()
    os.chown(other, lda.uid, lda.gid)
    r = lda.run("-d", "alice", "-o", f"mail_location=maildir:{other}/%u")
    assert r.returncode == EX_OK, explain(r, lda)
    assert lda.messages() == []
    assert [p.read_bytes() for p in (other / "alice" / "new").iterdir()] == [MESSAGE]


# --- -m, -a, -f and the From_ line ------------------------------------------------

def test_m_missing_mailbox_goes_to_inbox_without_autocreate(lda):
    r = lda.run("-d", "alice", "-m", "Archive")
    assert r.returncode == EX_OK, explain(r, lda)
    assert [p.read_bytes() for p in lda.messages()] == [MESSAGE]
    assert not lda.maildir("alice", "Archive").exists()


def test_m_autocreates_with_lda_mailbox_autocreate(lda):
    r = lda.run("-d", "alice", "-m", "Archive", "-o", "lda_mailbox_autocreate=yes")
    assert r.returncode == EX_OK, explain(r, lda)
    assert lda.messages() == []
    assert [p.read_bytes() for p in lda.messages("alice", "Archive")] == [MESSAGE]
    # Now it exists: a second delivery needs no autocreate.
    r = lda.run("-d", "alice", "-m", "Archive")
    assert r.returncode == EX_OK, explain(r, lda)
    assert len(lda.messages("alice", "Archive")) == 2
    assert lda.messages() == []


def test_from_line_is_stripped(lda):
    data = b"From envelope@example.net Sat Nov 28 10:00:00 2026\n" + MESSAGE
    r = lda.run("-d", "alice", input=data)
    assert r.returncode == EX_OK, explain(r, lda)
    assert [p.read_bytes() for p in lda.messages()] == [MESSAGE]


def test_from_line_across_reads(lda):
    """The From_ line is recognised even when it arrives a byte at a time."""
    proc = subprocess.Popen([lda.exe, "-c", str(lda.config), "-d", "alice"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    data = b"From envelope@example.net Sat Nov 28 10:00:00 2026\n" + MESSAGE
    for i in range(0, 80):
        proc.stdin.write(data[i:i + 1])
        proc.stdin.flush()
    proc.stdin.write(data[80:])
    proc.stdin.close()
    assert proc.wait(TIMEOUT) == EX_OK, proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert [p.read_bytes() for p in lda.messages()] == [MESSAGE]


def test_a_message_starting_like_from_is_kept(lda):
    for data in (b"Fro", b"From:x@y\n\nbody\n"):
        r = lda.run("-d", "bob", input=data)
        assert r.returncode == EX_OK, explain(r, lda)
    assert sorted(p.read_bytes() for p in lda.messages("bob")) == sorted([b"Fro", b"From:x@y\n\nbody\n"])


ENVELOPE_LOG = "deliver_log_format=from=%e to=%{to_envelope}: %$"


@pytest.mark.parametrize("args,data,logged", [
    (["-a", "Orig@Example.com", "-f", "<bounce@example.org>"], MESSAGE,
     "from=bounce@example.org to=Orig@Example.com: saved mail to INBOX"),
    # -r is the final recipient, -a the original one.
    (["-a", "orig@example.com", "-r", "final@example.com"], MESSAGE, "from=MAILER-DAEMON to=final@example.com:"),
    (["-f", "<>"], MESSAGE, "from= to=alice:"),
    # Without -f: the Return-Path header, else the From_ line's sender, else
    # MAILER-DAEMON (dovecot-lda's order).
    ([], b"Return-Path: <rp@example.net>\n" + MESSAGE, "from=rp@example.net to=alice:"),
    ([], b"From fl@example.net Sat Nov 28 10:00:00 2026\nReturn-Path: <rp@example.net>\n" + MESSAGE,
     "from=rp@example.net to=alice:"),
    ([], b"From fl@example.net Sat Nov 28 10:00:00 2026\n" + MESSAGE, "from=fl@example.net to=alice:"),
    ([], MESSAGE, "from=MAILER-DAEMON to=alice:"),
    (["-f", "given@example.org"], b"Return-Path: <rp@example.net>\n" + MESSAGE, "from=given@example.org to=alice:"),
])
def test_envelope_sender_and_recipient(lda, args, data, logged):
    """What -f, -a and -r (and their defaults) hand the pipeline, seen through
    deliver_log_format's %e (envelope sender) and %{to_envelope}."""
    r = lda.run("-d", "alice", "-o", ENVELOPE_LOG, *args, input=data)
    assert r.returncode == EX_OK, explain(r, lda)
    assert re.search(r"lda\(alice\)<\d+><[^>]+>: Info: " + re.escape(logged), lda.log()), lda.log()


def test_a_and_f_accepted_message_unchanged(lda):
    """-a (the original recipient) and -f (the envelope sender) reach the
    pipeline; like dovecot-lda it writes neither into the message (Postfix's
    pipe flags D and R do: test_lmtp_postfix.py)."""
    r = lda.run("-d", "alice", "-a", "Alice.Original@example.com", "-f", "<bounce@example.org>")
    assert r.returncode == EX_OK, explain(r, lda)
    assert [p.read_bytes() for p in lda.messages()] == [MESSAGE]
    r = lda.run("-d", "alice", "-f", "<>")
    assert r.returncode == EX_OK, explain(r, lda)
    assert len(lda.messages()) == 2


# --- a big message through a pipe ------------------------------------------------

BIG = 100 * 1024 * 1024


def test_100mb_message_through_a_pipe_with_bounded_memory(lda, tmp_path):
    """The message goes through a temporary file, never whole in memory:
    the peak RSS of loft-lda stays far below the message's size.

    GNU time forks loft-lda and reports its peak RSS: a child of this
    Python process itself would not do, because Python starts children with
    vfork and the kernel counts the parent's resident size, taken over at
    exec, in the child's ru_maxrss (after other tests this process alone is
    bigger than the bound)."""
    env = dict(os.environ)
    # AddressSanitizer builds: a small quarantine, so freed read buffers are
    # given back instead of held (the default holds up to 256 MB).
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "quarantine_size_mb=4"]))
    rss_file = tmp_path / "maxrss"
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", str(rss_file),
                             lda.exe, "-c", str(lda.config), "-d", "alice"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    header = b"From: big@example.org\nSubject: big\n\n"
    line = b"x" * 77 + b"\n"
    chunk = line * (1024 * 1024 // len(line))
    sent = 0
    proc.stdin.write(header)
    sent += len(header)
    while sent + len(chunk) <= BIG:
        proc.stdin.write(chunk)
        sent += len(chunk)
    tail = b"the end\n"
    proc.stdin.write(tail)
    sent += len(tail)
    proc.stdin.close()
    proc.wait()
    assert proc.returncode == EX_OK, lda.log()
    [saved] = lda.messages()
    assert saved.stat().st_size == sent
    with saved.open("rb") as f:
        assert f.read(len(header)) == header
        f.seek(-len(tail) - len(line), os.SEEK_END)
        assert f.read() == line + tail
    peak_mb = int(rss_file.read_text().split()[-1]) / 1024
    # About 10 MB in the plain build. Under AddressSanitizer the peak measures
    # the sanitizer's allocator (it grows with the bytes streamed through
    # freed buffers, quarantine or not), not loft-lda: the plain build's
    # bound is the check.
    if not built_with_asan(lda.build_dir):
        assert peak_mb < 48, f"peak RSS {peak_mb:.1f} MB for a {BIG >> 20} MB message"


@pytest.mark.parametrize("fmt", ["gz", "bz2"])
def test_compressed_delivery_streams_with_bounded_memory(build_dir, workdir, tmp_path, fmt):
    """With the zlib plugin's zlib_save the spool goes through the
    compressor a chunk at a time (as the plain save streams it): a 40 MB
    message keeps loft-lda's peak RSS bounded, and the stored file
    decompresses to exactly the delivered bytes."""
    import bz2
    import gzip
    lda = Lda(build_dir, workdir, extra=f"mail_plugins = zlib\nplugin {{\n  zlib_save = {fmt}\n}}\n")
    rss_file = tmp_path / "maxrss"
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", str(rss_file),
                             lda.exe, "-c", str(lda.config), "-d", "alice"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Lines that differ, so the stream does not shrink to almost nothing.
    header = b"From: big@example.org\nSubject: big compressed\n\n"
    body = b"".join(b"line %08d %s\n" % (i, b"%x" % (i * 2654435761 % 2**32) * 6) for i in range(40 * 1024 * 1024 // 70))
    delivered = header + body
    proc.stdin.write(delivered)
    proc.stdin.close()
    proc.wait()
    assert proc.returncode == EX_OK, lda.log()
    [saved] = lda.messages()
    raw = saved.read_bytes()
    assert raw[:2] == b"\x1f\x8b" if fmt == "gz" else raw[:3] == b"BZh"
    assert (gzip.decompress(raw) if fmt == "gz" else bz2.decompress(raw)) == delivered
    # S= is the uncompressed size, as Dovecot's zlib plugin names the file.
    assert f",S={len(delivered)}" in saved.name
    if not built_with_asan(lda.build_dir):
        peak_mb = int(rss_file.read_text().split()[-1]) / 1024
        # Whole in memory, the 40 MB message was held at least twice (over
        # 80 MB); streamed, about what the plain 100 MB delivery above takes.
        assert peak_mb < 56, f"peak RSS {peak_mb:.1f} MB for a {len(delivered) >> 20} MB message"


# --- privileges ------------------------------------------------------------------

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="creating a user and switching to it needs root")


@pytest.fixture
def system_user():
    """A throwaway local user (useradd), removed afterwards."""
    name = "loftlda" + uuid.uuid4().hex[:6]
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--home-dir",
                    f"/nonexistent/{name}", name], check=True, capture_output=True, timeout=TIMEOUT)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], capture_output=True, timeout=TIMEOUT)


@root_only
def test_root_takes_the_userdb_uid(lda):
    """As root, the files belong to the userdb's uid/gid (nobody here)."""
    r = lda.run("-d", "alice")
    assert r.returncode == EX_OK, explain(r, lda)
    maildir = lda.maildir()
    for path in [maildir, *maildir.rglob("*")]:
        st = path.lstat()
        assert (st.st_uid, st.st_gid) == (lda.uid, lda.gid), path


@root_only
def test_root_refuses_uid_0_and_system_uids(build_dir, workdir):
    for uid in (0, 100):
        lda = Lda(build_dir, workdir, uid=uid, gid=uid)
        r = lda.run("-d", "alice")
        assert r.returncode == EX_TEMPFAIL, explain(r, lda)
        assert f"Mail access for users with UID {uid} not permitted".encode() in r.stderr, r.stderr
        assert lda.messages() == []


@root_only
def test_unprivileged_user_through_authd_socket(build_dir, workdir, system_user):
    """The way Postfix's mailbox_command runs it: as the recipient, a
    passwd-file it cannot read, the userdb answered by loft-authd over an
    auth-userdb socket of mode 0666."""
    uid, gid = system_user.pw_uid, system_user.pw_gid
    authd = start_authd(build_dir, passwd_text=f"{system_user.pw_name}:{{PLAIN}}x:{uid}:{gid}::/nonexistent::\n",
                        listeners="service auth {\n  unix_listener auth-userdb {\n    mode = 0666\n  }\n}")
    try:
        authd.wait_ready(names=("auth-userdb",))
        (authd.workdir / "passwd").chmod(0o600)
        sock = authd.socket_path("auth-userdb")
        # The same base_dir as loft-authd: its auth-userdb is the LDA's.
        lda = Lda(build_dir, workdir, uid=uid, gid=gid,
                  userdb=f"base_dir = {os.path.dirname(sock)}\n"
                         "service auth {\n  unix_listener auth-userdb {\n    mode = 0666\n  }\n}\n")
        lda.log_path.touch()
        os.chown(lda.log_path, uid, gid)
        r = lda.run("-d", system_user.pw_name, user=uid, group=gid)
        assert r.returncode == EX_OK, explain(r, lda) + authd.log
        [saved] = lda.messages(system_user.pw_name)
        assert saved.read_bytes() == MESSAGE
        assert (saved.stat().st_uid, saved.stat().st_gid) == (uid, gid)
    finally:
        authd.stop()


@root_only
def test_unprivileged_user_in_process_and_without_d(build_dir, workdir, system_user):
    """No loft-authd: the config's passwd-file (readable) is read in process.
    Without -d the invoking user's passwd entry is the user, as dovecot-lda."""
    uid, gid = system_user.pw_uid, system_user.pw_gid
    lda = Lda(build_dir, workdir, uid=uid, gid=gid)
    lda.passwd.write_text(f"{system_user.pw_name}:{{PLAIN}}x:{uid}:{gid}::/nonexistent::\n")
    lda.log_path.touch()
    os.chown(lda.log_path, uid, gid)
    r = lda.run("-d", system_user.pw_name, user=uid, group=gid)
    assert r.returncode == EX_OK, explain(r, lda)
    r = lda.run(user=uid, group=gid)
    assert r.returncode == EX_OK, explain(r, lda)
    saved = lda.messages(system_user.pw_name)
    assert [p.read_bytes() for p in saved] == [MESSAGE, MESSAGE]
    assert all(p.stat().st_uid == uid for p in saved)
    r = lda.run("-d", "nosuchuser", user=uid, group=gid)
    assert r.returncode == EX_NOUSER, explain(r, lda)
    # A userdb entry with another uid: loft-lda will not write files that
    # user's mail processes could not read.
    lda.passwd.write_text(f"{system_user.pw_name}:{{PLAIN}}x:{uid + 1}:{gid}::/nonexistent::\n")
    r = lda.run("-d", system_user.pw_name, user=uid, group=gid)
    assert r.returncode == EX_TEMPFAIL, explain(r, lda)
    assert f"has uid {uid + 1} but loft-lda runs as uid {uid}".encode() in r.stderr, r.stderr
    assert len(lda.messages(system_user.pw_name)) == 2


@root_only
def test_log_file_not_writable_falls_back_to_stderr(build_dir, workdir, system_user):
    uid, gid = system_user.pw_uid, system_user.pw_gid
    lda = Lda(build_dir, workdir, uid=uid, gid=gid)
    lda.passwd.write_text(f"{system_user.pw_name}:{{PLAIN}}x:{uid}:{gid}::/nonexistent::\n")
    lda.log_path.write_text("")
    lda.log_path.chmod(0o600)  # root's
    r = lda.run("-d", "nosuchuser", user=uid, group=gid)
    assert r.returncode == EX_NOUSER, explain(r, lda)
    assert b"logging to stderr" in r.stderr and b"User nosuchuser doesn't exist" in r.stderr, r.stderr


# --- durability -------------------------------------------------------------------

def check_durable(events, maildir: str) -> list[str]:
    """The message file's data sync before its rename from tmp/ into new/,
    then an fsync of new/; [] when that holds. (All before exit: the trace
    ends with the process.)"""
    tmp_dir = os.path.join(maildir, "tmp")
    synced: dict[str, int] = {}
    rename_at = renamed_to = source = None
    dir_sync_at = None
    for i, (call, args, res) in enumerate(events):
        if res < 0:
            continue
        if call in ("fdatasync", "fsync"):
            path = fd_path(args[0]) or ""
            if os.path.dirname(path) == tmp_dir:
                synced.setdefault(path, i)
            elif renamed_to and path == os.path.dirname(renamed_to) and dir_sync_at is None:
                dir_sync_at = i
        elif call in ("rename", "renameat", "renameat2", "link", "linkat"):
            if call in ("rename", "link"):
                src, dst = os.path.normpath(unquote(args[0])), os.path.normpath(unquote(args[1]))
            else:
                src, dst = resolve(args[0], args[1]), resolve(args[2], args[3])
            if os.path.dirname(src) == tmp_dir and os.path.dirname(dst) in (
                    os.path.join(maildir, "new"), os.path.join(maildir, "cur")) and rename_at is None:
                rename_at, renamed_to, source = i, dst, src
    if rename_at is None:
        return ["no rename (or link) of a file from tmp/ into new/ or cur/"]
    problems = []
    if source not in synced:
        problems.append(f"no fdatasync/fsync of {source} before its rename")
    elif synced[source] > rename_at:
        problems.append(f"{source} is synced after its rename")
    if dir_sync_at is None:
        problems.append(f"no fsync of {os.path.dirname(renamed_to)} after the rename")
    return problems


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_message_is_fsynced_before_exit_0(lda):
    env = dict(os.environ)
    # LeakSanitizer cannot run under strace (test_storage_crash.py).
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "detect_leaks=0"]))
    assert lda.run("-d", "alice").returncode == EX_OK  # the Maildir and its index exist
    maildir = str(lda.maildir())
    for mode in ("optimized", "never"):
        trace = lda.dir / f"strace-{mode}.txt"
        argv = ["strace", "-f", "-y", "-qq", "-e",
                "trace=openat,write,fdatasync,fsync,rename,renameat,renameat2,link,linkat,unlink",
                "-o", str(trace), lda.exe, "-c", str(lda.config), "-d", "alice", "-o", f"mail_fsync={mode}"]
        r = subprocess.run(argv, input=MESSAGE, capture_output=True, timeout=TIMEOUT, env=env)
        assert r.returncode == EX_OK, explain(r, lda)
        problems = check_durable(parse_trace(trace.read_text()), maildir)
        if mode == "optimized":
            assert problems == [], "; ".join(problems) + "\n" + trace.read_text()[-6000:]
        else:
            # The same check fails without fsyncs: it can tell.
            assert any("no fdatasync/fsync" in p for p in problems), problems
    assert len(lda.messages()) == 3
