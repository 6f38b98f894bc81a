"""Hostile and broken input through a real socket: each gets BAD or NO, or a
clean disconnect with a clear message; the server's memory stays bounded
and the user's mail is untouched afterwards."""
import re
import socket
import threading

import pytest

from loftd_util import built_with_asan
from imap_raw import Closed, connect, enc, fetches, listed, mail_files, message, norm, srv, tree_snapshot  # noqa: F401


def bad_or_bye(line: str, tag: str) -> bool:
    return line.startswith(f"{tag} BAD ") or line.startswith("* BAD ") or line.startswith("* BYE ")


def mailbox_state(srv):
    """What must not change: the folders and the message files (names and
    sizes) of the Maildir; index and cache files may be rewritten."""
    snapshot = tree_snapshot(srv.maildir("alice"))
    return {path: size for path, size in snapshot.items()
            if size == -1 or re.search(r"(^|/)(new|cur|tmp)/", path)}


def seeded(connect, srv, count=3):
    w = connect()
    for n in range(count):
        assert " OK " in w.append("INBOX", message(f"m{n + 1}"), flags=r"\Seen" if n == 0 else "")
    w.ok("SELECT INBOX")
    w.ok("CHECK")
    return w


def test_garbage_before_login(connect, srv):
    seeded(connect, srv).close()
    before = mailbox_state(srv)
    w = connect(login=False)
    garbage = [b"\x01\x02\xff\xfe garbage", b"a1 FOO", b")))", b"a2 LOGIN", b"a3 LOGIN alice", b"*", b"a4",
               b"a5 SELECT INBOX", b"\x00\x00\x00", b"GET / HTTP/1.1"]
    closed = False
    for n, line in enumerate(garbage):
        w.send(line + b"\r\n")
        try:
            response = w.read_response()
        except (Closed, ConnectionResetError):
            pytest.fail(f"closed without a message after {line!r}")
        # Every line gets BAD, until the server gives up with BYE
        # (Dovecot: "* BYE Too many invalid IMAP commands.") and closes.
        assert re.match(r"^(\S+ BAD |\* BYE )", response), (line, response)
        if response.startswith("* BYE "):
            assert len(response) > len("* BYE "), "BYE needs a reason"
            assert w.expect_closed() == []
            closed = True
            break
    if not closed:
        assert norm(w.cmd("NOOP", tag="z1")[1]) == "z1 OK NOOP completed"
        w.login()
    assert mailbox_state(srv) == before


@pytest.mark.parametrize("command", [
    "FETCH 1 (FLAGS", "FETCH 1 FLAGS)", "FETCH 1 ((FLAGS)", "SEARCH (OR SEEN", "SEARCH SEEN)",
    r"STORE 1 +FLAGS (\Deleted", r"STORE 1 +FLAGS \Deleted)", 'LIST "" ("INBOX"', "STATUS INBOX (MESSAGES",
])
def test_unbalanced_parentheses(connect, srv, command):
    w = seeded(connect, srv)
    before = mailbox_state(srv)
    flags = fetches(w.ok("FETCH 1:3 FLAGS"))
    untagged, tagged = w.cmd(command, tag="u1")
    assert untagged == [] and tagged.startswith("u1 BAD "), (command, untagged, tagged)
    # The session goes on and nothing changed.
    assert fetches(w.ok("FETCH 1:3 FLAGS")) == flags
    assert mailbox_state(srv) == before


@pytest.mark.parametrize("plus", ["", "+"])
def test_ten_gigabyte_literal_refused_without_reading(connect, srv, plus):
    seeded(connect, srv).close()
    before = mailbox_state(srv)
    w = connect()
    w.send_line(f"g1 APPEND INBOX {{10737418240{plus}}}")
    response = w.read_response()
    # Never "+ OK": the server must not ask for 10 GB. A synchronising
    # literal can be refused with a tagged NO/BAD (the client sends nothing);
    # a non-synchronising one is already on its way, so closing with a BYE
    # that says why is the only safe answer besides refusing it outright.
    assert not response.startswith("+"), response
    assert re.match(r"^(g1 (NO|BAD) |\* BYE )", response), response
    if response.startswith("* BYE ") or plus:
        # A refused {n+} literal's bytes must not be run as commands: the
        # server drops the connection (expect_closed times out otherwise).
        w.expect_closed()
    else:
        assert norm(w.cmd("NOOP", tag="g2")[1]) == "g2 OK NOOP completed"
    assert mailbox_state(srv) == before
    assert list((srv.maildir("alice") / "tmp").iterdir()) == []
    # Others are served as before.
    other = connect("bob")
    other.ok("SELECT INBOX")


def test_a_million_pipelined_noops(connect, srv, build_dir):
    w = connect()
    w.ok("SELECT INBOX")
    baseline = srv.rss_kb()
    # A quarter of that under ASan, where each command costs several times
    # more; the plain build runs the full million.
    total = 250_000 if built_with_asan(build_dir) else 1_000_000
    errors = []

    def writer():
        try:
            chunk = []
            for n in range(total):
                chunk.append(b"%x NOOP\r\n" % n)
                if len(chunk) == 8192:
                    w.sock.sendall(b"".join(chunk))
                    chunk = []
            w.sock.sendall(b"".join(chunk))
        except OSError as e:  # the reader fails the test with the details
            errors.append(e)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    # Drain while the writer writes: count the tagged OKs, watch the RSS.
    w.sock.settimeout(60)
    oks, rest, peak, received = 0, b"", baseline, 0
    while oks < total:
        try:
            data = w.sock.recv(1 << 20)
        except socket.timeout:
            pytest.fail(f"stalled after {oks} answers ({errors})")
        assert data, f"closed after {oks} answers: {rest[-200:]!r}"
        received += len(data)
        lines = (rest + data).split(b"\r\n")
        rest = lines.pop()
        for line in lines:
            assert re.fullmatch(rb"[0-9a-f]+ OK NOOP completed\.?( \([^)]*\)\.?)?", line), line
        oks += len(lines)
        if received > (4 << 20):
            received = 0
            peak = max(peak, srv.rss_kb())
    thread.join(30)
    assert not errors, errors
    assert oks == total
    # Memory stays bounded: the input is read as the output drains. The
    # bound is checked in the plain build only: under ASan freed memory sits
    # in its quarantine (256 MB) and every allocation touches fresh pages, so
    # RSS there measures the sanitizer, not the server.
    peak = max(peak, srv.rss_kb())
    if not built_with_asan(build_dir):
        assert peak - baseline < 64 * 1024, (baseline, peak)
    untagged, tagged = w.cmd("NOOP", tag="last")
    assert untagged == [] and tagged.startswith("last OK")


@pytest.mark.parametrize("command,expected", [
    ("FETCH 0 FLAGS", "BAD Error in IMAP command FETCH: Invalid messageset"),
    ("FETCH 1:0 FLAGS", "BAD Error in IMAP command FETCH: Invalid messageset"),
    ("FETCH 4 FLAGS", "BAD Error in IMAP command FETCH: Invalid messageset"),
    ("FETCH 1,,2 FLAGS", "BAD Error in IMAP command FETCH: Invalid messageset"),
    ("FETCH a:b FLAGS", "BAD Error in IMAP command FETCH: Invalid messageset"),
    ("FETCH 4294967296 FLAGS", "BAD Error in IMAP command FETCH: Invalid messageset"),
    ("FETCH -1 FLAGS", "BAD Error in IMAP command FETCH: Invalid messageset"),
    ("FETCH 1: FLAGS", "BAD Error in IMAP command FETCH: Invalid messageset"),
    # Dovecot 2.3.19 says "Invalid uidset" for every UID command.
    ("UID FETCH 0 FLAGS", "BAD Error in IMAP command UID FETCH: Invalid uidset"),
    ("UID FETCH 1:x FLAGS", "BAD Error in IMAP command UID FETCH: Invalid uidset"),
    (r"UID STORE 0 +FLAGS (\Deleted)", "BAD Error in IMAP command UID STORE: Invalid uidset"),
    ("UID COPY 0 INBOX", "BAD Error in IMAP command UID COPY: Invalid uidset"),
    (r"STORE 0 +FLAGS (\Deleted)", None),
    (r"STORE 1:99 +FLAGS (\Deleted)", None),
    ("COPY 0 INBOX", None),
    ("MOVE 7 INBOX", None),
    ("SEARCH 0", None),
    ("SEARCH UID 1:x", None),
])
def test_invalid_sequence_sets(connect, srv, command, expected):
    w = seeded(connect, srv)
    before = mailbox_state(srv)
    flags = fetches(w.ok("FETCH 1:3 FLAGS"))
    untagged, tagged = w.cmd(command, tag="v1")
    assert untagged == [], untagged
    if expected:
        assert norm(tagged) == f"v1 {expected}"
    else:
        assert tagged.startswith("v1 BAD "), tagged
    assert fetches(w.ok("FETCH 1:3 FLAGS")) == flags
    assert mailbox_state(srv) == before


ESCAPING_NAMES = ["../evil", "..", "../../../../tmp/evil", "foo/../../evil", ".evil", "evil..x", "x/../evil",
                  "/evil", "~/evil", "INBOX/../../evil"]


def test_names_that_would_leave_the_maildir(connect, srv):
    w = seeded(connect, srv)
    before = mailbox_state(srv)
    outside = tree_snapshot(srv.dir)
    for n, name in enumerate(ESCAPING_NAMES):
        quoted = '"' + name + '"'
        for verb in (f"CREATE {quoted}", f"RENAME INBOX {quoted}", f"SELECT {quoted}", f"STATUS {quoted} (MESSAGES)",
                     f"DELETE {quoted}", f"COPY 1 {quoted}"):
            untagged, tagged = w.cmd(verb, tag=f"e{n}")
            # Dovecot: "NO [CANNOT] Invalid mailbox name: ..." or NONEXISTENT/TRYCREATE.
            assert re.match(rf"e{n} (NO|BAD) ", tagged), (verb, tagged)
        tagged = w.append(name, message("escape"))
        assert re.match(r"\S+ (NO|BAD) ", tagged), (name, tagged)
    w.ok("SELECT INBOX")
    assert set(listed(w.ok('LIST "" "*"'))) == {"INBOX"}
    assert mailbox_state(srv) == before
    # Nothing appeared anywhere else either (logs and sockets aside).
    after = tree_snapshot(srv.dir)
    new = [p for p in set(after) - set(outside) if "evil" in p or not p.startswith(("run", "imapd", "mail/"))]
    assert new == [], new
    assert not [p for p in srv.dir.parent.rglob("*evil*")]


def test_nul_bytes(connect, srv):
    w = seeded(connect, srv)
    before = mailbox_state(srv)
    # NUL is not a CHAR8 of a quoted string or a literal (RFC 3501 §9).
    for n, data in enumerate([b'CREATE "a\x00b"', b"CREATE {3+}\r\na\x00b", b"CREATE a\x00b",
                              b'RENAME INBOX "x\x00y"', b'STATUS "INBOX\x00" (MESSAGES)',
                              b'SEARCH SUBJECT "a\x00b"', b"STORE 1 +FLAGS (kw\x00x)"]):
        untagged, tagged = w.cmd(data, tag=f"z{n}")
        assert re.match(rf"z{n} (BAD|NO) ", tagged), (data, tagged)
        assert fetches(untagged) == {}, untagged
    assert set(listed(w.ok('LIST "" "*"'))) == {"INBOX"}
    assert mailbox_state(srv) == before
    # Before login too.
    pre = connect(login=False)
    untagged, tagged = pre.cmd(b"LOGIN {6+}\r\nal\x00ice secret", tag="p1")
    assert re.match(r"p1 (BAD|NO) ", tagged), tagged
    assert not re.match(r"p1 OK", tagged)


@pytest.mark.parametrize("before_login", [True, False])
def test_line_longer_than_the_limit(connect, srv, before_login):
    seeded(connect, srv).close()
    before = mailbox_state(srv)
    w = connect(login=not before_login)
    # imap_max_line_length is 64k by default.
    w.send(b"l1 CREATE " + b"x" * 70000 + b"\r\n")
    response = w.read_response()
    assert bad_or_bye(response, "l1"), response[:200]
    if response.startswith("* BYE "):
        # A clear message, then the connection is closed.
        # (Dovecot: "* BYE Input buffer full, aborting")
        assert len(response.strip()) > len("* BYE ") + 3, response
        w.expect_closed()
    else:
        untagged, tagged = w.cmd("NOOP", tag="l2")
        assert tagged.startswith("l2 OK"), tagged
    assert mailbox_state(srv) == before
    other = connect("alice")
    assert set(listed(other.ok('LIST "" "*"'))) == {"INBOX"}


def test_line_length_bound_from_config(build_dir, tmp_path):
    """imap_max_line_length = 2000: a line just under it is a command, a
    longer one ends the session with a BYE that says why."""
    from imapd_util import ImapServer
    from imap_raw import Wire
    with ImapServer(build_dir, tmp_path, extra_config="imap_max_line_length = 2000\n") as server:
        w = Wire.connect(server.port)
        try:
            w.greeting()
            w.login()
            line = b"n1 NOOP " + b"x" * 1900
            untagged, tagged = w.cmd(line[3:], tag="n1")
            assert norm(tagged) == "n1 OK NOOP completed", tagged
            w.send(b"n2 CREATE " + b"y" * 2500 + b"\r\n")
            response = w.read_response()
            assert bad_or_bye(response, "n2") and len(response) > len("* BYE ") + 3, response
            if response.startswith("* BYE "):
                assert w.expect_closed() == []
        finally:
            w.close()
        assert not list(server.maildir("alice").glob(".yyy*"))


@pytest.mark.parametrize("command", ["APPEND INBOX {200000000}", "LOGIN {100000}", "LOGIN {8193}",
                                     "SELECT {5}", "FOO {5}", "UID FETCH 1 {5}"])
def test_no_continuation_before_login(connect, srv, command):
    """Before login the server asks for no literal it would not use: a big
    one, or one of a command not allowed yet, gets a tagged BAD instead of
    "+" (RFC 3501 §7.5), nothing is stored, and the session goes on."""
    seeded(connect, srv).close()
    before = mailbox_state(srv)
    w = connect(login=False)
    w.send_line(f"p1 {command}")
    assert w.read_response() == "p1 BAD Error in IMAP command received by server."
    # The client sent no literal: the next line is a command.
    assert norm(w.cmd("NOOP", tag="p2")[1]) == "p2 OK NOOP completed"
    # A command allowed before login still gets its small literals.
    w.send_line("p3 LOGIN {5}")
    assert w.read_response() == "+ OK"
    w.send_line("alice {6}")
    assert w.read_response() == "+ OK"
    w.send_line("secret")
    assert w.read_response().startswith("p3 OK ")
    assert mailbox_state(srv) == before


@pytest.mark.parametrize("command", ["APPEND INBOX {200000000+}", "LOGIN {8193+}"])
def test_big_non_synchronising_literal_before_login(connect, srv, command):
    """A {n+} literal is on its way whatever the server answers: beyond the
    small pre-login budget the session ends at once, without reading it."""
    seeded(connect, srv).close()
    before = mailbox_state(srv)
    w = connect(login=False)
    w.send_line(f"p1 {command}")
    assert w.read_response() == "* BYE Literal size too large"
    assert w.expect_closed() == []
    assert mailbox_state(srv) == before
    # Others are served as before.
    other = connect("bob")
    other.ok("SELECT INBOX")
