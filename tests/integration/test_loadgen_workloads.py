"""loft-loadgen's bigmailbox, idle and pop3 workloads end to end against
Loft's daemons (loft-imapd, loft-pop3d, loft-lmtpd on one config), on
mailboxes written by loft-bench-corpus: each run must exit 0 and write the
JSON the harness reads, and what the workload reports must be what this test
computes from the corpus files itself (the SEARCH and SORT answers' hashes,
the flags, the bytes downloaded, the messages delivered). Small sizes; no
timing is asserted."""
import email
import email.header
import email.policy
import email.utils
import json
import os
import re
import subprocess

import pytest

from imapd_util import free_port, wait_for

PASSWORD = "secret"
DOMAIN = "example.org"
BIG, POP = f"big@{DOMAIN}", f"pop@{DOMAIN}"
IDLE_USERS = [f"idle{i}@{DOMAIN}" for i in range(4)]
SEEN = " \\Seen"


def fnv1a(data: bytes) -> str:
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


class LoftTrio:
    """loft-imapd, loft-pop3d and loft-lmtpd, each standalone on one config,
    users in a passwd-file with the test's uid, mail under mail/USER/Maildir."""

    def __init__(self, build_dir, tmp_path, users):
        self.build_dir = build_dir
        self.dir = tmp_path
        self.mail_root = tmp_path / "mail"
        self.ports = {p: free_port() for p in ("imap", "pop3", "lmtp")}
        self.log = tmp_path / "loft.log"
        self.procs = []
        uid, gid = os.getuid(), os.getgid()
        (tmp_path / "users").write_text("".join(
            f"{u}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{self.mail_root / u}::\n" for u in users))
        self.conf = tmp_path / "loft.conf"
        self.conf.write_text(
            f"base_dir = {tmp_path}/run\nlog_path = {self.log}\n"
            f"mail_location = maildir:{self.mail_root}/%u/Maildir\nmail_fsync = optimized\n"
            f"first_valid_uid = {uid}\nhostname = loadgen.test\nprotocols = imap pop3 lmtp\nssl = no\n"
            f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {tmp_path}/users\n}}\n"
            f"userdb {{\n  driver = passwd-file\n  args = {tmp_path}/users\n}}\n"
            f"service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {self.ports['imap']}\n"
            "  }\n  inet_listener imaps {\n    port = 0\n  }\n}\n"
            f"service pop3-login {{\n  inet_listener pop3 {{\n    address = 127.0.0.1\n    port = {self.ports['pop3']}\n"
            "  }\n  inet_listener pop3s {\n    port = 0\n  }\n}\n"
            f"service lmtp {{\n  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {self.ports['lmtp']}\n"
            "  }\n}\n")

    def maildir(self, user):
        return self.mail_root / user / "Maildir"

    def start(self):
        for name in ("imapd", "pop3d", "lmtpd"):
            exe = self.build_dir / "daemons" / name / f"loft-{name}"
            err = open(self.dir / f"{name}.stderr", "ab")
            self.procs.append((subprocess.Popen([str(exe), "-c", str(self.conf)], stdout=err, stderr=err), err))
        for proto, port in self.ports.items():
            wait_for(lambda: self._listening(port), f"loft-{proto}d on port {port}")
        return self

    def _listening(self, port):
        for p, _ in self.procs:
            if p.poll() is not None:
                raise AssertionError(f"a daemon exited with {p.returncode}: {self.log.read_text(errors='replace')}")
        import socket
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self):
        for p, err in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            err.close()


@pytest.fixture
def loft(build_dir, tmp_path):
    trio = LoftTrio(build_dir, tmp_path, [BIG, POP] + IDLE_USERS)
    yield trio
    trio.stop()


def tool(build_dir, *parts):
    exe = build_dir.joinpath(*parts)
    if not exe.exists():
        pytest.fail(f"{exe} is not built")
    return str(exe)


def write_corpus(build_dir, maildir, count, seed, max_size="256K"):
    maildir.parent.mkdir(parents=True, exist_ok=True)
    p = subprocess.run([tool(build_dir, "bench", "corpus", "loft-bench-corpus"), f"--seed={seed}", f"--count={count}",
                        f"--max-size={max_size}", f"--maildir={maildir}"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr


def users_file(tmp_path, users):
    path = tmp_path / "lg-users.txt"
    path.write_text("".join(f"{u}:{PASSWORD}\n" for u in users))
    return path


def loadgen_cmd(build_dir, loft, workload, tmp_path, users, *extra):
    out = tmp_path / f"{workload}.json"
    cmd = [tool(build_dir, "bench", "loadgen", "loft-loadgen"), workload, "--host=127.0.0.1",
           f"--imap-port={loft.ports['imap']}", f"--pop3-port={loft.ports['pop3']}",
           f"--lmtp=127.0.0.1:{loft.ports['lmtp']}", f"--users-file={users_file(tmp_path, users)}",
           "--server-label=Loft", f"--json={out}", *extra]
    return cmd, out


def corpus_messages(maildir):
    """[(uid, file bytes, flags)] in UID order, from dovecot-uidlist and cur/."""
    lines = (maildir / "dovecot-uidlist").read_text().splitlines()
    by_base = {f.split(":2,")[0]: f for f in os.listdir(maildir / "cur")}
    out = []
    for line in lines[1:]:
        uid, base = line.split(" :", 1)
        name = by_base[base]
        out.append((int(uid), (maildir / "cur" / name).read_bytes(), name.split(":2,")[1]))
    return out


def decoded(value) -> str:
    return str(email.header.make_header(email.header.decode_header(str(value))))


def body_text(msg) -> str:
    """The decoded text of every text/* part (what SEARCH BODY looks at)."""
    out = []
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True) or b""
            charset = part.get_content_charset() or "us-ascii"
            out.append(payload.decode(charset, errors="replace"))
    return "\n".join(out)


def expected_big_answers(messages):
    """What SEARCH FROM/SUBJECT/BODY, SORT (DATE) and FETCH (UID FLAGS) must answer."""
    found = {"SEARCH_FROM": [], "SEARCH_SUBJECT": [], "SEARCH_BODY": []}
    dates = []
    flags_text = ""
    for uid, data, flags in messages:
        msg = email.message_from_bytes(data, policy=email.policy.compat32)
        if "carol" in decoded(msg["From"]).lower():
            found["SEARCH_FROM"].append(uid)
        if "quarterly" in decoded(msg["Subject"]).lower():
            found["SEARCH_SUBJECT"].append(uid)
        if "zanzibar" in body_text(msg).lower():
            found["SEARCH_BODY"].append(uid)
        # RFC 5256 §2.2: the Date field in UTC; ties in sequence (UID) order.
        dates.append((email.utils.parsedate_to_datetime(msg["Date"]).timestamp(), uid))
        flags_text += f"{uid}{SEEN if 'S' in flags else ''}\n"
    answers = {op: " ".join(map(str, uids)) for op, uids in found.items()}
    answers["SORT_DATE"] = " ".join(str(uid) for _, uid in sorted(dates))
    answers["FETCH_UID_FLAGS"] = flags_text
    return answers, {op: len(uids) for op, uids in found.items()}


BIG_OPS = ("SELECT", "FETCH_UID_FLAGS", "FETCH_ENVELOPE", "FETCH_BODYSTRUCTURE", "SEARCH_FROM", "SEARCH_SUBJECT",
           "SEARCH_BODY", "SORT_DATE", "THREAD_REFERENCES", "STATUS")


def test_bigmailbox_answers_are_the_corpus_answers(build_dir, tmp_path, loft):
    write_corpus(build_dir, loft.maildir(BIG), 300, seed=5)
    messages = corpus_messages(loft.maildir(BIG))
    assert len(messages) == 300
    answers, counts = expected_big_answers(messages)
    assert all(counts.values()), counts  # the corpus guarantees every term
    loft.start()
    cmd, out = loadgen_cmd(build_dir, loft, "bigmailbox", tmp_path, [BIG], "--repeat=2")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    res = json.loads(out.read_text())
    assert res["workload"] == "bigmailbox"
    assert res["server_label"] == "Loft"
    assert res["errors"] == 0
    assert res["ops"] == 2 * len(BIG_OPS)
    for op in BIG_OPS:
        c = res["commands"][op]
        assert c["count"] == 2, op
        assert 0 < c["p50_us"] <= c["max_us"], op
    extra = res["extra"]
    assert extra["messages"] == 300
    assert extra["repeat"] == 2
    assert set(extra["hashes"]) == set(BIG_OPS)
    for op, text in answers.items():
        assert extra["hashes"][op] == fnv1a(text.encode()), op
    for op, n in counts.items():
        assert extra["counts"][op] == n, op
    assert extra["counts"]["SORT_DATE"] == 300
    unseen = sum(1 for _, _, flags in messages if "S" not in flags)
    assert extra["hashes"]["STATUS"] == fnv1a(f"300 {unseen} 301".encode())
    assert extra["hashes"]["SELECT"] == fnv1a(b"300 1735689600")  # EXISTS, UIDVALIDITY
    # Threads: fewer roots than messages (the corpus has replies).
    assert 0 < extra["counts"]["THREAD_REFERENCES"] < 300


def test_bigmailbox_without_the_corpus_fails(build_dir, tmp_path, loft):
    # An empty INBOX: SELECT finds nothing to work on, the run fails.
    loft.maildir(BIG).mkdir(parents=True)
    loft.start()
    cmd, out = loadgen_cmd(build_dir, loft, "bigmailbox", tmp_path, [BIG], "--repeat=1")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert f"bigmailbox ({BIG}): SELECT: no messages in INBOX (EXISTS 0)" in p.stderr
    assert json.loads(out.read_text())["errors"] == 1


def test_pop3_downloads_every_message(build_dir, tmp_path, loft):
    write_corpus(build_dir, loft.maildir(POP), 50, seed=6)
    sizes = [int(re.search(r",W=(\d+)", f).group(1)) for f in os.listdir(loft.maildir(POP) / "cur")]
    loft.start()
    cmd, out = loadgen_cmd(build_dir, loft, "pop3", tmp_path, [POP], "--messages=50")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    res = json.loads(out.read_text())
    assert res["errors"] == 0
    assert res["ops"] == 50
    for name, count in (("CONNECT", 1), ("LOGIN", 1), ("STAT", 1), ("LIST", 1), ("UIDL", 1), ("RETR", 50),
                        ("QUIT", 1)):
        assert res["commands"][name]["count"] == count, name
    extra = res["extra"]
    assert extra["messages"] == 50
    assert extra["mailbox_messages"] == 50
    # RETR sends each message with CRLF line ends: W= of its file name.
    assert extra["bytes"] == sum(sizes)
    assert extra["messages_per_s"] > 0 and extra["mb_per_s"] > 0
    assert re.fullmatch(r"[0-9a-f]{16}", extra["uidl_hash"])
    # The same mailbox again: the same answers, the same fingerprints.
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    again = json.loads(out.read_text())["extra"]
    assert (again["uidl_hash"], again["retr_hash"]) == (extra["uidl_hash"], extra["retr_hash"])
    # Asking for more messages than there are is an error.
    cmd, out = loadgen_cmd(build_dir, loft, "pop3", tmp_path, [POP], "--messages=51")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert f"pop3 ({POP}): --messages=51 but the mailbox holds 50" in p.stderr


def idle_run(build_dir, tmp_path, loft, go_line):
    for u in IDLE_USERS:
        for d in ("cur", "new", "tmp"):
            (loft.maildir(u) / d).mkdir(parents=True, exist_ok=True)
    loft.start()
    cmd, out = loadgen_cmd(build_dir, loft, "idle", tmp_path, IDLE_USERS, "--connections=20", "--deliveries=3",
                           "--seed=4")
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = p.stdout.readline()
        before_go = {u: sum(len(os.listdir(loft.maildir(u) / d)) for d in ("cur", "new")) for u in IDLE_USERS}
        p.stdin.write(go_line)
        p.stdin.flush()
        done = p.stdout.readline()
        _, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, ready, before_go, done, err, out


def test_idle_exists_reaches_every_connection(build_dir, tmp_path, loft):
    rc, ready, before_go, done, err, out = idle_run(build_dir, tmp_path, loft, "GO\n")
    assert ready == "READY 20\n"
    assert done == "DONE\n"
    assert rc == 0, err
    # Nothing was delivered before GO; then one message to each of the first three users.
    assert before_go == {u: 0 for u in IDLE_USERS}
    for i, u in enumerate(IDLE_USERS):
        assert sum(len(os.listdir(loft.maildir(u) / d)) for d in ("cur", "new")) == (1 if i < 3 else 0), u
    res = json.loads(out.read_text())
    assert res["workload"] == "idle"
    assert res["errors"] == 0
    assert res["ops"] == 3
    extra = res["extra"]
    assert extra["connections"] == 20
    assert extra["deliveries"] == 3
    assert extra["missed"] == 0
    assert extra["exists_latency_p50_us"] <= extra["exists_latency_p99_us"] <= extra["exists_latency_max_us"]
    # Five connections per user: every delivery was seen five times.
    assert res["commands"]["EXISTS"]["count"] == 15
    assert res["commands"]["LMTP"]["count"] == 3
    assert res["commands"]["SETUP"]["count"] == 20


def test_idle_without_go_fails(build_dir, tmp_path, loft):
    rc, ready, _, done, err, out = idle_run(build_dir, tmp_path, loft, "STOP\n")
    assert ready == "READY 20\n"
    assert done == "DONE\n"
    assert rc == 1
    assert "expected \"GO\" on stdin after READY" in err
    assert json.loads(out.read_text())["errors"] == 1
    for u in IDLE_USERS:
        assert sum(len(os.listdir(loft.maildir(u) / d)) for d in ("cur", "new")) == 0
