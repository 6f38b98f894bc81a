"""REPLACE and UID REPLACE (RFC 8508): the new message is saved to the named
mailbox and the old one expunged from the selected one as one action, with
APPENDUID before the EXPUNGE (UIDPLUS), VANISHED for QRESYNC sessions,
CATENATE parts (which may name the message being replaced), [TRYCREATE],
[TOOBIG], and the errors that leave the mailbox as it was."""
import imaplib
import re

import pytest

from imapd_util import ImapServer
from imap_raw import Wire, connect, fetch_literal, mail_files, message, norm, srv  # noqa: F401


def replace(w: Wire, command: str, data: bytes, tag: str | None = None) -> tuple[list[str], str]:
    """'<tag> <command> {n+}' + data: the answer."""
    tag = tag or w.next_tag()
    w.send(f"{tag} {command} {{{len(data)}+}}\r\n".encode() + data + b"\r\n")
    return w.read_until_tagged(tag)


def subjects(w: Wire) -> list[str]:
    out = []
    for line in w.ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])"):
        m = re.search(rb"Subject: ([^\r\n]*)", fetch_literal(line))
        out.append(m.group(1).decode())
    return out


def setup_drafts(connect, count: int = 4) -> Wire:
    w = connect()
    w.ok("CREATE Drafts")
    for n in range(1, count + 1):
        assert " OK " in w.append("Drafts", message(f"draft {n}"))
    w.ok("SELECT Drafts")
    return w


def test_capability_lists_replace(connect):
    w = connect()
    (line,) = w.ok("CAPABILITY")
    assert "REPLACE" in line.split(), line


def test_rfc8508_example_replace_in_selected_mailbox(connect, srv):
    """§3.2's example: REPLACE 4 Drafts (\\Seen \\Draft) {n} answers
    * OK [APPENDUID ...], * 5 EXISTS and * 4 EXPUNGE (either order), tagged OK."""
    w = setup_drafts(connect)
    (uidvalidity,) = [re.search(r"UIDVALIDITY (\d+)", line).group(1)
                      for line in w.ok("STATUS Drafts (UIDVALIDITY)")]
    w.ok("STORE 4 +FLAGS.SILENT (\\Flagged $Old)")
    new = message("draft 4, second version")
    untagged, tagged = replace(w, "REPLACE 4 Drafts (\\Seen \\Draft)", new, tag="A003")
    assert norm(tagged) == "A003 OK Replace completed", tagged
    assert untagged[0] == f"* OK [APPENDUID {uidvalidity} 5] Replacement Message ready.", untagged
    assert sorted(untagged[1:]) == ["* 4 EXISTS", "* 4 EXPUNGE"], untagged
    # No FETCH for the implied STORE \Deleted (§3.4).
    assert not any("FETCH" in line for line in untagged), untagged
    assert subjects(w) == ["draft 1", "draft 2", "draft 3", "draft 4, second version"]
    # Nothing is inherited from the replaced message (§1): flags are the command's.
    (line,) = w.ok("FETCH 4 (UID FLAGS)")
    assert re.search(r"UID 5\b", line) and "\\Flagged" not in line and "$Old" not in line, line
    assert "\\Seen" in line and "\\Draft" in line, line
    assert len(mail_files(srv.mail_root / "alice" / "Maildir", "Drafts")) == 4


def test_uid_replace_into_another_mailbox(connect, srv):
    """§3.4: a draft replaced by the sent copy in another mailbox."""
    w = setup_drafts(connect, 3)
    w.ok("CREATE Sent")
    untagged, tagged = replace(w, "UID REPLACE 2 Sent (\\Seen)", message("sent version"))
    assert norm(tagged).endswith("OK Replace completed"), tagged
    assert re.fullmatch(r"\* OK \[APPENDUID \d+ 1\] Replacement Message ready\.", untagged[0]), untagged
    # (and "* 2 RECENT": the session's \Recent messages went from 3 to 2)
    assert [line for line in untagged[1:] if not line.endswith(" RECENT")] == ["* 2 EXPUNGE"], untagged
    assert subjects(w) == ["draft 1", "draft 3"]
    other = connect()
    other.ok("SELECT Sent")
    assert subjects(other) == ["sent version"]
    maildir = srv.mail_root / "alice" / "Maildir"
    assert len(mail_files(maildir, "Drafts")) == 2 and len(mail_files(maildir, "Sent")) == 1


def test_star_and_uid_star(connect):
    w = setup_drafts(connect, 3)
    untagged, tagged = replace(w, "REPLACE * Drafts", message("last"))
    assert " OK " in tagged and "* 3 EXPUNGE" in untagged, (untagged, tagged)
    untagged, tagged = replace(w, "UID REPLACE * Drafts", message("last again"))
    assert " OK " in tagged and "* 3 EXPUNGE" in untagged, (untagged, tagged)
    assert subjects(w) == ["draft 1", "draft 2", "last again"]


def test_qresync_session_gets_vanished(connect):
    """§4.5: the old message is removed as by UID EXPUNGE: VANISHED for QRESYNC."""
    w = connect()
    w.ok("CREATE Drafts")
    for n in range(1, 4):
        assert " OK " in w.append("Drafts", message(f"draft {n}"))
    w.ok("ENABLE QRESYNC")
    w.ok("SELECT Drafts")
    untagged, tagged = replace(w, "UID REPLACE 2 Drafts", message("new 2"))
    assert " OK " in tagged, tagged
    assert untagged[0].startswith("* OK [APPENDUID "), untagged
    assert "* VANISHED 2" in untagged and "* 3 EXISTS" in untagged, untagged
    assert not any(line.endswith(" EXPUNGE") for line in untagged), untagged


def test_other_session_sees_one_change(connect):
    """Another session on the mailbox sees the old message go and the new one come."""
    w = setup_drafts(connect, 2)
    watcher = connect()
    watcher.ok("SELECT Drafts")
    untagged, tagged = replace(w, "REPLACE 1 Drafts", message("draft 1 v2"))
    assert " OK " in tagged, tagged
    got = watcher.ok("NOOP")
    assert sorted(got) == ["* 1 EXPUNGE", "* 2 EXISTS"], got
    assert subjects(watcher) == ["draft 2", "draft 1 v2"]


def test_catenate_with_the_replaced_message(connect):
    """§4.2: CATENATE parts, here the replaced message's own header."""
    w = setup_drafts(connect, 2)
    (line,) = w.ok("FETCH 2 UID")
    uid = re.search(r"UID (\d+)", line).group(1)
    body = b"A new body.\r\n"
    tag = w.next_tag()
    w.send(f'{tag} UID REPLACE {uid} Drafts CATENATE (URL "/Drafts;UIDVALIDITY=0/;UID={uid}/;SECTION=HEADER" '
           f"TEXT {{{len(body)}+}}\r\n".encode() + body + b")\r\n")
    untagged, tagged = w.read_until_tagged(tag)
    # The URL's UIDVALIDITY is wrong: nothing happens.
    assert "NO [BADURL" in tagged, tagged
    assert untagged == [], untagged
    assert subjects(w) == ["draft 1", "draft 2"]
    tag = w.next_tag()
    w.send(f'{tag} UID REPLACE {uid} Drafts CATENATE (URL "/Drafts/;UID={uid}/;SECTION=HEADER" '
           f"TEXT {{{len(body)}+}}\r\n".encode() + body + b")\r\n")
    untagged, tagged = w.read_until_tagged(tag)
    assert norm(tagged).endswith("OK Replace completed"), (untagged, tagged)
    assert "* 2 EXPUNGE" in untagged, untagged
    (line,) = w.ok("FETCH 2 (BODY.PEEK[TEXT] BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert "A new body." in line and "Subject: draft 2" in line, line


def test_trycreate_and_the_old_message_stays(connect):
    w = setup_drafts(connect, 2)
    untagged, tagged = replace(w, "REPLACE 1 Nowhere", message("x"))
    assert norm(tagged).split(" ", 1)[1].startswith("NO [TRYCREATE]"), tagged
    assert untagged == []
    assert subjects(w) == ["draft 1", "draft 2"]


def test_bad_sequence_numbers(connect):
    w = setup_drafts(connect, 2)
    for bad in ("3", "0", "1:2", "1,2", "x", "$"):
        untagged, tagged = replace(w, f"REPLACE {bad} Drafts", message("x"))
        assert " BAD " in tagged, (bad, tagged)
        assert untagged == [], (bad, untagged)
    untagged, tagged = replace(w, "UID REPLACE 99 Drafts", message("x"))
    assert tagged.split(" ", 1)[1].startswith("NO [NONEXISTENT]"), tagged
    # Missing arguments, several messages (no MULTIAPPEND, §4.7).
    _, tagged = w.cmd("REPLACE 1 Drafts")
    assert " BAD " in tagged, tagged
    tag = w.next_tag()
    w.send(f"{tag} REPLACE 1 Drafts {{3+}}\r\nabc {{3+}}\r\ndef\r\n".encode())
    _, tagged = w.read_until_tagged(tag)
    assert " BAD " in tagged, tagged
    assert subjects(w) == ["draft 1", "draft 2"]
    assert w.ok("STATUS Drafts (MESSAGES)") == ["* STATUS Drafts (MESSAGES 2)"]


def test_expunged_by_another_session(connect):
    w = setup_drafts(connect, 2)
    other = connect()
    other.ok("SELECT Drafts")
    other.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    other.ok("EXPUNGE")
    # FETCH holds the EXPUNGE back, so sequence number 1 still names it.
    w.ok("FETCH 1 FLAGS")
    untagged, tagged = replace(w, "REPLACE 1 Drafts", message("x"))
    assert tagged.split(" ", 1)[1].startswith("NO [EXPUNGEISSUED]"), tagged
    assert w.ok("STATUS Drafts (MESSAGES)") == ["* STATUS Drafts (MESSAGES 1)"]


def test_read_only_mailbox(connect):
    w = setup_drafts(connect, 1)
    w.ok("EXAMINE Drafts")
    untagged, tagged = replace(w, "REPLACE 1 Drafts", message("x"))
    assert " NO " in tagged, tagged
    untagged, tagged = replace(w, "REPLACE 1 INBOX", message("x"))
    assert " NO " in tagged, tagged
    assert w.ok("STATUS INBOX (MESSAGES)") == ["* STATUS INBOX (MESSAGES 0)"]
    assert w.ok("STATUS Drafts (MESSAGES)") == ["* STATUS Drafts (MESSAGES 1)"]


def test_not_in_authenticated_state(connect):
    """§3.5: REPLACE is valid in the selected state only."""
    w = connect()
    untagged, tagged = replace(w, "REPLACE 1 INBOX", message("x"))
    assert " BAD " in tagged, tagged


def test_appendlimit(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, extra_config="imap_max_append_size = 1000\n") as server:
        w = Wire.connect(server.port, server.host)
        w.greeting()
        w.login()
        w.ok("CREATE Drafts")
        assert " OK " in w.append("Drafts", message("small"))
        w.ok("SELECT Drafts")
        # A synchronising literal above APPENDLIMIT is refused before it is sent.
        tag = w.next_tag()
        w.send(f"{tag} REPLACE 1 Drafts {{5000}}\r\n".encode())
        _, tagged = w.read_until_tagged(tag)
        assert tagged.split(" ", 1)[1].startswith("NO [TOOBIG]"), tagged
        assert subjects(w) == ["small"]
        w.close()


def test_imaplib_replace(srv):
    """imaplib has no REPLACE method; its generic _simple_command sends one."""
    c = imaplib.IMAP4(srv.host, srv.port)
    c.login("alice", "secret")
    c.create("Drafts")
    c.append("Drafts", None, None, message("v1"))
    c.select("Drafts")
    imaplib.Commands["REPLACE"] = ("SELECTED",)
    try:
        c.literal = message("v2")
        typ, data = c._simple_command("REPLACE", "1", "Drafts", "(\\Draft)")
    finally:
        del imaplib.Commands["REPLACE"]
    assert typ == "OK", (typ, data)
    typ, data = c.fetch("1", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"\\Draft" in data[0][0] and b"Subject: v2" in data[0][1], data
    c.logout()
