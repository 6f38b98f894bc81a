"""loft-lmtpd under loftd: loftd binds the lmtp listeners (the unix socket
base_dir/lmtp, mode 0666, and a TCP listener) and starts loft-lmtpd as the
mail user; recipients are looked up through loft-authd's auth-userdb; the
delivered files belong to the mail user. Root only (loftd drops privileges
to mail_uid), as CI runs."""
from __future__ import annotations

import os
import pwd
import smtplib

import pytest

from loftd_util import free_port, start_loftd, wait_until, workdir  # noqa: F401 - fixtures

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="loftd drops privileges only as root")


def message(n: str) -> bytes:
    return (f"From: sender@example.org\r\nTo: undisclosed-recipients:;\r\nSubject: {n}\r\n"
            f"Message-ID: <{n}@loftd.test>\r\n\r\nHello from {n}.\r\n").encode()


def test_lmtp_under_loftd_as_mail_user(build_dir, workdir, start_loftd):  # noqa: F811
    nobody = pwd.getpwnam("nobody")
    port = free_port()
    mail = workdir / "mail"
    mail.mkdir()
    os.chown(mail, nobody.pw_uid, nobody.pw_gid)
    users = workdir / "users"
    # alice has the mail user's uid; root (uid 0) can never be served by a
    # worker running as nobody.
    users.write_text(f"alice@example.com::{nobody.pw_uid}:{nobody.pw_gid}::{mail}/alice::\n"
                     f"toor@example.com::0:0::{mail}/toor::\n")
    users.chmod(0o600)  # loft-authd reads it as root; the workers never do
    config = f"""protocols = lmtp
base_dir = {workdir}/run
log_path = /dev/stderr
mail_uid = nobody
mail_gid = {nobody.pw_gid}
mail_location = maildir:~/Maildir
hostname = loftd.test
passdb {{
  driver = passwd-file
  args = {users}
}}
userdb {{
  driver = passwd-file
  args = {users}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {port}
  }}
}}
"""
    loftd = start_loftd(config)
    assert loftd.wait_for_output(r"lmtp: Info: Listening on 127\.0\.0\.1 port"), loftd.output
    assert "Userdb lookups through loft-authd" in loftd.output
    sock_path = workdir / "run" / "lmtp"
    assert wait_until(sock_path.exists)
    assert sock_path.stat().st_mode & 0o777 == 0o666

    with smtplib.LMTP("127.0.0.1", port, local_hostname="client.example", timeout=15) as c:
        assert c.sendmail("sender@example.org", ["alice@example.com"], message("tcp")) == {}
    with smtplib.LMTP(str(sock_path), local_hostname="client.example", timeout=15) as c:
        assert c.sendmail("sender@example.org", ["alice@example.com"], message("unix")) == {}
        # A user of another uid: the worker cannot write as that uid, so a
        # temporary failure (the MTA retries after the admin fixed it).
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            c.sendmail("sender@example.org", ["toor@example.com"], message("root"))
        code, text = refused.value.recipients["toor@example.com"]
        assert code == 451 and text.startswith(b"4.3.0 <toor@example.com> "), (code, text)

    new = mail / "alice" / "Maildir" / "new"
    files = sorted(new.iterdir())
    assert len(files) == 2
    for f in files:
        st = f.stat()
        assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid), f
    bodies = b"".join(f.read_bytes() for f in files)
    assert b"Hello from tcp." in bodies and b"Hello from unix." in bodies
    assert not (mail / "toor").exists()
    assert loftd.wait_for_output(r"Mail access for users with UID 0 not permitted"), loftd.output
    assert loftd.wait_for_output(r"lmtp\(alice@example\.com\)<\d+><[^>]+>: Info: msgid=<unix@loftd\.test>: "
                                 r"saved mail to INBOX"), loftd.output

    # The workers run as nobody.
    lmtp_workers = [pid for pid in loftd.workers()
                    if os.readlink(f"/proc/{pid}/exe").endswith("/loft-lmtpd")]
    assert lmtp_workers, loftd.output
    for pid in lmtp_workers:
        status = open(f"/proc/{pid}/status").read()
        uid_line = next(l for l in status.splitlines() if l.startswith("Uid:"))
        assert uid_line.split()[1:] == [str(nobody.pw_uid)] * 4, uid_line

    stop = loftd.run_command("-c", str(workdir / "loft.conf"), "stop")
    assert stop.returncode == 0, stop.stderr
    assert loftd.wait_exit() == 0
