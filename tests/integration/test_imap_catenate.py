"""CATENATE (RFC 4469) through a real loft-imapd: a forward built from a
part of an existing message with synchronising and non-synchronising
literals, BADURL, TOOBIG, and MULTIAPPEND's all-or-nothing rule, with the
stored bytes checked through FETCH."""
import pytest

from imap_raw import Wire, fetch_literal
from imapd_util import ImapServer

ORIGINAL = (b"From: bob@example.org\r\nTo: alice@example.org\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"xyz\"\r\n\r\n"
            b"--xyz\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n"
            b"--xyz\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            b"JVBERi0xLjQK\r\n"
            b"--xyz--\r\n")


@pytest.fixture
def srv(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, extra_config="imap_max_append_size = 64k\n", tls=False) as server:
        yield server


@pytest.fixture
def alice(srv):
    w = Wire.connect(srv.port, srv.host)
    w.greeting()
    w.login("alice")
    assert " OK " in w.append("INBOX", ORIGINAL)
    yield w
    w.close()


def uidvalidity(w, mailbox="INBOX"):
    untagged, _ = w.cmd(f"STATUS {mailbox} (UIDVALIDITY)")
    return int(untagged[0].split("UIDVALIDITY ")[1].rstrip(")"))


def fetch_body(w, uid, mailbox="INBOX"):
    w.ok(f"EXAMINE {mailbox}")
    untagged, tagged = w.cmd(f"UID FETCH {uid} BODY.PEEK[]")
    assert " OK " in tagged
    return fetch_literal(untagged[0])


def test_forward_with_an_attachment_from_an_existing_message(alice):
    v = uidvalidity(alice)
    head = (b"From: alice@example.org\r\nTo: carol@example.org\r\nSubject: Fwd: report\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"fwd\"\r\n\r\n"
            b"--fwd\r\nContent-Type: text/plain\r\n\r\nHere it is.\r\n--fwd\r\n")
    tail = b"\r\n--fwd--\r\n"
    # Synchronising literals: the client waits for "+" before each.
    alice.send(f"c1 APPEND INBOX (\\Seen) CATENATE (TEXT {{{len(head)}}}\r\n")
    assert alice.read_line().startswith("+ ")
    alice.send(head + f' URL "/INBOX;UIDVALIDITY={v}/;UID=1/;SECTION=2.MIME"'
               f' URL "/INBOX;UIDVALIDITY={v}/;UID=1/;SECTION=2" TEXT {{{len(tail)}}}\r\n'.encode())
    assert alice.read_line().startswith("+ ")
    alice.send(tail + b")\r\n")
    _, tagged = alice.read_until_tagged("c1")
    assert tagged == f"c1 OK [APPENDUID {v} 2] Append completed."
    attachment = (b"Content-Type: application/pdf; name=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                  b"JVBERi0xLjQK")
    assert fetch_body(alice, 2) == head + attachment + tail
    # The source was only read: no \Seen on it.
    untagged, _ = alice.cmd("UID FETCH 1:2 FLAGS")
    assert untagged == ["* 1 FETCH (UID 1 FLAGS (\\Recent))", "* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))"]


def test_relative_url_in_the_selected_mailbox_and_partial(alice):
    alice.ok("SELECT INBOX")
    text = b"Subject: quote\r\n\r\n"
    untagged, tagged = alice.cmd(f'APPEND INBOX CATENATE (TEXT {{{len(text)}+}}\r\n'.encode() + text +
                                 b' URL ";UID=1/;SECTION=1/;PARTIAL=4.3")')
    assert "OK [APPENDUID" in tagged
    assert "* 2 EXISTS" in untagged
    assert fetch_body(alice, 2) == text + b"the"


def test_badurl_and_nothing_stored(alice, srv):
    # Dovecot 2.3's texts where it has them.
    for url, why in (("/INBOX/;UID=9", "Message not found"),
                     ("/INBOX;UIDVALIDITY=1/;UID=1", "Invalid UIDVALIDITY"),
                     ("/INBOX/;UID=1/;SECTION=5", "Body part not found"),
                     ("/Nope/;UID=1", "Mailbox doesn't exist: Nope"),
                     ("/INBOX/;UID=0", "Invalid IMAP URL: Invalid UID"),
                     ("imap://bob@localhost/INBOX/;UID=1", "Invalid IMAP URL: Relative URL required"),
                     ("http://example.org/", "Invalid IMAP URL: Invalid URL scheme")):
        _, tagged = alice.cmd(f'APPEND INBOX CATENATE (TEXT {{3+}}\r\nx\r\n URL "{url}")')
        assert tagged.endswith(f" NO [BADURL {url}] {why}"), tagged
    untagged, _ = alice.cmd("STATUS INBOX (MESSAGES)")
    assert untagged == ["* STATUS INBOX (MESSAGES 1)"]


def test_toobig(alice):
    big = b"Subject: big\r\n\r\n" + b"x" * 60000 + b"\r\n"
    assert " OK " in alice.append("INBOX", big)
    _, tagged = alice.cmd('APPEND INBOX CATENATE (URL "/INBOX/;UID=2" URL "/INBOX/;UID=2")')
    assert tagged.endswith(" NO [TOOBIG] Mail size is too large"), tagged
    _, tagged = alice.cmd('APPEND INBOX CATENATE (URL "/INBOX/;UID=2" URL "/INBOX/;UID=1")')
    assert "OK [APPENDUID" in tagged


def test_multiappend_all_or_nothing(alice):
    _, tagged = alice.cmd('APPEND INBOX CATENATE (URL "/INBOX/;UID=1") {3+}\r\nx\r\n CATENATE (URL "/INBOX/;UID=7")')
    assert tagged.endswith(" NO [BADURL /INBOX/;UID=7] Message not found"), tagged
    untagged, _ = alice.cmd("STATUS INBOX (MESSAGES)")
    assert untagged == ["* STATUS INBOX (MESSAGES 1)"]
    v = uidvalidity(alice)
    _, tagged = alice.cmd('APPEND INBOX CATENATE (URL "/INBOX/;UID=1") {3+}\r\nx\r\n CATENATE (URL "/INBOX/;UID=1")')
    assert tagged.endswith(f" OK [APPENDUID {v} 2:4] Append completed."), tagged
    assert fetch_body(alice, 2) == ORIGINAL
    assert fetch_body(alice, 3) == b"x\r\n"


def test_absolute_url_host_is_case_insensitive(alice):
    """RFC 3986 §3.2.2: the host compares case-insensitively; the user name
    does not."""
    _, tagged = alice.cmd('APPEND INBOX CATENATE (URL "IMAP://alice@LocalHost/INBOX/;UID=1/;SECTION=1")')
    assert tagged.endswith(" Append completed.") and " OK [APPENDUID " in tagged, tagged
    assert fetch_body(alice, 2) == b"See the attachment."
    _, tagged = alice.cmd('APPEND INBOX CATENATE (URL "imap://ALICE@localhost/INBOX/;UID=1")')
    assert tagged.endswith(" NO [BADURL imap://ALICE@localhost/INBOX/;UID=1]"
                           " Invalid IMAP URL: Relative URL required"), tagged
