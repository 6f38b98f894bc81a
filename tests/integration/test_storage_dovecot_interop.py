"""Interoperability with Dovecot 2.3 on one Maildir (issue 5, "Done when").

(a) Dovecot writes (doveadm save, dovecot-lda, doveadm flags, doveadm
    expunge) and Loft reads the same UIDs, UIDVALIDITY, UIDNEXT, flags,
    keywords and mailbox GUIDs, in INBOX and in a subfolder.
(b) Loft writes (saves, flags, keywords, expunges, folders, subscriptions)
    and doveadm fetch / mailbox list / mailbox status agree.
(c) dovecot-lda delivers into INBOX while Loft saves into it: afterwards
    every UID is unique and both programs list the same messages.

Everything runs as a temporary system user (Dovecot refuses root); see
storage_util.DovecotUser.
"""
from __future__ import annotations

import shutil
import threading

import pytest

from storage_util import DovecotUser, make_message, temp_dir, tool_binary

pytestmark = pytest.mark.skipif(shutil.which("doveadm") is None, reason="dovecot-core is not installed")


@pytest.fixture
def dv(build_dir):
    user = DovecotUser(temp_dir("interop"), tool_binary(build_dir))
    yield user
    user.close()


def loft_flag_map(fetch):
    return fetch.flag_map()


def assert_same_mailbox(dv: DovecotUser, mailbox: str):
    """doveadm's and Loft's views of `mailbox` are the same; returns Loft's fetch."""
    want = dv.fetch(mailbox)
    status = dv.status(mailbox)
    got = dv.tool.fetch(mailbox, "--guid")
    assert got.uids == sorted(want), f"{mailbox}: Loft UIDs {got.uids}, Dovecot UIDs {sorted(want)}"
    for uid, (flags, keywords) in want.items():
        assert got.flag_map()[uid] == (flags, keywords), \
            f"{mailbox} UID {uid}: Loft has {got.flag_map()[uid]}, Dovecot {(flags, keywords)}"
    assert got.uidvalidity == int(status["uidvalidity"]), f"{mailbox}: UIDVALIDITY {got.header} vs {status}"
    assert got.uidnext == int(status["uidnext"]), f"{mailbox}: UIDNEXT {got.header} vs {status}"
    assert int(got.header["messages"]) == int(status["messages"])
    assert got.header["guid"] == status["guid"], f"{mailbox}: mailbox GUID {got.header['guid']} vs {status['guid']}"
    return got


def test_dovecot_writes_loft_reads(dv):
    # INBOX: five doveadm saves, three dovecot-lda deliveries.
    for i in range(5):
        dv.doveadm("save", "-m", "INBOX", input=make_message(f"dsave-{i}"))
    for i in range(3):
        dv.lda(make_message(f"dlda-{i}"))
    dv.doveadm("flags", "add", "\\Seen kw1", "mailbox", "INBOX", "uid", "1")
    dv.doveadm("flags", "add", "\\Answered \\Flagged $Forwarded", "mailbox", "INBOX", "uid", "2")
    dv.doveadm("flags", "add", "\\Draft \\Deleted", "mailbox", "INBOX", "uid", "3")
    # 20 keywords on one message: letters a..t of dovecot-keywords.
    many = " ".join(f"many{k}" for k in range(20))
    dv.doveadm("flags", "add", many, "mailbox", "INBOX", "uid", "4")
    dv.doveadm("flags", "add", "\\Seen later", "mailbox", "INBOX", "uid", "6:8")
    dv.doveadm("flags", "remove", "\\Seen", "mailbox", "INBOX", "uid", "8")
    dv.doveadm("expunge", "mailbox", "INBOX", "uid", "5")
    dv.doveadm("expunge", "mailbox", "INBOX", "uid", "7")

    # A subfolder with its own UIDVALIDITY and GUID.
    dv.doveadm("mailbox", "create", "Archive.2024")
    for i in range(3):
        dv.doveadm("save", "-m", "Archive.2024", input=make_message(f"arch-{i}"))
    dv.doveadm("flags", "add", "\\Seen $Junk", "mailbox", "Archive.2024", "uid", "2")
    dv.doveadm("expunge", "mailbox", "Archive.2024", "uid", "1")

    inbox = assert_same_mailbox(dv, "INBOX")
    assert inbox.uids == [1, 2, 3, 4, 6, 8]
    assert inbox.flag_map()[4][1] == frozenset(f"many{k}" for k in range(20))
    assert inbox.flag_map()[2] == (frozenset({"\\Answered", "\\Flagged"}), frozenset({"$Forwarded"}))
    arch = assert_same_mailbox(dv, "Archive.2024")
    assert arch.uids == [2, 3]
    assert arch.uidvalidity != 0

    # The bodies Loft reads are the ones Dovecot stored.
    tokens = dv.tool.fetch("INBOX", "--verify").tokens()
    assert tokens == {1: "dsave-0", 2: "dsave-1", 3: "dsave-2", 4: "dsave-3", 6: "dlda-0", 8: "dlda-2"}

    # Loft having opened the Maildir changes nothing Dovecot sees, and
    # Dovecot keeps counting UIDs where it left off.
    assert_same_mailbox(dv, "INBOX")
    dv.doveadm("save", "-m", "INBOX", input=make_message("dsave-after"))
    after = assert_same_mailbox(dv, "INBOX")
    assert after.uids[-1] == 9


def test_loft_writes_dovecot_reads(dv):
    tool = dv.tool
    tool("create", "Work")
    tool("create", "Work.Projects")
    tool("create", "Bücher")
    tool("subscribe", "Work")
    tool("subscribe", "Bücher")
    uids = [tool.save("INBOX", make_message(f"lsave-{i}")) for i in range(6)]
    assert uids == [1, 2, 3, 4, 5, 6]
    assert tool.save("INBOX", make_message("lsave-flags"), "--flags", "\\Seen \\Flagged",
                     "--keywords", "$Label1 project") == 7
    tool("flags", "INBOX", "1:2", "+", "\\Seen", "\\Answered", "todo")
    tool("flags", "INBOX", "3", "=", "\\Draft", "$Forwarded")
    tool("flags", "INBOX", "2", "-", "\\Answered")
    # More than 26 keywords over the mailbox: Dovecot's letters run out.
    for k in range(30):
        tool("flags", "INBOX", "4", "+", f"kw{k}")
    tool("flags", "INBOX", "4", "-", *(f"kw{k}" for k in range(4, 30)))
    tool("expunge", "INBOX", "5")
    tool("expunge", "INBOX", "6")
    for i in range(3):
        tool.save("Work.Projects", make_message(f"wp-{i}"))
    tool("flags", "Work.Projects", "2", "+", "\\Deleted")

    loft = assert_same_mailbox(dv, "INBOX")
    assert loft.uids == [1, 2, 3, 4, 7]
    flags = loft.flag_map()
    assert flags[1] == (frozenset({"\\Seen", "\\Answered"}), frozenset({"todo"}))
    assert flags[2] == (frozenset({"\\Seen"}), frozenset({"todo"}))
    assert flags[3] == (frozenset({"\\Draft"}), frozenset({"$Forwarded"}))
    assert flags[4] == (frozenset(), frozenset({"kw0", "kw1", "kw2", "kw3"}))
    assert flags[7] == (frozenset({"\\Seen", "\\Flagged"}), frozenset({"$Label1", "project"}))
    assert loft.uidnext == 8
    wp = assert_same_mailbox(dv, "Work.Projects")
    assert wp.uids == [1, 2, 3]

    names = dv.mailboxes()
    assert {"INBOX", "Work", "Work.Projects", "Bücher"} <= names, names
    assert dv.mailboxes("-s") == {"Work", "Bücher"}
    # Dovecot's on-disk names: Maildir++ with modified UTF-7.
    assert (dv.maildir / ".B&APw-cher" / "cur").is_dir()
    assert (dv.maildir / ".Work.Projects" / "cur").is_dir()

    # Dovecot continues the UIDs Loft assigned, and Loft sees its save.
    dv.doveadm("save", "-m", "INBOX", input=make_message("dv-after"))
    assert dv.tool.fetch("INBOX").uids == [1, 2, 3, 4, 7, 8]


def test_concurrent_lda_and_loft(dv):
    dv.lda(make_message("first"))  # creates the Maildir the Dovecot way
    count = 40
    errors: list[BaseException] = []

    def deliver():
        try:
            for i in range(count):
                dv.lda(make_message(f"lda-{i}"))
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    t = threading.Thread(target=deliver)
    t.start()
    out = dv.tool("save-many", "INBOX", str(count), "--prefix", "loft").stdout.decode()
    t.join()
    assert not errors, errors
    loft_saved = {}
    for line in out.splitlines():
        uid, token = line.split()
        assert int(uid) not in loft_saved, f"UID {uid} printed twice"
        loft_saved[int(uid)] = token
    assert len(loft_saved) == count

    got = dv.tool.fetch("INBOX", "--verify")
    tokens = got.tokens()
    assert len(tokens) == 2 * count + 1
    assert sorted(tokens.values()) == sorted(["first"] + [f"lda-{i}" for i in range(count)] +
                                             [f"loft-{i}" for i in range(count)])
    for uid, token in loft_saved.items():
        assert tokens[uid] == token, f"UID {uid}: Loft saved {token}, the mailbox has {tokens[uid]}"
    assert got.uids == sorted(set(got.uids))
    assert_same_mailbox(dv, "INBOX")
