"""LOGIN-REFERRALS (RFC 2221) through a real loft-imapd: a passdb entry with
nologin + host (+ port, destuser, reason) answers LOGIN and AUTHENTICATE
with NO [REFERRAL imap://...], in Dovecot 2.3's form, when the daemon
checks logins itself, when it asks loft-authd (loftd's setup) and when it
asks a Dovecot auth server."""
import base64
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess

import pytest

from imapd_util import ImapServer, wait_for
from loftd_util import free_port, start_loftd, workdir  # noqa: F401

# nodelay: every referral is a failed login, and the failure delay would
# make the test slow, not different.
REFERRAL_USERS = (
    "ref1:{PLAIN}secret::::::nodelay=y nologin=y host=mail2.example.com\n"
    "ref2:{PLAIN}secret::::::nodelay=y nologin=y host=mail2.example.com port=1143 reason=Moved_away\n"
    "ref5:{PLAIN}secret::::::nodelay=y nologin=y host=mail2.example.com destuser=bob@example.com\n"
    "ref8:{PLAIN}secret::::::nodelay=y nologin=y reason=Go_away\n"
    "ref10:{PLAIN}secret::::::nodelay=y nologin=y\n"
)

EXPECTED = {
    "ref1": "NO [REFERRAL imap://ref1;AUTH=PLAIN@mail2.example.com/] Try this server instead.",
    "ref2": "NO [REFERRAL imap://ref2;AUTH=PLAIN@mail2.example.com:1143/] Moved_away",
    "ref5": "NO [REFERRAL imap://bob%40example.com;AUTH=PLAIN@mail2.example.com/] Try this server instead.",
    "ref8": "NO [CONTACTADMIN] Go_away",
    "ref10": "NO [CONTACTADMIN] Login disabled for this user",
}


def plain(user: str, password: str = "secret") -> str:
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


@pytest.fixture
def srv(build_dir, tmp_path):
    users = tmp_path / "referral-users"
    users.write_text(REFERRAL_USERS)
    # No failure delay: every referral is a failed login.
    extra = ("auth_failure_delay = 0\nauth_mechanisms = plain login\n"
             f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {users}\n}}\n")
    with ImapServer(build_dir, tmp_path / "srv", extra_config=extra) as server:
        yield server


def check_referrals(port: int):
    for user, expected in EXPECTED.items():
        imap = imaplib.IMAP4("127.0.0.1", port, timeout=15)
        assert b"LOGIN-REFERRALS" in imap.welcome
        with pytest.raises(imaplib.IMAP4.error) as err:
            imap.login(user, "secret")
        # imaplib strips the status word: the rest is the server's text.
        assert str(err.value) == str(expected.split(" ", 1)[1].encode()), (user, str(err.value))
        imap.logout()


def answer(srv, line: str) -> list[str]:
    """The lines a fresh connection gets for one command (a session closes
    after three failed logins, and a referral counts as one)."""
    r = srv.raw()
    greeting = r.read_greeting()
    assert "LOGIN-REFERRALS" in greeting, greeting
    r.send_line(line)
    lines = r.read_until_tagged(line.split(" ", 1)[0])
    r.close()
    return lines


def test_login_and_authenticate_answer_referrals(srv):
    for n, (user, expected) in enumerate(EXPECTED.items()):
        assert answer(srv, f"l{n} LOGIN {user} secret") == [f"l{n} {expected}"]
        assert answer(srv, f"p{n} AUTHENTICATE PLAIN {plain(user)}") == [f"p{n} {expected}"]
    # A wrong password never reveals the referral.
    assert answer(srv, "w LOGIN ref1 wrong") == ["w NO [AUTHENTICATIONFAILED] Authentication failed."]
    # AUTHENTICATE LOGIN names its own mechanism in the URL; the connection
    # stays usable and a local user logs in, with LOGIN-REFERRALS still
    # in the capability list.
    r = srv.raw()
    r.read_greeting()
    r.send_line("x AUTHENTICATE LOGIN")
    assert r.read_line().startswith("+ ")
    r.send_line(base64.b64encode(b"ref1").decode())
    assert r.read_line().startswith("+ ")
    r.send_line(base64.b64encode(b"secret").decode())
    assert r.read_until_tagged("x") == [
        "x NO [REFERRAL imap://ref1;AUTH=LOGIN@mail2.example.com/] Try this server instead."]
    r.send_line("z LOGIN alice secret")
    [tagged] = r.read_until_tagged("z")
    assert tagged.startswith("z OK [CAPABILITY ") and " LOGIN-REFERRALS " in tagged, tagged
    r.close()


def test_imaplib_sees_the_referral(srv):
    check_referrals(srv.port)


def test_referrals_through_loft_authd(build_dir, workdir, start_loftd):
    """Under loftd the passdb fields reach loft-imapd through loft-authd's
    FAIL reply for a nologin refusal (nologin, host, port, destuser before
    reason=)."""
    if os.geteuid() != 0:
        pytest.skip("needs root: loftd runs workers as mail_uid")
    nobody = pwd.getpwnam("nobody")
    port = free_port()
    users = workdir / "users"
    mail = workdir / "mail"
    mail.mkdir()
    os.chown(mail, nobody.pw_uid, nobody.pw_gid)
    users.write_text(f"alice:{{PLAIN}}secret:{nobody.pw_uid}:{nobody.pw_gid}::{mail}/alice::\n" + REFERRAL_USERS)
    users.chmod(0o600)
    loftd = start_loftd(f"""protocols = imap
listen = 127.0.0.1
base_dir = {workdir}/run
log_path = /dev/stderr
mail_uid = nobody
mail_gid = {grp.getgrgid(nobody.pw_gid).gr_name}
ssl = no
auth_failure_delay = 0
mail_location = maildir:{mail}/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {users}
}}
userdb {{
  driver = static
  args = uid=nobody gid={grp.getgrgid(nobody.pw_gid).gr_name} home={mail}/%u
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
    assert loftd.wait_for_output(r"Authentication through loft-authd: \S+/run/auth-login"), loftd.output
    check_referrals(port)


DOVECOT = shutil.which("dovecot") or (os.path.exists("/usr/sbin/dovecot") and "/usr/sbin/dovecot") or None


@pytest.fixture
def dovecot_auth(tmp_path):
    """A throwaway Dovecot auth server (no protocols) with the referral
    users; yields its auth-login socket (the auth-client protocol)."""
    d = tmp_path / "dovecot"
    (d / "run").mkdir(parents=True)
    (d / "state").mkdir()
    users = d / "users"
    users.write_text(REFERRAL_USERS)
    me, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    conf = d / "dovecot.conf"
    conf.write_text(f"""base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols =
ssl = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {me}
default_internal_group = {group}
default_login_user = {me}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {users}
}}
userdb {{
  driver = static
  args = uid={os.getuid()} gid={os.getgid()} home={d}/home/%u
}}
""")
    proc = subprocess.Popen([DOVECOT, "-c", str(conf), "-F"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    socket_path = d / "run" / "auth-login"

    def ready():
        if proc.poll() is not None:
            raise AssertionError(f"dovecot exited: {proc.stderr.read().decode(errors='replace')}")
        with socket.socket(socket.AF_UNIX) as s:
            try:
                s.connect(str(socket_path))
                return True
            except OSError:
                return False

    try:
        wait_for(ready, "Dovecot's auth-login socket")
        yield socket_path
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stderr.close()


@pytest.mark.skipif(DOVECOT is None, reason="dovecot (dovecot-core) is not installed")
def test_referrals_through_a_dovecot_auth_server(build_dir, tmp_path, dovecot_auth):
    """Dovecot 2.3's auth server answers a nologin user with OK and the
    passdb fields (the refusal is the login process's): loft-imapd on its
    auth-login socket refuses that OK itself, with the same referral (and
    never logs such a user in)."""
    run = tmp_path / "srv" / "run"
    run.mkdir(parents=True)
    # loft-imapd finds the auth-login socket under its base_dir.
    (run / "auth-login").symlink_to(dovecot_auth)
    with ImapServer(build_dir, tmp_path / "srv", extra_config="auth_mechanisms = plain login\n") as server:
        assert "Authentication through loft-authd: " + str(run / "auth-login") in server.log_text()
        for n, (user, expected) in enumerate(EXPECTED.items()):
            assert answer(server, f"l{n} LOGIN {user} secret") == [f"l{n} {expected}"]
            assert answer(server, f"p{n} AUTHENTICATE PLAIN {plain(user)}") == [f"p{n} {expected}"]
        assert answer(server, "w LOGIN ref1 wrong") == ["w NO [AUTHENTICATIONFAILED] Authentication failed."]
