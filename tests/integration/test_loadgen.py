"""loft-loadgen (bench/loadgen) end to end: the mixed and logins workloads
against a real loft-imapd must finish without an error, and the mixed
workload's cross-checks must catch a server that lies (a tiny IMAP server
here that lists a UID nobody appended, or a flag nobody set).

loft-loadgen is built in every build (it needs no bench-only package), so
this runs in `make test`. Nothing here asserts a timing: the runs are short
and only their correctness is checked."""
import json
import re
import socketserver
import subprocess
import threading

import pytest

from imapd_util import ImapServer

USERS = ("lg0", "lg1", "lg2", "lg3")


def loadgen(build_dir, *args, timeout=120):
    exe = build_dir / "bench" / "loadgen" / "loft-loadgen"
    if not exe.exists():
        pytest.fail(f"{exe} is not built")
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def users_file(tmp_path, users, password):
    path = tmp_path / "users.txt"
    path.write_text("".join(f"{u}:{password}\n" for u in users))
    return path


def message(i: int) -> bytes:
    return (f"From: Sender {i} <s{i}@example.org>\r\nTo: lg@example.org\r\nSubject: seed {i}\r\n"
            f"Date: Mon, 1 Jan 2024 10:00:{i % 60:02d} +0000\r\nMessage-ID: <seed{i}@example.org>\r\n\r\n"
            f"Body {i}\r\n").encode()


@pytest.fixture
def imapd(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path / "srv", users=USERS, tls=False) as srv:
        # A few messages to start with, some flagged, so setup has work.
        for u in USERS:
            c = srv.login(u)
            for i in range(5):
                c.append("INBOX", "(\\Seen)" if i % 2 else "", None, message(i))
            c.logout()
        yield srv


def test_mixed_against_loft_imapd(build_dir, tmp_path, imapd):
    out = tmp_path / "mixed.json"
    p = loadgen(build_dir, "mixed", "--host=127.0.0.1", f"--imap-port={imapd.port}",
                f"--users-file={users_file(tmp_path, USERS, imapd.password)}", "--duration=5", "--clients=8",
                "--seed=3", "--server-label=Loft", f"--json={out}")
    assert p.returncode == 0, p.stderr
    res = json.loads(out.read_text())
    assert res["workload"] == "mixed"
    assert res["server_label"] == "Loft"
    assert res["errors"] == 0
    assert res["ops"] > 0
    cmds = res["commands"]
    for name in ("LOGIN", "SELECT", "FETCH", "FETCH_BODY", "STORE", "EXPUNGE", "APPEND", "LOGOUT"):
        assert cmds[name]["count"] > 0, name
        assert cmds[name]["p50_us"] <= cmds[name]["p99_us"] <= cmds[name]["max_us"]
    # One op per command: the connects are timed but not counted.
    assert res["ops"] == sum(v["count"] for k, v in cmds.items() if k != "CONNECT")
    assert res["extra"]["clients"] == 8
    assert res["extra"]["sessions"] > 0
    # Every session appended one message and expunged at most one: what is on
    # disk is what the sessions left.
    on_disk = sum(len(list((imapd.maildir(u) / d).iterdir())) for u in USERS for d in ("cur", "new"))
    appended = cmds["APPEND"]["count"]
    expunged = cmds["EXPUNGE"]["count"]
    assert len(USERS) * 5 + appended - expunged <= on_disk <= len(USERS) * 5 + appended


def test_logins_against_loft_imapd(build_dir, tmp_path, imapd):
    out = tmp_path / "logins.json"
    p = loadgen(build_dir, "logins", "--host=127.0.0.1", f"--imap-port={imapd.port}",
                f"--users-file={users_file(tmp_path, USERS, imapd.password)}", "--duration=2", f"--json={out}")
    assert p.returncode == 0, p.stderr
    res = json.loads(out.read_text())
    assert res["errors"] == 0
    assert res["ops"] > 0
    assert res["commands"]["LOGIN_SESSION"]["count"] == res["ops"]
    assert res["extra"]["connectors"] == 10


def test_logins_wrong_password_fails(build_dir, tmp_path, imapd):
    out = tmp_path / "logins.json"
    p = loadgen(build_dir, "logins", "--host=127.0.0.1", f"--imap-port={imapd.port}",
                f"--users-file={users_file(tmp_path, USERS[:1], 'wrong')}", "--duration=1", "--clients=1",
                f"--json={out}")
    assert p.returncode == 1
    assert "connector 0 (lg0): LOGIN: unexpected \"NO" in p.stderr
    assert json.loads(out.read_text())["errors"] == 1


class LyingImap(socketserver.ThreadingTCPServer):
    """A minimal IMAP server keeping one mailbox in memory, consistent except
    for one lie: `lie="uid"` lists a message with UID 9999 that nobody
    appended; `lie="flags"` shows \\Answered on every message; `lie="exists"`
    always SELECTs "* 0 EXISTS"; `lie="body"` alters one byte of BODY[];
    `lie="store"` ignores STORE."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, lie):
        self.lie = lie
        self.lock = threading.Lock()
        self.msgs = []  # [uid, set(flags), bytes]
        self.uidnext = 1
        super().__init__(("127.0.0.1", 0), LyingHandler)


class LyingHandler(socketserver.StreamRequestHandler):
    def send(self, text):
        self.wfile.write(text if isinstance(text, bytes) else text.encode())
        self.wfile.flush()

    def fetch_line(self, seq, m, items):
        srv = self.server
        flags = set(m[1]) | ({"\\Answered"} if srv.lie == "flags" else set())
        out = f"* {seq} FETCH (UID {m[0]} FLAGS ({' '.join(sorted(flags))})".encode()
        if "HEADER.FIELDS" in items:
            hdr = m[2].split(b"\r\n\r\n")[0] + b"\r\n\r\n"
            out += b" BODY[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)] {%d}\r\n%s" % (len(hdr), hdr)
        if "BODY.PEEK[]" in items:
            body = m[2].replace(b"Subject", b"SUBJECT", 1) if srv.lie == "body" else m[2]
            out += b" BODY[] {%d}\r\n%s" % (len(body), body)
        if "RFC822.SIZE" in items:
            out += b" RFC822.SIZE %d" % len(m[2])
        return out + b")\r\n"

    def handle(self):
        srv = self.server
        self.send("* OK [CAPABILITY IMAP4rev1 UIDPLUS LITERAL+] lying server ready\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            line = line.rstrip(b"\r\n").decode()
            tag, _, rest = line.partition(" ")
            cmd = rest.upper()
            with srv.lock:
                if cmd.startswith("LOGIN"):
                    self.send(f"{tag} OK Logged in\r\n")
                elif cmd.startswith("SELECT"):
                    exists = 0 if srv.lie == "exists" else len(srv.msgs)
                    self.send(f"* {exists} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n"
                              f"* OK [UIDNEXT {srv.uidnext}] ok\r\n{tag} OK [READ-WRITE] Select completed\r\n")
                elif cmd.startswith("UID FETCH"):
                    uidset, items = rest.split(" ", 3)[2], rest.split(" ", 3)[3]
                    lo = uidset.split(":")[0]
                    lo = 1 if lo == "*" else int(lo.split(",")[0])
                    hits = [(i + 1, m) for i, m in enumerate(srv.msgs) if m[0] >= lo] if ":" in uidset else \
                        [(i + 1, m) for i, m in enumerate(srv.msgs) if str(m[0]) in uidset.split(",")]
                    # Each message's requested items, then an unsolicited flags
                    # update for it (RFC 3501 §7.4.2: the client merges them).
                    out = b"".join(self.fetch_line(s, m, items) + self.fetch_line(s, m, "") for s, m in hits)
                    if srv.lie == "uid" and "HEADER.FIELDS" in items:
                        bogus = [9999, set(), b"Subject: bogus\r\n\r\nx\r\n"]
                        out += self.fetch_line(len(srv.msgs) + 1, bogus, items)
                    self.send(out + f"{tag} OK Fetch completed\r\n".encode())
                elif cmd.startswith("UID STORE"):
                    _, _, uidset, op, flags = rest.split(" ", 4)
                    flags = set(flags.strip("()").split())
                    out = b""
                    for i, m in enumerate(srv.msgs):
                        if str(m[0]) in uidset.split(","):
                            if srv.lie != "store":
                                m[1] = m[1] | flags if op.startswith("+") else m[1] - flags
                            out += self.fetch_line(i + 1, m, "")
                    self.send(out + f"{tag} OK Store completed\r\n".encode())
                elif cmd.startswith("UID EXPUNGE"):
                    uid = int(rest.split(" ")[2])
                    out = ""
                    for i, m in enumerate(srv.msgs):
                        if m[0] == uid and "\\Deleted" in m[1]:
                            out += f"* {i + 1} EXPUNGE\r\n"
                            del srv.msgs[i]
                            break
                    self.send(out + f"{tag} OK Expunge completed\r\n")
                elif cmd.startswith("APPEND"):
                    mo = re.search(r"(?:\((.*?)\) )?\{(\d+)(\+?)\}$", rest)
                    if not mo.group(3):
                        self.send("+ go\r\n")
                    body = self.rfile.read(int(mo.group(2)))
                    self.rfile.readline()
                    uid = srv.uidnext
                    srv.uidnext += 1
                    srv.msgs.append([uid, set((mo.group(1) or "").split()), body])
                    self.send(f"{tag} OK [APPENDUID 7 {uid}] Append completed\r\n")
                elif cmd.startswith("LOGOUT"):
                    self.send(f"* BYE bye\r\n{tag} OK Logout completed\r\n")
                    return
                else:
                    self.send(f"{tag} BAD unknown\r\n")


@pytest.mark.parametrize("lie,complaint", [
    ("uid", "FETCH: cross-check failed: UID 9999 was never appended"),
    ("flags", "FETCH: cross-check failed: flag \\Answered on UID 1 was never set"),
    ("exists", "SELECT: cross-check failed: EXISTS 0 below the 1 messages known to exist"),
    ("body", "FETCH_BODY: cross-check failed: BODY[] of UID 1 ("),
    ("store", "STORE: cross-check failed: UID 1 lacks \\"),
])
def test_mixed_catches_a_lying_server(build_dir, tmp_path, lie, complaint):
    srv = LyingImap(lie)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        out = tmp_path / "mixed.json"
        p = loadgen(build_dir, "mixed", "--host=127.0.0.1", f"--imap-port={srv.server_address[1]}",
                    f"--users-file={users_file(tmp_path, ['liar'], 'pw')}", "--duration=3", "--clients=1",
                    f"--json={out}")
    finally:
        srv.shutdown()
        srv.server_close()
    assert p.returncode == 1, p.stderr
    assert "client 0 (liar): " + complaint in p.stderr
    assert json.loads(out.read_text())["errors"] == 1


def test_mixed_against_the_honest_fake(build_dir, tmp_path):
    """The same fake server without a lie passes: the complaints above come
    from the lies, not from the fake (whose FETCH replies send each message's
    flags twice, the second time alone, which the client must merge)."""
    srv = LyingImap("none")
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        out = tmp_path / "mixed.json"
        p = loadgen(build_dir, "mixed", "--host=127.0.0.1", f"--imap-port={srv.server_address[1]}",
                    f"--users-file={users_file(tmp_path, ['honest'], 'pw')}", "--duration=2", "--clients=1",
                    f"--json={out}")
    finally:
        srv.shutdown()
        srv.server_close()
    assert p.returncode == 0, p.stderr
    assert json.loads(out.read_text())["ops"] > 0
