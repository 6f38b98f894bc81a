"""IDLE hibernation (imap_hibernate_timeout): a session idling longer than
the timeout is reduced to a record and rebuilt on a change or on input. The
client must not be able to tell: every update a running session would send
(EXISTS, EXPUNGE with the right sequence numbers, FETCH FLAGS with UID and
MODSEQ under CONDSTORE) arrives, DONE and pipelined commands are answered,
and loftadm still sees and kicks the connection. Each test waits for the
server's debug line saying the session hibernated before it makes its
change, so the hibernated path is the one under test."""
import socket

import pytest

from imapd_util import ImapServer
from lmtpd_util import LmtpServer

PUSH_WAIT = 5.0

HIBERNATED = "IDLE session hibernated"
CONFIG = ("imap_hibernate_timeout = 1s\n"
          "mail_debug = yes\n"
          # A long keepalive, so "* OK Still here" never comes in between.
          "imap_idle_notify_interval = 10 mins\n")


def message(n: int) -> bytes:
    return (f"From: bob@example.com\r\nTo: alice@example.com\r\nSubject: m{n}\r\n"
            f"Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m{n}@example.com>\r\n\r\nbody {n}\r\n"
            ).encode()


@pytest.fixture
def srv(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, extra_config=CONFIG) as server:
        yield server


def start_idle(srv, user="alice", mailbox="INBOX", enable=None):
    """A raw client logged in, `mailbox` selected, IDLE running."""
    r = srv.raw()
    assert r.read_greeting().startswith("* OK ")
    r.send_line(f"a LOGIN {user} secret")
    assert r.read_until_tagged("a")[-1].startswith("a OK ")
    if enable:
        r.send_line(f"e ENABLE {enable}")
        assert r.read_until_tagged("e")[-1].startswith("e OK ")
    r.send_line(f"b SELECT {mailbox}")
    assert r.read_until_tagged("b")[-1].startswith("b OK ")
    r.send_line("c IDLE")
    assert r.read_line() == "+ idling"
    return r


def hibernated(srv, count=1):
    srv.wait_log(HIBERNATED, count)


def read_pushed(r, until, wait=PUSH_WAIT):
    """Lines the server sends unprompted, up to the first for which
    until(line) holds (or `wait` seconds of silence)."""
    r.sock.settimeout(wait)
    lines = []
    try:
        while True:
            line = r.read_line()
            lines.append(line)
            if until(line):
                break
    except socket.timeout:
        pass
    finally:
        r.sock.settimeout(15)
    return lines


def finish_idle(r):
    r.send_line("DONE")
    lines = r.read_until_tagged("c")
    assert lines[-1] == "c OK Idle completed.", lines
    return lines


def append(srv, user, count, mailbox="INBOX"):
    c = srv.login(user)
    for n in range(count):
        assert c.append(mailbox, None, None, message(n))[0] == "OK"
    c.logout()


def test_append_wakes_a_hibernated_session(srv):
    r = start_idle(srv)
    hibernated(srv)
    append(srv, "alice", 1)
    assert read_pushed(r, lambda l: l.endswith("RECENT")) == ["* 1 EXISTS", "* 1 RECENT"]
    finish_idle(r)
    r.send_line("d FETCH 1 (FLAGS)")
    assert r.read_until_tagged("d") == ["* 1 FETCH (FLAGS (\\Recent))", "d OK Fetch completed."]


def test_lmtp_delivery_wakes_a_hibernated_session(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path / "imap", extra_config=CONFIG) as srv:
        r = start_idle(srv)
        hibernated(srv)
        maildir = srv.maildir("alice")
        with LmtpServer(build_dir, tmp_path / "lmtp", users=("alice@example.com",),
                        extra_config=f"mail_location = maildir:{maildir}\n") as lmtp:
            with lmtp.lmtp() as c:
                c.sendmail("bob@example.com", ["alice@example.com"], message(1))
        assert "* 1 EXISTS" in read_pushed(r, lambda l: l.endswith("EXISTS"))
        finish_idle(r)


def test_expunges_get_the_clients_sequence_numbers(srv):
    append(srv, "alice", 8)
    r = start_idle(srv)
    hibernated(srv)
    other = srv.login("alice")
    other.select("INBOX")
    # Out of order, in two commits: 6 and 2, then 7 and 3.
    for uids in ("6,2", "7,3"):
        assert other.uid("STORE", uids, "+FLAGS.SILENT", "(\\Deleted)")[0] == "OK"
        assert other.expunge()[0] == "OK"
    _, data = other.uid("SEARCH", "ALL")
    remaining = [int(u) for u in data[0].split()]
    assert remaining == [1, 4, 5, 8]
    other.logout()
    # Apply the EXPUNGEs the client got to its view of UIDs 1..8: the result
    # must be the server's.
    view = list(range(1, 9))
    lines = read_pushed(r, lambda l: False, wait=2.0)
    # (The \\Deleted flags arrive first, as FETCH; RECENT drops with them.)
    for line in lines:
        if line.endswith(" EXPUNGE"):
            del view[int(line.split()[1]) - 1]
        else:
            assert " FETCH " in line or line.endswith(" RECENT"), lines
    assert view == remaining, lines
    finish_idle(r)


def test_expunge_under_qresync_is_vanished(srv):
    append(srv, "alice", 5)
    r = start_idle(srv, enable="QRESYNC")
    hibernated(srv)
    other = srv.login("alice")
    other.select("INBOX")
    assert other.uid("STORE", "2,4", "+FLAGS.SILENT", "(\\Deleted)")[0] == "OK"
    assert other.expunge()[0] == "OK"
    other.logout()
    lines = read_pushed(r, lambda l: l.startswith("* VANISHED"))
    assert lines[-1] == "* VANISHED 2,4", lines
    assert not any(l.endswith(" EXPUNGE") for l in lines), lines
    finish_idle(r)


def test_flag_change_elsewhere_is_fetched(srv):
    append(srv, "alice", 3)
    r = start_idle(srv)
    hibernated(srv)
    other = srv.login("alice")
    other.select("INBOX")
    assert other.store("2", "+FLAGS.SILENT", "(\\Flagged)")[0] == "OK"
    other.logout()
    assert read_pushed(r, lambda l: "FETCH" in l) == ["* 2 FETCH (FLAGS (\\Flagged \\Recent))"]
    finish_idle(r)


def test_flag_change_elsewhere_with_condstore_carries_uid_and_modseq(srv):
    append(srv, "alice", 3)
    r = start_idle(srv, enable="CONDSTORE")
    hibernated(srv)
    other = srv.login("alice")
    other.select("INBOX")
    assert other.store("3", "+FLAGS.SILENT", "($Work \\Seen)")[0] == "OK"
    _, data = other.fetch("3", "(MODSEQ)")
    modseq = data[0].decode().split("MODSEQ (")[1].split(")")[0]
    other.logout()
    lines = read_pushed(r, lambda l: "FETCH" in l)
    assert lines[-1] == f"* 3 FETCH (UID 3 MODSEQ ({modseq}) FLAGS (\\Seen \\Recent $Work))", lines
    # The new keyword is announced first, as a running session does.
    assert lines[0].startswith("* FLAGS (") and "$Work" in lines[0], lines
    finish_idle(r)


def test_done_and_a_pipelined_command_are_answered(srv):
    append(srv, "alice", 2)
    r = start_idle(srv)
    hibernated(srv)
    r.send("DONE\r\nd FETCH 2 (UID)\r\n")
    assert r.read_until_tagged("c") == ["c OK Idle completed."]
    assert r.read_until_tagged("d") == ["* 2 FETCH (UID 2)", "d OK Fetch completed."]


def test_every_hibernated_session_of_a_user_is_woken(srv):
    clients = [start_idle(srv) for _ in range(3)]
    hibernated(srv, 3)
    append(srv, "alice", 1)
    for r in clients:
        assert "* 1 EXISTS" in read_pushed(r, lambda l: l.endswith("EXISTS"))
    for r in clients:
        finish_idle(r)


def test_a_woken_session_hibernates_again_and_still_works(srv):
    r = start_idle(srv)
    hibernated(srv)
    # Woken by input: IDLE ends and starts again.
    finish_idle(r)
    r.send_line("c IDLE")
    assert r.read_line() == "+ idling"
    hibernated(srv, 2)
    # Woken by a change, then hibernated once more (holding a \Recent
    # message now), and woken again.
    append(srv, "alice", 1)
    assert read_pushed(r, lambda l: l.endswith("RECENT")) == ["* 1 EXISTS", "* 1 RECENT"]
    hibernated(srv, 3)
    append(srv, "alice", 1)
    assert read_pushed(r, lambda l: l.endswith("RECENT")) == ["* 2 EXISTS", "* 2 RECENT"]
    finish_idle(r)
    r.send_line("d FETCH 1:2 (FLAGS)")
    assert r.read_until_tagged("d") == ["* 1 FETCH (FLAGS (\\Recent))", "* 2 FETCH (FLAGS (\\Recent))",
                                        "d OK Fetch completed."]


def test_loftadm_who_and_kick_see_a_hibernated_session(srv):
    r = start_idle(srv, user="bob")
    hibernated(srv)
    out = srv.loftadm("who")
    assert out.returncode == 0, out.stderr
    assert [line.split()[0] for line in out.stdout.splitlines()] == ["username", "bob"]
    out = srv.loftadm("kick", "bob")
    assert out.stdout == "kicked connections from the following users:\nbob (1 connection)\n"
    assert r.read_line() == "* BYE Disconnected by administrator"
    assert r.closed_by_server()


def idle_through(build_dir, tmp_path, config, change):
    """The lines a client idling in "Work" gets when `change(server)` runs,
    and what it gets for DONE; hibernated first when the config says so."""
    with ImapServer(build_dir, tmp_path, extra_config=config) as srv:
        c = srv.login("alice")
        assert c.create("Work")[0] == "OK"
        c.logout()
        append(srv, "alice", 2, mailbox="Work")
        r = start_idle(srv, mailbox="Work")
        if "imap_hibernate_timeout = 1s" in config:
            hibernated(srv)
        other = srv.login("alice")
        change(other)
        other.logout()
        pushed = read_pushed(r, lambda l: l.startswith("* BYE"), wait=3.0)
        try:
            r.send_line("DONE")
            after = read_pushed(r, lambda l: l.startswith("c ") or l == "", wait=3.0)
        except OSError:
            after = ["<closed>"]
        return pushed, after


@pytest.mark.parametrize("change", ["delete", "rename"])
def test_mailbox_gone_under_a_hibernated_session_answers_as_a_running_one(build_dir, tmp_path, change):
    def act(other):
        if change == "delete":
            assert other.delete("Work")[0] == "OK"
        else:
            assert other.rename("Work", "Play")[0] == "OK"

    running = idle_through(build_dir, tmp_path / "running",
                           CONFIG.replace("imap_hibernate_timeout = 1s", "imap_hibernate_timeout = 0"), act)
    hibernating = idle_through(build_dir, tmp_path / "hibernating", CONFIG, act)
    assert hibernating == running


def test_imap4rev2_session_gets_no_recent_after_hibernation(srv):
    append(srv, "alice", 1)
    r = start_idle(srv, enable="IMAP4rev2")
    hibernated(srv)
    append(srv, "alice", 1)
    other = srv.login("alice")
    other.select("INBOX")
    assert other.store("1", "+FLAGS.SILENT", "(\\Flagged)")[0] == "OK"
    other.logout()
    lines = read_pushed(r, lambda l: False, wait=2.0)
    assert "* 2 EXISTS" in lines, lines
    # RFC 9051 §7.5.2: a rev2 session's unsolicited FETCH carries UID.
    assert "* 1 FETCH (UID 1 FLAGS (\\Flagged))" in lines, lines
    assert not any("RECENT" in l or "\\Recent" in l for l in lines), lines
    finish_idle(r)
