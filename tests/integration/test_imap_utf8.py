"""UTF8=ACCEPT (RFC 9755, obsoleting RFC 6855): ENABLE UTF8=ACCEPT makes a
session's mailbox names UTF-8 (not modified UTF-7), adds APPEND's UTF8
(literal8) data item and forbids SEARCH CHARSET; quoted strings may hold
UTF-8 in every session and get BAD when their 8-bit octets are not UTF-8.
Without it (or IMAP4rev2) an APPEND with 8-bit header octets gets NO. A
session that has not enabled it gets ENVELOPE and BODYSTRUCTURE strings with
8-bit octets as RFC 2047 encoded-words. An enabled and a non-enabled session
on the same mailbox at once each see their own form."""
import base64
import imaplib
import re

from imap_raw import connect, fetch_literal, message, norm, srv  # noqa: F401

UTF8_HEADERS = ("From: Jörg Müller <joerg@example.org>\r\nTo: Zoë <zoe@example.org>\r\n"
                "Subject: Grüße aus Köln, schöne Woche und noch viel mehr Text für eine lange Zeile\r\n"
                "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <utf8@example.org>\r\n"
                "Content-Type: text/plain; charset=utf-8; name=\"Grüße.txt\"\r\n\r\nHallo Köln.\r\n").encode()


def enable_utf8(w):
    untagged, tagged = w.cmd("ENABLE UTF8=ACCEPT")
    assert untagged == ["* ENABLED UTF8=ACCEPT"], untagged
    assert norm(tagged).endswith("OK Enabled"), tagged


def append_utf8(w, mailbox: str, data: bytes) -> str:
    """APPEND <mailbox> UTF8 (~{n+}data): the tagged line."""
    tag = w.next_tag()
    w.send(f"{tag} APPEND {mailbox} UTF8 (~{{{len(data)}+}}\r\n".encode() + data + b")\r\n")
    _, tagged = w.read_until_tagged(tag)
    return tagged


def append_8bit(connect, data: bytes) -> None:
    """Stores `data`, whose header has 8-bit octets, into INBOX through an
    IMAP4rev2 session: a session without UTF-8 may not (RFC 9755 §4)."""
    w = connect()
    untagged, _ = w.cmd("ENABLE IMAP4rev2")
    assert untagged == ["* ENABLED IMAP4rev2"], untagged
    assert " OK " in w.append("INBOX", data)


def decode_words(text: str) -> str:
    """The text of a run of =?utf-8?b?...?= encoded-words."""
    words = re.findall(r"=\?utf-8\?b\?([A-Za-z0-9+/=]*)\?=", text)
    assert words, text
    return b"".join(base64.b64decode(w) for w in words).decode()


def test_capability_and_enable(connect):
    w = connect()
    (line,) = w.ok("CAPABILITY")
    assert "UTF8=ACCEPT" in line.split(), line
    enable_utf8(w)
    # RFC 5161 §3.1: only what this command turned on is listed.
    untagged, tagged = w.cmd("ENABLE UTF8=ACCEPT")
    assert untagged == ["* ENABLED"] and " OK " in tagged, (untagged, tagged)


def test_names_in_enabled_and_plain_sessions_at_once(connect):
    utf8 = connect()
    enable_utf8(utf8)
    utf8.ok('CREATE "Entwürfe"'.encode())
    plain = connect()
    # The same mailbox: UTF-8 for one session, modified UTF-7 for the other.
    assert utf8.ok('LIST "" Entw*') == ['* LIST (\\HasNoChildren) "." {9}\r\nEntwürfe']
    assert plain.ok('LIST "" Entw*') == ['* LIST (\\HasNoChildren) "." Entw&APw-rfe']
    (line,) = utf8.ok('STATUS "Entwürfe" (MESSAGES)'.encode())
    assert line == "* STATUS {9}\r\nEntwürfe (MESSAGES 0)", line
    assert plain.ok("STATUS Entw&APw-rfe (MESSAGES)") == ["* STATUS Entw&APw-rfe (MESSAGES 0)"]
    # Both select it; a message one saves reaches the other.
    utf8.ok('SELECT "Entwürfe"'.encode())
    plain.ok("SELECT Entw&APw-rfe")
    assert " OK " in append_utf8(utf8, '"Entwürfe"', UTF8_HEADERS)
    assert "* 1 EXISTS" in plain.ok("NOOP")
    # A modified UTF-7 name is taken literally by the UTF-8 session (RFC 9755 §3).
    _, tagged = utf8.cmd("SELECT Entw&APw-rfe")
    assert " NO " in tagged, tagged
    # NAMESPACE and LSUB follow the same rule; a subscription is listed in each form.
    utf8.ok('SUBSCRIBE "Entwürfe"'.encode())
    assert plain.ok('LSUB "" *') == ['* LSUB () "." Entw&APw-rfe']


def test_imaplib_enable_and_utf8_names(srv):
    c = imaplib.IMAP4(srv.host, srv.port)
    c.login("alice", "secret")
    typ, data = c.enable("UTF8=ACCEPT")
    assert typ == "OK" and c.utf8_enabled, (typ, data)
    assert c.create('"Größe"')[0] == "OK"
    typ, data = c.list('""', '"Gr*"')
    assert typ == "OK" and data[0][1] == "Größe".encode(), data
    typ, data = c.select('"Größe"')
    assert typ == "OK" and data == [b"0"], (typ, data)
    # imaplib refuses a charset itself in UTF-8 mode; the server's answer is
    # checked below with raw commands.
    typ, data = c.search(None, "SUBJECT", '"Grüße"')
    assert typ == "OK", (typ, data)
    c.logout()


def test_utf8_append_and_what_each_session_fetches(connect):
    """The UTF8 data item (RFC 9755); the same message fetched by an
    enabled session (UTF-8 as stored) and a non-enabled one (encoded-words)."""
    w = connect()
    # Without ENABLE the UTF8 item is not part of the syntax.
    tagged = append_utf8(w, "INBOX", UTF8_HEADERS)
    assert " BAD " in tagged, tagged
    enable_utf8(w)
    tagged = append_utf8(w, "INBOX", UTF8_HEADERS)
    assert re.search(r"OK \[APPENDUID \d+ 1\]", tagged), tagged
    # A plain literal with UTF-8 headers is taken too (message/global).
    assert " OK " in w.append("INBOX", UTF8_HEADERS)
    # The item is literal8 inside parentheses and nothing else.
    _, tagged = w.cmd(b"APPEND INBOX UTF8 {3+}\r\nabc")
    assert " BAD " in tagged, tagged
    _, tagged = w.cmd(b"APPEND INBOX UTF8 ({3+}\r\nabc)")
    assert " BAD " in tagged, tagged

    w.ok("SELECT INBOX")
    (line,) = w.ok("FETCH 1 ENVELOPE")
    assert "Grüße aus Köln" in line and "Jörg Müller" in line, line
    plain = connect()
    plain.ok("SELECT INBOX")
    (line,) = plain.ok("FETCH 1 ENVELOPE")
    assert line.isascii(), line
    strings = re.findall(r'"((?:=\?[^"]*\?=\s?)+)"', line)
    decoded = [decode_words(s) for s in strings]
    assert "Grüße aus Köln, schöne Woche und noch viel mehr Text für eine lange Zeile" in decoded, decoded
    assert "Jörg Müller" in decoded and "Zoë" in decoded, decoded
    # RFC 2047 §2: no encoded-word is longer than 75 characters.
    assert all(len(word) <= 75 for s in strings for word in s.split()), strings
    (line,) = plain.ok("FETCH 1 BODYSTRUCTURE")
    assert line.isascii() and "Grüße.txt" in decode_words(line), line
    (line,) = w.ok("FETCH 1 BODYSTRUCTURE")
    assert "Grüße.txt" in line, line
    # The stored message is what the client sent, byte for byte.
    (line,) = plain.ok("FETCH 1 BODY.PEEK[]")
    assert fetch_literal(line) == UTF8_HEADERS


def test_enable_only_in_the_authenticated_state(connect):
    """RFC 9755 §3: ENABLE UTF8=ACCEPT is valid only in the authenticated
    state; with a mailbox selected it is not switched on."""
    w = connect()
    w.ok("SELECT INBOX")
    untagged, tagged = w.cmd("ENABLE UTF8=ACCEPT")
    assert untagged == ["* ENABLED"] and " OK " in tagged, (untagged, tagged)
    _, tagged = w.cmd('CREATE "Größe"'.encode())
    assert tagged.endswith(" NO Mailbox name is not valid mUTF-7"), tagged
    w.ok("UNSELECT")
    enable_utf8(w)


def test_append_with_8bit_headers_needs_utf8(connect):
    """RFC 9755 §4: a session that has not enabled UTF8=ACCEPT gets NO for an
    APPEND whose header fields have 8-bit octets, also a spooled one and one
    CATENATE would not reach; 8-bit octets in the body are fine. UTF8=ACCEPT
    and IMAP4rev2 sessions may append it. Nothing is stored for a refusal."""
    plain = connect()
    _, tagged = plain.cmd(b"APPEND INBOX {%d+}\r\n" % len(UTF8_HEADERS) + UTF8_HEADERS)
    assert re.fullmatch(r"\S+ NO \[CANNOT\] .*UTF8=ACCEPT.*", tagged), tagged
    big = UTF8_HEADERS + b"x" * 200 * 1024 + b"\r\n"  # beyond the spool threshold
    _, tagged = plain.cmd(b"APPEND INBOX {%d+}\r\n" % len(big) + big)
    assert " NO [CANNOT] " in tagged, tagged
    body_only = b"From: a@example.org\r\nSubject: plain\r\n\r\nK\xc3\xb6ln\r\n"
    assert " OK " in plain.append("INBOX", body_only)
    # An 8-bit octet after the empty line that ends the header is body.
    assert " OK " in plain.append("INBOX", b"Subject: x\n\nK\xc3\xb6ln\n")
    rev2 = connect()
    untagged, _ = rev2.cmd("ENABLE IMAP4rev2")
    assert untagged == ["* ENABLED IMAP4rev2"], untagged
    assert " OK " in rev2.append("INBOX", UTF8_HEADERS)
    utf8 = connect()
    enable_utf8(utf8)
    assert " OK " in utf8.append("INBOX", UTF8_HEADERS)
    plain.ok("SELECT INBOX")
    assert plain.ok("SEARCH ALL") == ["* SEARCH 1 2 3 4"]


def test_search_charset_after_enable(connect):
    """RFC 9755 §3 (RFC 6855 erratum 4029): no CHARSET in SEARCH after
    ENABLE UTF8=ACCEPT; SORT and THREAD take UTF-8 only."""
    w = connect()
    append_8bit(connect, message("Grüße"))
    w.ok("SELECT INBOX")
    # Before enabling: CHARSET is fine, and so is UTF-8 in a quoted string.
    assert w.ok('SEARCH CHARSET UTF-8 SUBJECT "grüße"'.encode()) == ["* SEARCH 1"]
    w.ok("UNSELECT")  # ENABLE UTF8=ACCEPT is for the authenticated state
    enable_utf8(w)
    w.ok("SELECT INBOX")
    assert w.ok('SEARCH SUBJECT "Grüße"'.encode()) == ["* SEARCH 1"]
    untagged, tagged = w.cmd('SEARCH CHARSET UTF-8 SUBJECT "Grüße"'.encode(), tag="s1")
    assert untagged == [] and tagged.startswith("s1 BAD "), tagged
    untagged, tagged = w.cmd("SORT (SUBJECT) ISO-8859-1 ALL", tag="s2")
    assert untagged == [] and tagged.startswith("s2 BAD "), tagged
    assert w.ok("SORT (SUBJECT) UTF-8 ALL") == ["* SORT 1"]
    untagged, tagged = w.cmd("THREAD REFERENCES US-ASCII ALL", tag="s3")
    assert untagged == [] and tagged.startswith("s3 BAD "), tagged
    assert w.ok("THREAD REFERENCES UTF-8 ALL") == ["* THREAD (1)"]


def test_quoted_strings(connect):
    """UTF-8 in quoted strings is accepted; other 8-bit octets are BAD, in
    an enabled session and in one that is not."""
    plain = connect()
    append_8bit(connect, message("Grüße"))
    plain.ok("SELECT INBOX")
    untagged, tagged = plain.cmd(b'SEARCH SUBJECT "Gr\xfc\xdfe"', tag="q1")
    assert untagged == [] and tagged == "q1 BAD Error in IMAP command SEARCH: Invalid UTF-8 in quoted string", tagged
    utf8 = connect()
    enable_utf8(utf8)
    utf8.ok("SELECT INBOX")
    untagged, tagged = utf8.cmd(b'SEARCH SUBJECT "Gr\xc3"', tag="q2")
    assert untagged == [] and tagged.startswith("q2 BAD "), tagged
    # Overlong forms are not UTF-8 either.
    untagged, tagged = utf8.cmd(b'CREATE "a\xc0\xafb"', tag="q3")
    assert untagged == [] and tagged.startswith("q3 BAD "), tagged
    # A mailbox name in a literal must be UTF-8 too (NO, as for a name
    # that is not modified UTF-7 in a session without UTF-8).
    untagged, tagged = utf8.cmd(b"CREATE {3+}\r\na\xffb", tag="q4")
    assert untagged == [] and tagged == "q4 NO Mailbox name is not valid UTF-8", tagged
    untagged, tagged = plain.cmd(b"CREATE {3+}\r\na\xffb", tag="q5")
    assert untagged == [] and tagged == "q5 NO Mailbox name is not valid mUTF-7", tagged
    # The session goes on.
    assert utf8.ok('SEARCH SUBJECT "Grüße"'.encode()) == ["* SEARCH 1"]
    assert not any(line.startswith("* LIST") and "a" in line.split()[-1:]
                   for line in utf8.ok('LIST "" a*'))


def test_encoded_words_hold_whole_characters(connect):
    """RFC 2047 §5: each encoded-word holds whole characters, so a long run
    of 4-octet characters is cut between them; octets that are not UTF-8
    are labelled unknown-8bit."""
    w = connect()
    emoji = "\U0001F600" * 30
    append_8bit(connect, message(emoji))
    append_8bit(connect, b"Subject: Gr\xfc\xdfe\r\n\r\nx\r\n")
    w.ok("SELECT INBOX")
    (line,) = w.ok("FETCH 1 ENVELOPE")
    words = re.findall(r"=\?utf-8\?b\?([A-Za-z0-9+/=]*)\?=", line)
    assert len(words) > 1 and "".join(base64.b64decode(x).decode() for x in words) == emoji, line
    (line,) = w.ok("FETCH 2 ENVELOPE")
    assert '"=?unknown-8bit?b?R3L832U=?="' in line, line


def test_imap_utf8_accept_no_restores_dovecot_23(build_dir, tmp_path):
    """imap_utf8_accept = no: UTF8=ACCEPT is not offered, ENABLE ignores it,
    and APPEND takes 8-bit header octets from every session (migrations with
    imapsync, legacy clients), as Dovecot 2.3 does."""
    from imap_raw import Wire
    from imapd_util import ImapServer
    server = ImapServer(build_dir, tmp_path, extra_config="imap_utf8_accept = no\n", tls=False)
    try:
        w = Wire.connect(server.port, server.host)
        w.greeting()
        w.login()
        (line,) = w.ok("CAPABILITY")
        assert "UTF8=ACCEPT" not in line.split() and "REPLACE" in line.split(), line
        untagged, tagged = w.cmd("ENABLE UTF8=ACCEPT")
        assert untagged == ["* ENABLED"] and " OK " in tagged, (untagged, tagged)
        assert " OK " in w.append("INBOX", UTF8_HEADERS)
        w.ok("SELECT INBOX")
        (line,) = w.ok("FETCH 1 BODY.PEEK[]")
        assert fetch_literal(line) == UTF8_HEADERS
    finally:
        server.stop()
