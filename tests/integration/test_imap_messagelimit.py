"""SAVELIMIT and MESSAGELIMIT (RFC 9738).

SAVELIMIT: imap_save_limit caps the messages one COPY / UID COPY or one
MULTIAPPEND APPEND may save. Over the limit the command is refused as a
whole with NO [MESSAGELIMIT <n> [<uid>]] and nothing is saved (COPY and
MULTIAPPEND are atomic, RFC 9738 §3.1); at the limit it works. MOVE is not
covered by SAVELIMIT. Without the setting nothing is advertised and nothing
is limited.

MESSAGELIMIT: imap_message_limit also caps FETCH, SEARCH, STORE, MOVE and
UID EXPUNGE: they do the messages with the highest UIDs and answer OK
[MESSAGELIMIT <n> <lowest uid done>], so a client can go on below; EXPUNGE
is never limited; UIDAFTER / UIDBEFORE search keys (§3.2)."""
import re

import pytest

from imap_raw import Wire, connect, fetches, message, norm, srv  # noqa: F401
from imapd_util import ImapServer

LIMIT = 3


@pytest.fixture
def limited(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, extra_config=f"imap_save_limit = {LIMIT}\n") as server:
        yield server


def session(server) -> Wire:
    w = Wire.connect(server.port, server.host)
    w.greeting()
    w.login()
    return w


def fill(w, count: int, mailbox: str = "INBOX"):
    for i in range(count):
        assert " OK " in w.append(mailbox, message(f"message {i + 1}"))


def count(w, mailbox: str) -> int:
    (line,) = [x for x in w.ok(f"STATUS {mailbox} (MESSAGES)") if x.startswith("* STATUS")]
    return int(re.search(r"MESSAGES (\d+)", line).group(1))


def multiappend(w, mailbox: str, n: int, tag: str):
    parts = [f"{tag} APPEND {mailbox}".encode()]
    for i in range(n):
        body = message(f"multi {i + 1}")
        parts.append(f" {{{len(body)}+}}\r\n".encode() + body)
    w.send(b"".join(parts) + b"\r\n")
    return w.read_until_tagged(tag)


def test_capability_with_the_setting(limited):
    w = session(limited)
    (caps,) = w.ok("CAPABILITY")
    assert f"SAVELIMIT={LIMIT}" in caps.split(), caps
    # SAVELIMIT instead of MESSAGELIMIT: only saves are limited (§3).
    assert not any(c.startswith("MESSAGELIMIT") for c in caps.split()), caps
    w.close()


def test_copy_at_and_over_the_limit(limited):
    w = session(limited)
    fill(w, 5)
    w.ok("CREATE Trash")
    w.ok("SELECT INBOX")
    # At the limit: copied.
    untagged, tagged = w.cmd("UID COPY 1:3 Trash")
    assert re.match(r"\S+ OK \[COPYUID \d+ 1:3 1:3\]", tagged), tagged
    # One over: refused, nothing copied; the UID is the lowest of the
    # three highest (the §3.1 "UID COPY 18000:21000" example's form).
    untagged, tagged = w.cmd("UID COPY 1:4 Trash", tag="c")
    assert norm(tagged) == "c NO [MESSAGELIMIT 3 2] Too many messages to copy, try a smaller subset", tagged
    assert count(w, "Trash") == 3
    untagged, tagged = w.cmd("COPY 1:* Trash", tag="d")
    assert tagged.startswith("d NO [MESSAGELIMIT 3 3] "), tagged
    assert count(w, "Trash") == 3
    # UIDs that do not exist do not count: 2:4 and 9:20 name three messages.
    untagged, tagged = w.cmd("UID COPY 2:4,9:20 Trash", tag="e")
    assert " OK [COPYUID " in tagged, tagged
    assert count(w, "Trash") == 6
    w.close()


def test_move_is_not_limited(limited):
    w = session(limited)
    fill(w, 5)
    w.ok("CREATE Archive")
    w.ok("SELECT INBOX")
    untagged, tagged = w.cmd("UID MOVE 1:5 Archive", tag="m")
    assert " OK " in tagged and "MESSAGELIMIT" not in tagged, (untagged, tagged)
    assert count(w, "Archive") == 5
    w.close()


def test_multiappend_at_and_over_the_limit(limited):
    w = session(limited)
    w.ok("CREATE Drafts")
    untagged, tagged = multiappend(w, "Drafts", LIMIT, "a")
    assert re.match(r"a OK \[APPENDUID \d+ 1:3\]", tagged), tagged
    untagged, tagged = multiappend(w, "Drafts", LIMIT + 1, "b")
    assert norm(tagged) == "b NO [MESSAGELIMIT 3] Too many messages to append, try a smaller subset", tagged
    assert count(w, "Drafts") == LIMIT
    # A single APPEND is one message, whatever the limit.
    assert " OK " in w.append("Drafts", message("single"))
    assert count(w, "Drafts") == LIMIT + 1
    w.close()


def test_unlimited_by_default(connect):
    w = connect()
    (caps,) = w.ok("CAPABILITY")
    assert not any(c.startswith(("SAVELIMIT", "MESSAGELIMIT")) for c in caps.split()), caps
    fill(w, 5)
    w.ok("CREATE Trash")
    w.ok("SELECT INBOX")
    untagged, tagged = w.cmd("UID COPY 1:5 Trash")
    assert " OK [COPYUID " in tagged, tagged


# ---- MESSAGELIMIT -------------------------------------------------------


@pytest.fixture
def mlimited(build_dir, tmp_path):
    # imap_save_limit is there to show MESSAGELIMIT takes its place.
    config = f"imap_message_limit = {LIMIT}\nimap_save_limit = 100\n"
    with ImapServer(build_dir, tmp_path, extra_config=config) as server:
        yield server


def uids_of(untagged) -> list[int]:
    return sorted(int(items["UID"]) for items in fetches(untagged).values())


def searched(untagged) -> list[int]:
    (line,) = [x for x in untagged if x.startswith("* SEARCH")]
    return [int(n) for n in line.split()[2:]]


def test_messagelimit_capability_replaces_savelimit(mlimited):
    w = session(mlimited)
    (caps,) = w.ok("CAPABILITY")
    assert f"MESSAGELIMIT={LIMIT}" in caps.split(), caps
    assert not any(c.startswith("SAVELIMIT") for c in caps.split()), caps
    # COPY is refused over the MESSAGELIMIT, not over imap_save_limit.
    fill(w, 4)
    w.ok("CREATE Trash")
    w.ok("SELECT INBOX")
    untagged, tagged = w.cmd("COPY 1:4 Trash", tag="c")
    assert norm(tagged) == "c NO [MESSAGELIMIT 3 2] Too many messages to copy, try a smaller subset", tagged
    assert count(w, "Trash") == 0
    w.close()


def test_fetch_at_and_over_the_limit(mlimited):
    w = session(mlimited)
    fill(w, 5)
    w.ok("SELECT INBOX")
    # n messages: all of them, no response code.
    untagged, tagged = w.cmd("FETCH 1:3 (UID FLAGS)", tag="a")
    assert sorted(fetches(untagged)) == [1, 2, 3]
    assert norm(tagged) == "a OK Fetch completed", tagged
    # n + 1: the n highest UIDs, and where the client goes on from (§3.1's
    # "03 FETCH 10000:14589" example).
    untagged, tagged = w.cmd("FETCH 2:5 (UID FLAGS)", tag="b")
    # From the highest UID down, as §3.1 requires and shows.
    order = [int(x.split()[1]) for x in untagged if x.endswith(")") and " FETCH " in x]
    assert order == [5, 4, 3], untagged
    assert norm(tagged) == "b OK [MESSAGELIMIT 3 3] Fetch completed with partial results", tagged
    untagged, tagged = w.cmd("UID FETCH 1:* (FLAGS)", tag="c")
    assert uids_of(untagged) == [3, 4, 5]
    assert tagged.startswith("c OK [MESSAGELIMIT 3 3] "), tagged
    # Only the messages fetched get \Seen from a non-PEEK body fetch.
    untagged, tagged = w.cmd("FETCH 1:5 BODY[TEXT]", tag="d")
    assert tagged.startswith("d OK [MESSAGELIMIT 3 3] "), tagged
    flags = {seq: items["FLAGS"] for seq, items in fetches(w.ok("FETCH 1:2 (FLAGS)")).items()}
    assert not any("\\Seen" in f for f in flags.values()), flags
    w.close()


def test_fetch_continuing_from_the_returned_uid_gets_every_message_once(mlimited):
    w = session(mlimited)
    fill(w, 10)
    w.ok("SELECT INBOX")
    w.ok("STORE 4 +FLAGS (\\Deleted)")
    w.ok("EXPUNGE")  # a hole: UIDs 1:3,5:10
    got = []
    rounds = 0
    upper = "*"
    while True:
        untagged, tagged = w.cmd(f"UID FETCH 1:{upper} (UID)", tag="f")
        got += uids_of(untagged)
        rounds += 1
        m = re.match(r"f OK \[MESSAGELIMIT 3 (\d+)\]", tagged)
        if not m:
            assert norm(tagged) == "f OK Fetch completed", tagged
            break
        assert int(m.group(1)) == min(uids_of(untagged))
        upper = int(m.group(1)) - 1
    assert sorted(got) == [1, 2, 3, 5, 6, 7, 8, 9, 10] and len(got) == len(set(got)), got
    assert rounds == 3
    w.close()


def test_fetch_partial_over_the_limit_is_refused(mlimited):
    w = session(mlimited)
    fill(w, 5)
    w.ok("SELECT INBOX")
    # §3.1: the PARTIAL range counts, and no work is done.
    untagged, tagged = w.cmd("UID FETCH 1:* (UID FLAGS) (PARTIAL -1:-4)", tag="p")
    assert norm(tagged) == "p NO [MESSAGELIMIT 3] FETCH exceeds the maximum 3-message limit", tagged
    assert not fetches(untagged)
    untagged, tagged = w.cmd("UID FETCH 1:* (UID FLAGS) (PARTIAL -1:-3)", tag="q")
    assert uids_of(untagged) == [3, 4, 5]
    assert norm(tagged) == "q OK Fetch completed", tagged
    w.close()


def test_search_counts_messages_searched(mlimited):
    w = session(mlimited)
    fill(w, 6)
    w.ok("SELECT INBOX")
    w.ok("STORE 5 +FLAGS (\\Deleted)")
    # Six searched, three kept: 4:6, of which 5 does not match (§3.1's
    # "04 UID SEARCH UID 22000:25000 UNDELETED" example).
    untagged, tagged = w.cmd("UID SEARCH UNDELETED", tag="s")
    assert searched(untagged) == [4, 6]
    assert norm(tagged) == "s OK [MESSAGELIMIT 3 4] Search completed with partial results", tagged
    # A UID range limits what is searched.
    untagged, tagged = w.cmd("UID SEARCH UID 1:4 UNDELETED", tag="t")
    assert searched(untagged) == [2, 3, 4]
    assert tagged.startswith("t OK [MESSAGELIMIT 3 2] "), tagged
    # So does a sequence set, and SEARCH answers sequence numbers.
    untagged, tagged = w.cmd("SEARCH 2:4 UNDELETED", tag="u")
    assert searched(untagged) == [2, 3, 4]
    assert norm(tagged) == "u OK Search completed", tagged
    # Going on below the returned UID with UIDBEFORE (§3.2).
    untagged, tagged = w.cmd("UID SEARCH UIDBEFORE 4 UNDELETED", tag="v")
    assert searched(untagged) == [1, 2, 3]
    assert norm(tagged) == "v OK Search completed", tagged
    w.close()


def test_uidafter_uidbefore(mlimited):
    w = session(mlimited)
    fill(w, 3)
    w.ok("SELECT INBOX")
    assert searched(w.ok("UID SEARCH UIDAFTER 1")) == [2, 3]
    # Not "UID 4:*", which would name the last message (RFC 3501 §6.4.8).
    assert searched(w.ok("UID SEARCH UIDAFTER 3")) == []
    assert searched(w.ok("UID SEARCH UIDBEFORE 3")) == [1, 2]
    assert searched(w.ok("UID SEARCH UIDBEFORE 1")) == []
    assert searched(w.ok("SEARCH uidafter 1 uidbefore 3")) == [2]
    for bad in ("UIDAFTER 0", "UIDBEFORE 4294967296", "UIDAFTER *", "UIDBEFORE 1:2", "UIDAFTER"):
        untagged, tagged = w.cmd(f"UID SEARCH {bad}", tag="x")
        assert tagged.startswith("x BAD "), (bad, tagged)
    w.close()


def test_search_save_keeps_only_the_cut_result(mlimited):
    w = session(mlimited)
    fill(w, 5)
    w.ok("SELECT INBOX")
    # §3.4: "$" holds what the cut search found.
    untagged, tagged = w.cmd("UID SEARCH RETURN (SAVE) ALL", tag="s")
    assert norm(tagged) == "s OK [MESSAGELIMIT 3 3] Search completed with partial results", tagged
    assert uids_of(w.ok("UID FETCH $ (UID)")) == [3, 4, 5]
    w.close()


def test_store_over_the_limit(mlimited):
    w = session(mlimited)
    fill(w, 5)
    w.ok("SELECT INBOX")
    untagged, tagged = w.cmd("UID STORE 1:5 +FLAGS (\\Seen)", tag="s")
    assert uids_of(untagged) == [3, 4, 5]
    assert norm(tagged) == "s OK [MESSAGELIMIT 3 3] Store completed for the messages with the highest UIDs", tagged
    flags = {seq: items["FLAGS"] for seq, items in fetches(w.ok("FETCH 1:2 (FLAGS)")).items()}
    assert not any("\\Seen" in f for f in flags.values()), flags
    # Going on as §3.1 says, with a range below the returned UID.
    untagged, tagged = w.cmd("UID STORE 1:2 +FLAGS (\\Seen)", tag="t")
    assert norm(tagged) == "t OK Store completed", tagged
    assert uids_of(untagged) == [1, 2]
    w.close()


def test_store_unchangedsince_over_the_limit(mlimited):
    w = session(mlimited)
    fill(w, 5)
    w.ok("SELECT INBOX")
    w.ok("STORE 5 +FLAGS (\\Flagged)")
    (line,) = [x for x in w.ok("FETCH 4 (MODSEQ)") if x.startswith("* 4 FETCH")]
    modseq = int(re.search(r"MODSEQ \((\d+)\)", line).group(1))
    # 5 changed after `modseq`: MODIFIED in the tagged OK, MESSAGELIMIT in
    # an untagged NO (the form §3.1 gives for EXPUNGEISSUED).
    untagged, tagged = w.cmd(f"STORE 1:5 (UNCHANGEDSINCE {modseq}) +FLAGS (\\Seen)", tag="u")
    assert tagged.startswith("u OK [MODIFIED 5] "), tagged
    assert any(x.startswith("* NO [MESSAGELIMIT 3 3] ") for x in untagged), untagged
    # (FETCH 1:5 would be cut too.)
    flags = {seq: items["FLAGS"] for seq, items in fetches(w.ok("FETCH 1:2 (FLAGS)") + w.ok("FETCH 3:4 (FLAGS)")).items()}
    assert "\\Seen" not in flags[1] + flags[2] and "\\Seen" in flags[3] and "\\Seen" in flags[4], flags
    w.close()


def test_move_over_the_limit_and_another_session(mlimited):
    w = session(mlimited)
    other = session(mlimited)
    fill(w, 5)
    w.ok("CREATE Archive")
    w.ok("SELECT INBOX")
    other.ok("SELECT INBOX")
    # §3.1's "06 UID MOVE 18000:21000" example: the highest UIDs move, and
    # the same command again moves the rest.
    untagged, tagged = w.cmd("UID MOVE 1:5 Archive", tag="m")
    assert any(re.match(r"\* OK \[COPYUID \d+ 3:5 1:3\]", x) for x in untagged), untagged
    assert sum(1 for x in untagged if x.endswith(" EXPUNGE")) == 3, untagged
    assert norm(tagged) == "m OK [MESSAGELIMIT 3 3] Move completed for the messages with the highest UIDs", tagged
    # Another session on the mailbox sees the three go, and nothing else.
    untagged = other.ok("NOOP")
    assert sum(1 for x in untagged if x.endswith(" EXPUNGE")) == 3, untagged
    assert uids_of(other.ok("UID FETCH 1:* (UID)")) == [1, 2]
    untagged, tagged = w.cmd("UID MOVE 1:5 Archive", tag="n")
    assert norm(tagged) == "n OK Move completed", tagged
    assert count(w, "Archive") == 5 and count(w, "INBOX") == 0
    other.close()
    w.close()


def test_uid_expunge_over_the_limit_expunge_never(mlimited):
    w = session(mlimited)
    fill(w, 7)
    w.ok("SELECT INBOX")
    w.ok("UID STORE 1:2 +FLAGS (\\Deleted)")
    w.ok("UID STORE 4:6 +FLAGS (\\Deleted)")
    # §3.1's "08 UID EXPUNGE 11000:13000" example: the limit counts the
    # \Deleted messages; the highest go, and the same command again
    # removes the rest.
    untagged, tagged = w.cmd("UID EXPUNGE 1:7", tag="e")
    assert sum(1 for x in untagged if x.endswith(" EXPUNGE")) == 3, untagged
    assert norm(tagged) == (
        "e OK [MESSAGELIMIT 3 4] UID EXPUNGE completed for the messages with the highest UIDs"), tagged
    assert uids_of(w.ok("UID FETCH 1:3 (UID)")) + uids_of(w.ok("UID FETCH 4:7 (UID)")) == [1, 2, 3, 7]
    untagged, tagged = w.cmd("UID EXPUNGE 1:7", tag="f")
    assert norm(tagged) == "f OK Expunge completed", tagged
    assert count(w, "INBOX") == 2
    # EXPUNGE: no limit (§3.1 "09 EXPUNGE").
    fill(w, 3)
    w.ok("UID STORE 1:7 +FLAGS (\\Deleted)")  # 3, 7: two messages
    w.ok("UID STORE 8:10 +FLAGS (\\Deleted)")
    untagged, tagged = w.cmd("EXPUNGE", tag="g")
    assert sum(1 for x in untagged if x.endswith(" EXPUNGE")) == 5, untagged
    assert norm(tagged) == "g OK Expunge completed", tagged
    w.close()


def test_fetch_cut_with_expungeissued(mlimited):
    w = session(mlimited)
    other = session(mlimited)
    fill(w, 5)
    w.ok("SELECT INBOX")
    other.ok("SELECT INBOX")
    other.ok("STORE 4 +FLAGS (\\Deleted)")
    other.ok("EXPUNGE")
    # w has not been told: message 4 is still in its view, its file gone.
    # §3.1: EXPUNGEISSUED in the tagged OK, MESSAGELIMIT in an untagged NO.
    untagged, tagged = w.cmd("FETCH 1:5 (UID BODY.PEEK[])", tag="x")
    assert tagged.startswith("x OK [EXPUNGEISSUED] "), (untagged, tagged)
    assert [x for x in untagged if x.startswith("* NO ")] == [
        "* NO [MESSAGELIMIT 3 3] Fetch completed with partial results."], untagged
    other.close()
    w.close()


def test_imaplib_pages_through_the_mailbox(mlimited):
    """A plain imaplib client: a FETCH 1:* gives only the newest n (RFC 9738
    §4.1), and the code it keeps by name lets it fetch the rest."""
    w = session(mlimited)
    fill(w, 7)
    w.close()
    imap = mlimited.connect()
    imap.login("alice", "secret")
    imap.select("INBOX")
    seen = []
    upper = "*"
    while True:
        typ, data = imap.uid("FETCH", f"1:{upper}", "(UID)")
        assert typ == "OK", data
        seen += [int(re.search(rb"UID (\d+)", d).group(1)) for d in data]
        typ, codes = imap.response("MESSAGELIMIT")
        if not codes or codes == [None]:
            break
        (code,) = codes
        limit, lowest = code.split()
        assert int(limit) == LIMIT
        upper = int(lowest) - 1
    assert sorted(seen) == list(range(1, 8)) and len(seen) == 7, seen
    imap.logout()
