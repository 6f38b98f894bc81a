"""A raw IMAP client for the integration tests: exact bytes on the wire, with
literals read by their announced length, so FETCH bodies and pipelined
answers can be checked byte for byte.

Responses are returned as `str` decoded with surrogateescape (every byte
round-trips); a literal stays inline after its `{n}` marker, e.g.
'* 1 FETCH (BODY[] {5}\r\nhello)'.
"""
from __future__ import annotations

import pathlib
import re
import socket
import ssl
import time
import zlib

WAIT = 15.0  # upper bound for any single read; tests never rely on timing otherwise
LITERAL_AT_END = re.compile(rb"~?\{(\d+)\+?\}$")


def dec(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def enc(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")


class Closed(Exception):
    """The server closed the connection."""


class Wire:
    """A blocking IMAP connection with bounded waits."""

    def __init__(self, sock: socket.socket, timeout: float = WAIT):
        self.sock = sock
        self.sock.settimeout(timeout)
        self.buf = b""
        self.counter = 0
        self.inflate: zlib._Decompress | None = None
        self.deflate: zlib._Compress | None = None

    @classmethod
    def connect(cls, port: int, host: str = "127.0.0.1", tls: bool = False, timeout: float = WAIT) -> "Wire":
        sock = socket.create_connection((host, port), timeout=timeout)
        if tls:
            sock = client_tls_context().wrap_socket(sock, server_hostname="localhost")
        return cls(sock, timeout)

    # --- low level -------------------------------------------------------
    def send(self, data: str | bytes):
        data = enc(data)
        if self.deflate is not None:
            data = self.deflate.compress(data) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def send_line(self, line: str | bytes):
        self.send(enc(line) + b"\r\n")

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        if self.inflate is not None:
            chunk = self.inflate.decompress(chunk)
        self.buf += chunk
        return True

    def read_raw_line(self) -> bytes:
        """One line including its CRLF; raises Closed at EOF."""
        while b"\n" not in self.buf:
            if not self._fill():
                if self.buf:
                    rest, self.buf = self.buf, b""
                    return rest
                raise Closed()
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise Closed()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_line(self) -> str:
        """One line without CRLF (a literal it announces is not read)."""
        return dec(self.read_raw_line().rstrip(b"\r\n"))

    def read_response(self) -> str:
        """One response with the literals it contains; without the final CRLF."""
        out = b""
        while True:
            line = self.read_raw_line()
            body = line.rstrip(b"\r\n")
            m = LITERAL_AT_END.search(body)
            if m and not body.startswith(b"+ "):
                out += line + self.read_exact(int(m.group(1)))
                continue
            return dec(out + body)

    def read_until_tagged(self, tag: str) -> tuple[list[str], str]:
        """(untagged and continuation responses before it, the tagged line)."""
        untagged = []
        while True:
            resp = self.read_response()
            if resp.startswith(tag + " "):
                return untagged, resp
            untagged.append(resp)

    def expect_closed(self, timeout: float = WAIT) -> list[str]:
        """Everything the server still sends until it closes the connection."""
        self.sock.settimeout(timeout)
        lines = []
        try:
            while True:
                lines.append(self.read_response())
        except Closed:
            return lines
        except ConnectionResetError:
            return lines

    # --- commands ----------------------------------------------------------
    def next_tag(self) -> str:
        self.counter += 1
        return f"t{self.counter}"

    def cmd(self, line: str | bytes, tag: str | None = None) -> tuple[list[str], str]:
        """Send '<tag> <line>' and read its answer."""
        tag = tag or self.next_tag()
        self.send(enc(tag) + b" " + enc(line) + b"\r\n")
        return self.read_until_tagged(tag)

    def ok(self, line: str | bytes) -> list[str]:
        """A command that must succeed; its untagged responses."""
        untagged, tagged = self.cmd(line)
        assert re.match(r"^\S+ OK\b", tagged), (line, untagged, tagged)
        return untagged

    def greeting(self) -> str:
        return self.read_response()

    def login(self, user: str = "alice", password: str = "secret") -> str:
        _, tagged = self.cmd(f"LOGIN {user} {password}")
        assert " OK " in tagged, tagged
        return tagged

    def append(self, mailbox: str, message: bytes, flags: str = "", date: str = "") -> str:
        """APPEND with a non-synchronising literal (LITERAL+); the tagged line."""
        tag = self.next_tag()
        extra = ""
        if flags:
            extra += f" ({flags})"
        if date:
            extra += f' "{date}"'
        self.send(enc(f"{tag} APPEND {quote(mailbox)}{extra} {{{len(message)}+}}\r\n") + message + b"\r\n")
        _, tagged = self.read_until_tagged(tag)
        return tagged

    def start_compress(self):
        """After a tagged OK to COMPRESS DEFLATE: raw deflate both ways (RFC 4978)."""
        self.inflate = zlib.decompressobj(-15)
        self.deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        if self.buf:
            self.buf = self.inflate.decompress(self.buf)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def client_tls_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


_MESSAGE_COUNTER = 0


def message(subject: str = "hello", body: str = "Hello world.\r\n", sender: str = "Bob <bob@example.org>",
            to: str = "Alice <alice@example.org>", date: str = "Mon, 7 Feb 1994 21:52:25 -0800",
            extra_headers: str = "", message_id: str | None = None) -> bytes:
    """A small RFC 5322 message with CRLF line ends."""
    global _MESSAGE_COUNTER
    _MESSAGE_COUNTER += 1
    mid = message_id or f"<m{_MESSAGE_COUNTER}.{len(body)}@example.org>"
    head = (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\n"
            f"Message-ID: {mid}\r\n{extra_headers}")
    return enc(head + "\r\n" + body)


def fetch_literal(response: str) -> bytes:
    """The bytes of the first literal in a FETCH response."""
    m = re.search(r"\{(\d+)\}\r\n", response)
    assert m, response
    start = m.end()
    return enc(response[start:])[: int(m.group(1))]


def search_numbers(untagged: list[str]) -> list[int]:
    """The numbers of the '* SEARCH' line among the untagged responses."""
    lines = [u for u in untagged if u == "* SEARCH" or u.startswith("* SEARCH ")]
    assert len(lines) == 1, untagged
    return [int(x) for x in lines[0].split()[2:]]


def wait_for(predicate, timeout: float = WAIT, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# --- fixtures (test modules import them by name) ------------------------------
import pytest  # noqa: E402


@pytest.fixture
def srv(build_dir, tmp_path):
    """A standalone loft-imapd with users alice, bob and carol ("secret").
    IMAP_TEST_SERVER_MODULE names another module with the same ImapServer
    class, to check the expectations against a reference server."""
    import importlib
    import os
    module = importlib.import_module(os.environ.get("IMAP_TEST_SERVER_MODULE", "imapd_util"))
    with module.ImapServer(build_dir, tmp_path) as server:
        yield server


@pytest.fixture
def connect(srv):
    """connect(user="alice", tls=False, login=True) -> Wire, greeting read;
    every Wire is closed at the end of the test."""
    opened: list[Wire] = []

    def make(user: str | None = "alice", tls: bool = False, login: bool = True) -> Wire:
        w = Wire.connect(srv.tls_port if tls else srv.port, srv.host, tls=tls)
        opened.append(w)
        w.greeting_line = w.greeting()
        if login and user:
            w.login(user)
        return w

    yield make
    for w in opened:
        w.close()


def tree_snapshot(root: pathlib.Path) -> dict[str, int]:
    """Every path under root with its size (directories -1), for
    'nothing changed' checks."""
    out = {}
    for path in sorted(root.rglob("*")):
        try:
            out[str(path.relative_to(root))] = -1 if path.is_dir() else path.stat().st_size
        except OSError:
            pass
    return out


def mail_files(maildir: pathlib.Path, folder: str = "") -> list[pathlib.Path]:
    """The message files of a Maildir++ folder ("" = INBOX, "Foo" = .Foo)."""
    base = maildir / f".{folder}" if folder else maildir
    return sorted(p for sub in ("new", "cur") for p in (base / sub).glob("*") if p.is_file())


TIMING = re.compile(r" \((?:\d+\.\d+ \+ )*\d+\.\d+ secs\)")


def norm(line: str) -> str:
    """A response line without Dovecot's optional timing and final period,
    so 'OK Select completed (0.001 + 0.000 secs).', 'OK Select completed.'
    and 'OK Select completed' compare equal."""
    line = TIMING.sub("", line)
    return line[:-1] if line.endswith(".") else line


LIST_LINE = re.compile(r'^\* (LIST|LSUB) \(([^)]*)\) (NIL|"(?:[^"\\]|\\.)*") (.*)$', re.S)


def unquote(text: str) -> str:
    """An astring/nstring token as its value: "a\\"b" -> a"b, {n}CRLF... -> the literal."""
    if text.startswith('"') and text.endswith('"'):
        return re.sub(r'\\(.)', r'\1', text[1:-1])
    m = re.match(r"\{(\d+)\}\r\n", text)
    if m:
        return text[m.end():m.end() + int(m.group(1))]
    return text


def parse_list(line: str) -> tuple[set[str], str | None, str]:
    """'* LIST (\\A \\B) "." name' -> ({'\\A', '\\B'}, '.', 'name')."""
    m = LIST_LINE.match(line)
    assert m, line
    delim = None if m.group(3) == "NIL" else unquote(m.group(3))
    return set(m.group(2).split()), delim, unquote(m.group(4))


def listed(untagged: list[str], kind: str = "LIST") -> dict[str, set[str]]:
    """Mailbox name -> attributes of the LIST (or LSUB) responses."""
    out = {}
    for line in untagged:
        if line.startswith(f"* {kind} "):
            attrs, _, name = parse_list(line)
            assert name not in out, ("listed twice", name, untagged)
            out[name] = attrs
    return out


def parse_status(line: str) -> tuple[str, dict[str, int]]:
    """'* STATUS name (MESSAGES 1 UIDNEXT 2)' -> ('name', {'MESSAGES': 1, 'UIDNEXT': 2})."""
    m = re.match(r'^\* STATUS (.*) \(([^)]*)\)$', line, re.S)
    assert m, line
    words = m.group(2).split()
    return unquote(m.group(1)), {words[i]: int(words[i + 1]) for i in range(0, len(words), 2)}


class Quoted(str):
    """A quoted string or literal's text (as opposed to an atom)."""


def parse_value(data: bytes, i: int = 0):
    """One IMAP value at data[i:]: (value, next index). NIL -> None, list ->
    list, "q" -> Quoted, {n}/~{n} literal -> bytes, other atoms -> str (an
    atom like BODY[HEADER.FIELDS (A B)]<0> is read whole)."""
    while i < len(data) and data[i:i + 1] == b" ":
        i += 1
    c = data[i:i + 1]
    if c == b"(":
        out, i = [], i + 1
        while True:
            while data[i:i + 1] == b" ":
                i += 1
            if data[i:i + 1] == b")":
                return out, i + 1
            value, i = parse_value(data, i)
            out.append(value)
    if c == b'"':
        j, buf = i + 1, bytearray()
        while data[j:j + 1] != b'"':
            if data[j:j + 1] == b"\\":
                j += 1
            buf += data[j:j + 1]
            j += 1
        return Quoted(dec(bytes(buf))), j + 1
    m = re.compile(rb"~?\{(\d+)\}\r\n").match(data, i)
    if m:
        n = int(m.group(1))
        return data[m.end():m.end() + n], m.end() + n
    j, depth = i, 0
    while j < len(data):
        ch = data[j:j + 1]
        if ch == b"[":
            depth += 1
        elif ch == b"]":
            depth -= 1
        elif depth == 0 and ch in (b" ", b"(", b")"):
            break
        j += 1
    atom = dec(data[i:j])
    return (None if atom == "NIL" else atom), j


def parse_fetch(response: str) -> tuple[int, dict]:
    """'* 3 FETCH (UID 7 FLAGS (\\Seen))' -> (3, {'UID': '7', 'FLAGS': ['\\Seen']}).
    Item names are upper-cased; body sections keep their text."""
    m = re.match(r"\* (\d+) FETCH ", response)
    assert m, response
    data = enc(response)
    items, end = parse_value(data, m.end())
    assert end == len(data), ("trailing data", response)
    assert len(items) % 2 == 0, items
    out = {}
    for k in range(0, len(items), 2):
        key = items[k].upper()
        assert key not in out, ("item twice", key, response)
        out[key] = items[k + 1]
    return int(m.group(1)), out


def fetches(untagged: list[str]) -> dict[int, dict]:
    """Sequence number -> items of the FETCH responses (merged when a message
    has several)."""
    out: dict[int, dict] = {}
    for line in untagged:
        if re.match(r"\* \d+ FETCH ", line):
            seq, items = parse_fetch(line)
            out.setdefault(seq, {}).update(items)
    return out


def imap_moment(date_time: str) -> float:
    """An IMAP date-time ("07-Feb-1994 21:52:25 -0800") as a POSIX time: a
    Maildir keeps the moment of INTERNALDATE (the file's mtime), not its zone."""
    import datetime
    return datetime.datetime.strptime(date_time.strip(), "%d-%b-%Y %H:%M:%S %z").timestamp()


def apply_expunges(numbers: list[int], untagged: list[str]) -> list[int]:
    """The messages left (by UID, in order) after the '* n EXPUNGE' responses,
    each of which renumbers the later ones (RFC 3501 §7.4.1). Other
    untagged responses must be '* n RECENT' or '* n EXISTS'."""
    left = list(numbers)
    for line in untagged:
        m = re.fullmatch(r"\* (\d+) EXPUNGE", line)
        if m:
            seq = int(m.group(1))
            assert 1 <= seq <= len(left), (line, left)
            del left[seq - 1]
        else:
            assert re.fullmatch(r"\* \d+ (RECENT|EXISTS)", line), line
    return left
