"""FETCH 1:* (BODYSTRUCTURE ENVELOPE RFC822.SIZE) over more messages than a
mailbox holds pending (10,000 values) leaves every message's values in the
index cache: after the first pass, from a read-only (EXAMINE) session, every
message file is rewritten with other content under the same name and the
server restarted; the second FETCH must still give the first answers, which
it can only do from loft.index.cache (a message it parsed again would show
the new subject, structure and size)."""
import re

import pytest

from imapd_util import ImapServer

MESSAGES = 12_000
BASE_TIME = 1700000000
FETCH = b"FETCH 1:* (BODYSTRUCTURE ENVELOPE RFC822.SIZE)"


def original(i: int) -> bytes:
    """Plain and multipart messages; no S=/W= in the file names, so sizes
    are measured too."""
    head = (f"From: Sender {i} <s{i}@example.org>\r\nTo: r{i % 7}@example.net\r\n"
            f"Subject: message {i}\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
            f"Message-ID: <{i}@example.org>\r\n").encode()
    if i % 3:
        return head + b"\r\n" + b"body %d\r\n" % i
    return head + (b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                   b"--b\r\nContent-Type: text/plain\r\n\r\npart one\r\n"
                   b"--b\r\nContent-Type: application/octet-stream\r\n\r\nAAAA\r\n--b--\r\n")


REWRITTEN = (b"From: other@example.com\r\nSubject: rewritten\r\nContent-Type: text/html\r\n\r\n"
             b"<p>a different body, of a different length</p>\r\n")


def files(server: ImapServer):
    return sorted((server.maildir("alice") / "cur").iterdir())


def fetch_all(server: ImapServer, select: bytes) -> list[str]:
    """The untagged FETCH answers of one session, in order."""
    c = server.raw()
    c.send(b"a LOGIN alice secret\r\ns " + select + b" INBOX\r\nf " + FETCH + b"\r\nz LOGOUT\r\n")
    c.read_greeting()
    lines = c.read_until_tagged("z")
    c.close()
    text = "\r\n".join(lines)
    assert re.search(r"^f OK ", text, re.M), text[-2000:]
    return [line for line in lines if re.match(r"\* \d+ FETCH ", line)]


@pytest.fixture
def server(build_dir, tmp_path):
    srv = ImapServer(build_dir, tmp_path, tls=False, start=False)
    cur = srv.maildir("alice") / "cur"
    for sub in ("cur", "new", "tmp"):
        (srv.maildir("alice") / sub).mkdir(parents=True, exist_ok=True)
    for i in range(MESSAGES):
        (cur / f"{BASE_TIME + i}.M{i}P1.fetchcache:2,").write_bytes(original(i))
    srv.start()
    yield srv
    srv.stop()


def test_one_fetch_caches_every_message(server):
    first = fetch_all(server, b"EXAMINE")
    assert len(first) == MESSAGES
    assert '"message 0"' in first[0] and f'"message {MESSAGES - 1}"' in first[-1]
    assert '"mixed"' in first[0].lower() and "rewritten" not in "".join(first)

    server.stop()
    for path in files(server):
        path.write_bytes(REWRITTEN)
    listening = server.log_text().count("Listening on")
    server.start()
    server.wait_log("Listening on", listening + 1)

    second = fetch_all(server, b"SELECT")
    differing = [i + 1 for i, (a, b) in enumerate(zip(first, second)) if a != b]
    assert not differing, f"{len(differing)} messages answered from their files, first seq {differing[0]}"
    assert second == first
