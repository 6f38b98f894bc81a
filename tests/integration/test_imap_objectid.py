"""OBJECTID (RFC 8474): MAILBOXID on CREATE, SELECT/EXAMINE and STATUS (and
LIST-STATUS), FETCH EMAILID/THREADID and SEARCH EMAILID/THREADID. The ids
stay the same across RENAME, COPY, MOVE, two sessions and a server
restart; DELETE + CREATE and RENAME INBOX give new mailbox ids; and the
Maildir stays in Dovecot's format (a copy's GUID is a dovecot-uidlist G
field)."""
import hashlib
import imaplib
import os
import pathlib
import re
import shutil

import pytest

from storage_util import DovecotUser, temp_dir, tool_binary
from imap_raw import connect, message, norm, search_numbers, srv, wait_for  # noqa: F401

OBJECTID = r"[A-Za-z0-9_-]{1,255}"
MAILBOXID_CODE = re.compile(r"\[MAILBOXID \((F[0-9a-f]{32})\)\]")
FETCH_IDS = re.compile(r"^\* (\d+) FETCH \((?:UID (\d+) )?EMAILID \((M[0-9a-f]{24})\) THREADID \((T[0-9a-f]{24})\)\)$")


def created_id(w, name: str) -> str:
    """CREATE's MAILBOXID (RFC 8474 §4.1: in the tagged OK)."""
    untagged, tagged = w.cmd(f"CREATE {name}")
    m = MAILBOXID_CODE.search(tagged)
    assert m and " OK " in tagged, (untagged, tagged)
    return m.group(1)


def selected_id(w, name: str, command: str = "SELECT") -> str:
    """The untagged OK [MAILBOXID] of SELECT/EXAMINE (RFC 8474 §4.2)."""
    lines = [line for line in w.ok(f"{command} {name}") if "[MAILBOXID " in line]
    assert len(lines) == 1, lines
    m = re.fullmatch(r"\* OK \[MAILBOXID \((F[0-9a-f]{32})\)\] .*", lines[0])
    assert m, lines
    return m.group(1)


def status_id(w, name: str) -> str:
    (line,) = w.ok(f"STATUS {name} (MAILBOXID)")
    m = re.fullmatch(rf"\* STATUS \"?{re.escape(name)}\"? \(MAILBOXID \((F[0-9a-f]{{32}})\)\)", line)
    assert m, line
    return m.group(1)


def ids(w, command: str = "FETCH 1:* (EMAILID THREADID)") -> dict[int, tuple[str, str]]:
    """Sequence number (or UID for UID FETCH) -> (EMAILID, THREADID)."""
    out = {}
    for line in w.ok(command):
        m = FETCH_IDS.match(line)
        assert m, line
        key = int(m.group(2)) if m.group(2) else int(m.group(1))
        out[key] = (m.group(3), m.group(4))
    return out


def restart(srv):
    """A new server process on the same mail (its log keeps the old lines)."""
    listening = srv.log_text().count("Listening on")
    srv.stop()
    srv.start()
    assert wait_for(lambda: srv.log_text().count("Listening on") >= 2 * listening)


def test_capability_create_select_status(connect):
    w = connect()
    (caps,) = w.ok("CAPABILITY")
    assert "OBJECTID" in caps.split(), caps
    # §4.1 example: CREATE foo / CREATE bar get different ids; a second
    # CREATE foo fails without one.
    foo = created_id(w, "foo")
    bar = created_id(w, "bar")
    assert foo != bar
    untagged, tagged = w.cmd("CREATE foo")
    assert norm(tagged).endswith("NO [ALREADYEXISTS] Mailbox already exists") and "MAILBOXID" not in tagged
    # §4.2: SELECT and EXAMINE say it in an untagged OK.
    assert selected_id(w, "foo") == foo
    assert selected_id(w, "bar", "EXAMINE") == bar
    inbox = selected_id(w, "INBOX")
    assert inbox not in (foo, bar)
    # §4.3: STATUS MAILBOXID, alone and with other items.
    assert status_id(w, "foo") == foo
    (line,) = w.ok("STATUS foo (MESSAGES MAILBOXID UIDNEXT)")
    assert line == f"* STATUS foo (MESSAGES 0 UIDNEXT 1 MAILBOXID ({foo}))", line
    assert status_id(w, "INBOX") == inbox
    # LIST-STATUS (RFC 5819) takes it like any STATUS item.
    untagged = w.ok('LIST "" "*" RETURN (STATUS (MAILBOXID))')
    assert f"* STATUS foo (MAILBOXID ({foo}))" in untagged, untagged
    assert f"* STATUS bar (MAILBOXID ({bar}))" in untagged, untagged
    # A missing mailbox: NO [NONEXISTENT], as for every STATUS item.
    _, tagged = w.cmd("STATUS nosuch (MAILBOXID)")
    assert norm(tagged).endswith("NO [NONEXISTENT] Mailbox doesn't exist: nosuch"), tagged
    # A malformed item list is still a BAD.
    _, tagged = w.cmd("STATUS foo (MAILBOXID")
    assert " BAD " in tagged, tagged


def test_rename_keeps_and_delete_create_changes_the_mailboxid(connect):
    w = connect()
    foo = created_id(w, "foo")
    bar = created_id(w, "bar")
    # §4 example: the id follows the mailbox through RENAME.
    w.ok("RENAME foo renamed")
    assert status_id(w, "renamed") == foo
    assert status_id(w, "bar") == bar
    _, tagged = w.cmd("STATUS foo (MAILBOXID)")
    assert "NO [NONEXISTENT]" in tagged, tagged
    # The old name made again is another mailbox: never the old id (§4:
    # not reused, even after the first is gone).
    again = created_id(w, "foo")
    assert again not in (foo, bar)
    w.ok("DELETE renamed")
    recreated = created_id(w, "renamed")
    assert recreated not in (foo, bar, again)
    # Children move with a renamed parent and keep their ids too.
    child = created_id(w, "bar.child")
    w.ok("RENAME bar moved")
    assert status_id(w, "moved") == bar
    assert status_id(w, "moved.child") == child


def test_rename_inbox_gives_the_new_mailbox_a_new_id(connect):
    """RENAME INBOX moves the messages into a new mailbox (RFC 3501 §6.3.5):
    a new MAILBOXID for it, INBOX keeps its own (RFC 8474 §4), and the
    messages keep their EMAILIDs (they were moved)."""
    w = connect()
    for n in range(2):
        assert " OK " in w.append("INBOX", message(f"m{n}"))
    inbox = selected_id(w, "INBOX")
    before = ids(w)
    w.ok("UNSELECT")
    w.ok("RENAME INBOX old")
    old = status_id(w, "old")
    assert old != inbox
    assert status_id(w, "INBOX") == inbox
    assert selected_id(w, "old") == old
    assert ids(w) == before


def test_fetch_and_move_rfc_example(connect):
    """§5.3's example: EMAILID and THREADID are the same after MOVE."""
    w = connect()
    w.ok("CREATE foo")
    assert " OK " in w.append("INBOX", message("hello"))
    w.ok("SELECT INBOX")
    # C: 11 fetch 1 (emailid threadid) / S: * 1 FETCH (EMAILID (M...) THREADID (T...))
    first = ids(w)[1]
    (line,) = w.ok("UID FETCH 1 (EMAILID)")
    assert line == f"* 1 FETCH (UID 1 EMAILID ({first[0]}))", line
    untagged = w.ok("MOVE 1 foo")
    assert any(line.startswith("* OK [COPYUID ") for line in untagged), untagged
    assert "* 1 EXPUNGE" in untagged, untagged
    w.ok("SELECT foo")
    assert ids(w) == {1: first}
    # §5.1: a COPY pair has the same EMAILID; THREADID goes with it (§5.2).
    w.ok("COPY 1 INBOX")
    w.ok("SELECT INBOX")
    assert ids(w) == {1: first}
    # Other FETCH items around them keep their usual form.
    (line,) = w.ok("FETCH 1 (FLAGS EMAILID RFC822.SIZE THREADID)")
    assert re.fullmatch(rf"\* 1 FETCH \(FLAGS \(.*\) EMAILID \({first[0]}\) RFC822\.SIZE \d+ THREADID \({first[1]}\)\)",
                        line), line
    # A fresh message with the same bytes is another message: its own EMAILID.
    assert " OK " in w.append("INBOX", message("other"))
    got = ids(w)
    assert got[1] == first and got[2][0] != first[0]
    _, tagged = w.cmd("FETCH 1 (EMAILID")
    assert " BAD " in tagged, tagged


def test_threadid_follows_the_conversation(connect):
    w = connect()
    w.ok("CREATE Sent")
    root = message("plan", message_id="<root@a.example>")
    reply = message("Re: plan", message_id="<r1@b.example>", extra_headers="In-Reply-To: <root@A.EXAMPLE>\r\n")
    reply2 = message("Re: plan", message_id="<r2@a.example>",
                     extra_headers="In-Reply-To: <r1@b.example>\r\nReferences: <root@a.example>\r\n <r1@b.example>\r\n")
    other = message("unrelated", message_id="<x@c.example>")
    no_ids = b"From: a@b\r\nSubject: none\r\n\r\nno message-id\r\n"
    for m in (root, reply, other, no_ids):
        assert " OK " in w.append("INBOX", m)
    assert " OK " in w.append("Sent", reply2)
    w.ok("SELECT INBOX")
    got = ids(w)
    thread = got[1][1]
    assert got[2][1] == thread
    assert got[3][1] != thread
    # A message without any msg-id is a thread of its own, not NIL.
    assert got[4][1] not in (thread, got[3][1])
    assert len({e for e, _ in got.values()}) == 4
    # No value is both an EMAILID and a THREADID (§5.2).
    assert not {e for e, _ in got.values()} & {t for _, t in got.values()}
    # The conversation spans mailboxes.
    w.ok("EXAMINE Sent")
    assert ids(w)[1][1] == thread
    # §6: SEARCH THREADID / EMAILID.
    w.ok("SELECT INBOX")
    assert search_numbers(w.ok(f"SEARCH THREADID {thread}")) == [1, 2]
    assert search_numbers(w.ok(f"SEARCH EMAILID {got[3][0]}")) == [3]
    assert search_numbers(w.ok(f"UID SEARCH OR EMAILID {got[4][0]} THREADID {got[3][1]}")) == [3, 4]
    assert search_numbers(w.ok(f"SEARCH NOT THREADID {thread} UNDELETED")) == [3, 4]
    # Case-sensitive (§7) and exact: no match for another case or a prefix.
    assert search_numbers(w.ok(f"SEARCH EMAILID {got[3][0].upper()}")) == []
    assert search_numbers(w.ok(f"SEARCH THREADID {thread[:-1]}")) == []


def test_search_bad_objectid(connect):
    w = connect()
    assert " OK " in w.append("INBOX", message("x"))
    w.ok("SELECT INBOX")
    for bad in ("EMAILID M.1", "EMAILID", "THREADID", 'EMAILID "Mabc"', "THREADID " + "T" * 256,
                "EMAILID (M1)", "THREADID T=1"):
        untagged, tagged = w.cmd(f"SEARCH {bad}")
        assert untagged == [] and re.match(r"^\S+ BAD ", tagged), (bad, untagged, tagged)
    # 255 characters is a valid objectid that matches nothing.
    assert search_numbers(w.ok("SEARCH EMAILID " + "M" * 255)) == []
    # The session goes on.
    assert search_numbers(w.ok("SEARCH ALL")) == [1]


def test_two_sessions_and_a_restart_see_the_same_ids(srv, connect):
    a = connect()
    box = created_id(a, "Work")
    for n in range(3):
        assert " OK " in a.append("Work", message(f"m{n}"))
    a.ok("SELECT Work")
    first = ids(a)
    by_uid = ids(a, "UID FETCH 1:* (EMAILID THREADID)")
    # Another session, at the same time, as rev2: the same ids (OBJECTID
    # needs no ENABLE), and SEARCH answered with ESEARCH.
    b = connect()
    untagged, _ = b.cmd("ENABLE IMAP4rev2")
    assert untagged == ["* ENABLED IMAP4rev2"], untagged
    assert selected_id(b, "Work", "EXAMINE") == box
    assert ids(b) == first
    untagged, _ = b.cmd(f"SEARCH EMAILID {first[2][0]}", tag="s1")
    assert untagged == ['* ESEARCH (TAG "s1") ALL 2'], untagged
    # A message moved away by one session: the other sees it go and finds
    # it under the same EMAILID in the new mailbox.
    a.ok("CREATE Archive")
    a.ok("MOVE 3 Archive")
    assert "* 3 EXPUNGE" in b.ok("NOOP")
    b.ok("EXAMINE Archive")
    assert ids(b) == {1: first[3]}
    a.close()
    b.close()

    restart(srv)
    c = connect()
    assert status_id(c, "Work") == box
    assert selected_id(c, "Work") == box
    assert ids(c) == {1: first[1], 2: first[2]}
    assert ids(c, "UID FETCH 1:* (EMAILID THREADID)") == {1: by_uid[1], 2: by_uid[2]}


def test_imaplib(srv):
    m = imaplib.IMAP4(srv.host, srv.port)
    try:
        m.login("alice", "secret")
        typ, data = m.capability()
        assert typ == "OK" and b"OBJECTID" in data[0].split(), data
        typ, data = m.create("Lists")
        assert typ == "OK" and re.search(rb"\[MAILBOXID \(F[0-9a-f]{32}\)\]", data[0]), data
        typ, data = m.status("Lists", "(MAILBOXID)")
        assert typ == "OK" and re.fullmatch(rb"Lists \(MAILBOXID \(F[0-9a-f]{32}\)\)", data[0]), data
        typ, _ = m.append("Lists", None, None, message("via imaplib"))
        assert typ == "OK"
        m.select("Lists")
        typ, data = m.fetch("1", "(EMAILID THREADID)")
        assert typ == "OK"
        found = re.fullmatch(rb"1 \(EMAILID \((M[0-9a-f]{24})\) THREADID \((T[0-9a-f]{24})\)\)", data[0])
        assert found, data
        typ, data = m.search(None, "EMAILID", found.group(1).decode())
        assert typ == "OK" and data == [b"1"], data
        typ, data = m.uid("SEARCH", "THREADID", found.group(2).decode())
        assert typ == "OK" and data == [b"1"], data
        m.logout()
    finally:
        try:
            m.shutdown()
        except OSError:
            pass


def test_dovecot_made_maildir_and_disk_format(srv, connect):
    """A Maildir as Dovecot writes it: the MAILBOXID is the uidlist GUID and
    the EMAILID is derived from the file name (so it is known before Loft
    ever opened the folder). A COPY records the source's GUID as a
    dovecot-uidlist G field, the only change to the format."""
    listening = srv.log_text().count("Listening on")
    srv.stop()
    maildir = srv.maildir("alice")
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    guid = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    base = "1700000000.M12345P678.mail.example,S=60,W=63"
    body = b"From: a@b\nSubject: old\nMessage-ID: <old@x.example>\n\nhello\n"
    (maildir / "cur" / (base + ":2,S")).write_bytes(body)
    (maildir / "dovecot-uidlist").write_text(f"3 V1700000000 N2 G{guid}\n1 :{base}\n")
    srv.start()
    assert wait_for(lambda: srv.log_text().count("Listening on") >= 2 * listening)

    w = connect()
    assert selected_id(w, "INBOX") == "F" + guid
    expected = "M" + hashlib.sha256(b"email\0" + base.encode()).hexdigest()[:24]
    thread = "T" + hashlib.sha256(b"msgid\0old@x.example").hexdigest()[:24]
    assert ids(w) == {1: (expected, thread)}
    w.ok("CREATE Copies")
    w.ok("COPY 1 Copies")
    w.ok("SELECT Copies")
    assert ids(w) == {1: (expected, thread)}
    lines = (maildir / ".Copies" / "dovecot-uidlist").read_text().splitlines()
    assert re.fullmatch(r"3 V\d+ N\d+ G[0-9a-f]{32}", lines[0]), lines
    assert re.fullmatch(rf"1 G{re.escape(base)} :\d+\.M\d+P\d+\.[^ ]+", lines[1]), lines
    # The source folder's uidlist is as Dovecot wrote it.
    assert (maildir / "dovecot-uidlist").read_text().splitlines()[1] == f"1 :{base}"


def test_folder_made_by_another_program(srv, connect):
    """A Maildir++ folder without a dovecot-uidlist (maildirmake, procmail):
    the first look at it, even a read-only STATUS, fixes its MAILBOXID."""
    folder = srv.maildir("alice") / ".Bare"
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True)
    (folder / "maildirfolder").write_text("")
    (folder / "new" / "1700000000.M1P1.host").write_bytes(b"Subject: x\n\nbody\n")
    w = connect()
    first = status_id(w, "Bare")
    assert status_id(w, "Bare") == first
    assert selected_id(w, "Bare", "EXAMINE") == first
    assert selected_id(w, "Bare") == first
    expected = "M" + hashlib.sha256(b"email\0" + b"1700000000.M1P1.host").hexdigest()[:24]
    assert ids(w)[1][0] == expected


def test_dovecot_reads_the_copies(srv, connect, build_dir):
    """Dovecot opens a Maildir after Loft's COPY and MOVE and reports the
    same message GUIDs (the G field it reads) and the same mailbox GUIDs."""
    if shutil.which("doveadm") is None:
        pytest.skip("dovecot-core is not installed")
    w = connect()
    inbox = selected_id(w, "INBOX")
    for n in range(2):
        assert " OK " in w.append("INBOX", message(f"m{n}"))
    w.ok("CREATE Copies")
    w.ok("SELECT INBOX")
    w.ok("COPY 1 Copies")
    w.ok("MOVE 2 Copies")
    w.ok("SELECT Copies")
    copies = ids(w)
    w.close()
    srv.stop()

    dv = DovecotUser(temp_dir("objectid"), tool_binary(pathlib.Path(build_dir)))
    try:
        shutil.copytree(srv.maildir("alice"), dv.maildir)
        for path in [dv.maildir, *dv.maildir.rglob("*")]:
            os.chown(path, dv.uid, dv.gid)

        def guids(mailbox: str) -> list[str]:
            out = dv.doveadm("fetch", "guid", "mailbox", mailbox, "all").stdout.decode()
            return [line[len("guid: "):] for line in out.splitlines() if line.startswith("guid: ")]

        # Dovecot's own GUID of each copied message hashes to the EMAILID
        # Loft gave it, which is the source message's.
        copied = guids("Copies")
        assert ["M" + hashlib.sha256(b"email\0" + g.encode()).hexdigest()[:24] for g in copied] == \
            [copies[1][0], copies[2][0]], copied
        # The copy (a G field in Loft's uidlist) has the GUID of the
        # message it was copied from, which stayed in INBOX.
        assert guids("INBOX") == copied[:1]
        assert dv.status("INBOX")["guid"] == inbox[1:]
        assert dv.fetch("Copies").keys() == {1, 2}
    finally:
        dv.close()
