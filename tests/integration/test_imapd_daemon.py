"""loft-imapd as a daemon: the standalone server (imapd_util.ImapServer),
login and logout through imaplib, and the log lines of a session."""
import base64
import grp
import imaplib
import os
import pwd
import re

import pytest

from imapd_util import ImapServer
from loftd_util import free_port, start_loftd, workdir  # noqa: F401


@pytest.fixture
def srv(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path) as server:
        yield server


def test_login_select_logout(srv):
    imap = srv.login("alice")
    typ, data = imap.select("INBOX")
    assert typ == "OK" and data == [b"0"]
    typ, data = imap.logout()
    assert typ == "BYE"
    log = srv.wait_log("Disconnected: Logged out")
    m = re.search(r"imap-login: Info: Login: user=<alice>, method=PLAIN, rip=127\.0\.0\.1, lip=127\.0\.0\.1, "
                  rf"mpid={srv.pid}, secured, session=<([^>]+)>", log)
    assert m, log
    session = m.group(1)
    m = re.search(rf"imap\(alice\)<{srv.pid}><{re.escape(session)}>: Info: Disconnected: Logged out "
                  r"in=(\d+) out=(\d+) deleted=0 expunged=0 trashed=0", log)
    assert m, log
    assert int(m.group(1)) > 0 and int(m.group(2)) > 0


def test_userdb_uid_other_than_the_servers_is_refused(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, users=("alice",), start=False) as srv:
        # dave's userdb entry names a uid the server does not run as.
        with open(srv.passwd_path, "a") as f:
            f.write(f"dave:{{PLAIN}}secret:{os.getuid() + 4242}:{os.getgid()}::{srv.mail_root / 'dave'}::\n")
        srv.start()
        r = srv.raw()
        r.read_greeting()
        r.send_line("a LOGIN dave secret")
        lines = r.read_until_tagged("a")
        assert lines == ["a NO [UNAVAILABLE] Internal error occurred. Refer to server log for more information."], lines
        log = srv.wait_log("not permitted")
        assert f"Mail access for users with UID {os.getuid() + 4242} not permitted" in log
        assert not (srv.mail_root / "dave").exists()
        r.send_line("b LOGIN alice secret")
        assert r.read_until_tagged("b")[-1].startswith("b OK ")


def test_loftd_runs_imapd_with_logins_through_authd(build_dir, workdir, start_loftd):
    """Under loftd the worker runs as the mail user and cannot read the
    passdb itself: it logs users in through loft-authd's auth-login socket
    and looks them up on auth-userdb."""
    if os.geteuid() != 0:
        pytest.skip("needs root: loftd runs workers as mail_uid")
    nobody = pwd.getpwnam("nobody")
    port = free_port()
    users = workdir / "users"
    mail = workdir / "mail"
    mail.mkdir()
    os.chown(mail, nobody.pw_uid, nobody.pw_gid)
    users.write_text(f"alice:{{PLAIN}}secret:{nobody.pw_uid}:{nobody.pw_gid}::{mail}/alice::\n")
    users.chmod(0o600)  # root's: only loft-authd can read it
    loftd = start_loftd(f"""protocols = imap
listen = 127.0.0.1
base_dir = {workdir}/run
log_path = /dev/stderr
mail_uid = nobody
mail_gid = {grp.getgrgid(nobody.pw_gid).gr_name}
ssl = no
mail_location = maildir:{mail}/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {users}
}}
userdb {{
  driver = passwd-file
  args = {users}
}}
service imap-login {{
  process_min_avail = 1
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")
    assert loftd.wait_for_output(r"Loft \S+ is running"), loftd.output
    assert loftd.wait_for_output(r"Authentication through loft-authd: \S+/run/auth-login"), loftd.output
    login_sock = workdir / "run" / "auth-login"
    st = login_sock.stat()
    assert (st.st_uid, st.st_mode & 0o777) == (nobody.pw_uid, 0o600)

    imap = imaplib.IMAP4("127.0.0.1", port, timeout=15)
    assert imap.login("alice", "secret")[0] == "OK"
    assert imap.select("INBOX") == ("OK", [b"0"])
    assert imap.append("INBOX", None, None, b"Subject: hi\r\n\r\nbody\r\n")[0] == "OK"
    imap.logout()
    # The message belongs to the mail user.
    [msg] = list((mail / "alice" / "Maildir" / "new").iterdir()) + list((mail / "alice" / "Maildir" / "cur").iterdir())
    assert msg.stat().st_uid == nobody.pw_uid
    assert loftd.wait_for_output(r"imap-login: Info: Login: user=<alice>, method=PLAIN"), loftd.output
    bad = imaplib.IMAP4("127.0.0.1", port, timeout=15)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        bad.login("alice", "wrong")
    bad.logout()


def test_failed_logins_are_logged_at_disconnect(srv):
    r = srv.raw()
    r.read_greeting()
    r.send_line("a LOGIN alice wrong")
    assert r.read_until_tagged("a") == ["a NO [AUTHENTICATIONFAILED] Authentication failed."]
    r.send_line("b AUTHENTICATE PLAIN " + base64.b64encode(b"\0bob\0wrong").decode())
    assert r.read_until_tagged("b")[-1].startswith("b NO [AUTHENTICATIONFAILED] ")
    r.close()
    log = srv.wait_log("Disconnected (auth failed")
    assert re.search(r"imap-login: Info: Disconnected \(auth failed, 2 attempts in \d+ secs\): user=<bob>, "
                     r"method=PLAIN, rip=127\.0\.0\.1, lip=127\.0\.0\.1, secured, session=<[^>]+>", log), log
    assert "Login: user=<" not in log


def test_logout_before_login_is_an_aborted_login(srv):
    r = srv.raw()
    r.read_greeting()
    r.send_line("a LOGOUT")
    lines = r.read_until_tagged("a")
    assert lines[0].startswith("* BYE ") and lines[-1].startswith("a OK "), lines
    assert r.closed_by_server()
    log = srv.wait_log("Aborted login")
    assert re.search(r"imap-login: Info: Aborted login \(no auth attempts in \d+ secs\): user=<>, "
                     r"rip=127\.0\.0\.1, lip=127\.0\.0\.1, secured, session=<[^>]+>", log), log
