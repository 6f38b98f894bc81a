"""Two sessions on one mailbox: each sees the other's appends, flag changes
and expunges through NOOP (RFC 3501 §7.4.1 untagged updates), and a message
expunged by the other session behaves per RFC 2180 §4.1 while this session
has not been told yet."""
import re

from imap_raw import apply_expunges, connect, fetches, message, norm, search_numbers, srv  # noqa: F401


def filled(connect, count=3):
    a = connect("alice")
    for n in range(count):
        assert " OK " in a.append("INBOX", message(f"m{n + 1}"))
    a.ok("SELECT INBOX")
    b = connect("alice")
    b.ok("SELECT INBOX")
    return a, b


def test_appends_flags_and_expunges_seen_via_noop(connect):
    a, b = filled(connect, 2)
    # B appends: A learns of it at its next NOOP (EXISTS; RECENT may follow).
    assert " OK " in b.append("INBOX", message("from b"))
    untagged, tagged = a.cmd("NOOP", tag="n1")
    assert "* 3 EXISTS" in untagged, untagged
    assert all(re.fullmatch(r"\* \d+ (EXISTS|RECENT)", u) for u in untagged), untagged
    assert norm(tagged) == "n1 OK NOOP completed"
    b.ok("NOOP")
    # B changes flags: A gets an untagged FETCH with the new flags.
    b.ok(r"STORE 1 +FLAGS.SILENT (\Flagged \Seen)")
    got = fetches(a.ok("NOOP"))
    assert list(got) == [1] and {r"\Flagged", r"\Seen"} <= set(got[1]["FLAGS"]), got
    # B expunges message 2: A gets "* 2 EXPUNGE" and the numbers shift.
    b.ok(r"STORE 2 +FLAGS.SILENT (\Deleted)")
    assert b.ok("EXPUNGE") == ["* 2 EXPUNGE"]
    untagged = a.ok("NOOP")
    assert apply_expunges([1, 2, 3], untagged) == [1, 3] and "* 2 EXPUNGE" in untagged, untagged
    got = fetches(a.ok("FETCH 1:* (UID)"))
    assert {n: v["UID"] for n, v in got.items()} == {1: "1", 2: "3"}
    # Nothing more is pending for either.
    assert a.ok("NOOP") == [] and b.ok("NOOP") == []


def test_message_expunged_by_other_session_during_fetch(connect):
    a, b = filled(connect, 3)
    b.ok(r"STORE 2 +FLAGS.SILENT (\Deleted)")
    assert b.ok("EXPUNGE") == ["* 2 EXPUNGE"]
    # RFC 3501 §7.4.1: no EXPUNGE during FETCH, STORE or SEARCH, so A's
    # sequence numbers stay as they were: 3 is still UID 3.
    untagged, tagged = a.cmd("FETCH 1:3 (UID)", tag="f1")
    assert not any(u.endswith(" EXPUNGE") for u in untagged), untagged
    got = fetches(untagged)
    assert got[1]["UID"] == "1" and got[3]["UID"] == "3", got
    # RFC 2180 §4.1.1-4.1.3: message 2 is returned (from what the server
    # still has) or left out with NO [EXPUNGEISSUED] (Dovecot's way).
    if 2 in got:
        assert got[2]["UID"] == "2" and tagged.startswith("f1 OK "), (got, tagged)
    else:
        assert tagged.startswith("f1 NO [EXPUNGEISSUED]"), tagged
    untagged, tagged = a.cmd("SEARCH ALL", tag="f2")
    assert not any(u.endswith(" EXPUNGE") for u in untagged), untagged
    untagged, tagged = a.cmd(r"STORE 3 +FLAGS (\Answered)", tag="f3")
    assert not any(u.endswith(" EXPUNGE") for u in untagged), untagged
    assert fetches(untagged)[3]["FLAGS"] and tagged.startswith("f3 OK"), (untagged, tagged)
    # The expunge is reported at the next NOOP; then the numbers shift.
    untagged = a.ok("NOOP")
    assert apply_expunges([1, 2, 3], untagged) == [1, 3] and "* 2 EXPUNGE" in untagged, untagged
    assert {n: v["UID"] for n, v in fetches(a.ok("FETCH 1:* UID")).items()} == {1: "1", 2: "3"}
    assert search_numbers(a.ok("SEARCH ANSWERED")) == [2]
    # B sees A's flag change.
    got = fetches(b.ok("NOOP"))
    assert r"\Answered" in got[2]["FLAGS"], got
