"""loftadm who and loftadm kick against a running loft-imapd, through its
admin socket (docs/admin-socket.md)."""
import re
import socket

import pytest

from imapd_util import ImapServer


@pytest.fixture
def srv(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path) as server:
        yield server


def logged_in(srv, user):
    r = srv.raw()
    r.read_greeting()
    r.send_line(f"a LOGIN {user} secret")
    assert r.read_until_tagged("a")[-1].startswith("a OK ")
    return r


def test_who_lists_logged_in_users(srv):
    a1, a2, b = logged_in(srv, "alice"), logged_in(srv, "alice"), logged_in(srv, "bob")
    pre = srv.raw()
    pre.read_greeting()  # connected, not logged in: not listed
    out = srv.loftadm("who")
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines()]
    assert rows[0] == ["username", "#", "proto", "(pids)", "(ips)"]
    assert rows[1:] == [["alice", "2", "imap", f"({srv.pid})", "(127.0.0.1)"],
                        ["bob", "1", "imap", f"({srv.pid})", "(127.0.0.1)"]]
    # A user mask, an IP, and a mask that matches nobody.
    assert [line.split()[0] for line in srv.loftadm("who", "b*").stdout.splitlines()] == ["username", "bob"]
    assert len(srv.loftadm("who", "127.0.0.1").stdout.splitlines()) == 3
    assert srv.loftadm("who", "nobody*").stdout.splitlines()[1:] == []
    # -1: one line per connection; -a names the admin socket directory.
    out = srv.loftadm("who", "-1", "-a", str(srv.base_dir / "admin"), "alice")
    lines = out.stdout.splitlines()[1:]
    assert len(lines) == 2 and all(re.fullmatch(rf"alice imap {srv.pid} 127\.0\.0\.1 logged-in \S+", l)
                                   for l in lines), out.stdout
    for c in (a1, a2, b, pre):
        c.close()


def test_kick_disconnects_every_connection_of_the_user(srv):
    a1, a2, b = logged_in(srv, "alice"), logged_in(srv, "alice"), logged_in(srv, "bob")
    a2.send_line("s SELECT INBOX")
    a2.read_until_tagged("s")
    a2.send_line("i IDLE")
    assert a2.read_line() == "+ idling"
    out = srv.loftadm("kick", "alice")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "kicked connections from the following users:\nalice (2 connections)\n"
    for c in (a1, a2):
        assert c.read_line() == "* BYE Disconnected by administrator"
        assert c.closed_by_server()
    # bob is untouched.
    b.send_line("n NOOP")
    assert b.read_until_tagged("n")[-1].startswith("n OK ")
    log = srv.wait_log("Disconnected by administrator in=", count=2)
    assert len(re.findall(r"imap\(alice\)<\d+><[^>]+>: Info: Disconnected by administrator in=\d+ out=\d+", log)) == 2
    assert srv.loftadm("who").stdout.split("\n")[1].split()[:2] == ["bob", "1"]
    out = srv.loftadm("kick", "nobody")
    assert (out.returncode, out.stdout) == (0, "no users kicked\n")


def test_kick_before_login_by_connection_id(srv):
    r = srv.raw()
    r.read_greeting()
    out = srv.loftadm("who", "-1")
    assert out.stdout.splitlines()[1:] == []  # not logged in
    # The admin socket's WHO lists it; its id kicks it.
    [sock] = srv.admin_sockets()
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(sock))
    f = s.makefile("rwb")
    f.readline()
    f.write(b"VERSION\tloft-admin\t1\t0\nWHO\n")
    f.flush()
    row = f.readline().decode().split("\t")
    s.close()
    assert row[3] == "pre-login"
    out = srv.loftadm("kick", row[0])
    assert out.returncode == 0
    assert r.read_line() == "* BYE Disconnected by administrator"
    assert r.closed_by_server()
    log = srv.wait_log("Kicked by administrator (no auth attempts")
    assert re.search(r"imap-login: Info: Disconnected: Kicked by administrator \(no auth attempts in \d+ secs\): "
                     r"user=<>, rip=127\.0\.0\.1, lip=127\.0\.0\.1, secured, session=<", log), log
