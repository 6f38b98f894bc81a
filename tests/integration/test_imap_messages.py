"""loft-imapd through real sockets: APPEND, FETCH, STORE, SEARCH, COPY, MOVE,
EXPUNGE, CLOSE, UNSELECT, CHECK and their UID forms, checked on the wire
(parsed FETCH items, exact SEARCH numbers) and on disk."""
import re

import pytest

from imap_raw import (apply_expunges, connect, enc, fetches, imap_moment, mail_files, message, norm,  # noqa: F401
                      parse_status, search_numbers, srv)

MULTIPART = (
    'From: "Tux Penguin" <tux@example.org>\r\n'
    "To: alice@example.org\r\n"
    "Cc: Paul <paul@example.org>\r\n"
    "Subject: =?iso-8859-1?q?M=FCnchen_trip?=\r\n"
    "Date: Tue, 3 Jan 2023 10:00:00 +0100\r\n"
    "Message-ID: <multi@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="XYZ"\r\n'
    "\r\n"
    "--XYZ\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Gr=FC=DFe aus M=FCnchen\r\n"
    "\r\n"
    "--XYZ\r\n"
    'Content-Type: application/octet-stream; name="data.bin"\r\n'
    "Content-Transfer-Encoding: base64\r\n"
    'Content-Disposition: attachment; filename="data.bin"\r\n'
    "\r\n"
    "AAECAwQF/w==\r\n"
    "--XYZ--\r\n").encode()
PART2_MIME = (b'Content-Type: application/octet-stream; name="data.bin"\r\n'
              b"Content-Transfer-Encoding: base64\r\n"
              b'Content-Disposition: attachment; filename="data.bin"\r\n\r\n')
SIMPLE = message("hello", "Hello world.\r\n")
REPORT = message("Report", "Written yesterday.\r\n", sender="Paul <paul@example.org>",
                 date="Fri, 1 Jan 2010 12:00:00 +0000", extra_headers="X-Virus-Scanned: amavisd-new\r\n")
BIG = message("big one", ("y" * 70 + "\r\n") * 70, date="Sat, 2 Jan 2010 12:00:00 +0000")


def corpus(w):
    """INBOX: 1 SIMPLE (\\Seen, 1994), 2 MULTIPART (2023), 3 REPORT
    (\\Flagged \\Answered project, now), 4 BIG (\\Deleted \\Draft, now)."""
    for msg, flags, date in ((SIMPLE, r"\Seen", "07-Feb-1994 21:52:25 -0800"),
                             (MULTIPART, "", "03-Jan-2023 10:00:00 +0100"),
                             (REPORT, r"\Flagged \Answered project", ""),
                             (BIG, r"\Deleted \Draft", "")):
        tagged = w.append("INBOX", msg, flags=flags, date=date)
        assert " OK " in tagged, tagged
    w.ok("SELECT INBOX")


def flags_of(items) -> set[str]:
    return set(items["FLAGS"])


# --- APPEND -------------------------------------------------------------------

def test_append(connect, srv):
    w = connect()
    uidvalidity = parse_status(w.ok("STATUS INBOX (UIDVALIDITY)")[0])[1]["UIDVALIDITY"]
    tagged = w.append("INBOX", SIMPLE, flags=r"\Seen $Forwarded", date="07-Feb-1994 21:52:25 -0800")
    # UIDPLUS (RFC 4315): APPENDUID <uidvalidity> <uid>.
    assert re.fullmatch(rf"\S+ OK \[APPENDUID {uidvalidity} 1\] Append completed", norm(tagged)), tagged
    # A synchronising literal: "+" continuation first (RFC 3501 §7.5).
    w.send_line(f"a2 APPEND INBOX {{{len(REPORT)}}}")
    assert w.read_line().startswith("+")
    w.send(REPORT + b"\r\n")
    _, tagged = w.read_until_tagged("a2")
    assert norm(tagged) == f"a2 OK [APPENDUID {uidvalidity} 2] Append completed"
    # MULTIAPPEND (RFC 3502): two messages in one command, one UID set.
    w.send(enc(f"a3 APPEND INBOX (\\Flagged) {{{len(BIG)}+}}\r\n") + BIG
           + enc(f" {{{len(MULTIPART)}+}}\r\n") + MULTIPART + b"\r\n")
    _, tagged = w.read_until_tagged("a3")
    assert norm(tagged) == f"a3 OK [APPENDUID {uidvalidity} 3:4] Append completed"
    assert len(mail_files(srv.maildir("alice"))) == 4
    w.ok("SELECT INBOX")
    got = fetches(w.ok("FETCH 1:4 (UID FLAGS INTERNALDATE RFC822.SIZE)"))
    assert got[1] == {"UID": "1", "FLAGS": got[1]["FLAGS"], "INTERNALDATE": got[1]["INTERNALDATE"],
                      "RFC822.SIZE": str(len(SIMPLE))}
    assert imap_moment(got[1]["INTERNALDATE"]) == imap_moment("07-Feb-1994 21:52:25 -0800")
    assert flags_of(got[1]) == {r"\Seen", "$Forwarded", r"\Recent"}
    assert flags_of(got[2]) == {r"\Recent"} and flags_of(got[3]) == {r"\Flagged", r"\Recent"}
    assert [got[n]["RFC822.SIZE"] for n in (2, 3, 4)] == [str(len(REPORT)), str(len(BIG)), str(len(MULTIPART))]
    body = fetches(w.ok("FETCH 4 BODY.PEEK[]"))[4]["BODY[]"]
    assert body == MULTIPART
    # A missing mailbox: NO [TRYCREATE], nothing created (RFC 3501 §6.3.11).
    tagged = w.append("Nope", SIMPLE)
    assert norm(tagged).endswith(" NO [TRYCREATE] Mailbox doesn't exist: Nope"), tagged
    assert not (srv.maildir("alice") / ".Nope").exists()
    # Bad flags and dates are BAD; nothing is stored.
    assert " BAD " in w.append("INBOX", SIMPLE, flags=r"\Recent")
    assert " BAD " in w.append("INBOX", SIMPLE, date="31-Foo-2020 00:00:00 +0000")
    assert len(mail_files(srv.maildir("alice"))) == 4


# --- FETCH --------------------------------------------------------------------

def test_fetch_items_and_macros(connect):
    w = connect()
    corpus(w)
    got = fetches(w.ok("FETCH 1 FAST"))[1]
    assert set(got) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE"}
    assert flags_of(got) == {r"\Seen", r"\Recent"}
    assert imap_moment(got["INTERNALDATE"]) == imap_moment("07-Feb-1994 21:52:25 -0800")
    assert got["RFC822.SIZE"] == str(len(SIMPLE))
    assert set(fetches(w.ok("FETCH 1 ALL"))[1]) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"}
    assert set(fetches(w.ok("FETCH 1 FULL"))[1]) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"}
    # ENVELOPE (RFC 3501 §7.4.2): encoded words stay raw, From fills Sender and Reply-To.
    env = fetches(w.ok("FETCH 2 ENVELOPE"))[2]["ENVELOPE"]
    tux = [["Tux Penguin", None, "tux", "example.org"]]
    assert env == ["Tue, 3 Jan 2023 10:00:00 +0100", "=?iso-8859-1?q?M=FCnchen_trip?=", tux, tux, tux,
                   [[None, None, "alice", "example.org"]], [["Paul", None, "paul", "example.org"]], None, None,
                   "<multi@example.org>"]
    structure = fetches(w.ok("FETCH 2 BODYSTRUCTURE"))[2]["BODYSTRUCTURE"]
    text_part = ["text", "plain", ["charset", "iso-8859-1"], None, None, "quoted-printable", "25", "1"]
    app_part = ["application", "octet-stream", ["name", "data.bin"], None, None, "base64", "12"]
    assert [p.lower() if isinstance(p, str) else p for p in structure[0][:8]] == text_part, structure
    assert [p.lower() if isinstance(p, str) else p for p in structure[1][:7]] == app_part, structure
    assert structure[1][8] == ["attachment", ["filename", "data.bin"]], structure
    assert structure[2].lower() == "mixed" and structure[3] == ["boundary", "XYZ"], structure
    body = fetches(w.ok("FETCH 2 BODY"))[2]["BODY"]
    assert len(body) == 3 and body[2].lower() == "mixed" and len(body[0]) == 8, body
    # UID FETCH always includes UID (RFC 3501 §6.4.8).
    assert fetches(w.ok("UID FETCH 3 FLAGS"))[3]["UID"] == "3"
    # Unknown UIDs are silently ignored; n:* always includes the last message.
    assert w.ok("UID FETCH 100:200 FLAGS") == []
    assert list(fetches(w.ok("UID FETCH 100:* UID"))) == [4]


def test_fetch_sections_partial_and_binary(connect):
    w = connect()
    corpus(w)
    head, _, text = MULTIPART.partition(b"\r\n\r\n")
    got = fetches(w.ok("FETCH 2 (BODY.PEEK[] BODY.PEEK[HEADER] BODY.PEEK[TEXT] RFC822.HEADER)"))[2]
    assert got["BODY[]"] == MULTIPART
    assert got["BODY[HEADER]"] == head + b"\r\n\r\n" == got["RFC822.HEADER"]
    assert got["BODY[TEXT]"] == text
    got = fetches(w.ok("FETCH 2 (BODY.PEEK[HEADER.FIELDS (Subject cc)] BODY.PEEK[HEADER.FIELDS.NOT (Subject Cc "
                       "Date Message-ID MIME-Version Content-Type)])"))[2]
    by_prefix = {k.split(" ")[0]: v for k, v in got.items()}
    assert by_prefix["BODY[HEADER.FIELDS"] == (b"Cc: Paul <paul@example.org>\r\n"
                                              b"Subject: =?iso-8859-1?q?M=FCnchen_trip?=\r\n\r\n")
    assert by_prefix["BODY[HEADER.FIELDS.NOT"] == (b'From: "Tux Penguin" <tux@example.org>\r\n'
                                                  b"To: alice@example.org\r\n\r\n")
    got = fetches(w.ok("FETCH 2 (BODY.PEEK[1] BODY.PEEK[2] BODY.PEEK[2.MIME] BODY.PEEK[TEXT]<0.7> "
                       "BODY.PEEK[1]<20.100> BINARY.PEEK[1] BINARY.PEEK[2] BINARY.SIZE[2])"))[2]
    assert got["BODY[1]"] == b"Gr=FC=DFe aus M=FCnchen\r\n"
    assert got["BODY[2]"] == b"AAECAwQF/w=="
    assert got["BODY[2.MIME]"] == PART2_MIME
    # Partial: <origin> echoed, the octets clipped (RFC 3501 §6.4.5).
    assert got["BODY[TEXT]<0>"] == b"--XYZ\r\n"
    assert got["BODY[1]<20>"] == b"hen\r\n"
    # BINARY (RFC 3516): decoded; NUL bytes need literal8.
    assert got["BINARY[1]"] == b"Gr\xfc\xdfe aus M\xfcnchen\r\n"
    assert got["BINARY[2]"] == b"\x00\x01\x02\x03\x04\x05\xff"
    assert got["BINARY.SIZE[2]"] == "7"
    raw = [u for u in w.ok("FETCH 2 BINARY.PEEK[2]") if "BINARY[2]" in u][0]
    assert "BINARY[2] ~{7}\r\n" in raw, raw
    # None of the PEEKs set \Seen.
    assert r"\Seen" not in flags_of(fetches(w.ok("FETCH 2 FLAGS"))[2])


def test_fetch_sets_seen_unless_peek_or_examine(connect):
    w = connect()
    corpus(w)
    untagged = w.ok("FETCH 2 BODY[TEXT]")
    # The \Seen change comes with the data (RFC 3501 §6.4.5).
    got = fetches(untagged)[2]
    assert got["BODY[TEXT]"] == MULTIPART.partition(b"\r\n\r\n")[2]
    assert r"\Seen" in flags_of(got)
    assert " FETCH " in w.ok("FETCH 3 RFC822")[0]
    assert r"\Seen" in flags_of(fetches(w.ok("FETCH 3 FLAGS"))[3])
    # Read-only: no \Seen (RFC 3501 §6.3.2).
    w.ok("EXAMINE INBOX")
    w.ok("FETCH 4 BODY[]")
    assert r"\Seen" not in flags_of(fetches(w.ok("FETCH 4 FLAGS"))[4])


def test_binary_unknown_cte(connect):
    w = connect()
    odd = message("odd", "abc\r\n", extra_headers="Content-Transfer-Encoding: x-weird\r\n")
    assert " OK " in w.append("INBOX", odd)
    w.ok("SELECT INBOX")
    untagged, tagged = w.cmd("FETCH 1 BINARY.PEEK[1]", tag="b1")
    assert tagged.startswith("b1 NO [UNKNOWN-CTE]"), tagged


# --- STORE --------------------------------------------------------------------

def test_store(connect, srv):
    w = connect()
    corpus(w)
    got = fetches(w.ok(r"STORE 1 +FLAGS (\Flagged)"))
    assert list(got) == [1] and flags_of(got[1]) == {r"\Seen", r"\Flagged", r"\Recent"}
    got = fetches(w.ok(r"STORE 1 -FLAGS \Seen"))
    assert flags_of(got[1]) == {r"\Flagged", r"\Recent"}
    # FLAGS replaces everything but \Recent.
    got = fetches(w.ok(r"STORE 1 FLAGS (\Answered \Draft)"))
    assert flags_of(got[1]) == {r"\Answered", r"\Draft", r"\Recent"}
    assert w.ok(r"STORE 1:2 +FLAGS.SILENT (\Seen)") == []
    assert flags_of(fetches(w.ok("FETCH 2 FLAGS"))[2]) == {r"\Seen", r"\Recent"}
    # A new keyword: FLAGS and PERMANENTFLAGS are announced again.
    untagged = w.ok("STORE 2 +FLAGS (todo)")
    assert r"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft project todo)" in untagged, untagged
    assert any(re.match(r"\* OK \[PERMANENTFLAGS \(.*todo \\\*\)\]", u) for u in untagged), untagged
    assert flags_of(fetches(untagged)[2]) == {r"\Seen", r"\Recent", "todo"}
    # UID STORE answers with UIDs.
    got = fetches(w.ok(r"UID STORE 3 -FLAGS (project)"))
    assert got[3]["UID"] == "3" and flags_of(got[3]) == {r"\Flagged", r"\Answered", r"\Recent"}
    untagged, tagged = w.cmd(r"STORE 1 +FLAGS (\Recent)", tag="s1")
    assert tagged.startswith("s1 BAD "), tagged
    untagged, tagged = w.cmd(r"STORE 1 +FOO (\Seen)", tag="s2")
    assert tagged.startswith("s2 BAD "), tagged
    # The flags are on disk (Maildir info ":2,<letters>").
    w.ok("CHECK")
    names = sorted(p.name for p in mail_files(srv.maildir("alice")))
    assert any(n.endswith(":2,DRS") for n in names), names
    # EXAMINE: STORE changes nothing (Dovecot: "OK Store ignored with
    # read-only mailbox.", RFC 3501 allows NO).
    w.ok("EXAMINE INBOX")
    untagged, tagged = w.cmd(r"STORE 2 -FLAGS (\Seen)", tag="s3")
    assert re.match(r"s3 (OK|NO) ", tagged) and fetches(untagged) == {}, (untagged, tagged)
    assert r"\Seen" in flags_of(fetches(w.ok("FETCH 2 FLAGS"))[2])


# --- SEARCH -------------------------------------------------------------------

@pytest.mark.parametrize("criteria,expected", [
    ("ALL", [1, 2, 3, 4]),
    ("SEEN", [1]), ("UNSEEN", [2, 3, 4]),
    ("FLAGGED", [3]), ("UNFLAGGED", [1, 2, 4]),
    ("ANSWERED", [3]), ("UNANSWERED", [1, 2, 4]),
    ("DELETED", [4]), ("UNDELETED", [1, 2, 3]),
    ("DRAFT", [4]), ("UNDRAFT", [1, 2, 3]),
    ("KEYWORD project", [3]), ("UNKEYWORD project", [1, 2, 4]),
    ("RECENT", [1, 2, 3, 4]), ("NEW", [2, 3, 4]), ("OLD", []),
    ("FROM tux", [2]), ('FROM "PAUL@EXAMPLE"', [3]), ("CC paul", [2]), ("BCC paul", []),
    ("TO alice", [1, 2, 3, 4]), ("SUBJECT report", [3]),
    ("BODY yesterday", [3]), ("TEXT amavisd", [3]), ("BODY amavisd", []),
    ('HEADER X-Virus-Scanned ""', [3]), ("HEADER x-virus-scanned AMAVIS", [3]),
    ("LARGER 4000", [4]), ("SMALLER 1000", [1, 2, 3]),
    ("BEFORE 1-Jan-2000", [1]), ("ON 3-Jan-2023", [2]), ("SINCE 3-Jan-2023", [2, 3, 4]),
    ("SENTBEFORE 1-Jan-2000", [1]), ("SENTON 3-Jan-2023", [2]), ("SENTSINCE 2-Jan-2010", [2, 4]),
    ("UID 2:3", [2, 3]), ("UID 3:*", [3, 4]), ("2,4", [2, 4]), ("3:*", [3, 4]),
    ("NOT FROM tux", [1, 3, 4]), ("OR FROM tux FROM paul", [2, 3]),
    ("(OR SEEN FLAGGED) SMALLER 100000", [1, 3]), ("NOT (OR SEEN FLAGGED)", [2, 4]),
    ("YOUNGER 3600", [3, 4]), ("OLDER 3600", [1, 2]),
    ("CHARSET UTF-8 SUBJECT trip", [2]),
])
def test_search_keys(connect, criteria, expected):
    w = connect()
    corpus(w)
    untagged, tagged = w.cmd(f"SEARCH {criteria}", tag="q1")
    assert search_numbers(untagged) == expected, (criteria, untagged)
    assert norm(tagged) == "q1 OK Search completed"


def test_search_charsets_literals_and_uid(connect):
    w = connect()
    corpus(w)
    # Decoded headers and decoded text parts (RFC 3501 §6.4.4), UTF-8 literal.
    munchen = "münchen".encode()
    w.send(enc("c1 SEARCH CHARSET UTF-8 SUBJECT {%d}\r\n" % len(munchen)))
    assert w.read_line().startswith("+")
    w.send(munchen + b"\r\n")
    untagged, tagged = w.read_until_tagged("c1")
    assert search_numbers(untagged) == [2] and tagged.startswith("c1 OK "), (untagged, tagged)
    gruesse = "grüße".encode()
    untagged = w.ok(enc("SEARCH CHARSET UTF-8 BODY {%d+}\r\n" % len(gruesse)) + gruesse)
    assert search_numbers(untagged) == [2]
    latin = "München".encode("iso-8859-1")
    untagged = w.ok(enc("SEARCH CHARSET ISO-8859-1 TEXT {%d+}\r\n" % len(latin)) + latin)
    assert search_numbers(untagged) == [2]
    untagged, tagged = w.cmd("SEARCH CHARSET KOI8-Q ALL", tag="c2")
    assert tagged.startswith("c2 NO [BADCHARSET"), tagged
    # UID SEARCH answers UIDs; a bare set is still sequence numbers.
    w.ok("COPY 1:4 INBOX")
    w.ok("STORE 1:4 +FLAGS.SILENT (\\Deleted)")
    w.ok("EXPUNGE")
    assert search_numbers(w.ok("UID SEARCH 1:2")) == [5, 6]
    # UID 8 (the copy of \Deleted message 4) went too.
    assert search_numbers(w.ok("SEARCH UID 7:*")) == [3]
    for tag, bad in (("c3", "SEARCH FROM"), ("c4", "SEARCH BEFORE 1-Foo-2020"), ("c5", "SEARCH NOSUCHKEY"),
                     ("c6", "SEARCH (SEEN"), ("c7", "SEARCH OR SEEN")):
        untagged, tagged = w.cmd(bad, tag=tag)
        assert untagged == [] and tagged.startswith(f"{tag} BAD "), (bad, tagged)


def test_esearch_and_searchres(connect):
    w = connect()
    corpus(w)
    untagged, tagged = w.cmd("SEARCH RETURN (MIN MAX COUNT ALL) UNDELETED", tag="e1")
    # RFC 4731: one ESEARCH with the tag; items in any order.
    assert len(untagged) == 1 and untagged[0].startswith('* ESEARCH (TAG "e1") '), untagged
    words = untagged[0].split()[4:]
    assert dict(zip(words[::2], words[1::2])) == {"MIN": "1", "MAX": "3", "COUNT": "3", "ALL": "1:3"}
    untagged = w.ok("UID SEARCH RETURN (COUNT) FLAGGED")
    assert re.fullmatch(r'\* ESEARCH \(TAG "t\d+"\) UID COUNT 1', untagged[0]), untagged
    assert re.fullmatch(r'\* ESEARCH \(TAG "t\d+"\) ALL 1:4', w.ok("SEARCH RETURN () ALL")[0])
    # Nothing found: no MIN/MAX/ALL, COUNT 0.
    untagged = w.ok("SEARCH RETURN (MIN MAX COUNT) FROM nobody")
    assert re.fullmatch(r'\* ESEARCH \(TAG "t\d+"\) COUNT 0', untagged[0]), untagged
    # SEARCHRES (RFC 5182): SAVE alone sends no ESEARCH; $ is the saved set.
    assert w.ok("SEARCH RETURN (SAVE) OR FLAGGED DRAFT") == []
    assert set(fetches(w.ok("FETCH $ UID"))) == {3, 4}
    assert search_numbers(w.ok("SEARCH $ UNDELETED")) == [3]
    untagged = w.ok("UID SEARCH RETURN (SAVE MIN) SEEN")
    assert re.fullmatch(r'\* ESEARCH \(TAG "t\d+"\) UID MIN 1', untagged[0]), untagged
    assert list(fetches(w.ok("UID FETCH $ FLAGS"))) == [1]
    w.ok(r"UID STORE $ +FLAGS.SILENT (\Flagged)")
    assert search_numbers(w.ok("SEARCH FLAGGED")) == [1, 3]
    untagged, tagged = w.cmd("SEARCH RETURN (BOGUS) ALL", tag="e2")
    assert tagged.startswith("e2 BAD "), tagged


# --- COPY, MOVE, EXPUNGE, CLOSE, UNSELECT, CHECK ------------------------------

def test_copy_and_move(connect, srv):
    w = connect()
    corpus(w)
    w.ok("CREATE Dest")
    dest_validity = parse_status(w.ok("STATUS Dest (UIDVALIDITY)")[0])[1]["UIDVALIDITY"]
    untagged, tagged = w.cmd("COPY 1:2 Dest", tag="m1")
    assert untagged == [] and norm(tagged) == f"m1 OK [COPYUID {dest_validity} 1:2 1:2] Copy completed"
    assert len(mail_files(srv.maildir("alice"), "Dest")) == 2
    # Flags are copied; the copies are \Recent for the next SELECT.
    # MOVE (RFC 6851 §4.3): COPYUID in an untagged OK before the EXPUNGE.
    untagged, tagged = w.cmd("MOVE 3 Dest", tag="m2")
    # (A changed RECENT count may be announced too.)
    assert [u for u in untagged if not re.fullmatch(r"\* \d+ RECENT", u)][1:] == ["* 3 EXPUNGE"], untagged
    assert norm(untagged[0]) == f"* OK [COPYUID {dest_validity} 3 3] Moved UIDs"
    assert tagged.startswith("m2 OK"), tagged
    untagged, tagged = w.cmd("UID MOVE 4 Dest", tag="m3")
    assert "* 3 EXPUNGE" in untagged and tagged.startswith("m3 OK"), (untagged, tagged)
    untagged, tagged = w.cmd("UID COPY 1 Dest", tag="m4")
    assert norm(tagged) == f"m4 OK [COPYUID {dest_validity} 1 5] Copy completed"
    # Only unknown UIDs: OK without COPYUID, nothing copied.
    untagged, tagged = w.cmd("UID COPY 999 Dest", tag="m5")
    assert untagged == [] and tagged.startswith("m5 OK") and "COPYUID" not in tagged, tagged
    untagged, tagged = w.cmd("COPY 1 Nope", tag="m6")
    assert norm(tagged) == "m6 NO [TRYCREATE] Mailbox doesn't exist: Nope"
    untagged, tagged = w.cmd("MOVE 1 Nope", tag="m7")
    assert norm(tagged) == "m7 NO [TRYCREATE] Mailbox doesn't exist: Nope"
    assert parse_status(w.ok("STATUS Dest (MESSAGES)")[0])[1] == {"MESSAGES": 5}
    assert len(mail_files(srv.maildir("alice"))) == 2
    w.ok("SELECT Dest")
    got = fetches(w.ok("FETCH 1:5 FLAGS"))
    assert flags_of(got[1]) == {r"\Seen", r"\Recent"} and flags_of(got[3]) == {r"\Flagged", r"\Answered",
                                                                              "project", r"\Recent"}


def test_expunge_renumbering(connect, srv):
    w = connect()
    for n in range(12):
        assert " OK " in w.append("INBOX", message(f"m{n + 1}"))
    w.ok("SELECT INBOX")
    w.ok(r"STORE 3,4,7,11 +FLAGS.SILENT (\Deleted)")
    # RFC 3501 §7.4.1: each EXPUNGE renumbers the ones after it.
    untagged, tagged = w.cmd("EXPUNGE", tag="x1")
    # (Dovecot sends them highest first: "* 11 EXPUNGE", "* 7 EXPUNGE", ...)
    assert apply_expunges(list(range(1, 13)), untagged) == [1, 2, 5, 6, 8, 9, 10, 12], untagged
    assert sum(" EXPUNGE" in u for u in untagged) == 4
    assert norm(tagged) == "x1 OK Expunge completed"
    assert len(mail_files(srv.maildir("alice"))) == 8
    # UID EXPUNGE (RFC 4315) only touches the given UIDs.
    w.ok(r"STORE 1:3 +FLAGS.SILENT (\Deleted)")
    untagged, tagged = w.cmd("UID EXPUNGE 2:5", tag="x2")
    assert apply_expunges([1, 2, 5, 6, 8, 9, 10, 12], untagged) == [1, 6, 8, 9, 10, 12], untagged
    assert tagged.startswith("x2 OK"), tagged
    assert search_numbers(w.ok("SEARCH DELETED")) == [1]
    assert list(fetches(w.ok("FETCH 1:2 UID")).values()) == [{"UID": "1"}, {"UID": "6"}]


def test_close_unselect_check(connect, srv):
    w = connect()
    for n in range(3):
        assert " OK " in w.append("INBOX", message(f"m{n + 1}"), flags=r"\Deleted" if n == 1 else "")
    # EXAMINE + CLOSE: nothing expunged (read-only).
    w.ok("EXAMINE INBOX")
    untagged, tagged = w.cmd("CLOSE", tag="k1")
    assert untagged == [] and norm(tagged) == "k1 OK Close completed"
    assert len(mail_files(srv.maildir("alice"))) == 3
    # UNSELECT (RFC 3691): no expunge.
    w.ok("SELECT INBOX")
    untagged, tagged = w.cmd("CHECK", tag="k2")
    assert untagged == [] and norm(tagged) == "k2 OK Check completed"
    untagged, tagged = w.cmd("UNSELECT", tag="k3")
    assert untagged == [] and norm(tagged) == "k3 OK Unselect completed"
    assert len(mail_files(srv.maildir("alice"))) == 3
    assert norm(w.cmd("FETCH 1 FLAGS", tag="k4")[1]) == "k4 BAD No mailbox selected"
    # CLOSE expunges silently and leaves the selected state.
    w.ok("SELECT INBOX")
    untagged, tagged = w.cmd("CLOSE", tag="k5")
    assert untagged == [] and norm(tagged) == "k5 OK Close completed"
    assert len(mail_files(srv.maildir("alice"))) == 2
    assert norm(w.cmd("EXPUNGE", tag="k6")[1]) == "k6 BAD No mailbox selected"
    # SELECT of another mailbox and LOGOUT do not expunge either (RFC 3501 §6.4.2).
    w.ok("SELECT INBOX")
    w.ok(r"STORE 1 +FLAGS.SILENT (\Deleted)")
    w.ok("CREATE Other")
    w.ok("SELECT Other")
    w.send_line("k7 LOGOUT")
    w.expect_closed()
    assert len(mail_files(srv.maildir("alice"))) == 2


# --- a whole session through Python's imaplib ------------------------------------

@pytest.mark.parametrize("tls", [False, True])
def test_imaplib_session(srv, tls):
    import imaplib
    client = srv.connect_tls() if tls else srv.connect()
    assert client.login("carol", "secret")[0] == "OK"
    assert client.create("Projects")[0] == "OK"
    typ, data = client.append("Projects", r"(\Flagged)", imaplib.Time2Internaldate(1700000000),
                              message("via imaplib", "Line one.\r\nLine two.\r\n"))
    assert typ == "OK" and b"APPENDUID" in data[0], data
    typ, data = client.select("Projects")
    assert (typ, data) == ("OK", [b"1"])
    assert client.search(None, "FLAGGED") == ("OK", [b"1"])
    typ, data = client.fetch("1", "(INTERNALDATE BODY.PEEK[TEXT])")
    assert typ == "OK" and data[0][1] == b"Line one.\r\nLine two.\r\n", data
    assert imap_moment(re.search(r'INTERNALDATE "([^"]+)"', data[0][0].decode()).group(1)) == 1700000000
    typ, data = client.uid("STORE", "1", "+FLAGS", r"(\Seen)")
    assert typ == "OK" and rb"\Seen" in data[0], data
    assert client.copy("1", "INBOX")[0] == "OK"
    assert client.store("1", "+FLAGS.SILENT", r"\Deleted")[0] == "OK"
    assert client.expunge() == ("OK", [b"1"])
    assert client.close()[0] == "OK"
    assert client.status("INBOX", "(MESSAGES UNSEEN)") == ("OK", [b"INBOX (MESSAGES 1 UNSEEN 0)"])
    assert client.logout()[0] == "BYE"
