"""URLAUTH (RFC 4467) and URL-PARTIAL (RFC 5550) through a real loft-imapd:
GENURLAUTH -> URLFETCH round trips over sockets (raw and Python imaplib),
access identifiers between two users, RESETKEY revocation, EXPIRE, and the
key file on disk."""
import imaplib
import re
import stat

import pytest

from imap_raw import Wire
from imapd_util import ImapServer

HOST = "mail.test"

PART = b"Si vis pacem, para bellum.\r\n"
MESSAGE = (b"From: alice@example.org\r\nSubject: motto\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nIgitur qui desiderat pacem,\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\n" + PART +
           b"\r\n--b--\r\n")


@pytest.fixture
def srv(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, extra_config=f"imap_urlauth_host = {HOST}\n", tls=False) as server:
        yield server


@pytest.fixture
def connect(srv):
    opened = []

    def make(user="alice"):
        w = Wire.connect(srv.port, srv.host)
        opened.append(w)
        w.greeting()
        w.login(user)
        return w

    yield make
    for w in opened:
        w.close()


def genurlauth(w, rump):
    untagged, tagged = w.cmd(f'GENURLAUTH "{rump}" INTERNAL')
    assert tagged.endswith(" OK GENURLAUTH completed."), tagged
    assert len(untagged) == 1
    m = re.fullmatch(r'\* GENURLAUTH "([^"]+)"', untagged[0])
    assert m, untagged
    url = m.group(1)
    assert re.fullmatch(re.escape(rump) + r":internal:[0-9a-f]{40}", url), url
    return url


def urlfetch(w, *urls):
    """The raw URLFETCH response and the tagged line."""
    untagged, tagged = w.cmd("URLFETCH " + " ".join(f'"{u}"' for u in urls))
    assert tagged.endswith(" OK URLFETCH completed."), tagged
    assert len(untagged) == 1, untagged
    return untagged[0]


def test_capability_and_round_trip(srv, connect):
    a = connect("alice")
    caps = a.ok("CAPABILITY")[0]
    assert " URL-PARTIAL CATENATE " in caps and caps.endswith(" URLAUTH")
    assert " OK " in a.append("INBOX", MESSAGE)
    rump = f"imap://alice@{HOST}/INBOX/;uid=1/;section=2;urlauth=user+alice"
    url = genurlauth(a, rump)
    assert urlfetch(a, url) == f'* URLFETCH "{url}" {{{len(PART)}}}\r\n' + PART.decode()
    # URL-PARTIAL: a range of the part.
    part_url = genurlauth(a, f"imap://alice@{HOST}/INBOX/;UID=1/;SECTION=2/;PARTIAL=7.6;URLAUTH=authuser")
    assert urlfetch(a, part_url) == f'* URLFETCH "{part_url}" {{6}}\r\npacem,'
    # The key: a 0600 file in the user's home, never in the mailbox.
    keys = srv.mail_root / "alice" / "loft-urlauth-keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert re.fullmatch(r"[0-9a-f]{32} [0-9a-f]{64}\n", keys.read_text())


def test_other_users_and_access_identifiers(connect):
    a = connect("alice")
    assert " OK " in a.append("INBOX", MESSAGE)
    base = f"imap://alice@{HOST}/INBOX/;UID=1/;SECTION=2;URLAUTH="
    for_alice = genurlauth(a, base + "user+alice")
    for_bob = genurlauth(a, base + "user+bob")
    anyone = genurlauth(a, base + "authuser")
    anon = genurlauth(a, base + "anonymous")
    submit = genurlauth(a, base + "submit+bob")
    b = connect("bob")
    data = f"{{{len(PART)}}}\r\n" + PART.decode()
    assert urlfetch(b, for_bob) == f'* URLFETCH "{for_bob}" {data}'
    assert urlfetch(b, anyone) == f'* URLFETCH "{anyone}" {data}'
    assert urlfetch(b, anon) == f'* URLFETCH "{anon}" {data}'
    # user+other is NIL for us; so is submit+ (no submission role).
    assert urlfetch(b, for_alice) == f'* URLFETCH "{for_alice}" NIL'
    assert urlfetch(b, submit) == f'* URLFETCH "{submit}" NIL'
    assert urlfetch(a, for_bob) == f'* URLFETCH "{for_bob}" NIL'
    # Bob cannot sign URLs for Alice's mailboxes.
    _, tagged = b.cmd(f'GENURLAUTH "{base}authuser" INTERNAL')
    assert tagged.endswith(" BAD Owner username in supplied URL is not the logged in user"), tagged


def test_resetkey_invalidates(srv, connect):
    a = connect("alice")
    assert " OK " in a.append("INBOX", MESSAGE)
    a.ok("CREATE Archive")
    assert " OK " in a.append("Archive", MESSAGE)
    inbox = genurlauth(a, f"imap://alice@{HOST}/INBOX/;UID=1;URLAUTH=authuser")
    archive = genurlauth(a, f"imap://alice@{HOST}/Archive/;UID=1;URLAUTH=authuser")
    b = connect("bob")
    assert urlfetch(b, inbox).startswith(f'* URLFETCH "{inbox}" {{{len(MESSAGE)}}}')
    _, tagged = a.cmd("RESETKEY INBOX")
    assert tagged.endswith(" OK [URLMECH INTERNAL] Key reset."), tagged
    # The key file was replaced whole: 0600, no temporary file left.
    keys = srv.mail_root / "alice" / "loft-urlauth-keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert not (srv.mail_root / "alice" / "loft-urlauth-keys.tmp").exists()
    assert urlfetch(b, inbox, archive) == (f'* URLFETCH "{inbox}" NIL "{archive}" {{{len(MESSAGE)}}}\r\n' +
                                           MESSAGE.decode())
    _, tagged = a.cmd("RESETKEY")
    assert tagged.endswith(" OK All keys removed."), tagged
    assert urlfetch(b, archive) == f'* URLFETCH "{archive}" NIL'


def test_expire(connect):
    a = connect("alice")
    assert " OK " in a.append("INBOX", MESSAGE)
    past = genurlauth(a, f"imap://alice@{HOST}/INBOX/;UID=1/;SECTION=2;EXPIRE=2000-01-01T00:00:00Z;URLAUTH=authuser")
    assert urlfetch(a, past) == f'* URLFETCH "{past}" NIL'
    future = genurlauth(a, f"imap://alice@{HOST}/INBOX/;UID=1/;SECTION=2;EXPIRE=2999-12-31T23:59:59Z;"
                           "URLAUTH=authuser")
    assert urlfetch(a, future) == f'* URLFETCH "{future}" {{{len(PART)}}}\r\n' + PART.decode()


def test_imaplib_client(srv):
    """A Python imaplib script: GENURLAUTH and URLFETCH as extension commands."""
    c = srv.login("alice")
    typ, caps = c.capability()
    assert typ == "OK" and b" URLAUTH" in caps[0]
    assert c.append("INBOX", None, None, MESSAGE)[0] == "OK"
    typ, data = c.xatom("GENURLAUTH", f'"imap://alice@{HOST}/INBOX/;UID=1/;SECTION=1;URLAUTH=anonymous"',
                        "INTERNAL")
    assert typ == "OK", data
    typ, generated = c._untagged_response(typ, data, "GENURLAUTH")
    url = generated[0].decode().strip('"')
    typ, data = c.xatom("URLFETCH", f'"{url}"')
    assert typ == "OK", data
    typ, fetched = c._untagged_response(typ, data, "URLFETCH")
    # imaplib hands a response with a literal over as (text, literal).
    assert fetched[0][1] == b"Igitur qui desiderat pacem,"
    c.logout()


def test_without_urlauth_host_the_commands_are_unknown(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, tls=False) as server:
        w = Wire.connect(server.port, server.host)
        w.greeting()
        w.login("alice")
        caps = w.ok("CAPABILITY")[0]
        assert "URLAUTH" not in caps
        assert " URL-PARTIAL CATENATE" in caps
        _, tagged = w.cmd('URLFETCH "imap://alice@mail.test/INBOX/;UID=1"')
        assert tagged.endswith(" BAD Error in IMAP command URLFETCH: URLAUTH disabled"), tagged
        w.close()


def test_select_and_examine_send_urlmech(connect):
    """RFC 4467 BASE.7.1.URLMECH: an untagged OK with the mechanisms."""
    a = connect("alice")
    for command in ("SELECT INBOX", "EXAMINE INBOX"):
        untagged, tagged = a.cmd(command)
        assert " OK [READ-" in tagged, tagged
        assert "* OK [URLMECH INTERNAL] URLAUTH mechanisms" in untagged, untagged


def test_urlfetch_takes_at_most_1000_urls(connect):
    a = connect("alice")
    assert " OK " in a.append("INBOX", MESSAGE)
    url = genurlauth(a, f"imap://alice@{HOST}/INBOX/;UID=1/;SECTION=2;URLAUTH=authuser")
    b = connect("bob")
    # Literals keep the command line short; 1,000 URLs are fetched.
    args = f" {{{len(url)}+}}\r\n{url}" * 1000
    untagged, tagged = b.cmd("URLFETCH" + args)
    assert tagged.endswith(" OK URLFETCH completed."), tagged
    one = f' "{url}" {{{len(PART)}}}\r\n' + PART.decode()
    assert untagged == ["* URLFETCH" + one * 1000]
    # One more: the whole command is refused, the session goes on.
    untagged, tagged = b.cmd("URLFETCH" + args + f" {{{len(url)}+}}\r\n{url}")
    assert untagged == []
    assert tagged.endswith(" NO [LIMIT] Too many URLs in one URLFETCH (at most 1000)"), tagged
    b.ok("NOOP")
