"""Debian's fetchmail against loft-pop3d: it downloads and deletes a
1,000-message mailbox over POP3 with STLS, then keeps mail on the server
over pop3s (port 995's implicit TLS) with UIDL state in its idfile: a second
run fetches nothing, and a message delivered between runs is the only one
the third run fetches. fetchmail writes what it fetched as BSMTP (one file,
no process per message); the test counts Message-IDs there and in the
Maildir."""
import os
import re
import shutil
import subprocess

import pytest

from pop3d_util import Pop3Server, message

pytestmark = pytest.mark.skipif(shutil.which("fetchmail") is None, reason="fetchmail is not installed")

COUNT = 1000


def run_fetchmail(srv, home, rc_text, check_codes=(0,)):
    rc = home / "fetchmailrc"
    rc.write_text(rc_text)
    os.chmod(rc, 0o600)
    env = {**os.environ, "HOME": str(home), "FETCHMAILHOME": str(home)}
    out = subprocess.run(["fetchmail", "-f", str(rc), "--nosyslog", "--nodetach", "-v"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode in check_codes, (out.returncode, out.stdout[-3000:], out.stderr[-3000:])
    return out


def fetched_ids(path):
    if not path.exists():
        return []
    return re.findall(r"^Message-ID: <(msg\d+)@pop3\.test>\r?$", path.read_text(errors="replace"), re.M)


def maildir_ids(srv):
    return sorted(re.search(rb"Message-ID: <(msg\d+)@", f.read_bytes()).group(1).decode()
                  for f in srv.mail_files())


def rc_for(srv, home, out, port, server_options, user_options):
    return (f'set idfile "{home / "fetchids"}"\n'
            "set no bouncemail\n"
            f"poll 127.0.0.1 with proto POP3 port {port} {server_options}\n"
            f'  user "alice" there with password "{srv.password}" is "{os.environ.get("USER", "root")}" here\n'
            f'  {user_options}\n'
            f'  bsmtp "{out}"\n')


def test_fetchmail_stls_fetch_and_delete_1000(build_dir, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with Pop3Server(build_dir, tmp_path / "srv") as srv:
        for n in range(1, COUNT + 1):
            srv.deliver("alice", message(n, body_lines=2))
        out = home / "fetched.bsmtp"
        # sslproto without ssl: STLS is mandatory (fetchmail >= 6.4); the
        # self-signed test certificate is not checked.
        res = run_fetchmail(srv, home, rc_for(srv, home, out, srv.port, "",
                                              'sslproto "TLS1.2+" no sslcertck fetchall nokeep'))
        assert "STLS" in res.stderr + res.stdout
        ids = fetched_ids(out)
        assert len(ids) == COUNT and set(ids) == {f"msg{n}" for n in range(1, COUNT + 1)}
        # fetchmail deleted them all at QUIT.
        assert srv.mail_files() == []
        log = srv.wait_log("Disconnected: Logged out")
        assert re.search(rf"Disconnected: Logged out top=0/0, retr={COUNT}/\d+, del={COUNT}/{COUNT}, ", log), log
        assert re.search(r"Login: user=<alice>, method=PLAIN, .*TLS, ", log)


def test_fetchmail_pop3s_keep_with_uidl_state(build_dir, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with Pop3Server(build_dir, tmp_path / "srv") as srv:
        for n in range(1, COUNT + 1):
            srv.deliver("alice", message(n, body_lines=1))
        out = home / "fetched.bsmtp"
        rc = rc_for(srv, home, out, srv.tls_port, "uidl", "ssl no sslcertck keep")
        run_fetchmail(srv, home, rc)
        assert len(fetched_ids(out)) == COUNT
        assert len(maildir_ids(srv)) == COUNT  # kept
        assert (home / "fetchids").exists()
        # Second run: every UIDL is known, nothing is fetched (exit 1: no mail).
        out.unlink()
        run_fetchmail(srv, home, rc, check_codes=(1,))
        assert fetched_ids(out) == []
        # A new message between runs is the only one the third run fetches.
        srv.deliver("alice", message(COUNT + 1, body_lines=1))
        run_fetchmail(srv, home, rc)
        assert fetched_ids(out) == [f"msg{COUNT + 1}"]
        assert len(maildir_ids(srv)) == COUNT + 1
        assert srv.log_text().count("Disconnected: Logged out top=0/0, retr=0/0, del=0/") >= 1
