"""loft-imapd as a daemon: the standalone server (imapd_util.ImapServer),
login and logout through imaplib, and the log lines of a session."""
import re

import pytest

from imapd_util import ImapServer


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
