"""INPROGRESS (RFC 9585) through a real loft-imapd: the capability, and the
"* OK [INPROGRESS ("tag" done total)]" reports a long FETCH, SEARCH, SORT,
THREAD or COPY sends before its tagged OK. imap_progress_interval = 0
makes every check report (every 256 FETCHed or copied messages, every 500
searched message bodies), so the reports on a 2,000-message mailbox do not
depend on how fast the machine is."""
import imaplib
import re

import pytest

from imap_raw import Wire, norm
from imapd_util import ImapServer
from test_imap_partial import multiappend

COUNT = 2000
REPORT = re.compile(r'^\* OK \[INPROGRESS \((NIL|"[^"]*") (\d+|NIL) (\d+|NIL)\)\] ')


@pytest.fixture
def reporting(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, extra_config="imap_progress_interval = 0\n") as server:
        yield server


def session(server, select=True):
    w = Wire.connect(server.port, server.host)
    w.greeting()
    w.login("alice")
    if select:
        w.ok("SELECT INBOX")
    return w


@pytest.fixture
def big(reporting):
    w = session(reporting, select=False)
    for start in range(1, COUNT + 1, 500):
        multiappend(w, 500, start=start)
    w.ok("SELECT INBOX")
    yield w
    w.close()


def reports(untagged, tag):
    """The (done, total) of each INPROGRESS report, checked for syntax and tag."""
    out = []
    for line in untagged:
        if "INPROGRESS" not in line:
            continue
        m = REPORT.match(line)
        assert m, line
        assert m.group(1) == f'"{tag}"', line
        out.append((int(m.group(2)), int(m.group(3))))
    return out


def test_capability_lists_inprogress(reporting):
    w = session(reporting, select=False)
    assert "INPROGRESS" in w.ok("CAPABILITY")[0].split()
    w.close()


def test_fetch_reports_progress_before_its_answers(big):
    untagged, tagged = big.cmd("FETCH 1:* (FLAGS)", tag="f1")
    assert norm(tagged) == "f1 OK Fetch completed"
    got = reports(untagged, "f1")
    # One report every 256 messages: how many are done, of 2,000; never
    # "2000 of 2000" (RFC 9585 §4: GOAL greater than PROGRESS).
    assert got == [(n * 256 - 1, COUNT) for n in range(1, COUNT // 256 + 1)], got
    # Each report comes between the FETCH responses, after exactly the
    # messages it counts as done.
    fetched = 0
    for line in untagged:
        if line.startswith("* OK [INPROGRESS"):
            assert int(REPORT.match(line).group(2)) == fetched, line
        elif " FETCH " in line:
            fetched += 1
    assert fetched == COUNT
    # UID FETCH counts the messages of its set; a short FETCH reports nothing.
    untagged, _ = big.cmd("UID FETCH 1001:* (UID)", tag="f2")
    assert reports(untagged, "f2") == [(255, 1000), (511, 1000), (767, 1000)]
    untagged, _ = big.cmd("FETCH 1:255 (FLAGS)", tag="f3")
    assert reports(untagged, "f3") == [] and len(untagged) == 255


def test_search_reports_progress_between_slices(big):
    # A body search runs in slices of 500 messages; a report after each
    # but the last.
    untagged, tagged = big.cmd("SEARCH BODY nothing-matches", tag="s1")
    assert norm(tagged) == "s1 OK Search completed"
    assert reports(untagged, "s1") == [(500, COUNT), (1000, COUNT), (1500, COUNT)]
    assert untagged[-1] == "* SEARCH"
    untagged, _ = big.cmd("UID SORT RETURN (COUNT) (SUBJECT) UTF-8 TEXT Hello", tag="s2")
    assert reports(untagged, "s2") == [(500, COUNT), (1000, COUNT), (1500, COUNT)]
    assert untagged[-1] == f'* ESEARCH (TAG "s2") UID COUNT {COUNT}'
    untagged, tagged = big.cmd("UID THREAD REFERENCES UTF-8 BODY nothing-matches", tag="s4")
    assert reports(untagged, "s4") == [(500, COUNT), (1000, COUNT), (1500, COUNT)]
    assert untagged[-1] == "* THREAD" and tagged.startswith("s4 OK ")
    # What the index answers is one step: no report.
    untagged, _ = big.cmd("SEARCH UNSEEN", tag="s3")
    assert reports(untagged, "s3") == []


def test_tag_with_bracket_is_nil(big):
    # RFC 9585 §4: a tag holding "]" would end the code: NIL instead.
    untagged, tagged = big.cmd("SEARCH TEXT nothing", tag="a]1")
    assert norm(tagged) == "a]1 OK Search completed"
    lines = [line for line in untagged if "INPROGRESS" in line]
    assert lines and all(line.startswith("* OK [INPROGRESS (NIL 500 2000)] ") or
                         line.startswith("* OK [INPROGRESS (NIL 1000 2000)] ") or
                         line.startswith("* OK [INPROGRESS (NIL 1500 2000)] ") for line in lines), lines


def test_another_session_sees_no_reports(reporting, big):
    other = session(reporting)
    # While one session's FETCH runs, the other works on the same mailbox
    # and hears nothing of it: reports belong to the command's connection.
    big.send(b"f1 FETCH 1:* (FLAGS)\r\n")
    assert other.ok("NOOP") == []
    untagged, _ = other.cmd("SEARCH RETURN (COUNT) ALL", tag="o0")
    assert untagged == ['* ESEARCH (TAG "o0") COUNT 2000']
    untagged, tagged = big.read_until_tagged("f1")
    assert len(reports(untagged, "f1")) == COUNT // 256 and tagged.startswith("f1 OK ")
    untagged, _ = other.cmd("FETCH 1:300 (UID)", tag="o1")
    assert reports(untagged, "o1") == [(255, 300)]
    other.close()


def test_imaplib_ignores_the_reports(reporting, big):
    imap = imaplib.IMAP4(reporting.host, reporting.port)
    imap.login("alice", "secret")
    imap.select("INBOX")
    typ, data = imap.fetch("1:*", "(UID)")
    assert typ == "OK" and len(data) == COUNT
    # imaplib keeps the response codes it saw by name.
    typ, codes = imap.response("INPROGRESS")
    assert codes and all(re.match(rb'^\("\w+" \d+ 2000\)$', c) for c in codes), codes
    imap.logout()


def test_rev2_session_gets_the_same_reports(reporting, big):
    rev2 = session(reporting, select=False)
    assert rev2.ok("ENABLE IMAP4rev2") == ["* ENABLED IMAP4rev2"]
    rev2.ok("SELECT INBOX")
    untagged, _ = rev2.cmd("SEARCH TEXT nothing-matches", tag="r1")
    assert reports(untagged, "r1") == [(500, COUNT), (1000, COUNT), (1500, COUNT)]
    assert untagged[-1] == '* ESEARCH (TAG "r1")'
    untagged, _ = big.cmd("SEARCH TEXT nothing-matches", tag="r1")
    assert reports(untagged, "r1") == [(500, COUNT), (1000, COUNT), (1500, COUNT)]
    assert untagged[-1] == "* SEARCH"
    rev2.close()


def test_copy_reports_progress_and_stays_all_or_nothing(reporting, big):
    big.ok("CREATE Archive")
    # COPY prepares the copies 256 at a time and may report between two
    # pieces; the one commit at the end keeps it all-or-nothing.
    untagged, tagged = big.cmd("COPY 1:* Archive", tag="c1")
    assert reports(untagged, "c1") == [(n * 256, COUNT) for n in range(1, COUNT // 256 + 1)]
    assert re.match(r"c1 OK \[COPYUID \d+ 1:2000 1:2000\] Copy completed\.$", tagged), tagged
    assert big.ok("STATUS Archive (MESSAGES)") == ["* STATUS Archive (MESSAGES 2000)"]
    # A client gone in the middle: the copy is either whole or not made.
    big.ok("CREATE Half")
    gone = session(reporting)
    gone.send(b"c2 COPY 1:* Half\r\n")
    assert gone.read_response().startswith("* OK [INPROGRESS (\"c2\" 256 2000)]")
    gone.close()
    status = session(reporting, select=False)
    seen = [status.ok("STATUS Half (MESSAGES)")[0] for _ in range(3)]
    assert set(seen) <= {"* STATUS Half (MESSAGES 0)", "* STATUS Half (MESSAGES 2000)"}, seen
    status.close()
    # MOVE is one piece (each piece would expunge in a commit of its own):
    # no reports, and every message moves.
    untagged, tagged = big.cmd("MOVE 1:* Archive", tag="m1")
    assert reports(untagged, "m1") == [] and tagged == "m1 OK Move completed.", tagged
    assert big.ok("STATUS Archive (MESSAGES)") == ["* STATUS Archive (MESSAGES 4000)"]
