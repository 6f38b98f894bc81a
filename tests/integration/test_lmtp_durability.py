"""A 250 from loft-lmtpd means the message is on disk (DESIGN.md:
acknowledged means durable).

1. Clients deliver numbered messages over several sessions while the test
   SIGKILLs loft-lmtpd at random moments and restarts it. Every Message-ID
   that got a 250 is in the Maildir exactly once, whole; a message that got
   no 250 is there at most once (smtp-source cannot tell which got a 250,
   so the client here records it).
2. A kill keeps the page cache, so it cannot show a missing fsync: the
   system calls of one delivery are checked under strace instead. The
   message file's fdatasync/fsync, its rename from tmp/ into new/ and the
   fsync of new/ come before the write of the "250" to the socket; with
   mail_fsync = never the same check fails, which shows that it can.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import threading
import time

import pytest

from lmtpd_util import LmtpRaw, LmtpServer, wait_for

ALICE = "alice@example.com"
BOB = "bob@example.com"
CLIENTS = 3
KILLS = 15
MESSAGES_PER_SESSION = 8


def body_for(n: int) -> bytes:
    # Sizes from a few hundred bytes to ~150 KB, so a kill often lands in
    # the middle of a DATA transfer or a file write.
    line = f"message {n} line\r\n".encode()
    return line * (10 + (n * 7919) % 8000)


def message_for(n: int) -> bytes:
    return (f"From: sender@example.org\r\nTo: {ALICE}\r\nSubject: durability {n}\r\n"
            f"Message-ID: <{n}@durability.test>\r\n\r\n").encode() + body_for(n)


class Client(threading.Thread):
    """Delivers messages numbered from `first`, a session of a few at a time,
    reconnecting after every failure, never sending a number twice."""

    def __init__(self, srv: LmtpServer, first: int, acked: set[int], lock: threading.Lock, stop: threading.Event):
        super().__init__(daemon=True)
        self.srv, self.next, self.acked, self.lock, self.stop_flag = srv, first, acked, lock, stop
        self.sessions = 0
        self.errors: list[str] = []

    def run(self):
        while not self.stop_flag.is_set():
            try:
                sock = socket.create_connection((self.srv.host, self.srv.port), timeout=10)
            except OSError:
                time.sleep(0.02)
                continue
            self.sessions += 1
            try:
                self.session(LmtpRaw(sock, timeout=10))
            except (OSError, AssertionError, ValueError):
                pass  # killed under us: the message in flight got no 250
            finally:
                sock.close()

    def session(self, c: LmtpRaw):
        if not c.read_line().startswith("220 "):
            return
        c.send_line("LHLO durability.test")
        c.read_reply()
        for _ in range(MESSAGES_PER_SESSION):
            if self.stop_flag.is_set():
                break
            n = self.next
            self.next += 1
            c.send(f"MAIL FROM:<sender@example.org>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n".encode())
            if c.read_reply()[-1] != "250 2.1.0 OK" or c.read_reply()[-1] != "250 2.1.5 OK" or \
                    not c.read_reply()[-1].startswith("354 "):
                return
            c.send(message_for(n) + b".\r\n")
            reply = c.read_reply()[-1]
            if reply.startswith("250 2.0.0 "):
                with self.lock:
                    self.acked.add(n)
            elif reply.startswith("4") or reply.startswith("5"):
                self.errors.append(f"{n}: {reply}")
                return
        c.send_line("QUIT")
        c.read_reply()


def stored_ids(srv: LmtpServer) -> dict[int, list[bytes]]:
    found: dict[int, list[bytes]] = {}
    for path in srv.message_files(ALICE):
        data = path.read_bytes()
        m = re.search(rb"\nMessage-ID: <(\d+)@durability\.test>\n", data)
        assert m, f"{path.name} has no Message-ID of this test: {data[:300]!r}"
        found.setdefault(int(m.group(1)), []).append(data)
    return found


def test_sigkill_during_deliveries(build_dir, tmp_path):
    rng = random.Random(20261129)
    srv = LmtpServer(build_dir, tmp_path)
    acked: set[int] = set()
    lock = threading.Lock()
    stop = threading.Event()
    clients = [Client(srv, 1_000_000 * (i + 1), acked, lock, stop) for i in range(CLIENTS)]
    try:
        for cl in clients:
            cl.start()
        for kill in range(KILLS):
            with lock:
                before = len(acked)
            # Progress since the last restart, then a kill at a random moment.
            wait_for(lambda: len(acked) >= before + 3, f"deliveries before kill {kill + 1}", timeout=60)
            time.sleep(rng.uniform(0.0, 0.25))
            srv.kill()
            srv.start()
        with lock:
            before = len(acked)
        wait_for(lambda: len(acked) >= before + 3, "deliveries after the last restart", timeout=60)
    finally:
        stop.set()
        for cl in clients:
            cl.join(timeout=30)
        srv.stop()
    assert all(not cl.errors for cl in clients), [cl.errors for cl in clients]
    # The run was what it claims: many sessions, broken by the kills, and
    # every client delivered.
    assert sum(cl.sessions for cl in clients) > KILLS
    for i in range(CLIENTS):
        assert any(1_000_000 * (i + 1) <= n < 1_000_000 * (i + 2) for n in acked), f"client {i} delivered nothing"

    found = stored_ids(srv)
    lost = sorted(n for n in acked if n not in found)
    assert not lost, f"acknowledged with 250 but not in the Maildir: {lost}"
    twice = sorted(n for n, copies in found.items() if len(copies) > 1)
    assert not twice, f"stored more than once: {twice}"
    for n, (data,) in found.items():
        # Whole: the message as sent (LF line ends) after the trace headers.
        assert data.endswith(message_for(n).replace(b"\r\n", b"\n")), f"message {n} is torn"
    # Nothing but whole messages in new/ and cur/; tmp/ may keep leftovers.
    assert len(acked) >= 3 * (KILLS + 1)
    # The mailbox (its uidlist and index, written by killed processes too)
    # shows every file once.
    status = subprocess.run([str(build_dir / "daemons" / "loftadm" / "loftadm"), "-c", str(srv.config_path),
                             "mailbox", "status", "-u", ALICE, "messages", "INBOX"],
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    assert status.stdout.strip() == f"INBOX messages={len(found)}", status.stdout


# --- the order of the system calls ----------------------------------------------

LINE = re.compile(r"^(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+)")
FD_PATH = re.compile(r"^(?:-?\d+|AT_FDCWD)<(.*)>$")


def split_args(args: str) -> list[str]:
    """strace's argument text split at top-level commas (strings may hold commas)."""
    out, cur, depth, in_str, esc = [], "", 0, False, False
    for ch in args:
        if in_str:
            cur += ch
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch in "<[{(":
            depth += 1
        elif ch in ">]})":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def parse_trace(text: str) -> list[tuple[str, list[str], int]]:
    """(syscall, args, result) in order of completion; <unfinished ...>/resumed pairs joined."""
    events = []
    pending: dict[str, str] = {}
    for raw in text.splitlines():
        m = re.match(r"^(\d+)\s+(.*)$", raw)
        if not m:
            continue
        pid, rest = m.groups()
        if rest.endswith("<unfinished ...>"):
            pending[pid] = rest[: -len("<unfinished ...>")].rstrip()
            continue
        r = re.match(r"^<\.\.\. (\w+) resumed>(.*)$", rest)
        if r and pid in pending:
            rest = pending.pop(pid) + r.group(2)
        lm = LINE.match(f"{pid} {rest}")
        if lm:
            events.append((lm.group(2), split_args(lm.group(3)), int(lm.group(4))))
    return events


def fd_path(arg: str) -> str:
    m = FD_PATH.match(arg)
    return m.group(1) if m else ""


def resolve(dir_arg: str, name_arg: str) -> str:
    name = name_arg[1:-1] if name_arg.startswith('"') else name_arg
    if name.startswith("/"):
        return os.path.normpath(name)
    return os.path.normpath(os.path.join(fd_path(dir_arg), name))


def check_delivery_order(events, maildir: str, rcpt: str = ALICE) -> list[str]:
    """Problems with the durability order of one recipient's delivery, []
    when right. A file may reach the recipient's tmp/ as a hard link of
    another recipient's copy (several recipients, no per-recipient header):
    links and renames keep the inode, so a sync through any of its names
    counts, before or after the link."""
    tmp_dir, new_dir = os.path.join(maildir, "tmp"), os.path.join(maildir, "new")
    inode: dict[str, int] = {}  # path -> inode group (names made by link/rename share one)

    def group(path: str) -> int:
        return inode.setdefault(path, len(inode))

    synced: dict[int, int] = {}  # inode group -> index of its first sync
    rename_at = renamed_from = None
    dir_sync_at = reply_at = None
    for i, (call, args, res) in enumerate(events):
        if res < 0:
            continue
        if call in ("fdatasync", "fsync"):
            path = fd_path(args[0])
            if path == new_dir:
                if rename_at is not None and dir_sync_at is None:
                    dir_sync_at = i
            else:
                synced.setdefault(group(path), i)
        elif call in ("rename", "renameat", "renameat2", "link", "linkat"):
            if call in ("rename", "link"):
                src, dst = os.path.normpath(args[0].strip('"')), os.path.normpath(args[1].strip('"'))
            else:
                src, dst = resolve(args[0], args[1]), resolve(args[2], args[3])
            inode[dst] = group(src)
            if os.path.dirname(src) == tmp_dir and os.path.dirname(dst) == new_dir and rename_at is None:
                rename_at, renamed_from = i, src
        elif call in ("write", "sendto", "sendmsg") and reply_at is None:
            # The "->" in a socket's <TCP:[a->b]> defeats the argument
            # split: look at the whole call.
            text = ",".join(args)
            if ("<TCP:" in text or "<UNIX" in text) and f"250 2.0.0 <{rcpt}>" in text:
                reply_at = i
    if reply_at is None:
        return ["the 250 reply was never written to the socket"]
    if rename_at is None:
        return ["no rename (or link) of a file from tmp/ into new/"]
    problems = []
    if rename_at > reply_at:
        problems.append("the rename into new/ comes after the 250 was sent")
    data_sync = synced.get(group(renamed_from))
    if data_sync is None:
        problems.append(f"no fdatasync/fsync of {renamed_from} before its rename")
    elif data_sync > rename_at:
        problems.append(f"{renamed_from} is synced after its rename")
    if dir_sync_at is None:
        problems.append("no fsync of new/ after the rename")
    elif dir_sync_at > reply_at:
        problems.append("the fsync of new/ comes after the 250 was sent")
    return problems


def traced_delivery(build_dir, tmp_path, mode: str, rcpts: tuple[str, ...] = (ALICE,),
                    extra_config: str = "") -> tuple[list, str, LmtpServer]:
    trace = tmp_path / f"strace-{mode}.txt"
    srv = LmtpServer(build_dir, tmp_path / mode, strace_log=trace, mail_fsync=mode, extra_config=extra_config)
    try:
        # A first delivery makes the Maildirs and their indexes; the second is checked.
        for n in (1, 2):
            # Raw: smtplib's sendmail reads one reply after the data, LMTP
            # sends one per recipient (RFC 2033 §4.2).
            c = srv.raw()
            c.command("LHLO client.example")
            assert c.command("MAIL FROM:<sender@example.org>") == "250 2.1.0 OK"
            for rcpt in rcpts:
                assert c.command(f"RCPT TO:<{rcpt}>") == "250 2.1.5 OK"
            assert c.command("DATA").startswith("354 ")
            c.send(message_for(n) + b".\r\n")
            replies = c.read_replies(len(rcpts))
            assert all(r.startswith("250 2.0.0 ") for r in replies), replies
            c.sock.close()
            if n == 1:
                wait_for(lambda: "250 2.0.0" in trace.read_text(errors="replace"), "the first delivery traced")
                start = len(trace.read_text(errors="replace").splitlines())
    finally:
        srv.stop()
    lines = trace.read_text(errors="replace").splitlines()
    text = "\n".join(lines[start:])
    return parse_trace(text), text, srv


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_delivery_syscall_order(build_dir, tmp_path):
    events, raw, srv = traced_delivery(build_dir, tmp_path, "optimized")
    problems = check_delivery_order(events, str(srv.maildir(ALICE)))
    assert problems == [], "mail_fsync=optimized: " + "; ".join(problems) + "\n" + raw[-6000:]

    events, raw, srv = traced_delivery(build_dir, tmp_path, "always")
    problems = check_delivery_order(events, str(srv.maildir(ALICE)))
    assert problems == [], "mail_fsync=always: " + "; ".join(problems) + "\n" + raw[-6000:]

    events, raw, srv = traced_delivery(build_dir, tmp_path, "never")
    problems = check_delivery_order(events, str(srv.maildir(ALICE)))
    assert any("no fdatasync/fsync of" in p for p in problems), \
        f"mail_fsync=never passed the durability check ({problems}): the check cannot fail\n" + raw[-6000:]


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_hard_linked_delivery_syscall_order(build_dir, tmp_path):
    """Two recipients with lmtp_hdr_delivery_address = none: one copy, hard
    linked into the second Maildir. For each recipient the file is synced,
    renamed into new/ and new/ synced before its 250."""
    extra = "lmtp_hdr_delivery_address = none\n"
    events, raw, srv = traced_delivery(build_dir, tmp_path, "optimized", (ALICE, BOB), extra)
    links = [e for e in events if e[0] in ("link", "linkat") and e[2] == 0]
    assert links, "no hard link was made: the shared-copy path was not taken\n" + raw[-6000:]
    for rcpt in (ALICE, BOB):
        problems = check_delivery_order(events, str(srv.maildir(rcpt)), rcpt)
        assert problems == [], f"{rcpt}: " + "; ".join(problems) + "\n" + raw[-6000:]
    inodes = [sorted(f.stat().st_ino for f in srv.message_files(rcpt)) for rcpt in (ALICE, BOB)]
    assert len(inodes[0]) == 2 and inodes[0] == inodes[1], inodes

    events, raw, srv = traced_delivery(build_dir, tmp_path, "never", (ALICE, BOB), extra)
    problems = check_delivery_order(events, str(srv.maildir(BOB)), BOB)
    assert any("no fdatasync/fsync of" in p for p in problems), \
        f"mail_fsync=never passed the check for the linked copy ({problems})\n" + raw[-6000:]


def test_check_delivery_order_rejects_wrong_orders():
    """The order check itself on hand-written traces: right, then wrong."""
    m = "/x/Maildir"
    sock = "7<TCP:[127.0.0.1:24->127.0.0.1:40000]>"
    good = f"""\
11 write(9<{m}/tmp/1.M1P1.h>, "Return-Path: <s@x>\\n", 19) = 19
11 fdatasync(9<{m}/tmp/1.M1P1.h>) = 0
11 renameat(AT_FDCWD</>, "{m}/tmp/1.M1P1.h", AT_FDCWD</>, "{m}/new/1.M1P1.h,S=19") = 0
11 fsync(10<{m}/new>) = 0
12 sendmsg({sock}, {{msg_name=NULL, msg_iov=[{{iov_base="250 2.0.0 <alice@example.com> id Saved\\r\\n", iov_len=40}}]}}, MSG_NOSIGNAL) = 40
"""
    assert check_delivery_order(parse_trace(good), m) == []
    lines = good.splitlines()
    no_sync = "\n".join(l for l in lines if "fdatasync" not in l)
    assert any("no fdatasync" in p for p in check_delivery_order(parse_trace(no_sync), m))
    no_dir_sync = "\n".join(l for l in lines if "fsync(10" not in l)
    assert any("no fsync of new/" in p for p in check_delivery_order(parse_trace(no_dir_sync), m))
    late_dir_sync = "\n".join(lines[:3] + [lines[4], lines[3]])
    assert any("fsync of new/ comes after" in p for p in check_delivery_order(parse_trace(late_dir_sync), m))
    late_rename = "\n".join([lines[0], lines[1], lines[4], lines[2], lines[3]])
    assert any("rename into new/ comes after" in p for p in check_delivery_order(parse_trace(late_rename), m))
