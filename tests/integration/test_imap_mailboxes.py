"""loft-imapd through real sockets: SELECT/EXAMINE and the mailbox commands
(CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST with LIST-EXTENDED,
LIST-STATUS and SPECIAL-USE, LSUB, NAMESPACE, STATUS), checked on the wire
and on disk (Maildir++: folder Foo.Bar is the directory .Foo.Bar)."""
import re

from imap_raw import connect, fetches, listed, mail_files, message, norm, parse_status, srv  # noqa: F401

BASE_FLAGS = r"\Answered \Flagged \Deleted \Seen \Draft"


def three_messages(w):
    """INBOX with 3 messages, the first \\Seen; returns their sizes."""
    msgs = [message("one"), message("two", "second\r\n"), message("three", "third body\r\n")]
    assert " OK " in w.append("INBOX", msgs[0], flags=r"\Seen")
    assert " OK " in w.append("INBOX", msgs[1])
    assert " OK " in w.append("INBOX", msgs[2])
    return [len(m) for m in msgs]


def split_select(untagged):
    """The SELECT/EXAMINE untagged responses as a dict by kind; HIGHESTMODSEQ
    and NOMODSEQ (CONDSTORE, RFC 7162) and MAILBOXID (OBJECTID, RFC 8474;
    test_imap_objectid.py) are allowed extras."""
    out = {}
    for line in untagged:
        m = re.match(r"\* OK \[(\w+-?\w*)[ \]]", line)
        if m:
            key = m.group(1)
        elif re.fullmatch(r"\* \d+ (EXISTS|RECENT)", line):
            key = line.split()[2]
        elif line.startswith("* FLAGS "):
            key = "FLAGS"
        else:
            raise AssertionError(f"unexpected SELECT response {line!r} in {untagged}")
        assert key not in out, (key, untagged)
        out[key] = line
    out.pop("HIGHESTMODSEQ", None)
    out.pop("NOMODSEQ", None)
    out.pop("CLOSED", None)
    out.pop("MAILBOXID", None)
    return out


def test_select_and_examine(connect):
    w = connect()
    three_messages(w)
    _, status = parse_status(w.ok("STATUS INBOX (UIDVALIDITY)")[0])
    uidvalidity = status["UIDVALIDITY"]
    # EXAMINE: read-only and \Recent not cleared (RFC 3501 §6.3.2): after
    # two EXAMINEs the SELECT below still gets all three.
    for tag in ("x1", "x2"):
        untagged, tagged = w.cmd("EXAMINE INBOX", tag=tag)
        got = split_select(untagged)
        assert got["EXISTS"] == "* 3 EXISTS"
        assert re.fullmatch(r"\* OK \[PERMANENTFLAGS \(\)\] .+", got["PERMANENTFLAGS"]), got
        assert norm(tagged) == f"{tag} OK [READ-ONLY] Examine completed"
    untagged, tagged = w.cmd("SELECT INBOX", tag="s1")
    got = split_select(untagged)
    # RFC 3501 §6.3.1: FLAGS, EXISTS, RECENT, UNSEEN, PERMANENTFLAGS (with \*:
    # keywords may be created), UIDNEXT, UIDVALIDITY; READ-WRITE.
    assert got == {
        "FLAGS": rf"* FLAGS ({BASE_FLAGS})",
        "PERMANENTFLAGS": got["PERMANENTFLAGS"],
        "EXISTS": "* 3 EXISTS",
        "RECENT": "* 3 RECENT",
        "UNSEEN": got["UNSEEN"],
        "UIDVALIDITY": got["UIDVALIDITY"],
        "UIDNEXT": got["UIDNEXT"],
    }
    assert norm(got["PERMANENTFLAGS"]) == rf"* OK [PERMANENTFLAGS ({BASE_FLAGS} \*)] Flags permitted"
    assert norm(got["UNSEEN"]) == "* OK [UNSEEN 2] First unseen"
    assert norm(got["UIDVALIDITY"]) == f"* OK [UIDVALIDITY {uidvalidity}] UIDs valid"
    assert norm(got["UIDNEXT"]) == "* OK [UIDNEXT 4] Predicted next UID"
    assert norm(tagged) == "s1 OK [READ-WRITE] Select completed"
    # This session took \Recent; another one sees none (RFC 3501 §2.3.2).
    other = connect()
    got = split_select(other.ok("SELECT INBOX"))
    assert got["RECENT"] == "* 0 RECENT" and got["EXISTS"] == "* 3 EXISTS"
    # A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1).
    untagged, tagged = w.cmd("SELECT Nope", tag="s2")
    assert re.fullmatch(r"s2 NO (\[NONEXISTENT\] )?Mailbox doesn't exist: Nope", norm(tagged)), tagged
    assert norm(w.cmd("FETCH 1 FLAGS", tag="s3")[1]) == "s3 BAD No mailbox selected"
    untagged, tagged = w.cmd("SELECT", tag="s4")
    assert tagged.startswith("s4 BAD "), tagged


def test_recent_before_any_session_claims_it(connect):
    """New messages are \\Recent until a session selects the mailbox (RFC
    3501 §2.3.2); EXAMINE and STATUS count them without claiming them."""
    w = connect()
    three_messages(w)
    assert parse_status(w.ok("STATUS INBOX (RECENT)")[0]) == ("INBOX", {"RECENT": 3})
    assert split_select(w.ok("EXAMINE INBOX"))["RECENT"] == "* 3 RECENT"
    got = fetches(w.ok("FETCH 1:3 FLAGS"))
    assert all(r"\Recent" in got[n]["FLAGS"] for n in (1, 2, 3)), got
    w.ok("UNSELECT")
    assert parse_status(w.ok("STATUS INBOX (RECENT)")[0]) == ("INBOX", {"RECENT": 3})
    # Another session selects: it owns them now; STATUS counts none any more.
    other = connect()
    assert split_select(other.ok("SELECT INBOX"))["RECENT"] == "* 3 RECENT"
    assert parse_status(w.ok("STATUS INBOX (RECENT)")[0]) == ("INBOX", {"RECENT": 0})
    assert split_select(w.ok("EXAMINE INBOX"))["RECENT"] == "* 0 RECENT"


def test_select_empty_mailbox_has_no_unseen(connect):
    w = connect()
    got = split_select(w.ok("SELECT INBOX"))
    assert got["EXISTS"] == "* 0 EXISTS" and got["RECENT"] == "* 0 RECENT"
    assert "UNSEEN" not in got
    assert norm(got["UIDNEXT"]) == "* OK [UIDNEXT 1] Predicted next UID"


def test_create(connect, srv):
    w = connect()
    maildir = srv.maildir("alice")
    untagged, tagged = w.cmd("CREATE Foo", tag="c1")
    # RFC 8474 §4.1: Loft adds [MAILBOXID (...)] (test_imap_objectid.py).
    assert untagged == [] and re.fullmatch(r"c1 OK (\[MAILBOXID \(F[0-9a-f]{32}\)\] )?Create completed",
                                           norm(tagged)), tagged
    assert (maildir / ".Foo" / "cur").is_dir()
    untagged, tagged = w.cmd("CREATE Foo", tag="c2")
    assert norm(tagged) == "c2 NO [ALREADYEXISTS] Mailbox already exists"
    # INBOX is case-insensitive and always exists.
    assert w.cmd("CREATE inbox", tag="c3")[1].startswith("c3 NO ")
    # Parents are implied (RFC 3501 §6.3.3).
    w.ok("CREATE Parent.Child.Grand")
    boxes = listed(w.ok('LIST "" "*"'))
    assert "Parent.Child.Grand" in boxes and r"\HasNoChildren" in boxes["Parent.Child.Grand"]
    assert r"\HasChildren" in boxes["Parent"] and r"\HasChildren" in boxes["Parent.Child"]
    # Names with spaces and 8-bit characters (modified UTF-7, RFC 3501 §5.1.3).
    w.ok('CREATE "Book stuff"')
    w.ok('CREATE "Entw&APw-rfe"')
    boxes = listed(w.ok('LIST "" "*"'))
    assert "Book stuff" in boxes and "Entw&APw-rfe" in boxes
    assert (maildir / ".Book stuff").is_dir() and (maildir / ".Entw&APw-rfe").is_dir()


def test_create_special_use(connect):
    w = connect()
    untagged, tagged = w.cmd(r"CREATE MyDrafts (USE (\Drafts))", tag="u1")
    assert tagged.startswith("u1 OK "), tagged
    # RFC 6154 §5.1: LIST (SPECIAL-USE) returns only special-use mailboxes.
    boxes = listed(w.ok('LIST (SPECIAL-USE) "" "*"'))
    assert "MyDrafts" in boxes and r"\Drafts" in boxes["MyDrafts"]
    assert "INBOX" not in boxes
    boxes = listed(w.ok('LIST "" "*" RETURN (SPECIAL-USE)'))
    assert r"\Drafts" in boxes["MyDrafts"] and "INBOX" in boxes
    untagged, tagged = w.cmd(r"CREATE Weird (USE (\Bogus))", tag="u2")
    assert tagged.startswith("u2 NO [USEATTR]"), tagged


def test_delete(connect, srv):
    w = connect()
    w.ok("CREATE Foo")
    assert " OK " in w.append("Foo", message("in foo"))
    untagged, tagged = w.cmd("DELETE Foo", tag="d1")
    assert untagged == [] and norm(tagged) == "d1 OK Delete completed"
    assert not (srv.maildir("alice") / ".Foo").exists()
    assert "Foo" not in listed(w.ok('LIST "" "*"'))
    untagged, tagged = w.cmd("DELETE Foo", tag="d2")
    assert norm(tagged) == "d2 NO [NONEXISTENT] Mailbox doesn't exist: Foo"
    untagged, tagged = w.cmd("DELETE INBOX", tag="d3")
    assert tagged.startswith("d3 NO "), tagged
    assert parse_status(w.ok("STATUS INBOX (MESSAGES)")[0]) == ("INBOX", {"MESSAGES": 0})


def test_rename(connect, srv):
    w = connect()
    maildir = srv.maildir("alice")
    w.ok("CREATE Foo")
    w.ok("CREATE Foo.Sub")
    w.ok("CREATE Other")
    assert " OK " in w.append("Foo", message("keep me"))
    untagged, tagged = w.cmd("RENAME Foo Bar", tag="r1")
    assert untagged == [] and norm(tagged) == "r1 OK Rename completed"
    boxes = listed(w.ok('LIST "" "*"'))
    # The children move with it (RFC 3501 §6.3.5).
    assert {"Bar", "Bar.Sub", "Other", "INBOX"} <= set(boxes) and "Foo" not in boxes and "Foo.Sub" not in boxes
    assert (maildir / ".Bar.Sub").is_dir() and not (maildir / ".Foo").exists()
    _, status = parse_status(w.ok("STATUS Bar (MESSAGES)")[0])
    assert status == {"MESSAGES": 1}
    untagged, tagged = w.cmd("RENAME Nope X", tag="r2")
    assert norm(tagged) == "r2 NO [NONEXISTENT] Mailbox doesn't exist: Nope"
    untagged, tagged = w.cmd("RENAME Bar Other", tag="r3")
    assert norm(tagged) == "r3 NO [ALREADYEXISTS] Target mailbox already exists"
    # RENAME INBOX moves its messages and leaves INBOX empty (RFC 3501 §6.3.5).
    assert " OK " in w.append("INBOX", message("inbox mail"))
    w.ok("RENAME INBOX Old")
    assert parse_status(w.ok("STATUS INBOX (MESSAGES)")[0])[1] == {"MESSAGES": 0}
    assert parse_status(w.ok("STATUS Old (MESSAGES)")[0])[1] == {"MESSAGES": 1}
    assert len(mail_files(maildir, "Old")) == 1 and mail_files(maildir) == []


def test_subscribe_unsubscribe_lsub(connect):
    w = connect()
    w.ok("CREATE Foo")
    w.ok("CREATE Bar")
    untagged, tagged = w.cmd("SUBSCRIBE Foo", tag="b1")
    assert untagged == [] and norm(tagged) == "b1 OK Subscribe completed"
    untagged, tagged = w.cmd('LSUB "" "*"', tag="b2")
    assert untagged == ['* LSUB () "." Foo'] and norm(tagged) == "b2 OK Lsub completed"
    boxes = listed(w.ok('LIST (SUBSCRIBED) "" "*"'))
    assert set(boxes) == {"Foo"} and r"\Subscribed" in boxes["Foo"]
    boxes = listed(w.ok('LIST "" "*" RETURN (SUBSCRIBED)'))
    assert r"\Subscribed" in boxes["Foo"] and r"\Subscribed" not in boxes["Bar"]
    # A subscription outlives its mailbox (RFC 3501 §6.3.6).
    w.ok("DELETE Foo")
    assert "Foo" in listed(w.ok('LSUB "" "*"'), "LSUB")
    w.ok("CREATE Other")
    w.ok("SUBSCRIBE Other")
    assert {"Foo", "Other"} <= set(listed(w.ok('LSUB "" "*"'), "LSUB"))
    untagged, tagged = w.cmd("UNSUBSCRIBE Foo", tag="b3")
    assert untagged == [] and norm(tagged) == "b3 OK Unsubscribe completed"
    assert set(listed(w.ok('LSUB "" "*"'), "LSUB")) == {"Other"}


def test_list_patterns_children_and_status(connect):
    w = connect()
    for name in ("Work", "Work.Project", "Work.Project.Old", "Personal"):
        w.ok(f"CREATE {name}")
    assert " OK " in w.append("Work", message("w1"))
    assert " OK " in w.append("Work", message("w2"), flags=r"\Seen")
    # RFC 3501 §6.3.8: an empty pattern returns the delimiter and root.
    untagged, tagged = w.cmd('LIST "" ""', tag="l1")
    assert untagged == [r'* LIST (\Noselect) "." ""'] and norm(tagged) == "l1 OK List completed"
    assert set(listed(w.ok('LIST "" "%"'))) == {"INBOX", "Work", "Personal"}
    assert set(listed(w.ok('LIST "" "Work.%"'))) == {"Work.Project"}
    assert set(listed(w.ok('LIST "" "Work*"'))) == {"Work", "Work.Project", "Work.Project.Old"}
    # The reference is prefixed to the pattern.
    assert set(listed(w.ok('LIST "Work." "*"'))) == {"Work.Project", "Work.Project.Old"}
    assert set(listed(w.ok('LIST "" "inbox"'))) == {"INBOX"}
    assert listed(w.ok('LIST "" "NoSuch*"')) == {}
    boxes = listed(w.ok('LIST "" "*" RETURN (CHILDREN)'))
    assert r"\HasChildren" in boxes["Work"] and r"\HasNoChildren" in boxes["Personal"]
    # LIST-STATUS (RFC 5819): a STATUS right after each LIST line.
    untagged = w.ok('LIST "" "Work" RETURN (STATUS (MESSAGES UNSEEN UIDNEXT))')
    assert len(untagged) == 2 and untagged[0].startswith("* LIST "), untagged
    assert parse_status(untagged[1]) == ("Work", {"MESSAGES": 2, "UNSEEN": 1, "UIDNEXT": 3})
    # Several patterns in one LIST (RFC 5258).
    assert set(listed(w.ok('LIST "" ("Personal" "Work.Project")'))) == {"Personal", "Work.Project"}
    untagged, tagged = w.cmd('LIST "" "*" RETURN (BOGUS)', tag="l2")
    assert tagged.startswith("l2 BAD "), tagged


def test_namespace(connect):
    w = connect()
    untagged, tagged = w.cmd("NAMESPACE", tag="n1")
    # One personal namespace with an empty prefix and "." (Dovecot's default).
    assert untagged == ['* NAMESPACE (("" ".")) NIL NIL']
    assert norm(tagged) == "n1 OK Namespace completed"


def test_status(connect):
    w = connect()
    sizes = three_messages(w)
    untagged, tagged = w.cmd("STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE)", tag="t1")
    assert norm(tagged) == "t1 OK Status completed"
    name, items = parse_status(untagged[0])
    assert len(untagged) == 1 and name == "INBOX"
    assert items["UIDVALIDITY"] > 0
    del items["UIDVALIDITY"]
    # SIZE (RFC 8438) is the sum of RFC822.SIZE.
    del items["RECENT"]  # test_recent_before_any_session_claims_it
    assert items == {"MESSAGES": 3, "UIDNEXT": 4, "UNSEEN": 2, "SIZE": sum(sizes)}
    untagged = w.ok("STATUS INBOX (HIGHESTMODSEQ)")
    assert parse_status(untagged[0])[1]["HIGHESTMODSEQ"] > 0
    untagged, tagged = w.cmd("STATUS Nope (MESSAGES)", tag="t2")
    assert re.fullmatch(r"t2 NO (\[NONEXISTENT\] )?Mailbox doesn't exist: Nope", norm(tagged)), tagged
    untagged, tagged = w.cmd("STATUS INBOX (BOGUS)", tag="t3")
    assert tagged.startswith("t3 BAD "), tagged
    untagged, tagged = w.cmd("STATUS INBOX", tag="t4")
    assert tagged.startswith("t4 BAD "), tagged
