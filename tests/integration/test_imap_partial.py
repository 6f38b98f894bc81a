"""PARTIAL (RFC 9394) through a real loft-imapd: the capability, paged
SEARCH and SORT results counted from the first or the last result, how
PARTIAL combines with MIN/MAX/COUNT/SAVE and UPDATE, the UID FETCH PARTIAL
modifier, the BAD answers to malformed ranges, another session on the same
mailbox, and an imaplib script paging from the newest message back."""
import imaplib
import re

from imap_raw import connect, fetches, message, norm, srv  # noqa: F401


def multiappend(w, count, start=1, mailbox="INBOX"):
    """count messages in one MULTIAPPEND (RFC 3502), subjects m<start>..."""
    tag = w.next_tag()
    parts = [f"{tag} APPEND {mailbox}".encode()]
    for n in range(start, start + count):
        body = message(f"m{n}")
        parts.append(f" {{{len(body)}+}}\r\n".encode() + body)
    w.send(b"".join(parts) + b"\r\n")
    _, tagged = w.read_until_tagged(tag)
    assert " OK " in tagged, tagged


def mailbox_of_30(connect):
    """30 messages, UIDs 1..30, the first five \\Deleted: UNDELETED finds
    25 results, UIDs 6..30."""
    w = connect()
    multiappend(w, 30)
    w.ok("SELECT INBOX")
    w.ok(r"STORE 1:5 +FLAGS.SILENT (\Deleted)")
    return w


def esearch(w, command, tag="P1"):
    untagged, tagged = w.cmd(command, tag=tag)
    assert norm(tagged) == f"{tag} OK Search completed" or norm(tagged) == f"{tag} OK Sort completed", tagged
    return untagged


def saved(w):
    """What "$" holds now, as UIDs."""
    (line,) = esearch(w, "UID SEARCH RETURN (ALL) UID $", tag="D1")
    m = re.match(r'\* ESEARCH \(TAG "D1"\) UID(?: ALL (\S+))?$', line)
    assert m, line
    return m.group(1) or ""


def test_capability_lists_partial(connect):
    w = connect()
    caps = w.ok("CAPABILITY")[0].split()
    assert "PARTIAL" in caps and "ESEARCH" in caps and "CONTEXT=SEARCH" in caps, caps
    # Not before login: PARTIAL works on a selected mailbox only.
    anon = connect(login=False)
    assert "PARTIAL" not in anon.ok("CAPABILITY")[0].split()


def test_rfc9394_first_and_last_pages(connect):
    w = mailbox_of_30(connect)
    # §3.1: the first page, a page spanning the end of the results, one
    # beyond it (NIL), and the same from the newest message back.
    assert esearch(w, "UID SEARCH RETURN (PARTIAL 1:10) UNDELETED UNKEYWORD $Junk", "A01") == [
        '* ESEARCH (TAG "A01") UID PARTIAL (1:10 6:15)']
    assert esearch(w, "UID SEARCH RETURN (PARTIAL 21:40) UNDELETED UNKEYWORD $Junk", "A02") == [
        '* ESEARCH (TAG "A02") UID PARTIAL (21:40 26:30)']
    assert esearch(w, "UID SEARCH RETURN (PARTIAL 26:30) UNDELETED UNKEYWORD $Junk", "A04") == [
        '* ESEARCH (TAG "A04") UID PARTIAL (26:30 NIL)']
    assert esearch(w, "UID SEARCH RETURN (PARTIAL -1:-10) UNDELETED UNKEYWORD $Junk", "A05") == [
        '* ESEARCH (TAG "A05") UID PARTIAL (-1:-10 21:30)']
    assert esearch(w, "UID SEARCH RETURN (PARTIAL -11:-20) UNDELETED", "A06") == [
        '* ESEARCH (TAG "A06") UID PARTIAL (-11:-20 11:20)']
    # §4: a reversed range is the same range (written low:high).
    assert esearch(w, "UID SEARCH RETURN (PARTIAL -10:-1) UNDELETED", "A07") == [
        '* ESEARCH (TAG "A07") UID PARTIAL (-1:-10 21:30)']
    assert esearch(w, "UID SEARCH RETURN (PARTIAL 10:1) UNDELETED", "A08") == [
        '* ESEARCH (TAG "A08") UID PARTIAL (1:10 6:15)']
    # A negative range reaching past the first result: what exists; wholly
    # past it: NIL.
    assert esearch(w, "UID SEARCH RETURN (PARTIAL -20:-30) UNDELETED", "A09") == [
        '* ESEARCH (TAG "A09") UID PARTIAL (-20:-30 6:11)']
    assert esearch(w, "UID SEARCH RETURN (PARTIAL -26:-4294967295) UNDELETED", "A10") == [
        '* ESEARCH (TAG "A10") UID PARTIAL (-26:-4294967295 NIL)']
    # Sequence numbers for SEARCH, mailbox order (§3.1).
    assert esearch(w, "SEARCH RETURN (PARTIAL -1:-3) UNDELETED", "A11") == [
        '* ESEARCH (TAG "A11") PARTIAL (-1:-3 28:30)']
    # Nothing matches: NIL either way.
    assert esearch(w, "SEARCH RETURN (PARTIAL -1:-3) KEYWORD nothing", "A12") == [
        '* ESEARCH (TAG "A12") PARTIAL (-1:-3 NIL)']


def test_rfc9394_partial_with_min_max_count(connect):
    w = mailbox_of_30(connect)
    # MIN/MAX/COUNT describe the whole result, PARTIAL only its page.
    assert esearch(w, "UID SEARCH RETURN (MIN MAX COUNT PARTIAL -1:-5) UNDELETED", "B01") == [
        '* ESEARCH (TAG "B01") UID MIN 6 MAX 30 PARTIAL (-1:-5 26:30) COUNT 25']
    assert esearch(w, "UID SEARCH RETURN (COUNT PARTIAL 100:200) UNDELETED", "B02") == [
        '* ESEARCH (TAG "B02") UID PARTIAL (100:200 NIL) COUNT 25']


def test_rfc9394_partial_with_save(connect):
    w = mailbox_of_30(connect)
    # §3.2 Table 1: "$" holds what PARTIAL returned ...
    assert esearch(w, "UID SEARCH RETURN (SAVE PARTIAL 1:3) UNDELETED", "C01") == [
        '* ESEARCH (TAG "C01") UID PARTIAL (1:3 6:8)']
    assert saved(w) == "6:8"
    assert esearch(w, "UID SEARCH RETURN (SAVE PARTIAL -1:-2) UNDELETED", "C02") == [
        '* ESEARCH (TAG "C02") UID PARTIAL (-1:-2 29:30)']
    assert saved(w) == "29:30"
    # ... with the MIN and/or MAX message ...
    assert esearch(w, "UID SEARCH RETURN (SAVE MIN PARTIAL -1:-2) UNDELETED", "C03") == [
        '* ESEARCH (TAG "C03") UID MIN 6 PARTIAL (-1:-2 29:30)']
    assert saved(w) == "6,29:30"
    assert esearch(w, "UID SEARCH RETURN (SAVE MAX PARTIAL 1:2) UNDELETED", "C04") == [
        '* ESEARCH (TAG "C04") UID MAX 30 PARTIAL (1:2 6:7)']
    assert saved(w) == "6:7,30"
    assert esearch(w, "UID SEARCH RETURN (SAVE MIN MAX PARTIAL 3:4) UNDELETED", "C05") == [
        '* ESEARCH (TAG "C05") UID MIN 6 MAX 30 PARTIAL (3:4 8:9)']
    assert saved(w) == "6,8:9,30"
    # ... and with COUNT every match.
    assert esearch(w, "UID SEARCH RETURN (SAVE COUNT PARTIAL 1:2) UNDELETED", "C06") == [
        '* ESEARCH (TAG "C06") UID PARTIAL (1:2 6:7) COUNT 25']
    assert saved(w) == "6:30"
    # A page beyond the end saves nothing.
    assert esearch(w, "UID SEARCH RETURN (SAVE PARTIAL 90:99) UNDELETED", "C07") == [
        '* ESEARCH (TAG "C07") UID PARTIAL (90:99 NIL)']
    assert saved(w) == ""
    # SORT: positions in sort order (REVERSE SUBJECT: m9 m8 m7 m6 m30 m29
    # ... m11 m10).
    assert esearch(w, "UID SORT RETURN (SAVE PARTIAL -1:-3) (REVERSE SUBJECT) UTF-8 UNDELETED", "C08") == [
        '* ESEARCH (TAG "C08") UID PARTIAL (-1:-3 12,11,10)']
    assert saved(w) == "10:12"


def test_rfc9394_sort_pages(connect):
    w = mailbox_of_30(connect)
    # REVERSE SUBJECT: m9 m8 m7 m6 m30 m29 ... m11 m10; ARRIVAL: all
    # arrived at once, so in mailbox order (RFC 5256 §3: ties by sequence).
    assert esearch(w, "UID SORT RETURN (PARTIAL 1:3) (REVERSE SUBJECT) UTF-8 UNDELETED", "S01") == [
        '* ESEARCH (TAG "S01") UID PARTIAL (1:3 9,8,7)']
    assert esearch(w, "UID SORT RETURN (PARTIAL -1:-3) (ARRIVAL) UTF-8 UNDELETED", "S02") == [
        '* ESEARCH (TAG "S02") UID PARTIAL (-1:-3 28:30)']
    assert esearch(w, "SORT RETURN (MIN MAX PARTIAL -2:-4) (REVERSE SUBJECT) UTF-8 UNDELETED", "S03") == [
        '* ESEARCH (TAG "S03") MIN 9 MAX 10 PARTIAL (-2:-4 13,12,11)']


def test_rfc9394_uid_fetch_partial(connect):
    w = mailbox_of_30(connect)
    w.ok("EXPUNGE")  # UIDs 6..30 remain, sequence numbers 1..25

    def uids(command, tag="F1"):
        untagged, tagged = w.cmd(command, tag=tag)
        assert norm(tagged) == f"{tag} OK Fetch completed", tagged
        return [int(data["UID"]) for data in fetches(untagged).values()]

    # §3.3: the last three messages of a UID range, the first three, and
    # the range counting only messages that exist.
    assert uids("UID FETCH 10:20 (UID FLAGS) (PARTIAL -1:-3)") == [18, 19, 20]
    assert uids("UID FETCH 10:20 (UID FLAGS) (PARTIAL 1:3)") == [10, 11, 12]
    assert uids("UID FETCH 1:* (FLAGS) (PARTIAL 1:2)") == [6, 7]
    assert uids("UID FETCH 1:* (FLAGS) (PARTIAL -2:-1)") == [29, 30]
    assert uids("UID FETCH 1:12,28:* (FLAGS) (PARTIAL 6:9)") == [11, 12, 28, 29]
    # Out of range: no FETCH responses, still OK.
    assert uids("UID FETCH 1:* (FLAGS) (PARTIAL 26:50)") == []
    assert uids("UID FETCH 1:* (FLAGS) (PARTIAL -26:-50)") == []
    # §3.4: with CHANGEDSINCE the range counts the changed messages only,
    # in either order of the modifiers.
    status = w.ok("STATUS INBOX (HIGHESTMODSEQ)")
    before = int(re.search(r"HIGHESTMODSEQ (\d+)", " ".join(status)).group(1))
    w.ok(r"UID STORE 7,9,11,13 +FLAGS.SILENT (\Flagged)")
    assert uids(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {before} PARTIAL 1:2)") == [7, 9]
    assert uids(f"UID FETCH 1:* (FLAGS) (PARTIAL -1:-1 CHANGEDSINCE {before})") == [13]
    # \Seen set by a non-PEEK body fetch touches only the page.
    assert uids("UID FETCH 1:* (BODY[TEXT]) (PARTIAL -1:-1)") == [30]
    assert w.cmd("UID SEARCH RETURN (ALL) SEEN", tag="F3")[0] == ['* ESEARCH (TAG "F3") UID ALL 30']


def test_partial_bad_input(connect):
    w = mailbox_of_30(connect)

    current = []

    def fresh():
        # A session that sends too many bad commands is disconnected
        # (Dovecot's rule): a new one every few.
        if current:
            current.pop().close()
        current.append(connect())
        current[0].ok("SELECT INBOX")
        return current[0]

    for bad in ("PARTIAL 0:5", "PARTIAL 1:0", "PARTIAL -0:-5", "PARTIAL 1:*", "PARTIAL *:1", "PARTIAL -1:5",
                "PARTIAL 1:-5", "PARTIAL 5", "PARTIAL -5", "PARTIAL 1:4294967296", "PARTIAL --1:--5",
                "PARTIAL 1:5 ALL", "ALL PARTIAL -1:-5", "PARTIAL 1:5 PARTIAL 6:9", "PARTIAL", "PARTIAL \"1:5\"",
                "PARTIAL 01:5", "PARTIAL 1:5:7", "PARTIAL (1:5)"):
        c = fresh()
        for command in (f"UID SEARCH RETURN ({bad}) ALL", f"SORT RETURN ({bad}) (ARRIVAL) UTF-8 ALL"):
            untagged, tagged = c.cmd(command, tag="X1")
            assert untagged == [] and tagged.startswith("X1 BAD "), (command, tagged)
    for bad in ("(PARTIAL 0:5)", "(PARTIAL -1:5)", "(PARTIAL 1:*)", "(PARTIAL)", "(PARTIAL 1:2 PARTIAL 3:4)",
                "(PARTIAL 1:4294967296)"):
        untagged, tagged = fresh().cmd(f"UID FETCH 1:* (FLAGS) {bad}", tag="X2")
        assert untagged == [] and tagged.startswith("X2 BAD "), (bad, tagged)
    # §3.3: the modifier extends UID FETCH only.
    untagged, tagged = w.cmd("FETCH 1:* (FLAGS) (PARTIAL 1:5)", tag="X3")
    assert untagged == [] and norm(tagged) == "X3 BAD Error in IMAP command FETCH: PARTIAL only allowed with UID FETCH"
    # A SAVE with a bad PARTIAL leaves "$" as it was (RFC 5182 §2.1: BAD).
    esearch(w, "UID SEARCH RETURN (SAVE) UID 7:9", "X4")
    untagged, tagged = w.cmd("UID SEARCH RETURN (SAVE PARTIAL 0:1) ALL", tag="X5")
    assert tagged.startswith("X5 BAD ")
    assert saved(w) == "7:9"
    # The session is still fine.
    assert esearch(w, "UID SEARCH RETURN (PARTIAL -1:-1) ALL", "X6") == ['* ESEARCH (TAG "X6") UID PARTIAL (-1:-1 30)']


def test_partial_update_context_and_another_session(connect):
    a = mailbox_of_30(connect)
    b = connect()
    b.ok("SELECT INBOX")
    # §3.1: PARTIAL and UPDATE do not interact: updates cover every match.
    assert esearch(a, "UID SEARCH RETURN (UPDATE PARTIAL -1:-2) UNDELETED", "U01") == [
        '* ESEARCH (TAG "U01") UID PARTIAL (-1:-2 29:30)']
    b.ok(r"UID STORE 10 +FLAGS.SILENT (\Deleted)")
    assert '* ESEARCH (TAG "U01") UID REMOVEFROM (0 10)' in a.ok("NOOP")
    multiappend(b, 1, start=31)
    untagged = a.ok("NOOP")
    assert '* ESEARCH (TAG "U01") UID ADDTO (0 31)' in untagged, untagged
    # The other session pages the same mailbox on its own.
    assert esearch(b, "UID SEARCH RETURN (PARTIAL -1:-3) UNDELETED", "V01") == [
        '* ESEARCH (TAG "V01") UID PARTIAL (-1:-3 29:31)']
    assert esearch(b, "UID SEARCH UNDELETED", "V02") == [
        "* SEARCH " + " ".join(str(u) for u in [*range(6, 10), *range(11, 32)])]


def test_imaplib_pages_from_the_newest_message(srv, connect):
    w = connect()
    multiappend(w, 12)
    imap = imaplib.IMAP4(srv.host, srv.port)
    imap.login("alice", "secret")
    imap.select("INBOX")
    pages = []
    for first in range(1, 20, 5):
        typ, data = imap._simple_command("UID", "SEARCH", "RETURN", f"(PARTIAL -{first}:-{first + 4})", "ALL")
        assert typ == "OK"
        pages.append(imap.untagged_responses.pop("ESEARCH")[0].decode().split(") ", 1)[1])
    assert pages == ["UID PARTIAL (-1:-5 8:12)", "UID PARTIAL (-6:-10 3:7)", "UID PARTIAL (-11:-15 1:2)",
                     "UID PARTIAL (-16:-20 NIL)"]
    typ, data = imap._simple_command("UID", "FETCH", "1:*", "(FLAGS)", "(PARTIAL -1:-2)")
    assert typ == "OK"
    got = [re.search(rb"UID (\d+)", item).group(1) for item in imap.untagged_responses.pop("FETCH")]
    assert got == [b"11", b"12"], got
    imap.logout()


def test_rev1_rev2_and_uidonly_sessions_page_alike(connect):
    """PARTIAL is the same in every kind of session on one mailbox; each
    keeps its own FETCH form (RFC 9586 §3.3 for UIDONLY)."""
    rev1 = mailbox_of_30(connect)
    rev2 = connect()
    assert rev2.ok("ENABLE IMAP4rev2") == ["* ENABLED IMAP4rev2"]
    rev2.ok("SELECT INBOX")
    uidonly = connect()
    assert uidonly.ok("ENABLE UIDONLY") == ["* ENABLED UIDONLY"]
    uidonly.ok("SELECT INBOX")
    for w in (rev1, rev2, uidonly):
        assert esearch(w, "UID SEARCH RETURN (PARTIAL -1:-3) UNDELETED", "R01") == [
            '* ESEARCH (TAG "R01") UID PARTIAL (-1:-3 28:30)']
    # Without RETURN, rev1 gets SEARCH and rev2 ESEARCH ALL, as before.
    assert esearch(rev1, "UID SEARCH UID 29:30", "R02") == ["* SEARCH 29 30"]
    assert esearch(rev2, "UID SEARCH UID 29:30", "R02") == ['* ESEARCH (TAG "R02") UID ALL 29:30']
    # The rev1 session selected first: the messages are \Recent for it.
    assert rev1.ok("UID FETCH 1:* (FLAGS) (PARTIAL -1:-2)") == [
        "* 29 FETCH (UID 29 FLAGS (\\Recent))", "* 30 FETCH (UID 30 FLAGS (\\Recent))"]
    assert rev2.ok("UID FETCH 1:* (FLAGS) (PARTIAL -1:-2)") == [
        "* 29 FETCH (UID 29 FLAGS ())", "* 30 FETCH (UID 30 FLAGS ())"]
    assert uidonly.ok("UID FETCH 1:* (FLAGS) (PARTIAL -1:-2)") == [
        "* 29 UIDFETCH (FLAGS ())", "* 30 UIDFETCH (FLAGS ())"]
