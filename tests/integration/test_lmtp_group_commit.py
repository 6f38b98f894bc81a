"""Group commit (docs/storage.md, "Group commit"): many sessions delivering
to one user at once share the directory fsync and the dovecot-uidlist flush.

1. Eight sessions deliver to one mailbox at the same time: every message
   gets a 250 and a UID of its own, dovecot-uidlist names every file exactly
   once, and Dovecot's doveadm reads the same UIDs for the same files.
2. The server is SIGKILLed again and again while eight sessions deliver (the
   groups are then as large as they get): every message that got a 250 is
   in the Maildir exactly once, and after the next sync dovecot-uidlist
   numbers every file once and Dovecot agrees.
"""
from __future__ import annotations

import os
import pathlib
import pwd
import random
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

import test_lmtp_durability as durability
from lmtpd_util import LmtpRaw, LmtpServer, wait_for

ALICE = durability.ALICE
SESSIONS = 8
PER_SESSION = 15
KILLS = 6


def uidlist_records(maildir: pathlib.Path) -> list[tuple[int, str]]:
    """(uid, base name) of every dovecot-uidlist line, in file order."""
    out = []
    for line in (maildir / "dovecot-uidlist").read_text().splitlines()[1:]:
        head, base = line.split(" :", 1)
        out.append((int(head.split()[0]), base))
    return out


def files_by_base(maildir: pathlib.Path) -> dict[str, pathlib.Path]:
    out = {}
    for sub in ("new", "cur"):
        for p in (maildir / sub).iterdir():
            out[p.name.split(":")[0]] = p
    return out


def check_uidlist(maildir: pathlib.Path) -> dict[int, str]:
    """Every file numbered exactly once, UIDs ascending and distinct."""
    records = uidlist_records(maildir)
    uids = [u for u, _ in records]
    bases = [b for _, b in records]
    assert uids == sorted(set(uids)), "UIDs not distinct and ascending"
    assert len(set(bases)) == len(bases), "a file numbered twice"
    files = files_by_base(maildir)
    assert set(bases) == set(files), (sorted(set(bases) ^ set(files)))[:10]
    return dict(records)


def doveadm_uids(maildir: pathlib.Path) -> dict[int, str]:
    """uid -> Dovecot's GUID (the base file name for Maildir) as doveadm
    reads a copy of the Maildir (Dovecot refuses to read mail as root)."""
    if os.geteuid() != 0 or not shutil.which("doveadm"):
        pytest.skip("doveadm needs root and Dovecot")
    nobody = pwd.getpwnam("nobody")
    work = pathlib.Path(tempfile.mkdtemp(prefix="dvgroup-", dir="/tmp"))
    try:
        work.chmod(0o755)
        home = work / "home"
        shutil.copytree(maildir.parent, home, symlinks=True)
        for root, dirs, files in os.walk(home):
            for n in dirs + files:
                os.chown(os.path.join(root, n), nobody.pw_uid, nobody.pw_gid)
        os.chown(home, nobody.pw_uid, nobody.pw_gid)
        conf = work / "dovecot.conf"
        conf.write_text(f"mail_location = maildir:{home}/Maildir\nmail_uid = nobody\nmail_gid = {nobody.pw_gid}\n"
                        f"first_valid_uid = 1\nbase_dir = {work}/run\nlog_path = /dev/stderr\nssl = no\n")
        conf.chmod(0o644)
        done = subprocess.run(["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups",
                               "env", "USER=alice", f"HOME={home}", "doveadm", "-c", str(conf), "-f", "tab",
                               "fetch", "uid guid", "mailbox", "INBOX", "all"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [line.split("\t") for line in done.stdout.splitlines()[1:] if line.strip()]
    return {int(uid): guid for uid, guid in rows}


def deliver_session(srv: LmtpServer, first: int, count: int, replies: dict[int, str], lock: threading.Lock):
    with srv.raw() as c:
        c.command("LHLO group.test")
        for n in range(first, first + count):
            # Pipelined as Postfix does: MAIL, RCPT and DATA in one write.
            c.send(f"MAIL FROM:<sender@example.org>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n".encode())
            assert c.read_reply()[-1] == "250 2.1.0 OK"
            assert c.read_reply()[-1] == "250 2.1.5 OK"
            assert c.read_reply()[-1].startswith("354 ")
            c.send(durability.message_for(n) + b".\r\n")
            reply = c.read_reply()[-1]
            with lock:
                replies[n] = reply


def test_concurrent_sessions_to_one_mailbox(build_dir, tmp_path):
    srv = LmtpServer(build_dir, tmp_path)
    replies: dict[int, str] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []

    def run(i: int):
        try:
            deliver_session(srv, 1000 * (i + 1), PER_SESSION, replies, lock)
        except BaseException as e:  # reported below
            errors.append(e)

    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(SESSIONS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    finally:
        srv.stop()
    assert not errors, errors
    assert len(replies) == SESSIONS * PER_SESSION
    bad = {n: r for n, r in replies.items() if not r.startswith("250 2.0.0 ")}
    assert not bad, bad

    maildir = srv.maildir(ALICE)
    numbered = check_uidlist(maildir)
    assert sorted(numbered) == list(range(1, SESSIONS * PER_SESSION + 1))
    found = durability.stored_ids(srv)
    assert sorted(found) == sorted(replies)
    assert all(len(copies) == 1 for copies in found.values())
    assert doveadm_uids(maildir) == numbered


def test_sigkill_during_grouped_deliveries(build_dir, tmp_path):
    rng = random.Random(8)
    srv = LmtpServer(build_dir, tmp_path)
    acked: set[int] = set()
    lock = threading.Lock()
    stop = threading.Event()
    clients = [durability.Client(srv, 1_000_000 * (i + 1), acked, lock, stop) for i in range(SESSIONS)]
    try:
        for cl in clients:
            cl.start()
        for kill in range(KILLS):
            with lock:
                before = len(acked)
            wait_for(lambda: len(acked) >= before + SESSIONS, f"deliveries before kill {kill + 1}", timeout=60)
            time.sleep(rng.uniform(0.0, 0.2))
            srv.kill()
            srv.start()
        with lock:
            before = len(acked)
        wait_for(lambda: len(acked) >= before + SESSIONS, "deliveries after the last restart", timeout=60)
    finally:
        stop.set()
        for cl in clients:
            cl.join(timeout=30)
        srv.stop()
    assert all(not cl.errors for cl in clients), [cl.errors for cl in clients]

    found = durability.stored_ids(srv)
    lost = sorted(n for n in acked if n not in found)
    assert not lost, f"acknowledged with 250 but not in the Maildir: {lost}"
    twice = sorted(n for n, copies in found.items() if len(copies) > 1)
    assert not twice, f"stored more than once: {twice}"
    for n, (data,) in found.items():
        assert data.endswith(durability.message_for(n).replace(b"\r\n", b"\n")), f"message {n} is torn"
    # A sync (loftadm) numbers the files a kill left unnumbered; then the
    # uidlist names every file once and Dovecot reads the same UIDs.
    status = subprocess.run([str(build_dir / "daemons" / "loftadm" / "loftadm"), "-c", str(srv.config_path),
                             "mailbox", "status", "-u", ALICE, "messages", "INBOX"],
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    assert status.stdout.strip() == f"INBOX messages={len(found)}", status.stdout
    maildir = srv.maildir(ALICE)
    numbered = check_uidlist(maildir)
    assert len(numbered) == len(found)
    assert doveadm_uids(maildir) == numbered
