"""SAVELIMIT (RFC 9738): imap_save_limit caps the messages one COPY / UID
COPY or one MULTIAPPEND APPEND may save. Over the limit the command is
refused as a whole with NO [MESSAGELIMIT <n> [<uid>]] and nothing is saved
(COPY and MULTIAPPEND are atomic, RFC 9738 §3.1); at the limit it works.
MOVE is not covered by SAVELIMIT. Without the setting nothing is advertised
and nothing is limited."""
import re

import pytest

from imap_raw import Wire, connect, message, norm, srv  # noqa: F401
from imapd_util import ImapServer

LIMIT = 3


@pytest.fixture
def limited(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, extra_config=f"imap_save_limit = {LIMIT}\n") as server:
        yield server


def session(server) -> Wire:
    w = Wire.connect(server.port, server.host)
    w.greeting()
    w.login()
    return w


def fill(w, count: int, mailbox: str = "INBOX"):
    for i in range(count):
        assert " OK " in w.append(mailbox, message(f"message {i + 1}"))


def count(w, mailbox: str) -> int:
    (line,) = [x for x in w.ok(f"STATUS {mailbox} (MESSAGES)") if x.startswith("* STATUS")]
    return int(re.search(r"MESSAGES (\d+)", line).group(1))


def multiappend(w, mailbox: str, n: int, tag: str):
    parts = [f"{tag} APPEND {mailbox}".encode()]
    for i in range(n):
        body = message(f"multi {i + 1}")
        parts.append(f" {{{len(body)}+}}\r\n".encode() + body)
    w.send(b"".join(parts) + b"\r\n")
    return w.read_until_tagged(tag)


def test_capability_with_the_setting(limited):
    w = session(limited)
    (caps,) = w.ok("CAPABILITY")
    assert f"SAVELIMIT={LIMIT}" in caps.split(), caps
    # SAVELIMIT instead of MESSAGELIMIT: only saves are limited (§3).
    assert not any(c.startswith("MESSAGELIMIT") for c in caps.split()), caps
    w.close()


def test_copy_at_and_over_the_limit(limited):
    w = session(limited)
    fill(w, 5)
    w.ok("CREATE Trash")
    w.ok("SELECT INBOX")
    # At the limit: copied.
    untagged, tagged = w.cmd("UID COPY 1:3 Trash")
    assert re.match(r"\S+ OK \[COPYUID \d+ 1:3 1:3\]", tagged), tagged
    # One over: refused, nothing copied; the UID is the lowest of the
    # three highest (the §3.1 "UID COPY 18000:21000" example's form).
    untagged, tagged = w.cmd("UID COPY 1:4 Trash", tag="c")
    assert norm(tagged) == "c NO [MESSAGELIMIT 3 2] Too many messages to copy, try a smaller subset", tagged
    assert count(w, "Trash") == 3
    untagged, tagged = w.cmd("COPY 1:* Trash", tag="d")
    assert tagged.startswith("d NO [MESSAGELIMIT 3 3] "), tagged
    assert count(w, "Trash") == 3
    # UIDs that do not exist do not count: 2:4 and 9:20 name three messages.
    untagged, tagged = w.cmd("UID COPY 2:4,9:20 Trash", tag="e")
    assert " OK [COPYUID " in tagged, tagged
    assert count(w, "Trash") == 6
    w.close()


def test_move_is_not_limited(limited):
    w = session(limited)
    fill(w, 5)
    w.ok("CREATE Archive")
    w.ok("SELECT INBOX")
    untagged, tagged = w.cmd("UID MOVE 1:5 Archive", tag="m")
    assert " OK " in tagged and "MESSAGELIMIT" not in tagged, (untagged, tagged)
    assert count(w, "Archive") == 5
    w.close()


def test_multiappend_at_and_over_the_limit(limited):
    w = session(limited)
    w.ok("CREATE Drafts")
    untagged, tagged = multiappend(w, "Drafts", LIMIT, "a")
    assert re.match(r"a OK \[APPENDUID \d+ 1:3\]", tagged), tagged
    untagged, tagged = multiappend(w, "Drafts", LIMIT + 1, "b")
    assert norm(tagged) == "b NO [MESSAGELIMIT 3] Too many messages to append, try a smaller subset", tagged
    assert count(w, "Drafts") == LIMIT
    # A single APPEND is one message, whatever the limit.
    assert " OK " in w.append("Drafts", message("single"))
    assert count(w, "Drafts") == LIMIT + 1
    w.close()


def test_unlimited_by_default(connect):
    w = connect()
    (caps,) = w.ok("CAPABILITY")
    assert not any(c.startswith(("SAVELIMIT", "MESSAGELIMIT")) for c in caps.split()), caps
    fill(w, 5)
    w.ok("CREATE Trash")
    w.ok("SELECT INBOX")
    untagged, tagged = w.cmd("UID COPY 1:5 Trash")
    assert " OK [COPYUID " in tagged, tagged
