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
    # STATUS RECENT: rev2 deprecates it (RFC 9051 Appendix E) but a rev2
    # session that asks is answered, as a rev1 one is.
    assert any(re.search(r"RECENT \d+", line) for line in rev1.ok("STATUS INBOX (MESSAGES RECENT)"))
    (line,) = rev2.ok("STATUS INBOX (MESSAGES RECENT)")
    assert re.fullmatch(r"\* STATUS INBOX \(MESSAGES 2 RECENT \d+\)", line), line
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
    # Appendix E: LIST (SUBSCRIBED) replaces the deprecated LSUB, which is
    # still answered.
    c.ok("CREATE Archive")
    c.ok("SUBSCRIBE Archive")
    assert '* LIST (\\Subscribed) "." Archive' in c.ok('LIST (SUBSCRIBED) "" *')
    assert c.ok('LSUB "" *') == ['* LSUB () "." Archive']


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


# --- RFC 9051 Appendix E, item by item (docs/imap-rev2.md) --------------------

def test_unsolicited_fetch_carries_uid_in_rev2_only(connect):
    """Appendix E item 21 (§7.5.2): every unsolicited FETCH in a rev2 session
    carries UID; a rev1 session's stays as RFC 3501 and Dovecot have it."""
    writer = connect()
    for subject in ("one", "two"):
        assert " OK " in writer.append("INBOX", message(subject))
    rev2 = connect()
    enable_rev2(rev2)
    rev2.ok("SELECT INBOX")
    rev1 = connect()
    rev1.ok("SELECT INBOX")
    writer.ok("SELECT INBOX")
    writer.ok("STORE 2 +FLAGS.SILENT (\\Seen)")
    assert rev2.ok("NOOP") == ["* 2 FETCH (UID 2 FLAGS (\\Seen))"]
    assert rev1.ok("NOOP") == ["* 2 FETCH (FLAGS (\\Seen))"]
    # During IDLE too.
    rev2.send_line("i IDLE")
    assert rev2.read_response() == "+ idling"
    writer.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    assert rev2.read_response() == "* 1 FETCH (UID 1 FLAGS (\\Flagged))"
    rev2.send_line("DONE")
    _, tagged = rev2.read_until_tagged("i")
    assert norm(tagged) == "i OK Idle completed", tagged


def test_check_is_removed_in_rev2(connect):
    """Appendix E item 17: IMAP4rev2 removed CHECK (clients use NOOP); a rev1
    session keeps it."""
    rev1 = connect()
    rev1.ok("SELECT INBOX")
    _, tagged = rev1.cmd("CHECK", tag="c1")
    assert norm(tagged) == "c1 OK Check completed", tagged
    rev2 = connect()
    enable_rev2(rev2)
    rev2.ok("SELECT INBOX")
    untagged, tagged = rev2.cmd("CHECK", tag="c2")
    assert untagged == [] and tagged == "c2 BAD Error in IMAP command CHECK: Unknown command.", (untagged, tagged)
    _, tagged = rev2.cmd("NOOP", tag="n2")
    assert norm(tagged) == "n2 OK NOOP completed", tagged


def test_deprecated_lsub_answered_in_both_revisions(connect):
    """Appendix E deprecates LSUB for LIST (SUBSCRIBED); both sessions get
    the same LSUB answer, names in each session's own encoding."""
    rev1 = connect()
    rev1.ok("CREATE Archiv.2026")
    rev1.ok('CREATE "Gr&APYA3w-e"')
    rev1.ok("SUBSCRIBE Archiv.2026")
    rev1.ok('SUBSCRIBE "Gr&APYA3w-e"')
    rev2 = connect()
    enable_rev2(rev2)
    # The unsubscribed parent of a subscribed name is \\Noselect in LSUB
    # (RFC 3501 §6.3.9) in both revisions; LIST in rev2 says \\NonExistent.
    assert rev1.ok('LSUB "" Archiv%') == ['* LSUB (\\Noselect) "." Archiv']
    assert rev2.ok('LSUB "" Archiv%') == ['* LSUB (\\Noselect) "." Archiv']
    assert rev1.ok('LSUB "" Gr*') == ['* LSUB () "." Gr&APYA3w-e']
    assert rev2.ok('LSUB "" Gr*') == ['* LSUB () "." {7}\r\nGröße']
    assert rev2.ok('LIST (SUBSCRIBED) "" Gr*') == ['* LIST (\\Subscribed) "." {7}\r\nGröße']


def test_rev2_status_size_deleted_and_list_status(connect):
    """STATUS=SIZE (RFC 8438) and STATUS DELETED are rev2 base (§6.3.11),
    in STATUS and in LIST RETURN (STATUS) (§6.3.9.7); rev1 gets the same."""
    w = connect()
    w.ok("CREATE Box")
    sizes = []
    for n in range(3):
        m = message(f"s{n}", body="x" * (10 * n) + "\r\n")
        sizes.append(len(m))
        assert " OK " in w.append("Box", m, flags="\\Deleted" if n == 1 else "")
    want = f"MESSAGES 3 SIZE {sum(sizes)} DELETED 1"
    rev2 = connect()
    enable_rev2(rev2)
    for session in (w, rev2):
        assert session.ok("STATUS Box (MESSAGES SIZE DELETED)") == [f"* STATUS Box ({want})"]
        listed = session.ok('LIST "" Box RETURN (STATUS (MESSAGES SIZE DELETED))')
        # An extended LIST shows children only when asked (RETURN (CHILDREN)).
        assert listed == ['* LIST () "." Box', f"* STATUS Box ({want})"], listed
    # Unknown status items are BAD in either revision.
    untagged, tagged = rev2.cmd("STATUS Box (MESSAGES BOGUS)", tag="sb")
    assert untagged == [] and tagged.startswith("sb BAD "), tagged


def test_rev2_savedate(connect):
    """SAVEDATE (RFC 8514) in a rev2 session: FETCH SAVEDATE and SEARCH
    SAVEDBEFORE/SAVEDON/SAVEDSINCE, answered as ESEARCH."""
    w = connect()
    w.append("INBOX", message("saved"), date="01-Jan-2001 10:00:00 +0000")
    rev2 = connect()
    enable_rev2(rev2)
    rev2.ok("SELECT INBOX")
    (line,) = rev2.ok("FETCH 1 (SAVEDATE INTERNALDATE)")
    m = re.fullmatch(r'\* 1 FETCH \(SAVEDATE "(\d+-\w+-\d{4}) [^"]+" INTERNALDATE "01-Jan-2001 10:00:00 \+0000"\)', line)
    assert m, line
    saved_day = m.group(1).lstrip("0")
    for key, want in ((f"SAVEDON {saved_day}", " ALL 1"), (f"SAVEDSINCE {saved_day}", " ALL 1"),
                      (f"SAVEDBEFORE {saved_day}", ""), ("SAVEDBEFORE 1-Jan-2001", "")):
        untagged, tagged = rev2.cmd(f"SEARCH {key}", tag="sd")
        assert untagged == [f'* ESEARCH (TAG "sd"){want}'] and tagged.startswith("sd OK"), (key, untagged)
    # The rev1 session sees the same date in its own SEARCH form.
    w.ok("SELECT INBOX")
    assert w.ok(f"SEARCH SAVEDON {saved_day}") == ["* SEARCH 1"]
    untagged, tagged = rev2.cmd("SEARCH SAVEDON 32-Jan-2001", tag="bd")
    assert untagged == [] and tagged.startswith("bd BAD "), tagged


def test_rev2_base_items_on_the_wire(connect):
    """Appendix E items a rev2 client may use without further ENABLE:
    UID EXPUNGE, BINARY APPEND and FETCH, body-fld-lang, the $-keywords,
    NAMESPACE, [CLOSED], [NONEXISTENT], [TRYCREATE], CAPABILITY after ENABLE."""
    c = connect()
    (before,) = c.ok("CAPABILITY")
    enable_rev2(c)
    # §7.2.2: ENABLE does not change the list.
    assert c.ok("CAPABILITY") == [before]
    assert c.ok("NAMESPACE") == ['* NAMESPACE (("" ".")) NIL NIL']
    # §6.3.12 / RFC 3516: APPEND with a literal8 (NUL allowed).
    raw = b"Subject: bin\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\nA\x00B\r\n"
    c.send(f"b1 APPEND INBOX ~{{{len(raw)}+}}\r\n".encode() + raw + b"\r\n")
    untagged, tagged = c.read_until_tagged("b1")
    assert tagged.startswith("b1 OK [APPENDUID "), tagged
    lang = (b"Subject: lang\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Language: en, de\r\n"
            b"Content-Transfer-Encoding: x-unheard-of\r\n\r\nhallo\r\n")
    assert " OK " in c.append("INBOX", lang)
    sel = c.ok("SELECT INBOX")
    assert "* 2 EXISTS" in sel
    (line,) = c.ok("FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])")
    assert line == "* 1 FETCH (BINARY.SIZE[1] 5 BINARY[1] ~{5}\r\nA\x00B\r\n)", line
    # §7.4.2 body-fld-lang: a list of languages.
    (line,) = c.ok("FETCH 2 BODYSTRUCTURE")
    assert '"x-unheard-of" 7 1 NIL NIL ("en" "de") NIL' in line, line
    # Deprecated but still answered: FETCH RFC822.HEADER (RFC822.SIZE is
    # kept) and the SEARCH keys RECENT/NEW/OLD, in ESEARCH form.
    (line,) = c.ok("FETCH 2 (RFC822.SIZE RFC822.HEADER)")
    assert line.startswith(f"* 2 FETCH (RFC822.SIZE {len(lang)} RFC822.HEADER {{"), line
    for key in ("RECENT", "NEW", "OLD"):
        untagged, tagged = c.cmd(f"SEARCH {key}", tag="dk")
        assert len(untagged) == 1 and untagged[0].startswith('* ESEARCH (TAG "dk")'), (key, untagged)
    # §7.1 UNKNOWN-CTE: BINARY of a part whose encoding is unknown.
    untagged, tagged = c.cmd("FETCH 2 BINARY.PEEK[1]", tag="u1")
    assert tagged.startswith("u1 NO [UNKNOWN-CTE] "), tagged
    # §2.3.2: the keywords RFC 9051 names can be set and are announced.
    untagged, _ = c.cmd("STORE 1 +FLAGS ($Forwarded $MDNSent $Junk $NotJunk $Phishing \\Deleted)")
    assert any(line.startswith("* OK [PERMANENTFLAGS (") and "$Phishing" in line and "\\*" in line
               for line in untagged), untagged
    # UID EXPUNGE is rev2 base (§6.4.9): only the given UIDs go.
    c.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    assert c.ok("UID EXPUNGE 1") == ["* 1 EXPUNGE"]
    untagged, _ = c.cmd("UID SEARCH ALL", tag="us")
    assert untagged == ['* ESEARCH (TAG "us") UID ALL 2'], untagged
    # §6.4.4: RETURN (SAVE) alone sends no ESEARCH; §6.3.11: STATUS of the
    # selected mailbox is answered.
    assert c.ok("SEARCH RETURN (SAVE) ALL") == []
    assert c.ok("FETCH $ (UID)") == ["* 1 FETCH (UID 2)"]
    assert c.ok("STATUS INBOX (MESSAGES)") == ["* STATUS INBOX (MESSAGES 1)"]
    # §7.1: [CLOSED] when a new SELECT replaces the selected mailbox,
    # [NONEXISTENT] for a missing one, [TRYCREATE] for COPY to one.
    c.ok("CREATE Other")
    untagged, tagged = c.cmd("EXAMINE Other", tag="x1")
    assert untagged[0] == "* OK [CLOSED] Previous mailbox closed." and tagged.startswith("x1 OK [READ-ONLY]")
    untagged, tagged = c.cmd("SELECT Nowhere", tag="x2")
    assert untagged == ["* OK [CLOSED] Previous mailbox closed."] and tagged.startswith("x2 NO [NONEXISTENT]")
    c.ok("SELECT INBOX")
    untagged, tagged = c.cmd("COPY 1 Nowhere", tag="x3")
    assert tagged.startswith("x3 NO [TRYCREATE]"), tagged


def literal_server(build_dir, tmp_path, extra):
    from imapd_util import ImapServer
    return ImapServer(build_dir, tmp_path, extra_config=extra, tls=False)


def wire_for(server, rev2: bool):
    from imap_raw import Wire
    w = Wire.connect(server.port, server.host)
    w.greeting()
    w.login()
    if rev2:
        enable_rev2(w)
    return w


def test_rev2_accepts_non_synchronizing_literals_without_literal_plus(build_dir, tmp_path):
    """RFC 9051 §4.3 folds LITERAL- into the base: a rev2 session may send
    {n+} up to 4096 octets even when the list advertises neither LITERAL+
    nor LITERAL- (here replaced by imap_capability)."""
    caps = "IMAP4rev1 IMAP4rev2 ENABLE IDLE UIDPLUS"
    with literal_server(build_dir, tmp_path, f"imap_capability = {caps}\n") as server:
        w = wire_for(server, rev2=True)
        (line,) = w.ok("CAPABILITY")
        assert "LITERAL" not in line, line
        untagged, tagged = w.cmd("SELECT {5+}\r\nINBOX", tag="s1")
        assert tagged.startswith("s1 OK [READ-WRITE]"), tagged
        head = b"Subject: four k\r\n\r\n"
        body = head + b"y" * (4096 - len(head))
        w.send(f"a1 APPEND INBOX {{{len(body)}+}}\r\n".encode() + body + b"\r\n")
        untagged, tagged = w.read_until_tagged("a1")
        assert tagged.startswith("a1 OK [APPENDUID "), tagged
        assert "* 1 EXISTS" in untagged


def test_literal_minus_limit_in_both_revisions(build_dir, tmp_path):
    """imap_literal_minus = yes: {n+} up to 4096 is read at once; a larger
    one ends the connection with BYE [TOOBIG] (RFC 7888 §5), in a rev1 and a
    rev2 session alike; a synchronising literal of any size still works."""
    with literal_server(build_dir, tmp_path, "imap_literal_minus = yes\n") as server:
        for rev2 in (False, True):
            w = wire_for(server, rev2)
            (line,) = w.ok("CAPABILITY")
            assert " LITERAL- " in line + " " and "LITERAL+" not in line, line
            small = message("small")
            w.send(f"a1 APPEND INBOX {{{len(small)}+}}\r\n".encode() + small + b"\r\n")
            assert w.read_until_tagged("a1")[1].startswith("a1 OK ")
            big = message("big", body="z" * 6000)
            w.send_line(f"a2 APPEND INBOX {{{len(big)}}}")
            assert w.read_response().startswith("+ ")
            w.send(big + b"\r\n")
            assert w.read_until_tagged("a2")[1].startswith("a2 OK ")
            w.send(f"a3 APPEND INBOX {{{len(big)}+}}\r\n".encode() + big + b"\r\n")
            rest = w.expect_closed()
            assert any(line.startswith("* BYE [TOOBIG] ") for line in rest), rest


GLOBAL_MESSAGE = (b"From: a@example.org\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
                  b"Content-Type: multipart/mixed; boundary=xx\r\n\r\n"
                  b"--xx\r\nContent-Type: text/plain\r\n\r\nsee below\r\n"
                  b"--xx\r\nContent-Type: message/global\r\n\r\n"
                  b"From: c@example.org\r\nSubject: inner\r\n\r\ninner body\r\n"
                  b"--xx--\r\n")


def test_message_global_is_encapsulated_in_rev2_only(connect):
    """RFC 9051 §9 media-message includes "GLOBAL": a rev2 session describes
    a message/global part as it describes message/rfc822 (envelope, body,
    lines) and numbers sections through it (§6.4.5.1); a rev1 session keeps
    RFC 3501's grammar, where it is a basic leaf. Both on one message at
    once, in either order, so neither takes the other's form from the
    index's cache."""
    w = connect()
    assert " OK " in w.append("INBOX", GLOBAL_MESSAGE)
    assert " OK " in w.append("INBOX", GLOBAL_MESSAGE.replace(b"message/global", b"message/rfc822"))
    rev1 = connect()
    rev1.ok("SELECT INBOX")
    rev2 = connect()
    enable_rev2(rev2)
    rev2.ok("SELECT INBOX")
    (rfc822,) = rev1.ok("FETCH 2 BODYSTRUCTURE")
    assert '("message" "rfc822" NIL NIL NIL "7bit" ' in rfc822, rfc822
    as_rev2 = rfc822.replace("* 2 FETCH", "* 1 FETCH").replace('"message" "rfc822"', '"message" "global"')
    leaf = '("message" "global" NIL NIL NIL "7bit" 49 NIL NIL NIL NIL)'
    for first, second in ((rev2, rev1), (rev1, rev2)):
        for session in (first, second):
            (line,) = session.ok("FETCH 1 BODYSTRUCTURE")
            if session is rev2:
                assert line == as_rev2, line
            else:
                assert leaf in line, line
    (body2,) = rev2.ok("FETCH 1 BODY")
    (body1,) = rev1.ok("FETCH 2 BODY")
    assert body2 == body1.replace("* 2 FETCH", "* 1 FETCH").replace('"message" "rfc822"', '"message" "global"')
    # Sections: 2.HEADER and 2.1 are the encapsulated message's in rev2.
    (line,) = rev2.ok("FETCH 1 (BODY.PEEK[2.HEADER.FIELDS (SUBJECT)] BODY.PEEK[2.1])")
    assert line == ('* 1 FETCH (BODY[2.HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: inner\r\n\r\n'
                    ' BODY[2.1] {10}\r\ninner body)'), line
    (line,) = rev1.ok("FETCH 1 (BODY.PEEK[2.1])")
    assert line != rev2.ok("FETCH 1 (BODY.PEEK[2.1])")[0], line
    # The type is case-insensitive: a rev1 FETCH caches "Message" "Global"
    # as spelled, which the rev2 session still recognises and replaces.
    assert " OK " in w.append("INBOX", GLOBAL_MESSAGE.replace(b"message/global", b"Message/Global"))
    rev1.ok("NOOP")
    rev2.ok("NOOP")
    (line,) = rev1.ok("FETCH 3 BODYSTRUCTURE")
    assert '("Message" "Global" NIL NIL NIL "7bit" 49 NIL NIL NIL NIL)' in line, line
    assert rev2.ok("FETCH 3 BODYSTRUCTURE") == [as_rev2.replace("* 1 FETCH", "* 3 FETCH")]
