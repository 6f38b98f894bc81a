"""Pipelining (RFC 3501 §5.5) and literals (§4.3, §7.5; LITERAL+ RFC 7888)
through a real socket: commands sent in one write run in order and each
command's answers come before its tagged line, never mixed with another's."""
import re

from imap_raw import connect, enc, fetches, listed, mail_files, message, norm, parse_status, srv  # noqa: F401


def test_fifty_pipelined_commands_answer_in_order(connect):
    w = connect()
    for n in range(5):
        assert " OK " in w.append("INBOX", message(f"m{n + 1}"))
    w.ok("SELECT INBOX")
    templates = ["NOOP", "FETCH {k} (UID)", "STATUS INBOX (MESSAGES)", "SEARCH ALL", "UID FETCH {k} (UID FLAGS)",
                 "STORE {k} +FLAGS (\\Seen)", "CAPABILITY", 'LIST "" INBOX', "SEARCH UNSEEN", "CHECK"]
    commands = [templates[i % len(templates)].format(k=i % 5 + 1) for i in range(50)]
    # One write with all 50.
    w.send(b"".join(enc(f"p{i} {c}\r\n") for i, c in enumerate(commands)))
    seen_flags = set()
    for i, command in enumerate(commands):
        untagged, tagged = w.read_until_tagged(f"p{i}")
        assert not any(re.match(r"p\d+ ", u) for u in untagged), ("another tag first", i, untagged)
        assert tagged.startswith(f"p{i} OK "), (command, tagged)
        k = i % 5 + 1
        verb = command.split()[0]
        if verb in ("NOOP", "CHECK"):
            assert untagged == [], (command, untagged)
        elif command.startswith("FETCH") or command.startswith("UID FETCH"):
            got = fetches(untagged)
            assert list(got) == [k] and got[k]["UID"] == str(k) and len(untagged) == 1, (command, untagged)
        elif verb == "STATUS":
            assert len(untagged) == 1 and parse_status(untagged[0]) == ("INBOX", {"MESSAGES": 5}), untagged
        elif command == "SEARCH ALL":
            assert untagged == ["* SEARCH 1 2 3 4 5"]
        elif command == "SEARCH UNSEEN":
            expected = " ".join(str(n) for n in range(1, 6) if n not in seen_flags)
            assert untagged == [f"* SEARCH {expected}".rstrip()], (seen_flags, untagged)
        elif verb == "STORE" and k in seen_flags:
            # Nothing changed: no FETCH (as Dovecot does).
            assert untagged == [], untagged
        elif verb == "STORE":
            seen_flags.add(k)
            got = fetches(untagged)
            assert list(got) == [k] and "\\Seen" in got[k]["FLAGS"], untagged
        elif verb == "CAPABILITY":
            assert len(untagged) == 1 and untagged[0].startswith("* CAPABILITY IMAP4rev1"), untagged
        elif verb == "LIST":
            assert set(listed(untagged)) == {"INBOX"}, untagged
    untagged, tagged = w.cmd("NOOP", tag="end")
    assert untagged == [] and tagged.startswith("end OK")


def test_synchronising_literal_waits_for_continuation(connect, srv):
    w = connect()
    msg = message("sync literal")
    w.send_line(f"a1 APPEND INBOX {{{len(msg)}}}")
    # The server asks for the literal before anything else (RFC 3501 §7.5).
    assert w.read_line().startswith("+ ")
    # The literal, the end of the command and the next command in one write.
    w.send(msg + b"\r\na2 STATUS INBOX (MESSAGES)\r\n")
    untagged, tagged = w.read_until_tagged("a1")
    assert untagged == [] and tagged.startswith("a1 OK [APPENDUID "), tagged
    untagged, tagged = w.read_until_tagged("a2")
    assert parse_status(untagged[0]) == ("INBOX", {"MESSAGES": 1})
    # (Stored with CRLF or, as Dovecot does, with LF line ends.)
    assert [p.read_bytes() for p in mail_files(srv.maildir("alice"))] in ([msg], [msg.replace(b"\r\n", b"\n")])
    # A literal in the middle of a command: LOGIN in a fresh session.
    fresh = connect(login=False)
    fresh.send_line("l1 LOGIN {5}")
    assert fresh.read_line().startswith("+ ")
    fresh.send_line("alice {6}")
    assert fresh.read_line().startswith("+ ")
    fresh.send_line("secret")
    untagged, tagged = fresh.read_until_tagged("l1")
    assert tagged.startswith("l1 OK "), tagged


def test_non_synchronising_literals_pipelined(connect, srv):
    w = connect()
    capabilities = w.ok("CAPABILITY")[0].split()
    assert "LITERAL+" in capabilities
    msgs = [message(f"plus {n}", f"body {n}\r\n") for n in range(10)]
    batch = b"".join(enc(f"n{n} APPEND INBOX {{{len(m)}+}}\r\n") + m + b"\r\n" for n, m in enumerate(msgs))
    batch += b"n10 STATUS INBOX (MESSAGES UIDNEXT)\r\n"
    w.send(batch)
    uids = []
    for n in range(10):
        untagged, tagged = w.read_until_tagged(f"n{n}")
        # No continuation requests for {n+} (RFC 7888 §3).
        assert untagged == [], untagged
        m = re.fullmatch(rf"n{n} OK \[APPENDUID \d+ (\d+)\] Append completed", norm(tagged))
        assert m, tagged
        uids.append(int(m.group(1)))
    assert uids == list(range(1, 11))
    untagged, tagged = w.read_until_tagged("n10")
    assert parse_status(untagged[0]) == ("INBOX", {"MESSAGES": 10, "UIDNEXT": 11})
    w.ok("EXAMINE INBOX")
    got = fetches(w.ok("FETCH 1:10 BODY.PEEK[]"))
    assert [got[n + 1]["BODY[]"] for n in range(10)] == msgs
    # LITERAL+ in LOGIN and SELECT arguments too.
    fresh = connect(login=False)
    fresh.send(b"l1 LOGIN {3+}\r\nbob {6+}\r\nsecret\r\nl2 SELECT {5+}\r\nINBOX\r\n")
    assert fresh.read_until_tagged("l1")[1].startswith("l1 OK ")
    assert norm(fresh.read_until_tagged("l2")[1]) == "l2 OK [READ-WRITE] Select completed"


def test_commands_after_logout_are_not_run(connect, srv):
    w = connect()
    w.send(b"o1 LOGOUT\r\no2 CREATE AfterLogout\r\n")
    lines = w.expect_closed()
    assert lines[0] == "* BYE Logging out" and norm(lines[1]) == "o1 OK Logout completed", lines
    assert not any(line.startswith("o2 ") for line in lines), lines
    assert not (srv.maildir("alice") / ".AfterLogout").exists()
    other = connect("alice")
    assert "AfterLogout" not in listed(other.ok('LIST "" "*"'))
