"""IMAP4rev2 (RFC 9051) beside IMAP4rev1: both are advertised, a session
switches with ENABLE IMAP4rev2, and rev1 and rev2 sessions on the same
mailbox at once each get their own protocol (\\Recent and RECENT, SEARCH
versus ESEARCH, LSUB, STATUS RECENT, mailbox-name encoding, SELECT's LIST
response, [HASCHILDREN])."""
import imaplib
import re

from imap_raw import connect, message, norm, srv  # noqa: F401


def enable_rev2(w):
    untagged, tagged = w.cmd("ENABLE IMAP4rev2")
    assert untagged == ["* ENABLED IMAP4rev2"], untagged
    assert norm(tagged).endswith("OK Enabled"), tagged


def flags_of(untagged: list[str]) -> dict[int, str]:
    out = {}
    for line in untagged:
        m = re.match(r"\* (\d+) FETCH \(.*FLAGS \(([^)]*)\)", line)
        if m:
            out[int(m.group(1))] = m.group(2)
    return out


def test_capability_lists_both_revisions(connect):
    w = connect(login=False)
    caps = re.search(r"\[CAPABILITY ([^\]]*)\]", w.greeting_line).group(1).split()
    assert caps[:2] == ["IMAP4rev1", "IMAP4rev2"], caps
    w.login()
    (line,) = w.ok("CAPABILITY")
    assert line.split()[2:4] == ["IMAP4rev1", "IMAP4rev2"], line
    # What rev2 folds into its base is there too.
    for name in ("ENABLE", "IDLE", "NAMESPACE", "UNSELECT", "UIDPLUS", "ESEARCH", "SEARCHRES", "SASL-IR",
                 "LIST-EXTENDED", "LIST-STATUS", "MOVE", "BINARY", "SPECIAL-USE", "STATUS=SIZE"):
        assert name in line.split(), name


def test_rev1_and_rev2_sessions_on_one_mailbox(connect):
    writer = connect()
    assert " OK " in writer.append("INBOX", message("first"))
    # The rev2 session selects first and so owns the message's \Recent,
    # but never mentions it.
    rev2 = connect()
    enable_rev2(rev2)
    sel2 = rev2.ok("SELECT INBOX")
    assert "* 1 EXISTS" in sel2
    assert not any("RECENT" in line or "UNSEEN" in line for line in sel2), sel2
    assert '* LIST (\\HasNoChildren) "." INBOX' in sel2, sel2
    rev1 = connect()
    sel1 = rev1.ok("SELECT INBOX")
    assert "* 0 RECENT" in sel1 and "* OK [UNSEEN 1] First unseen." in sel1, sel1
    assert not any(line.startswith("* LIST ") for line in sel1), sel1
    assert "\\Recent" not in flags_of(rev2.ok("FETCH 1 FLAGS"))[1]

    # A new message: the rev1 session syncs first and claims it.
    assert " OK " in writer.append("INBOX", message("second"))
    got1 = rev1.ok("NOOP")
    assert "* 2 EXISTS" in got1 and "* 1 RECENT" in got1, got1
    assert flags_of(rev1.ok("FETCH 2 FLAGS"))[2] == "\\Recent"
    got2 = rev2.ok("NOOP")
    assert got2 == ["* 2 EXISTS"], got2
    assert flags_of(rev2.ok("FETCH 1:* FLAGS")) == {1: "", 2: ""}

    # A flag change made by the rev1 session reaches the rev2 one without \Recent.
    rev1.ok("STORE 2 +FLAGS.SILENT (\\Flagged)")
    assert flags_of(rev2.ok("NOOP")) == {2: "\\Flagged"}
    assert flags_of(rev1.ok("FETCH 2 FLAGS")) == {2: "\\Flagged \\Recent"}

    # SEARCH: "* SEARCH" for rev1, "* ESEARCH" for rev2 (RFC 9051 §6.4.4).
    assert rev1.ok("SEARCH ALL") == ["* SEARCH 1 2"]
    assert rev1.ok("UID SEARCH FLAGGED") == ["* SEARCH 2"]
    untagged, tagged = rev2.cmd("SEARCH ALL", tag="s1")
    assert untagged == ['* ESEARCH (TAG "s1") ALL 1:2'] and norm(tagged) == "s1 OK Search completed"
    untagged, _ = rev2.cmd("UID SEARCH FLAGGED", tag="s2")
    assert untagged == ['* ESEARCH (TAG "s2") UID ALL 2'], untagged
    untagged, _ = rev2.cmd("SEARCH DELETED", tag="s3")
    assert untagged == ['* ESEARCH (TAG "s3")'], untagged
    # RECENT in rev1's STATUS; not a rev2 status item.
    assert any(re.search(r"RECENT \d+", line) for line in rev1.ok("STATUS INBOX (MESSAGES RECENT)"))
    untagged, tagged = rev2.cmd("STATUS INBOX (MESSAGES RECENT)", tag="st")
    assert untagged == [] and tagged == "st BAD Invalid status item RECENT", tagged
    (line,) = rev2.ok("STATUS INBOX (MESSAGES DELETED SIZE UIDNEXT)")
    assert re.fullmatch(r'\* STATUS INBOX \(MESSAGES 2 UIDNEXT 3 SIZE \d+ DELETED 0\)', line), line


def test_rfc9051_examples(connect):
    """The RFC's own exchanges, on a mailbox shaped to give the same answers."""
    w = connect()
    for n in range(1, 12):
        assert " OK " in w.append("INBOX", message(f"m{n}"))
    w.ok("SELECT INBOX")
    w.ok("STORE 2,10:11 +FLAGS.SILENT (\\Flagged)")
    w.close()

    c = connect()
    # §6.3.1: C: t2 ENABLE IMAP4rev2 / S: * ENABLED IMAP4rev2 / S: t2 OK
    untagged, tagged = c.cmd("ENABLE IMAP4rev2", tag="t2")
    assert untagged == ["* ENABLED IMAP4rev2"] and tagged.startswith("t2 OK"), (untagged, tagged)
    # §6.3.2: SELECT answers EXISTS, UIDVALIDITY, UIDNEXT, FLAGS,
    # PERMANENTFLAGS and LIST for the mailbox, then OK [READ-WRITE].
    untagged, tagged = c.cmd("SELECT INBOX", tag="A142")
    kinds = {re.sub(r"^\* (\d+ )?(OK \[)?([A-Z-]+).*$", r"\3", line) for line in untagged}
    assert {"EXISTS", "UIDVALIDITY", "UIDNEXT", "FLAGS", "PERMANENTFLAGS", "LIST"} <= kinds, untagged
    assert "RECENT" not in kinds and "UNSEEN" not in kinds, untagged
    assert tagged.startswith("A142 OK [READ-WRITE]"), tagged
    # §6.4.4: SEARCH RETURN (MIN COUNT) / RETURN () / a plain SEARCH.
    untagged, _ = c.cmd("SEARCH RETURN (MIN COUNT) FLAGGED", tag="A282")
    assert untagged == ['* ESEARCH (TAG "A282") MIN 2 COUNT 3'], untagged
    untagged, _ = c.cmd("SEARCH RETURN () FLAGGED", tag="A283")
    assert untagged == ['* ESEARCH (TAG "A283") ALL 2,10:11'], untagged
    untagged, _ = c.cmd("SEARCH FLAGGED", tag="A284")
    assert untagged == ['* ESEARCH (TAG "A284") ALL 2,10:11'], untagged
    # Appendix E: LSUB is gone; LIST (SUBSCRIBED) gives the subscriptions.
    c.ok("CREATE Archive")
    c.ok("SUBSCRIBE Archive")
    untagged, tagged = c.cmd('LSUB "" *', tag="l1")
    assert untagged == [] and tagged == "l1 BAD Error in IMAP command LSUB: Unknown command.", tagged
    assert '* LIST (\\Subscribed) "." Archive' in c.ok('LIST (SUBSCRIBED) "" *')


def test_rev2_mailbox_names_are_utf8(connect):
    rev2 = connect()
    enable_rev2(rev2)
    rev2.ok('CREATE "Größe"'.encode())
    listed = rev2.ok('LIST "" Gr*')
    assert listed == ['* LIST (\\HasNoChildren) "." {7}\r\nGröße'], listed
    sel = rev2.ok('SELECT "Größe"'.encode())
    assert '* LIST (\\HasNoChildren) "." {7}\r\nGröße' in sel, sel
    # A rev1 session sees the same mailbox in modified UTF-7 and may not
    # send raw 8-bit names.
    rev1 = connect()
    assert rev1.ok('LIST "" Gr*') == ['* LIST (\\HasNoChildren) "." Gr&APYA3w-e']
    rev1.ok("SELECT Gr&APYA3w-e")


def test_rev2_delete_of_noselect_parent_says_haschildren(srv, connect):
    w = connect()
    w.ok("CREATE a.b")
    untagged, tagged = w.cmd("DELETE a", tag="d1")
    assert tagged.startswith("d1 NO [NONEXISTENT]"), tagged
    enable_rev2(w)
    assert w.ok('LIST "" a') == ['* LIST (\\NonExistent \\HasChildren) "." a']
    untagged, tagged = w.cmd("DELETE a", tag="d2")
    assert tagged.startswith("d2 NO [HASCHILDREN] "), tagged
    assert (srv.maildir() / ".a.b").is_dir()
    # Creating what exists is [ALREADYEXISTS], as before.
    untagged, tagged = w.cmd("CREATE a.b", tag="c1")
    assert tagged.startswith("c1 NO [ALREADYEXISTS]"), tagged


def test_enable_bad_input(connect):
    pre = connect(login=False)
    untagged, tagged = pre.cmd("ENABLE IMAP4rev2", tag="p1")
    assert " BAD " in tagged, tagged
    w = connect()
    for arg in ("", '"IMAP4rev2"', "(IMAP4rev2)", "{9+}\r\nIMAP4rev2"):
        untagged, tagged = w.cmd(f"ENABLE {arg}".rstrip(), tag="b1")
        assert untagged == [] and tagged.startswith("b1 BAD "), (arg, untagged, tagged)
    # Unknown names are ignored (RFC 5161 §3.1): an empty ENABLED.
    untagged, tagged = w.cmd("ENABLE X-NONSENSE 42", tag="u1")
    assert untagged == ["* ENABLED"] and tagged.startswith("u1 OK"), (untagged, tagged)
    # The session is still rev1.
    w.ok("SELECT INBOX")
    assert w.ok("SEARCH ALL") == ["* SEARCH"]
    # Enabled twice: listed once.
    enable_rev2(w)
    untagged, _ = w.cmd("ENABLE IMAP4rev2 imap4rev2")
    assert untagged == ["* ENABLED"], untagged
    assert w.ok("SEARCH ALL") and w.ok("SEARCH ALL")[0].startswith('* ESEARCH (TAG "t')


def test_imaplib_enable_imap4rev2(srv):
    m = imaplib.IMAP4(srv.host, srv.port)
    try:
        assert "IMAP4REV2" in m.capabilities and "IMAP4REV1" in m.capabilities
        m.login("alice", "secret")
        typ, data = m.enable("IMAP4rev2")
        assert typ == "OK", data
        assert m.untagged_responses.pop("ENABLED", None) == [b"IMAP4rev2"]
        m.append("INBOX", None, None, message("via imaplib"))
        typ, data = m.select("INBOX")
        assert typ == "OK" and data == [b"1"]
        assert "RECENT" not in m.untagged_responses
        # imaplib knows only "* SEARCH"; the rev2 answer is ESEARCH.
        typ, data = m.search(None, "ALL")
        assert typ == "OK"
        typ, esearch = m.response("ESEARCH")
        assert esearch and re.fullmatch(rb'\(TAG "[A-Z0-9]+"\) ALL 1', esearch[-1]), esearch
        typ, data = m.fetch("1", "(FLAGS)")
        assert typ == "OK" and b"\\Recent" not in data[0], data
    finally:
        m.logout()


def idle_until_exists(w, tag: str) -> list[str]:
    """IDLE until an EXISTS is pushed, then DONE; every untagged line seen."""
    seen = []
    while True:
        line = w.read_response()
        seen.append(line)
        if line.endswith(" EXISTS"):
            break
    w.send_line("DONE")
    more, tagged = w.read_until_tagged(tag)
    assert norm(tagged) == f"{tag} OK Idle completed", tagged
    return seen + more


def test_idle_pushes_rev2_updates_without_recent(connect):
    rev2 = connect()
    enable_rev2(rev2)
    rev2.ok("SELECT INBOX")
    rev1 = connect()
    rev1.ok("SELECT INBOX")
    for w, tag in ((rev2, "i2"), (rev1, "i1")):
        w.send_line(f"{tag} IDLE")
        assert w.read_response() == "+ idling"
    writer = connect()
    assert " OK " in writer.append("INBOX", message("pushed"))
    pushed2 = idle_until_exists(rev2, "i2")
    pushed1 = idle_until_exists(rev1, "i1")
    assert "* 1 EXISTS" in pushed2 and not any("RECENT" in line for line in pushed2), pushed2
    assert "* 1 EXISTS" in pushed1, pushed1
    assert "\\Recent" not in flags_of(rev2.ok("FETCH 1 FLAGS"))[1]
    # Exactly one session owns the new message's \Recent; only rev1 may say so.
    assert rev1.ok("SEARCH RECENT") in (["* SEARCH 1"], ["* SEARCH"])
