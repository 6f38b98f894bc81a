"""CONDSTORE and QRESYNC (RFC 7162) against a real loft-imapd over sockets:
two sessions changing flags concurrently, conditional stores that conflict,
resyncs after expunges with and without known-uids, the RFC's examples that
can be reproduced with real data, and modseqs that survive a restart."""
import re

import socket

from imap_raw import connect, message, norm, srv  # noqa: F401
from imapd_util import wait_for

MODSEQ = re.compile(r"MODSEQ \((\d+)\)")


def highest(untagged):
    for line in untagged:
        m = re.match(r"\* OK \[HIGHESTMODSEQ (\d+)\]", line)
        if m:
            return int(m.group(1))
    raise AssertionError(f"no HIGHESTMODSEQ in {untagged}")


def uidvalidity(untagged):
    for line in untagged:
        m = re.match(r"\* OK \[UIDVALIDITY (\d+)\]", line)
        if m:
            return int(m.group(1))
    raise AssertionError(f"no UIDVALIDITY in {untagged}")


def modseqs(w, uid_set="1:*"):
    """UID -> (modseq, flags) as the server reports them now."""
    out = {}
    for line in w.ok(f"UID FETCH {uid_set} (UID FLAGS MODSEQ)"):
        m = re.match(r"\* \d+ FETCH \(UID (\d+) FLAGS \(([^)]*)\) MODSEQ \((\d+)\)\)$", line)
        if m:
            out[int(m.group(1))] = (int(m.group(3)), set(m.group(2).split()) - {"\\Recent"})
    return out


def can_connect(srv):
    try:
        socket.create_connection((srv.host, srv.port), timeout=1).close()
        return True
    except OSError:
        return False


def fresh(connect):
    """A new session with INBOX selected: its view is the stored state."""
    w = connect("alice")
    w.ok("EXAMINE INBOX (CONDSTORE)")
    return w


def fill(connect, count):
    a = connect("alice")
    for n in range(count):
        assert " OK " in a.append("INBOX", message(f"m{n + 1}"))
    return a


def test_capability_and_enable(connect):
    w = connect("alice")
    caps = w.ok("CAPABILITY")[0].split()
    assert "CONDSTORE" in caps and "QRESYNC" in caps
    assert w.ok("ENABLE QRESYNC") == ["* ENABLED QRESYNC"]


def test_two_sessions_see_each_others_changes_with_modseq(connect):
    fill(connect, 3)
    a = connect("alice")
    b = connect("alice")
    h0 = highest(a.ok("SELECT INBOX (CONDSTORE)"))
    assert highest(b.ok("SELECT INBOX (CONDSTORE)")) == h0
    # A flags message 1; its own echo: UID and MODSEQ before FLAGS (RFC 7162 §3.1; Dovecot's order).
    echo = a.ok(r"STORE 1 +FLAGS (\Flagged)")
    m = re.fullmatch(r"\* 1 FETCH \(UID 1 MODSEQ \((\d+)\) FLAGS \(\\Flagged( \\Recent)?\)\)", echo[0])
    assert m and len(echo) == 1, echo
    m1 = int(m.group(1))
    assert m1 > h0
    # B hears of it at its next command, with the same modseq.
    got = b.ok("NOOP")
    assert got == [f"* 1 FETCH (UID 1 MODSEQ ({m1}) FLAGS (\\Flagged))"], got
    # Both change flags of different messages; each sees the other's.
    # (A silent STORE of B's own shows only B's modseq echo; A's change
    # comes with it, as the update after the command.)
    a.ok(r"STORE 2 +FLAGS.SILENT (\Seen)")
    seen_by_b = b.ok(r"STORE 3 +FLAGS.SILENT (\Answered)") + b.ok("NOOP")
    seen_by_a = a.ok("NOOP")
    now = modseqs(a)
    assert f"* 2 FETCH (UID 2 MODSEQ ({now[2][0]}) FLAGS (\\Seen))" in seen_by_b, seen_by_b
    assert f"* 3 FETCH (UID 3 MODSEQ ({now[3][0]}))" in seen_by_b, seen_by_b
    assert len(seen_by_a) == 1 and seen_by_a[0].startswith(f"* 3 FETCH (UID 3 MODSEQ ({now[3][0]}) FLAGS (\\Answered")
    assert now[3][0] > now[2][0] > m1


def test_unchangedsince_conflict_yields_modified(connect):
    fill(connect, 3)
    a = connect("alice")
    b = connect("alice")
    a.ok("SELECT INBOX (CONDSTORE)")
    b.ok("SELECT INBOX (CONDSTORE)")
    known = modseqs(a)
    # B changes message 2 after A read its modseq.
    b.ok(r"STORE 2 +FLAGS.SILENT ($Label1)")
    # A's conditional store with the modseq it knows: 1 and 3 pass, 2 fails.
    since = max(ms for ms, _ in known.values())
    untagged, tagged = a.cmd(f"STORE 1:3 (UNCHANGEDSINCE {since}) +FLAGS (\\Seen)")
    assert norm(tagged).endswith("OK [MODIFIED 2] Conditional store failed"), tagged
    now = modseqs(fresh(connect))
    assert r"\Seen" in now[1][1] and r"\Seen" in now[3][1] and r"\Seen" not in now[2][1]
    # Each stored message is reported with its new modseq, MODSEQ first.
    for seq in (1, 3):
        assert any(re.fullmatch(rf"\* {seq} FETCH \(UID {seq} MODSEQ \({now[seq][0]}\) FLAGS \(\\Seen( \\Recent)?\)\)", x)
                   for x in untagged), untagged
    # The UID form names UIDs; UNCHANGEDSINCE 0 always fails.
    _, tagged = a.cmd("UID STORE 1:3 (UNCHANGEDSINCE 0) +FLAGS ($Done)")
    assert norm(tagged).endswith("OK [MODIFIED 1:3] Conditional store failed"), tagged
    # RFC 7162 §3.1.3 example 4 style: A retries message 2 with its new modseq.
    b_now = modseqs(a, "2")
    _, tagged = a.cmd(f"STORE 2 (UNCHANGEDSINCE {b_now[2][0]}) +FLAGS (\\Seen)")
    assert norm(tagged).endswith("OK Store completed"), tagged


def test_search_modseq(connect):
    fill(connect, 3)
    a = connect("alice")
    h0 = highest(a.ok("SELECT INBOX (CONDSTORE)"))
    a.ok(r"STORE 2 +FLAGS.SILENT (\Seen)")
    m2 = modseqs(a)[2][0]
    # RFC 7162 §3.1.5 example: the matches and the highest modseq among them.
    assert a.ok(f"SEARCH MODSEQ {h0 + 1}") == [f"* SEARCH 2 (MODSEQ {m2})"]
    assert a.ok(f'SEARCH MODSEQ "/flags/\\\\Seen" all {h0 + 1}') == [f"* SEARCH 2 (MODSEQ {m2})"]
    untagged, _ = a.cmd("SEARCH RETURN (ALL) MODSEQ 1", tag="s1")
    assert untagged == [f'* ESEARCH (TAG "s1") ALL 1:3 MODSEQ {m2}']


def test_resync_after_expunges_with_and_without_known_uids(connect):
    fill(connect, 6)
    a = connect("alice")
    a.ok("ENABLE QRESYNC")
    sel = a.ok("SELECT INBOX")
    uv, h0 = uidvalidity(sel), highest(sel)
    a.ok("LOGOUT")
    # Another client expunges 2 and 5 and flags 3.
    b = connect("alice")
    b.ok("SELECT INBOX")
    b.ok(r"STORE 2,5 +FLAGS.SILENT (\Deleted)")
    b.ok("EXPUNGE")
    b.ok(r"STORE 2 +FLAGS.SILENT (\Flagged)")  # message 2 is UID 3 now
    c = connect("alice")
    c.ok("ENABLE QRESYNC")
    got = c.ok(f"SELECT INBOX (QRESYNC ({uv} {h0}))")
    assert "* VANISHED (EARLIER) 2,5" in got, got
    fetch = [line for line in got if " FETCH " in line]
    assert len(fetch) == 1 and re.fullmatch(r"\* 2 FETCH \(UID 3 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)", fetch[0])
    # The RFC 7162 §3.2.5.1 order: HIGHESTMODSEQ, VANISHED, FETCH.
    kinds = [("H" if "HIGHESTMODSEQ" in x else "V" if "VANISHED" in x else "F") for x in got
             if "HIGHESTMODSEQ" in x or "VANISHED" in x or " FETCH " in x]
    assert kinds == ["H", "V", "F"], got
    # known-uids: only the client's UIDs are reported.
    got = c.ok(f"SELECT INBOX (QRESYNC ({uv} {h0} 4:6))")
    assert "* VANISHED (EARLIER) 5" in got and not any(" FETCH " in x for x in got), got
    assert got[0] == "* OK [CLOSED] Previous mailbox closed."
    # UID FETCH ... (CHANGEDSINCE n VANISHED), RFC 7162 §3.2.6.
    untagged = c.ok(f"UID FETCH 1:4 (FLAGS) (CHANGEDSINCE {h0} VANISHED)")
    assert untagged[0] == "* VANISHED (EARLIER) 2" and len(untagged) == 2, untagged


def test_vanished_replaces_expunge_and_expunge_reports_highestmodseq(connect):
    fill(connect, 4)
    a = connect("alice")
    b = connect("alice")
    a.ok("ENABLE QRESYNC")
    a.ok("SELECT INBOX")
    b.ok("SELECT INBOX")
    a.ok(r"STORE 1,3 +FLAGS.SILENT (\Deleted)")
    untagged, tagged = a.cmd("EXPUNGE")
    assert "* VANISHED 1,3" in untagged and not any("EXPUNGE" in x for x in untagged), untagged
    m = re.fullmatch(r"\S+ OK \[HIGHESTMODSEQ (\d+)\] Expunge completed\.", tagged)
    assert m, tagged
    # The other session (no QRESYNC) gets EXPUNGE responses.
    assert b.ok("NOOP") == ["* 3 EXPUNGE", "* 1 EXPUNGE"]
    # UID EXPUNGE with QRESYNC: VANISHED and the new HIGHESTMODSEQ.
    b.ok(r"STORE 1:2 +FLAGS.SILENT (\Deleted)")
    untagged, tagged = a.cmd("UID EXPUNGE 4")
    assert "* VANISHED 4" in untagged, untagged
    m2 = re.fullmatch(r"\S+ OK \[HIGHESTMODSEQ (\d+)\] Expunge completed\.", tagged)
    assert m2 and int(m2.group(1)) > int(m.group(1)), tagged
    # The resync from that value finds only what happened after.
    got = a.ok(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {m2.group(1)} VANISHED)")
    assert got == [], got


def test_modseqs_survive_a_restart_and_only_grow(srv, connect):
    fill(connect, 3)
    a = connect("alice")
    a.ok("SELECT INBOX (CONDSTORE)")
    a.ok(r"STORE 2 +FLAGS.SILENT (\Seen)")
    before = modseqs(a)
    h_before = highest(a.ok("SELECT INBOX (CONDSTORE)"))
    srv.stop()
    srv.start()
    wait_for(lambda: can_connect(srv), "the restarted loft-imapd to accept connections")
    c = connect("alice")
    status = c.ok("STATUS INBOX (HIGHESTMODSEQ)")
    assert status == [f"* STATUS INBOX (HIGHESTMODSEQ {h_before})"], status
    assert highest(c.ok("SELECT INBOX (CONDSTORE)")) == h_before
    assert modseqs(c) == before
    c.ok(r"STORE 1 +FLAGS.SILENT (\Answered)")
    after = modseqs(c)
    assert after[1][0] > h_before and after[2] == before[2] and after[3] == before[3]


def test_rfc7162_store_example_3(connect):
    """RFC 7162 §3.1.3 example 3: STORE 7,5,9 (UNCHANGEDSINCE m) +FLAGS.SILENT
    (\\Deleted) where 7 and 9 changed after m: only 5 is stored and reported
    with its MODSEQ (silently: no FLAGS), the tagged OK names 7,9."""
    fill(connect, 9)
    a = connect("alice")
    b = connect("alice")
    a.ok("SELECT INBOX (CONDSTORE)")
    b.ok("SELECT INBOX")
    m = max(ms for ms, _ in modseqs(a).values())
    b.ok(r"STORE 7,9 +FLAGS.SILENT ($Important)")
    untagged, tagged = a.cmd(f"STORE 7,5,9 (UNCHANGEDSINCE {m}) +FLAGS.SILENT (\\Deleted)")
    assert norm(tagged).endswith("OK [MODIFIED 7,9] Conditional store failed"), tagged
    now = modseqs(fresh(connect))
    assert f"* 5 FETCH (UID 5 MODSEQ ({now[5][0]}))" in untagged, untagged
    assert not any(x.startswith("* 5 FETCH") and "FLAGS" in x for x in untagged), untagged
    assert r"\Deleted" in now[5][1] and r"\Deleted" not in now[7][1] and r"\Deleted" not in now[9][1]
    # UID STORE with the same test names UIDs; 8 is unchanged since m and
    # is stored.
    _, tagged = a.cmd(f"UID STORE 7:9 (UNCHANGEDSINCE {m}) FLAGS.SILENT (\\Seen)")
    assert norm(tagged).endswith("OK [MODIFIED 7,9] Conditional store failed"), tagged
    now = modseqs(fresh(connect))
    assert now[8][1] == {r"\Seen"} and r"\Seen" not in now[7][1] and r"\Seen" not in now[9][1], now
