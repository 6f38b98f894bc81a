"""UIDONLY (RFC 9586): after ENABLE UIDONLY a session neither sends nor
takes message sequence numbers. Commands that take them answer BAD
[UIDREQUIRED] and change nothing, FETCH data comes as "* <uid> UIDFETCH",
expunges as VANISHED; EXISTS is still sent. A session that did not enable
it, on the same mailbox at the same time, keeps sequence numbers."""
import imaplib
import re

from imap_raw import connect, message, norm, srv  # noqa: F401

UIDREQUIRED = "BAD [UIDREQUIRED]"


def enable_uidonly(w):
    untagged, tagged = w.cmd("ENABLE UIDONLY")
    assert untagged == ["* ENABLED UIDONLY"], untagged
    assert norm(tagged).endswith("OK Enabled"), tagged


def fill(w, count: int, mailbox: str = "INBOX"):
    for i in range(count):
        assert " OK " in w.append(mailbox, message(f"message {i + 1}"))


def uidonly_session(connect, mailbox: str = "INBOX"):
    w = connect()
    enable_uidonly(w)
    w.ok(f"SELECT {mailbox}")
    return w


def test_capability_and_enable(connect):
    w = connect()
    (caps,) = w.ok("CAPABILITY")
    assert "UIDONLY" in caps.split(), caps
    enable_uidonly(w)
    # RFC 5161 §3.1: ENABLED lists only what this command turned on.
    untagged, tagged = w.cmd("ENABLE UIDONLY")
    assert untagged == ["* ENABLED"] and " OK " in tagged, (untagged, tagged)
    # Not before login: UIDONLY is not even advertised there.
    pre = connect(login=False)
    assert "UIDONLY" not in pre.greeting_line


def test_sequence_number_commands_are_refused_and_change_nothing(connect):
    writer = connect()
    fill(writer, 3)
    writer.ok("CREATE Archive")
    writer.ok("SELECT INBOX")
    w = uidonly_session(connect)
    # RFC 9586 §3: every command form that takes message numbers.
    for line in ("FETCH 1 (FLAGS)", "FETCH 1:* FAST", "STORE 1 +FLAGS (\\Deleted)", "STORE 1:* FLAGS.SILENT (\\Seen)",
                 "COPY 1:* Archive", "MOVE 1 Archive", "SEARCH ALL", "SEARCH 1:2", "SORT (DATE) UTF-8 ALL",
                 "THREAD REFERENCES UTF-8 ALL"):
        untagged, tagged = w.cmd(line, tag="q")
        assert tagged.startswith("q " + UIDREQUIRED), (line, tagged)
        assert untagged == [], (line, untagged)
    # Sequence-set search keys are message numbers too, in the UID forms.
    for line in ("UID SEARCH 1:2", "UID SEARCH NOT 3", "UID SEARCH OR 1 DELETED", "UID SEARCH (UNSEEN 2:*)",
                 "UID SEARCH RETURN (COUNT) 1", "UID SORT (DATE) UTF-8 1:*", "UID THREAD REFERENCES UTF-8 2"):
        untagged, tagged = w.cmd(line, tag="k")
        assert tagged.startswith("k " + UIDREQUIRED), (line, tagged)
        assert untagged == [], (line, untagged)
    # Nothing was stored, copied or moved.
    flags = writer.ok("FETCH 1:* (FLAGS)")
    assert all("\\Deleted" not in f and "\\Seen" not in f for f in flags), flags
    assert writer.ok("STATUS Archive (MESSAGES)") == ["* STATUS Archive (MESSAGES 0)"]
    assert writer.ok("STATUS INBOX (MESSAGES)") == ["* STATUS INBOX (MESSAGES 3)"]
    # The UID forms work.
    assert w.ok("UID SEARCH ALL") == ["* SEARCH 1 2 3"]
    assert w.ok("UID SEARCH UID 2:*") == ["* SEARCH 2 3"]
    untagged, tagged = w.cmd("UID COPY 1 Archive")
    assert "OK [COPYUID " in tagged and untagged == [], (untagged, tagged)
    # UID MOVE: COPYUID, then the moved message as VANISHED (RFC 9586 §3.2).
    got = w.ok("UID MOVE 2 Archive")
    assert got[0].startswith("* OK [COPYUID ") and got[1:] == ["* VANISHED 2"], got
    # REPLACE (RFC 8508) names the message it replaces by number.
    w.send(b"r REPLACE 1 INBOX {5+}\r\nhello\r\n")
    untagged, tagged = w.read_until_tagged("r")
    assert tagged.startswith("r " + UIDREQUIRED) and untagged == [], (untagged, tagged)
    status = [line for line in writer.ok("STATUS INBOX (MESSAGES)") if line.startswith("* STATUS")]
    assert status == ["* STATUS INBOX (MESSAGES 2)"], status


def test_uid_fetch_answers_uidfetch(connect):
    writer = connect()
    fill(writer, 3)
    w = uidonly_session(connect)
    w.ok("UID STORE 2 +FLAGS.SILENT (\\Flagged)")
    # RFC 9586 §3.3: the number in UIDFETCH is the UID, so no UID item
    # unless the client asks for it.
    assert w.ok("UID FETCH 1:* (FLAGS)") == [
        "* 1 UIDFETCH (FLAGS (\\Recent))", "* 2 UIDFETCH (FLAGS (\\Flagged \\Recent))",
        "* 3 UIDFETCH (FLAGS (\\Recent))"]
    assert w.ok("UID FETCH 2 (UID RFC822.SIZE)")[0].startswith("* 2 UIDFETCH (UID 2 RFC822.SIZE ")
    # RFC 9586 §3.3's second example: the UID item where the client put it.
    assert w.ok("UID FETCH 1:2 (FLAGS UID)") == [
        "* 1 UIDFETCH (FLAGS (\\Recent) UID 1)", "* 2 UIDFETCH (FLAGS (\\Flagged \\Recent) UID 2)"]
    assert w.ok("UID FETCH 3:* (FLAGS)") == ["* 3 UIDFETCH (FLAGS (\\Recent))"]
    body = w.ok("UID FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert body[0].startswith("* 1 UIDFETCH (BODY[HEADER.FIELDS (SUBJECT)] {"), body
    assert "Subject: message 1" in body[0]
    # A FETCH that sets \Seen reports it in the same UIDFETCH form.
    seen = w.ok("UID FETCH 3 (BODY[TEXT])")
    assert seen[0].startswith("* 3 UIDFETCH (") and "FLAGS (\\Seen \\Recent)" in seen[0], seen
    assert not any(re.match(r"\* \d+ FETCH ", line) for line in body + seen)


def test_uid_store_echoes_uidfetch(connect):
    writer = connect()
    fill(writer, 2)
    w = uidonly_session(connect)
    assert w.ok("UID STORE 2 +FLAGS (\\Answered)") == ["* 2 UIDFETCH (FLAGS (\\Answered \\Recent))"]
    assert w.ok("UID STORE 1 +FLAGS.SILENT (\\Seen)") == []
    # With CONDSTORE the echo carries MODSEQ, still without the UID item.
    w.ok("ENABLE CONDSTORE")
    (echo,) = w.ok("UID STORE 1 -FLAGS (\\Seen)")
    assert re.fullmatch(r"\* 1 UIDFETCH \(MODSEQ \(\d+\) FLAGS \(\\Recent\)\)", echo), echo


def test_uidonly_and_normal_session_on_one_mailbox(connect):
    writer = connect()
    fill(writer, 4)
    plain = connect()
    plain.ok("SELECT INBOX")
    w = uidonly_session(connect)

    # An expunge by the plain session: VANISHED with UIDs for the UIDONLY
    # session (RFC 9586 §3.2), EXPUNGE with sequence numbers for its own.
    plain.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    got = plain.ok("EXPUNGE")
    assert [line for line in got if "EXPUNGE" in line] == ["* 2 EXPUNGE"], got
    got = w.ok("NOOP")
    assert got == ["* VANISHED 2"], got

    # An expunge by the UIDONLY session (UID EXPUNGE).
    w.ok("UID STORE 3:4 +FLAGS.SILENT (\\Deleted)")
    got = w.ok("UID EXPUNGE 3:4")
    assert got == ["* VANISHED 3:4"], got
    got = [line for line in plain.ok("NOOP") if "EXPUNGE" in line]
    assert got == ["* 3 EXPUNGE", "* 2 EXPUNGE"] or got == ["* 2 EXPUNGE", "* 2 EXPUNGE"], got

    # RFC 9586 §3.4's example: EXPUNGE (no message numbers in it) answers
    # VANISHED in the UIDONLY session.
    w.ok("UID STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert w.ok("EXPUNGE") == ["* VANISHED 1"]
    assert [line for line in plain.ok("NOOP") if "EXPUNGE" in line] == ["* 1 EXPUNGE"]
    assert " OK " in writer.append("INBOX", message("refill"))
    plain.ok("NOOP")
    w.ok("NOOP")
    # A flag change by the plain session reaches the UIDONLY one as UIDFETCH.
    plain.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    assert w.ok("NOOP") == ["* 5 UIDFETCH (FLAGS (\\Flagged))"]
    # New mail: EXISTS for both (a count, not a message number).
    assert " OK " in writer.append("INBOX", message("new"))
    assert "* 2 EXISTS" in w.ok("NOOP")
    assert "* 2 EXISTS" in plain.ok("NOOP")
    assert w.ok("UID SEARCH ALL") == ["* SEARCH 5 6"]
    assert plain.ok("SEARCH ALL") == ["* SEARCH 1 2"]


def test_idle_pushes_uidfetch_and_vanished(connect):
    writer = connect()
    fill(writer, 2)
    other = connect()
    other.ok("SELECT INBOX")
    w = uidonly_session(connect)
    w.send_line("i1 IDLE")
    assert w.read_response() == "+ idling"
    other.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    other.ok("STORE 2 +FLAGS.SILENT (\\Answered)")
    other.ok("EXPUNGE")
    seen = []
    while not any(line.startswith("* VANISHED") for line in seen) or \
            not any("UIDFETCH" in line for line in seen):
        seen.append(w.read_response())
    w.send_line("DONE")
    more, tagged = w.read_until_tagged("i1")
    assert " OK " in tagged
    lines = seen + more
    assert "* VANISHED 1" in lines and "* 2 UIDFETCH (FLAGS (\\Answered))" in lines, lines
    assert not any(re.match(r"\* \d+ (EXPUNGE|FETCH)\b", line) for line in lines), lines


def test_select_in_uidonly_session(connect):
    writer = connect()
    fill(writer, 3)
    writer.ok("SELECT INBOX")
    writer.ok("STORE 1 +FLAGS.SILENT (\\Seen)")
    w = connect()
    enable_uidonly(w)
    sel = w.ok("SELECT INBOX")
    # The UNSEEN code names a sequence number: not sent (RFC 9586 §3).
    assert "* 3 EXISTS" in sel and not any("UNSEEN" in line for line in sel), sel
    plain = connect()
    assert "* OK [UNSEEN 2] First unseen." in plain.ok("SELECT INBOX")


def test_qresync_select_in_uidonly_session(connect):
    writer = connect()
    fill(writer, 3)
    writer.ok("SELECT INBOX")
    w = connect()
    w.ok("ENABLE QRESYNC")
    enable_uidonly(w)
    sel = w.ok("SELECT INBOX")
    validity = re.search(r"UIDVALIDITY (\d+)", " ".join(sel)).group(1)
    modseq = int(re.search(r"HIGHESTMODSEQ (\d+)", " ".join(sel)).group(1))
    w.ok("UNSELECT")
    writer.ok("STORE 2 +FLAGS.SILENT (\\Flagged)")
    writer.ok("STORE 3 +FLAGS.SILENT (\\Deleted)")
    writer.ok("EXPUNGE")
    sel = w.ok(f"SELECT INBOX (QRESYNC ({validity} {modseq} 1:3))")
    assert "* VANISHED (EARLIER) 3" in sel, sel
    changed = [line for line in sel if "UIDFETCH" in line]
    assert len(changed) == 1 and re.fullmatch(r"\* 2 UIDFETCH \(FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)", changed[0]), sel
    assert not any(re.match(r"\* \d+ FETCH\b", line) for line in sel), sel
    # seq-match-data pairs sequence numbers with UIDs.
    w.ok("UNSELECT")
    untagged, tagged = w.cmd(f"SELECT INBOX (QRESYNC ({validity} {modseq} 1:3 (1:2 1:2)))", tag="s")
    assert tagged.startswith("s " + UIDREQUIRED), tagged


def test_saved_result_is_not_a_sequence_number(connect):
    """The saved result "$" (RFC 5182) holds UIDs: allowed."""
    writer = connect()
    fill(writer, 3)
    w = uidonly_session(connect)
    untagged, tagged = w.cmd("UID SEARCH RETURN (SAVE) UID 2:3")
    assert " OK " in tagged and untagged == [], (untagged, tagged)
    assert w.ok("UID SEARCH $") == ["* SEARCH 2 3"]
    assert w.ok("UID FETCH $ (FLAGS)") == ["* 2 UIDFETCH (FLAGS (\\Recent))", "* 3 UIDFETCH (FLAGS (\\Recent))"]


def test_imaplib_client(srv, connect):
    writer = connect()
    fill(writer, 2)
    m = imaplib.IMAP4(srv.host, srv.port)
    try:
        m.login("alice", "secret")
        typ, _ = m.enable("UIDONLY")
        assert typ == "OK" and m.response("ENABLED") == ("ENABLED", [b"UIDONLY"])
        m.select("INBOX")
        typ, data = m.uid("SEARCH", "ALL")
        assert typ == "OK" and data == [b"1 2"], data
        typ, _ = m.uid("FETCH", "1:2", "(RFC822.SIZE)")
        assert typ == "OK"
        typ, data = m.response("UIDFETCH")
        assert [d.split()[0] for d in data] == [b"1", b"2"], data
        assert all(b"RFC822.SIZE" in d for d in data), data
        try:
            m.fetch("1", "(FLAGS)")
            raise AssertionError("FETCH with a sequence number was accepted")
        except imaplib.IMAP4.error as e:
            assert "[UIDREQUIRED]" in str(e), e
    finally:
        m.logout()


def test_notify_new_message_and_flag_change(connect):
    """NOTIFY (RFC 5465) pushes for the selected mailbox in the UIDFETCH
    form too; a UID asked for in the fetch-att list stays in it."""
    w = uidonly_session(connect)
    untagged, tagged = w.cmd("NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) "
                             "MessageExpunge FlagChange))")
    assert " OK " in tagged, (untagged, tagged)
    writer = connect()
    assert " OK " in writer.append("INBOX", message("pushed"))
    pushed = []
    while not pushed or "UIDFETCH" not in pushed[-1]:
        pushed.append(w.read_response())
    assert "* 1 EXISTS" in pushed, pushed
    assert pushed[-1].startswith("* 1 UIDFETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {"), pushed
    assert "Subject: pushed" in pushed[-1]
    writer.ok("SELECT INBOX")
    writer.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    line = w.read_response()
    assert line == "* 1 UIDFETCH (FLAGS (\\Flagged \\Recent))", line
    writer.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    writer.ok("EXPUNGE")
    pushed = [w.read_response()]
    while not pushed[-1].startswith("* VANISHED"):
        pushed.append(w.read_response())
    assert pushed[-1] == "* VANISHED 1", pushed


def test_hibernated_idle_session_wakes_with_uidonly_responses(build_dir, tmp_path):
    """A UIDONLY session that hibernated in IDLE (imap_hibernate_timeout)
    is rebuilt with UIDONLY still on: VANISHED and UIDFETCH."""
    from imap_raw import Wire
    from imapd_util import ImapServer
    config = ("imap_hibernate_timeout = 1s\nmail_debug = yes\nimap_idle_notify_interval = 10 mins\n")
    with ImapServer(build_dir, tmp_path, extra_config=config) as server:
        writer = Wire.connect(server.port, server.host)
        writer.greeting()
        writer.login()
        fill(writer, 3)
        writer.ok("SELECT INBOX")
        w = Wire.connect(server.port, server.host)
        w.greeting()
        w.login()
        enable_uidonly(w)
        w.ok("SELECT INBOX")
        w.send_line("i IDLE")
        assert w.read_response() == "+ idling"
        server.wait_log("IDLE session hibernated", 1)
        writer.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
        writer.ok("STORE 3 +FLAGS.SILENT (\\Answered)")
        writer.ok("EXPUNGE")
        lines = []
        while not (any(line.startswith("* VANISHED") for line in lines)
                   and any("UIDFETCH" in line for line in lines)):
            lines.append(w.read_response())
        assert "* VANISHED 2" in lines and "* 3 UIDFETCH (FLAGS (\\Answered))" in lines, lines
        assert not any(re.match(r"\* \d+ (EXPUNGE|FETCH)\b", line) for line in lines), lines
        w.send_line("DONE")
        _, tagged = w.read_until_tagged("i")
        assert " OK " in tagged
        untagged, tagged = w.cmd("FETCH 1 (FLAGS)", tag="f")
        assert tagged.startswith("f " + UIDREQUIRED), tagged
        w.close()
        writer.close()
