"""curl's IMAP client against loft-imapd: listing, fetching and searching over
imap:// (plain and with STARTTLS, --ssl-reqd) and imaps:// (--insecure for
the self-signed test certificate)."""
import shutil
import subprocess

import pytest

from imap_raw import connect, message, srv  # noqa: F401

CURL = shutil.which("curl")
pytestmark = pytest.mark.skipif(CURL is None, reason="curl is not installed")

FIRST = message("First letter", "Dear Alice,\r\nhello from curl.\r\n", message_id="<first@example.org>")
SECOND = message("Second letter", "Nothing to see.\r\n", message_id="<second@example.org>")


def curl(*args: str) -> str:
    result = subprocess.run([CURL, "--silent", "--show-error", "--max-time", "30", "--user", "alice:secret", *args],
                            capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, (args, result.returncode, result.stderr.decode(errors="replace"))
    return result.stdout.decode(errors="replace")


@pytest.fixture
def filled(connect):
    w = connect()
    w.ok("CREATE Work")
    w.ok('CREATE "Old mail"')
    assert " OK " in w.append("INBOX", FIRST)
    assert " OK " in w.append("INBOX", SECOND, flags=r"\Seen")
    assert " OK " in w.append("Work", message("Work item"))
    return w


@pytest.mark.parametrize("scheme", ["imap", "imap+starttls", "imaps"])
def test_curl_list_fetch_search(srv, filled, scheme):
    if scheme == "imaps":
        base, extra = f"imaps://{srv.host}:{srv.tls_port}", ["--insecure"]
    elif scheme == "imap+starttls":
        base, extra = f"imap://{srv.host}:{srv.port}", ["--ssl-reqd", "--insecure"]
    else:
        base, extra = f"imap://{srv.host}:{srv.port}", []
    # The root URL lists the mailboxes (curl sends LIST "" *).
    listing = curl(*extra, f"{base}/").splitlines()
    names = sorted(line.split(" ", 4)[-1] for line in listing if line.startswith("* LIST "))
    assert names == ['"Old mail"', "INBOX", "Work"], listing
    assert curl(*extra, f"{base}/INBOX?UNSEEN").strip() == "* SEARCH 1"
    # ;UID=n fetches the message (BODY[], which sets \Seen).
    assert curl(*extra, f"{base}/INBOX;UID=1").encode() == FIRST
    assert curl(*extra, f"{base}/INBOX?UNSEEN").strip() == "* SEARCH"
    assert curl(*extra, f"{base}/INBOX;UID=2;SECTION=HEADER.FIELDS%20(SUBJECT)").strip() == "Subject: Second letter"
    assert curl(*extra, f"{base}/Work;UID=1").encode().startswith(b"From: Bob")
    # ?<criteria> searches.
    assert curl(*extra, f"{base}/INBOX?SUBJECT%20letter").strip() == "* SEARCH 1 2"
    assert curl(*extra, f"{base}/INBOX?BODY%20curl").strip() == "* SEARCH 1"
    # A custom command (-X) on the selected mailbox.
    out = curl(*extra, "--request", "FETCH 1:2 (FLAGS)", f"{base}/INBOX")
    assert [line for line in out.splitlines() if " FETCH " in line][0].startswith("* 1 FETCH (FLAGS ("), out
    status = curl(*extra, "--request", "STATUS INBOX (MESSAGES UNSEEN)", f"{base}/")
    assert status.strip() == "* STATUS INBOX (MESSAGES 2 UNSEEN 0)", status


def test_curl_wrong_password_and_missing_message(srv, filled):
    result = subprocess.run([CURL, "--silent", "--user", "alice:wrong", f"imap://{srv.host}:{srv.port}/"],
                            capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 67, result  # CURLE_LOGIN_DENIED
    result = subprocess.run([CURL, "--silent", "--user", "alice:secret", f"imap://{srv.host}:{srv.port}/Nope;UID=1"],
                            capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode != 0 and result.stdout == b"", result
