"""IDLE through loft-imapd (RFC 2177): an untagged EXISTS arrives unprompted
when another IMAP session, `loftadm import` or a file dropped into new/ adds
mail. The waits are shorter than the change watcher's polling fallback (1 s),
so a pass proves inotify delivered the change."""
import os
import socket
import time

import pytest

from imapd_util import ImapServer

# Half ChangeWatcher's polling interval (1 s): inotify delivers in
# milliseconds; the polling fallback would hit a window this short about
# half the time, and two in a row a quarter of the time.
PUSH_WAIT = 0.5

MESSAGE = (b"From: bob@example.com\r\nTo: alice@example.com\r\nSubject: hello\r\n"
           b"Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m1@example.com>\r\n\r\nbody\r\n")


@pytest.fixture
def srv(build_dir, tmp_path):
    # A long keepalive, so "* OK Still here" never comes in between.
    with ImapServer(build_dir, tmp_path, extra_config="imap_idle_notify_interval = 10 mins\n") as server:
        yield server


def start_idle(srv):
    """A raw client logged in as alice, INBOX selected, IDLE running."""
    r = srv.raw()
    assert r.read_greeting().startswith("* OK ")
    r.send_line("a LOGIN alice secret")
    assert r.read_until_tagged("a")[-1].startswith("a OK ")
    r.send_line("b SELECT INBOX")
    lines = r.read_until_tagged("b")
    assert "* 0 EXISTS" in lines, lines
    r.send_line("c IDLE")
    assert r.read_line() == "+ idling"
    return r


def read_pushed(r, wait=PUSH_WAIT):
    """Lines the server sends unprompted within `wait` seconds."""
    r.sock.settimeout(wait)
    lines = []
    try:
        while True:
            lines.append(r.read_line())
            if any(line.endswith(" EXISTS") for line in lines):
                break
    except socket.timeout:
        pass
    finally:
        r.sock.settimeout(15)
    return lines


def finish_idle(r):
    r.send_line("DONE")
    lines = r.read_until_tagged("c")
    assert lines[-1].startswith("c OK "), lines
    return lines


def test_idle_sees_append_by_another_session(srv):
    r = start_idle(srv)
    other = srv.login("alice")
    typ, _ = other.append("INBOX", None, None, MESSAGE)
    assert typ == "OK"
    assert "* 1 EXISTS" in read_pushed(r)
    finish_idle(r)
    other.logout()


def test_idle_sees_loftadm_import(srv, tmp_path):
    r = start_idle(srv)
    mbox = tmp_path / "in.mbox"
    mbox.write_bytes(b"From bob@example.com Sat Nov 28 10:00:00 2026\n" + MESSAGE.replace(b"\r\n", b"\n") +
                     b"\nFrom bob@example.com Sat Nov 28 10:01:00 2026\n" +
                     MESSAGE.replace(b"\r\n", b"\n").replace(b"<m1@", b"<m2@") + b"\n")
    # loftadm runs before the clock starts; the wait is only for the push.
    done = srv.loftadm("import", "-u", "alice", str(mbox), "INBOX")
    assert done.returncode == 0, done.stderr
    assert "Imported 2 messages" in done.stdout
    assert "* 2 EXISTS" in read_pushed(r)
    finish_idle(r)


def test_idle_sees_file_moved_into_new(srv, tmp_path):
    r = start_idle(srv)
    maildir = srv.maildir("alice")
    tmp_file = maildir / "tmp" / "1764324000.M1P1.test"
    tmp_file.write_bytes(MESSAGE)
    os.rename(tmp_file, maildir / "new" / tmp_file.name)
    assert "* 1 EXISTS" in read_pushed(r)
    second = maildir / "tmp" / "1764324001.M2P1.test"
    second.write_bytes(MESSAGE)
    os.rename(second, maildir / "new" / second.name)
    assert "* 2 EXISTS" in read_pushed(r)
    lines = finish_idle(r)
    r.send_line("d FETCH 1 (FLAGS RFC822.SIZE)")
    lines = r.read_until_tagged("d")
    assert lines[0] == f"* 1 FETCH (FLAGS (\\Recent) RFC822.SIZE {len(MESSAGE)})", lines


def test_idle_keepalive(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, extra_config="imap_idle_notify_interval = 1 secs\n") as srv:
        r = start_idle(srv)
        r.sock.settimeout(15)
        assert r.read_line() == "* OK Still here"
        assert r.read_line() == "* OK Still here"
        finish_idle(r)


def test_idle_is_shown_by_who_state(srv):
    r = start_idle(srv)
    sockets = srv.admin_sockets()
    assert len(sockets) == 1
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(15)
    s.connect(str(sockets[0]))
    f = s.makefile("rwb")
    f.readline()
    f.write(b"VERSION\tloft-admin\t1\t0\nWHO\n")
    f.flush()
    rows = []
    while True:
        line = f.readline().decode().rstrip("\n")
        if line == "OK" or line.startswith("ERROR") or not line:
            break
        rows.append(line.split("\t"))
    s.close()
    assert [(row[2], row[3]) for row in rows] == [("alice", "IDLE")], rows
    finish_idle(r)


def test_sigterm_during_idle_says_bye(srv):
    r = start_idle(srv)
    srv.signal(15)
    assert r.read_line() == "* BYE Server shutting down."
    assert r.closed_by_server()
    assert srv.wait_exit() == 0
    log = srv.log_text()
    assert "imap(alice)<" in log and "Disconnected: Server shutting down. in=" in log, log
