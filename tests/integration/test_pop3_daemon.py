"""loft-pop3d as a daemon: SIGTERM and loftadm kick end sessions without
deleting anything (no UPDATE state, RFC 1939 §6), login_inactivity_timeout
and pop3_inactivity_timeout, mail_max_userip_connections, the userdb uid
check, and loftd's built-in default (`make run`) serving POP3."""
import os
import re
import signal
import socket
import subprocess

import pytest

from loftd_util import start_loftd, workdir  # noqa: F401 - fixtures
from pop3d_util import Pop3Server, RawPop, message


def logged_in(srv, user="alice"):
    c = srv.raw()
    c.greeting()
    c.login(user, srv.password)
    return c


def test_sigterm_ends_sessions_without_deleting(build_dir, tmp_path):
    with Pop3Server(build_dir, tmp_path) as srv:
        srv.deliver("alice", message(1))
        c = logged_in(srv)
        assert c.cmd("DELE 1") == "+OK Marked to be deleted."
        pre = srv.raw()
        pre.greeting()
        srv.signal(signal.SIGTERM)
        assert c.line() == "-ERR Server shutting down."
        assert c.closed_by_server()
        assert pre.line() == "-ERR Server shutting down."
        assert srv.wait_exit() == 0
        assert [f.read_bytes() for f in srv.mail_files()] == [message(1)]
        log = srv.log_text()
        assert re.search(r"pop3\(alice\)<\d+><[^>]+>: Info: Disconnected: Server shutting down\. top=0/0, "
                         r"retr=0/0, del=0/1, size=\d+", log), log
        assert "Disconnected: Shutting down (no auth attempts" in log


def test_kick_ends_a_users_sessions(build_dir, tmp_path):
    with Pop3Server(build_dir, tmp_path) as srv:
        srv.deliver("alice", message(1))
        a, b = logged_in(srv, "alice"), logged_in(srv, "bob")
        assert a.cmd("DELE 1") == "+OK Marked to be deleted."
        exe = srv.build_dir / "daemons" / "loftadm" / "loftadm"
        if not exe.exists():
            pytest.skip("loftadm is not built")
        out = subprocess.run([str(exe), "-c", str(srv.config_path), "kick", "alice"], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout == "kicked connections from the following users:\nalice (1 connection)\n"
        assert a.line() == "-ERR Disconnected by administrator"
        assert a.closed_by_server()
        assert b.cmd("NOOP") == "+OK"
        assert b.cmd("QUIT") == "+OK Logging out."
        assert len(srv.mail_files()) == 1
        assert re.search(r"pop3\(alice\)<\d+><[^>]+>: Info: Disconnected by administrator top=",
                         srv.wait_log("Disconnected by administrator top="))


def test_inactivity_timeouts(build_dir, tmp_path):
    config = "login_inactivity_timeout = 1 secs\npop3_inactivity_timeout = 2 secs\n"
    with Pop3Server(build_dir, tmp_path, extra_config=config) as srv:
        srv.deliver("alice", message(1))
        pre = srv.raw()
        pre.greeting()
        assert pre.line() == "-ERR Disconnected for inactivity."
        assert pre.closed_by_server()
        c = logged_in(srv)
        assert c.cmd("DELE 1") == "+OK Marked to be deleted."
        assert c.line() == "-ERR Disconnected for inactivity."
        assert c.closed_by_server()
        assert len(srv.mail_files()) == 1
        log = srv.wait_log("Disconnected for inactivity top=")
        assert re.search(r"pop3\(alice\)<\d+><[^>]+>: Info: Disconnected for inactivity top=0/0, retr=0/0, "
                         r"del=0/1, ", log), log
        assert "Disconnected: Inactivity (no auth attempts" in log


def test_mail_max_userip_connections(build_dir, tmp_path):
    with Pop3Server(build_dir, tmp_path, extra_config="mail_max_userip_connections = 1\n") as srv:
        first = logged_in(srv)
        c = srv.raw()
        c.greeting()
        assert c.cmd("USER alice") == "+OK"
        assert c.cmd("PASS secret") == ("-ERR [SYS/TEMP] Maximum number of connections from user+IP exceeded "
                                        "(mail_max_userip_connections=1)")
        # Another user is not affected; the slot frees at logout.
        logged_in(srv, "bob")
        assert first.cmd("QUIT") == "+OK Logging out."
        assert first.closed_by_server()
        srv.wait_log("Disconnected: Logged out")
        again = logged_in(srv)
        assert again.cmd("QUIT") == "+OK Logging out."
        assert "mail_max_userip_connections=1), rip=127.0.0.1" in srv.log_text()


def test_other_uid_is_refused(build_dir, tmp_path):
    with Pop3Server(build_dir, tmp_path, users=("alice",), start=False) as srv:
        with open(srv.passwd_path, "a") as f:
            f.write(f"dave:{{PLAIN}}secret:{os.getuid() + 4242}:{os.getgid()}::{srv.mail_root / 'dave'}::\n")
        srv.start()
        c = srv.raw()
        c.greeting()
        assert c.cmd("USER dave") == "+OK"
        assert c.cmd("PASS secret") == ("-ERR [SYS/PERM] Internal error occurred. Refer to server log for more "
                                        "information.")
        assert f"Mail access for users with UID {os.getuid() + 4242} not permitted" in srv.wait_log("not permitted")
        assert not (srv.mail_root / "dave").exists()
        c.login("alice", "secret")


BUILTIN_POP3, BUILTIN_POP3S = 10110, 10995


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_loftd_builtin_default_serves_pop3(build_dir, workdir, start_loftd):  # noqa: F811 - fixtures
    if not all((build_dir / "daemons" / d / f"loft-{d}").exists() for d in ("pop3d", "authd")):
        pytest.skip("loft-pop3d and loft-authd are not both built")
    if not all(port_free(p) for p in (10143, 10993, 10110, 10995, 10024, 14190)):
        pytest.skip("a built-in default port is in use (is `make run` running?)")
    loftd = start_loftd(None)
    m = loftd.wait_for_output(r"Demo login: demo / (\S+)")
    assert m, loftd.output
    password = m.group(1)
    assert loftd.wait_for_output(r"pop3:.*127\.0\.0\.1:10110"), loftd.output
    c = RawPop.connect("127.0.0.1", BUILTIN_POP3)
    assert c.greeting() == "+OK Loft ready."
    assert "STLS" in c.multi("CAPA")
    c.login("demo", password)
    assert c.cmd("STAT").startswith("+OK ")
    assert c.cmd("QUIT") == "+OK Logging out."
    c.close()
    s = RawPop.connect("127.0.0.1", BUILTIN_POP3S, tls=True)
    assert s.greeting() == "+OK Loft ready."
    s.login("demo", password)
    assert s.cmd("QUIT") == "+OK Logging out."
    s.close()
    stop = loftd.run_command("stop")
    assert stop.returncode == 0, stop.stderr
    assert loftd.wait_exit() == 0


def test_client_gone_during_retr_deletes_nothing(build_dir, tmp_path):
    # The client marks a message, starts a big RETR and disappears: the
    # write fails, the session ends without the UPDATE state, the server
    # keeps serving.
    with Pop3Server(build_dir, tmp_path) as srv:
        big = b"Subject: big\r\n\r\n" + b"y" * 76 + b"\r\n" * 1 + (b"z" * 78 + b"\r\n") * 80000
        srv.deliver("alice", message(1))
        srv.deliver("alice", big)
        c = logged_in(srv)
        assert c.cmd("DELE 1") == "+OK Marked to be deleted."
        c.send_line("RETR 2")
        assert c.line().startswith("+OK ")
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()  # reset, with megabytes unsent
        log = srv.wait_log("Disconnected: Connection closed")
        assert re.search(r"pop3\(alice\)<\d+><[^>]+>: Info: Disconnected: Connection closed top=0/0, retr=1/\d+, "
                         r"del=0/2, ", log), log
        assert len(srv.mail_files()) == 2
        again = logged_in(srv)
        assert again.cmd("STAT") == f"+OK 2 {len(message(1)) + len(big)}"
