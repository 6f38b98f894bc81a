"""loft-imapd's limits: autologout before and after login (Dovecot's
"* BYE Disconnected for inactivity."), mail_max_userip_connections per
user and client IP, and the per-IP connection cap before login."""
import re

import pytest

from imapd_util import ImapServer


def test_autologout_before_login(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, extra_config="login_inactivity_timeout = 1 secs\n") as srv:
        r = srv.raw()
        r.read_greeting()
        assert r.read_line() == "* BYE Disconnected for inactivity."
        assert r.closed_by_server()
        log = srv.wait_log("Inactivity (no auth attempts")
        assert re.search(r"imap-login: Info: Disconnected: Inactivity \(no auth attempts in \d+ secs\): user=<>, "
                         r"rip=127\.0\.0\.1, lip=127\.0\.0\.1, secured, session=<[^>]+>", log), log


def test_autologout_after_login_but_not_while_idle(build_dir, tmp_path):
    config = ("login_inactivity_timeout = 1 secs\nimap_inactivity_timeout = 2 secs\n"
              "imap_idle_notify_interval = 1 hours\n")
    with ImapServer(build_dir, tmp_path, extra_config=config) as srv:
        idle = srv.raw()
        idle.read_greeting()
        idle.send_line("a LOGIN bob secret")
        idle.read_until_tagged("a")
        idle.send_line("b SELECT INBOX")
        idle.read_until_tagged("b")
        idle.send_line("c IDLE")
        assert idle.read_line() == "+ idling"

        r = srv.raw()
        r.read_greeting()
        r.send_line("a LOGIN alice secret")
        assert r.read_until_tagged("a")[-1].startswith("a OK ")
        # Longer than login_inactivity_timeout: the logged-in timeout applies.
        assert r.read_line() == "* BYE Disconnected for inactivity."
        assert r.closed_by_server()
        log = srv.wait_log("Disconnected for inactivity in=")
        assert re.search(r"imap\(alice\)<\d+><[^>]+>: Info: Disconnected for inactivity in=\d+ out=\d+", log), log
        # The IDLE client outlived both timeouts and still answers.
        idle.send_line("DONE")
        assert idle.read_until_tagged("c")[-1].startswith("c OK ")
        assert not re.search(r"imap\(bob\).*Disconnected", srv.log_text())


def test_mail_max_userip_connections(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, extra_config="mail_max_userip_connections = 2\n") as srv:
        first, second = srv.login("alice"), srv.login("alice")
        r = srv.raw()
        r.read_greeting()
        r.send_line("a LOGIN alice secret")
        lines = r.read_until_tagged("a")
        assert lines == ["a NO [LIMIT] Maximum number of connections from user+IP exceeded "
                         "(mail_max_userip_connections=2)"], lines
        # Another user from the same IP is not affected.
        r.send_line("b LOGIN bob secret")
        assert r.read_until_tagged("b")[-1].startswith("b OK ")
        log = srv.wait_log("Maximum number of connections from user+IP exceeded")
        assert "mail_max_userip_connections=2" in log
        # A slot frees when a session ends.
        first.logout()
        srv.wait_log("Disconnected: Logged out")
        third = srv.login("alice")
        assert third.select("INBOX")[0] == "OK"
        second.logout()
        third.logout()


def test_too_many_connections_from_one_ip(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, extra_config="login_max_connections_per_ip = 2\n") as srv:
        a, b = srv.raw(), srv.raw()
        a.read_greeting()
        b.read_greeting()
        c = srv.raw()
        assert c.read_line() == "* BYE Too many connections from your IP"
        assert c.closed_by_server()
