"""PREVIEW (RFC 8970), SAVEDATE (RFC 8514) and STATUS=SIZE (RFC 8438)
through a real loft-imapd: exact FETCH PREVIEW answers for typical messages
(the same text Dovecot 2.3.19 gives for them, except where
docs/imap-preview-savedate.md says otherwise), PREVIEW (LAZY) and the
preview cache across sessions, SAVEDATE after APPEND, COPY and MOVE, the
SAVED* search keys, and STATUS SIZE as the sum of RFC822.SIZE."""
import base64
import re
import time

from imap_raw import connect, enc, fetch_literal, mail_files, search_numbers, srv  # noqa: F401

# (message, the PREVIEW answer as sent)
CASES = [
    # RFC 8970 §3.2's example.
    (b"Subject: s\r\n\r\nPreview text!\r\n", b'"Preview text!"'),
    (b"From: a@x\r\nSubject: s\r\n\r\nHello   world,\r\n\r\n  this is\ta test.\r\n",
     b'"Hello world, this is a test."'),
    (b"Subject: s\r\n\r\nOn Monday Bob wrote:\r\n> quoted line\r\n>> more\r\nMy reply here.\r\n> again\r\nend\r\n",
     b'"On Monday Bob wrote: My reply here. end"'),
    (b"Subject: s\r\n\r\n" + " ".join("word%03d" % i for i in range(80)).encode() + b"\r\n",
     b'"' + " ".join("word%03d" % i for i in range(25)).encode() + b'"'),
    (b"Subject: s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><head><title>T</title><style>p{color:red}"
     b"</style><script>var x=1;</script></head><body><p>Hello&nbsp;<b>bold</b> &amp; &lt;tag&gt; &eacute; &#233; "
     b"&#x263A;</p><blockquote>quoted html</blockquote><br>next line</body></html>\r\n",
     "{42}\r\nT Hello\u00a0 bold & <tag> \u00e9 \u00e9 \u263a next line".encode()),
    (b"Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=BB\r\n\r\n--BB\r\n"
     b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
     b"Caf=E9 na=EFve =\r\nsoft break\r\n--BB\r\nContent-Type: text/html\r\n\r\n<p>HTML version</p>\r\n--BB--\r\n",
     "{23}\r\nCaf\u00e9 na\u00efve soft break".encode()),
    (b"Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
     + base64.encodebytes(("Gr\u00fc\u00dfe aus K\u00f6ln \u2014 " * 20).encode()).replace(b"\n", b"\r\n"),
     b"{" + str(len(("Gr\u00fc\u00dfe aus K\u00f6ln \u2014 " * 20)[:200].rstrip().encode())).encode() + b"}\r\n"
     + ("Gr\u00fc\u00dfe aus K\u00f6ln \u2014 " * 20)[:200].rstrip().encode()),
    (b"Subject: s\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n", b'""'),
    (b"Subject: s\r\n\r\n", b'""'),
    (b"Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
     b"Content-Type: application/pdf\r\n\r\nPDFDATA\r\n--XX\r\nContent-Type: text/plain\r\n\r\nSecond part text\r\n"
     b"--XX--\r\n", b'"Second part text"'),
    (b"Subject: s\r\n\r\nHe said \"hi\" and back\\slash\r\n", b'"He said \\"hi\\" and back\\\\slash"'),
    (b"Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nInner body\r\n",
     b'""'),
]


def raw_fetch(w, line: str) -> tuple[list[bytes], str]:
    """Send a FETCH and return the untagged responses as bytes (literals
    included) and the tagged line."""
    untagged, tagged = w.cmd(line)
    return [enc(u) for u in untagged], tagged


def test_preview_answers_for_typical_messages(connect):
    w = connect()
    for raw, _ in CASES:
        assert " OK " in w.append("INBOX", raw)
    w.ok("SELECT INBOX")
    got, tagged = raw_fetch(w, "FETCH 1:* (PREVIEW)")
    assert tagged.endswith("OK Fetch completed.")
    assert len(got) == len(CASES)
    for n, ((_, want), line) in enumerate(zip(CASES, got), start=1):
        assert line == f"* {n} FETCH (PREVIEW ".encode() + want + b")", (n, line)
    # PREVIEW is not a body fetch: no \Seen.
    flags = w.ok("FETCH 1:* (FLAGS)")
    assert all("\\Seen" not in f for f in flags), flags


def test_lazy_preview_is_nil_then_cached_for_every_session(connect):
    a = connect()
    for n in range(3):
        assert " OK " in a.append("INBOX", f"Subject: m{n}\r\n\r\nbody number {n}\r\n".encode())
    a.ok("SELECT INBOX")
    assert a.ok("FETCH 1:3 (PREVIEW (LAZY))") == [f"* {n} FETCH (PREVIEW NIL)" for n in (1, 2, 3)]
    # RFC 8970 §4: without LAZY the preview is always answered.
    assert a.ok("FETCH 3 (PREVIEW)") == ['* 3 FETCH (PREVIEW "body number 2")']
    # The NILs were made after the answers: a second LAZY fetch has them.
    assert a.ok("UID FETCH 1:3 (PREVIEW (LAZY))") == [
        f'* {n + 1} FETCH (UID {n + 1} PREVIEW "body number {n}")' for n in range(3)]
    a.cmd("LOGOUT")
    # The cache is in the index: another session gets them with LAZY too.
    b = connect()
    b.ok("EXAMINE INBOX")
    assert b.ok("FETCH 1:3 (PREVIEW (LAZY))") == [f'* {n + 1} FETCH (PREVIEW "body number {n}")' for n in range(3)]


def test_preview_bad_modifiers(connect):
    w = connect()
    assert " OK " in w.append("INBOX", b"Subject: s\r\n\r\nbody\r\n")
    w.ok("SELECT INBOX")
    _, tagged = w.cmd("FETCH 1 (PREVIEW (FOO))", tag="c")
    assert tagged == "c BAD Error in IMAP command FETCH: 'FOO' is not a supported PREVIEW modifier"
    _, tagged = w.cmd("FETCH 1 (PREVIEW (LAZY (X)))", tag="d")
    assert tagged == "d BAD Error in IMAP command FETCH: Invalid PREVIEW modifier"


def day(t: float) -> str:
    return time.strftime("%d-%b-%Y", time.localtime(t))


def test_savedate_fetch_search_copy_move(connect):
    w = connect()
    before = time.time()
    # Internal date in 2001: SAVEDATE is the save time, not this.
    assert " OK " in w.append("INBOX", b"Subject: a\r\n\r\nbody\r\n", date="09-Sep-2001 01:46:40 +0000")
    assert " OK " in w.append("INBOX", b"Subject: b\r\n\r\nbody\r\n", date="09-Sep-2001 01:46:40 +0000")
    w.ok("CREATE Dest")
    w.ok("SELECT INBOX")
    lines = w.ok("FETCH 1:2 (SAVEDATE INTERNALDATE)")
    pat = re.compile(r'^\* (\d) FETCH \(SAVEDATE "(\d\d-\w{3}-\d{4}) \d\d:\d\d:\d\d [+-]\d{4}" '
                     r'INTERNALDATE "09-Sep-2001 \d\d:\d\d:\d\d [+-]\d{4}"\)$')
    for line in lines:
        m = pat.match(line)
        assert m, line
        assert m.group(2) in (day(before), day(time.time())), line
    today = day(time.time())
    assert search_numbers(w.ok("SEARCH SAVEDATESUPPORTED")) == [1, 2]
    assert search_numbers(w.ok(f"SEARCH SAVEDON {today}")) == [1, 2]
    assert search_numbers(w.ok("SEARCH SAVEDBEFORE 1-Jan-2002")) == []
    assert search_numbers(w.ok("SEARCH BEFORE 1-Jan-2002")) == [1, 2]
    assert search_numbers(w.ok("SEARCH SAVEDSINCE 1-Jan-2002")) == [1, 2]
    _, tagged = w.cmd("SEARCH SAVEDON 32-Foo-2020", tag="bad")
    assert tagged.startswith("bad BAD ")
    # COPY and MOVE: the new message's save date is the time it arrived in
    # Dest, its internal date stays.
    w.ok("COPY 1 Dest")
    w.ok("MOVE 2 Dest")
    w.ok("SELECT Dest")
    lines = w.ok("FETCH 1:2 (SAVEDATE INTERNALDATE)")
    assert len(lines) == 2 and all(pat.match(line) for line in lines), lines
    assert search_numbers(w.ok(f"SEARCH SAVEDSINCE {day(before)}")) == [1, 2]
    assert search_numbers(w.ok("SEARCH SAVEDBEFORE 1-Jan-2002")) == []


def status_size(w, mailbox: str = "INBOX") -> int:
    [line] = w.ok(f"STATUS {mailbox} (SIZE)")
    m = re.fullmatch(rf'\* STATUS "?{mailbox}"? \(SIZE (\d+)\)', line)
    assert m, line
    return int(m.group(1))


def sum_of_sizes(w, mailbox: str = "INBOX") -> int:
    w.ok(f"EXAMINE {mailbox}")
    total = 0
    for line in w.ok("FETCH 1:* (RFC822.SIZE)"):
        m = re.fullmatch(r"\* \d+ FETCH \(RFC822\.SIZE (\d+)\)", line)
        assert m, line
        total += int(m.group(1))
    w.ok("CLOSE")
    return total


def test_status_size_is_the_sum_of_rfc822_sizes(connect, srv):
    """RFC 8438 §3: SIZE is the total of the RFC822.SIZEs, also after an
    expunge and for messages stored with bare LF line ends (counted as
    CRLF, as RFC822.SIZE counts them)."""
    w = connect()
    assert status_size(w) == 0
    bodies = [b"Subject: one\r\n\r\nfirst\r\n", b"Subject: two\r\n\r\n" + b"x" * 5000 + b"\r\n",
              b"Subject: three\r\n\r\nthird\r\n"]
    for b in bodies:
        assert " OK " in w.append("INBOX", b)
    assert status_size(w) == sum(len(b) for b in bodies) == sum_of_sizes(w)
    # A message delivered by another program with LF line ends: 4 lines.
    lf = b"Subject: lf\n\nline one\nline two\n"
    new = srv.maildir() / "new"
    new.mkdir(parents=True, exist_ok=True)
    (new / "1700000000.M1P1.test").write_bytes(lf)
    w.ok("NOOP")
    size = status_size(w)
    assert size == sum(len(b) for b in bodies) + len(lf) + 4 == sum_of_sizes(w), size
    # Expunge the big one.
    w.ok("SELECT INBOX")
    w.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    w.ok("EXPUNGE")
    w.ok("CLOSE")
    assert status_size(w) == len(bodies[0]) + len(bodies[2]) + len(lf) + 4 == sum_of_sizes(w)
    # Of the selected mailbox too, and of another mailbox.
    w.ok("SELECT INBOX")
    assert status_size(w) == sum_of_sizes(w)
    w.ok("CREATE Other")
    assert status_size(w, "Other") == 0


def test_capabilities(connect):
    w = connect(login=False)
    assert "LOGIN-REFERRALS" in w.greeting_line
    w.login()
    [line] = w.ok("CAPABILITY")
    caps = line.split()[2:]
    for c in ("PREVIEW", "SAVEDATE", "STATUS=SIZE", "LOGIN-REFERRALS"):
        assert c in caps, caps
