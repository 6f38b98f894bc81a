"""METADATA (RFC 5464) through a real loft-imapd: entries survive a restart,
follow RENAME, vanish with DELETE, over-limit values and counts are refused
with [METADATA MAXSIZE n] / [METADATA TOOMANY], a binary value round-trips
byte for byte, Dovecot's attribute file is read as Dovecot wrote it, and
with imap_metadata = no the capability is absent and the commands refused.

Byte-level reads here (not RawClient, which decodes lines as text) so that
literal values are compared exactly."""
import re
import socket

import pytest

from imapd_util import WAIT, ImapServer

METADATA_ON = "imap_metadata = yes\nmail_attribute_dict = file:%h/dovecot-attributes\n"
LITERAL = re.compile(rb"~?\{(\d+)\}\r\n$")


class Client:
    """A raw IMAP client that returns responses as bytes, literals read by
    their announced length."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.buf = b""
        self.line()  # greeting

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed by the server")
        self.buf += chunk

    def line(self) -> bytes:
        """One response line with its CRLF, literals included."""
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            part, self.buf = self.buf.split(b"\r\n", 1)
            out += part + b"\r\n"
            m = LITERAL.search(out)
            if not m:
                return out
            n = int(m.group(1))
            while len(self.buf) < n:
                self._fill()
            out += self.buf[:n]
            self.buf = self.buf[n:]

    def cmd(self, tag: str, data) -> bytes:
        """Sends `data` (+CRLF) and returns everything up to the tagged reply."""
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(tag.encode() + b" " + data + b"\r\n")
        out = b""
        while True:
            line = self.line()
            out += line
            if line.startswith(tag.encode() + b" "):
                return out

    def close(self):
        self.sock.close()


@pytest.fixture
def server(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, extra_config=METADATA_ON, tls=False) as srv:
        yield srv


def login(srv, user="alice") -> Client:
    c = Client(srv.port)
    assert re.search(rb"^l OK ", c.cmd("l", f"LOGIN {user} secret"), re.M)
    return c


def restart(srv):
    """start() again; the old log goes aside so that start() waits for the
    new process's "Listening on"."""
    srv.log_path.rename(srv.log_path.with_suffix(".log.1"))
    srv.start()


def test_capability_and_rfc_example(server):
    c = login(server)
    caps = c.cmd("c", "CAPABILITY")
    assert b" METADATA METADATA-SERVER" in caps, caps
    assert c.cmd("a", "SETMETADATA INBOX (/private/comment {33+}\r\nMy new comment across\r\ntwo lines.)") == \
        b"a OK Setmetadata completed.\r\n"
    assert c.cmd("b", 'GETMETADATA "INBOX" /private/comment') == (
        b"* METADATA INBOX (/private/comment {33}\r\nMy new comment across\r\ntwo lines.)\r\n"
        b"b OK Getmetadata completed.\r\n")
    assert c.cmd("c", 'SETMETADATA INBOX (/private/comment "My new comment" /shared/comment "This one is for you!")') \
        == b"c OK Setmetadata completed.\r\n"
    assert c.cmd("d", 'GETMETADATA "INBOX" (/shared/comment /private/comment)') == (
        b'* METADATA INBOX (/shared/comment "This one is for you!" /private/comment "My new comment")\r\n'
        b"d OK Getmetadata completed.\r\n")
    c.close()


def test_entries_survive_restart_follow_rename_and_vanish_with_delete(build_dir, tmp_path):
    srv = ImapServer(build_dir, tmp_path, extra_config=METADATA_ON, tls=False)
    try:
        c = login(srv)
        assert c.cmd("a", "CREATE Work").startswith(b"a OK")
        assert c.cmd("b", 'SETMETADATA Work (/private/comment "mine" /shared/vendor/acme/tag "blue")') == \
            b"b OK Setmetadata completed.\r\n"
        assert c.cmd("c", 'SETMETADATA "" (/private/vendor/acme/theme "dark")') == b"c OK Setmetadata completed.\r\n"
        c.close()
    finally:
        srv.stop()
    # The dict file is Dovecot's format, in the user's home.
    text = (srv.mail_root / "alice" / "dovecot-attributes").read_bytes()
    assert re.search(rb"^priv/[0-9a-f]{32}/comment\nmine\n", text, re.M), text
    assert re.search(rb"^priv/[0-9a-f]{32}/vendor/vendor\.dovecot/pvt/server/vendor/acme/theme\ndark\n", text, re.M)
    restart(srv)
    try:
        c = login(srv)
        assert c.cmd("a", "GETMETADATA Work (DEPTH infinity) (/private /shared)") == (
            b'* METADATA Work (/private/comment "mine" /shared/vendor/acme/tag "blue")\r\n'
            b"a OK Getmetadata completed.\r\n")
        assert c.cmd("b", 'GETMETADATA "" /private/vendor/acme/theme') == (
            b'* METADATA "" (/private/vendor/acme/theme "dark")\r\nb OK Getmetadata completed.\r\n')
        # RENAME keeps the mailbox GUID, and with it the entries.
        assert c.cmd("c", "RENAME Work Archive").startswith(b"c OK")
        assert c.cmd("d", "GETMETADATA Archive (/private/comment /shared/vendor/acme/tag)") == (
            b'* METADATA Archive (/private/comment "mine" /shared/vendor/acme/tag "blue")\r\n'
            b"d OK Getmetadata completed.\r\n")
        assert c.cmd("e", "GETMETADATA Work (/private/comment)") == \
            b"e NO [NONEXISTENT] Mailbox doesn't exist: Work\r\n"
        # DELETE drops them: a new mailbox of the same name has none.
        assert c.cmd("f", "DELETE Archive").startswith(b"f OK")
        assert b"mine" not in (srv.mail_root / "alice" / "dovecot-attributes").read_bytes()
        assert c.cmd("g", "CREATE Archive").startswith(b"g OK")
        assert c.cmd("h", "GETMETADATA Archive (/private/comment)") == (
            b"* METADATA Archive (/private/comment NIL)\r\nh OK Getmetadata completed.\r\n")
        # The server entry is untouched.
        assert b"dark" in c.cmd("i", 'GETMETADATA "" /private/vendor/acme/theme')
        c.close()
    finally:
        srv.stop()


def test_limits_and_bad_names(server):
    c = login(server)
    big = 32 * 1024
    out = c.cmd("a", b"SETMETADATA INBOX (/private/ok \"kept?\" /private/big {%d+}\r\n" % (big + 1) +
                b"x" * (big + 1) + b")")
    assert out == b"a NO [METADATA MAXSIZE 32768] Metadata entry value too large\r\n"
    assert c.cmd("b", "GETMETADATA INBOX (/private/ok)") == \
        b"* METADATA INBOX (/private/ok NIL)\r\nb OK Getmetadata completed.\r\n"
    # Entries per mailbox: 256.
    entries = " ".join(f'/shared/e{i} "v"' for i in range(256))
    assert c.cmd("c", f"SETMETADATA INBOX ({entries})") == b"c OK Setmetadata completed.\r\n"
    assert c.cmd("d", 'SETMETADATA INBOX (/private/one-more "v")') == \
        b"d NO [METADATA TOOMANY] Too many metadata entries\r\n"
    assert c.cmd("e", 'SETMETADATA INBOX (/shared/e0 NIL /private/one-more "v")') == \
        b"e OK Setmetadata completed.\r\n"
    assert c.cmd("f", 'SETMETADATA INBOX (/private//x "v")') == \
        b"f BAD Error in IMAP command SETMETADATA: Entry name can't contain consecutive '/'\r\n"
    assert c.cmd("g", "GETMETADATA INBOX /other") == \
        b"g BAD Error in IMAP command GETMETADATA: Entry name must begin with /private or /shared\r\n"
    assert c.cmd("h", 'SETMETADATA Nope (/private/x "v")') == b"h NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n"
    # MAXSIZE on GETMETADATA.
    assert c.cmd("i", "GETMETADATA (MAXSIZE 0) INBOX (/shared/e1 /private/one-more)") == \
        b"i OK [METADATA LONGENTRIES 1] Getmetadata completed.\r\n"
    c.close()


MAXSIZE_NO = b"NO [METADATA MAXSIZE 32768] Metadata entry value too large\r\n"


@pytest.mark.parametrize("size", [100 * 1024, 10 * 1024 * 1024])
def test_value_literal_above_the_limit_gets_maxsize(server, size):
    """RFC 5464 §4.3: [METADATA MAXSIZE], never the parser's "Literal too
    large": a synchronising literal is refused before it is sent (no "+"),
    a non-synchronising one is read, discarded, and the command answered
    NO; the connection goes on either way."""
    c = login(server)
    c.sock.sendall(b"a SETMETADATA INBOX (/private/big {%d}\r\n" % size)
    assert c.line() == b"a " + MAXSIZE_NO
    # The client sends nothing more for "a": the next command is answered.
    assert c.cmd("b", "NOOP") == b"b OK NOOP completed.\r\n"
    out = c.cmd("c", b"SETMETADATA INBOX (/private/ok \"v\" /private/big {%d+}\r\n" % size +
                b"x" * size + b" /private/after \"v\")")
    assert out == b"c " + MAXSIZE_NO
    assert c.cmd("d", "GETMETADATA INBOX (/private/ok /private/big /private/after)") == \
        b"* METADATA INBOX (/private/ok NIL /private/big NIL /private/after NIL)\r\nd OK Getmetadata completed.\r\n"
    # At the limit a value is invited and stored.
    c.sock.sendall(b"e SETMETADATA INBOX (/private/big {32768}\r\n")
    assert c.line().startswith(b"+ ")
    c.sock.sendall(b"x" * 32768 + b")\r\n")
    assert c.line() == b"e OK Setmetadata completed.\r\n"
    c.close()


def test_binary_value_round_trips(server):
    c = login(server)
    value = bytes(range(256))
    assert c.cmd("a", b"SETMETADATA INBOX (/private/blob ~{256+}\r\n" + value + b")") == \
        b"a OK Setmetadata completed.\r\n"
    assert c.cmd("b", "GETMETADATA INBOX /private/blob") == (
        b"* METADATA INBOX (/private/blob ~{256}\r\n" + value + b")\r\nb OK Getmetadata completed.\r\n")
    # Another connection sees it too.
    d = login(server)
    assert value in d.cmd("c", "GETMETADATA INBOX /private/blob")
    c.close()
    d.close()


def test_dovecot_written_file_is_read(build_dir, tmp_path):
    srv = ImapServer(build_dir, tmp_path, extra_config=METADATA_ON, tls=False)
    try:
        c = login(srv)
        assert c.cmd("a", "CREATE Other").startswith(b"a OK")
        # Opening a mailbox writes its dovecot-uidlist (and GUID).
        assert b"b OK" in c.cmd("b", "SELECT INBOX")
        assert b"c OK" in c.cmd("c", "SELECT Other")
        c.close()
    finally:
        srv.stop()
    # The GUIDs Loft gave the mailboxes, from the dovecot-uidlist headers.
    def guid(path):
        header = (path / "dovecot-uidlist").read_text().split("\n", 1)[0]
        return re.search(r"\bG([0-9a-f]{32})\b", header).group(1)
    maildir = srv.maildir("alice")
    inbox, other = guid(maildir), guid(maildir / ".Other")
    # What Dovecot 2.3.19 writes for SETMETADATA on INBOX, Other and "".
    (srv.mail_root / "alice" / "dovecot-attributes").write_bytes(
        f"shared/{other}/comment\nab\x01ncd\n"
        f"priv/{inbox}/comment\ninbox priv\n"
        f"priv/{inbox}/vendor/vendor.dovecot/pvt/server/comment\nsrv priv\n"
        f"priv/{other}/x\na\x01tb\n".encode())
    restart(srv)
    try:
        c = login(srv)
        assert c.cmd("a", "GETMETADATA Other (/shared/comment /private/x)") == (
            b"* METADATA Other (/shared/comment {5}\r\nab\ncd /private/x {3}\r\na\tb)\r\n"
            b"a OK Getmetadata completed.\r\n")
        assert c.cmd("b", 'GETMETADATA "" /private/comment') == (
            b'* METADATA "" (/private/comment "srv priv")\r\nb OK Getmetadata completed.\r\n')
        assert c.cmd("c", "GETMETADATA INBOX (DEPTH infinity) /private") == (
            b'* METADATA INBOX (/private/comment "inbox priv")\r\nc OK Getmetadata completed.\r\n')
        c.close()
    finally:
        srv.stop()


def test_off_without_imap_metadata(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, tls=False) as srv:
        c = login(srv)
        assert b"METADATA" not in c.cmd("a", "CAPABILITY")
        assert c.cmd("b", "GETMETADATA INBOX /private/comment") == \
            b"b NO [CANNOT] Generic mailbox attributes not enabled\r\n"
        assert c.cmd("c", 'SETMETADATA INBOX (/private/comment "x")') == \
            b"c NO [CANNOT] Generic mailbox attributes not enabled\r\n"
        c.close()
    assert not (srv.mail_root / "alice" / "dovecot-attributes").exists()
