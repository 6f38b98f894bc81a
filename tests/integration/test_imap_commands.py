"""loft-imapd through real sockets: the commands of any state and of the
not-authenticated state, the state transitions, and the session-wide
extensions (ID, ENABLE, IDLE, COMPRESS=DEFLATE, STARTTLS).

Exact lines where RFC 3501 (and the extension RFCs) fix them; Dovecot 2.3's
wording where the server is free (its answers are the model).
"""
import base64
import imaplib
import re

import pytest

from imap_raw import client_tls_context, connect, message, norm, srv  # noqa: F401

PRE_LOGIN_CAPS = {"IMAP4rev1", "SASL-IR", "ID", "ENABLE", "IDLE", "LITERAL+", "AUTH=PLAIN"}
POST_LOGIN_CAPS = {"IMAP4rev1", "SASL-IR", "ID", "ENABLE", "IDLE", "LITERAL+", "MULTIAPPEND", "UNSELECT",
                   "CHILDREN", "NAMESPACE", "UIDPLUS", "LIST-EXTENDED", "ESEARCH", "SEARCHRES", "WITHIN",
                   "LIST-STATUS", "SPECIAL-USE", "BINARY", "MOVE", "STATUS=SIZE", "COMPRESS=DEFLATE"}


def caps_of(line: str) -> set[str]:
    """The capability names of '* CAPABILITY ...' or of a [CAPABILITY ...] code."""
    m = re.search(r"\[CAPABILITY ([^\]]*)\]", line)
    if m:
        return set(m.group(1).split())
    assert line.startswith("* CAPABILITY "), line
    return set(line.split()[2:])


def only_capability(untagged: list[str]) -> set[str]:
    assert len(untagged) == 1, untagged
    return caps_of(untagged[0])


def plain_ir(user: str = "alice", password: str = "secret") -> str:
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


# --- any state ----------------------------------------------------------------

def test_greeting_and_capability_before_login(connect):
    w = connect(login=False)
    assert re.fullmatch(r"\* OK \[CAPABILITY [^\]]+\] .+", w.greeting_line), w.greeting_line
    greeting_caps = caps_of(w.greeting_line)
    assert PRE_LOGIN_CAPS <= greeting_caps
    # STARTTLS is offered on the plain port when TLS is configured; a
    # loopback client counts as secured, so plaintext LOGIN is allowed.
    assert "STARTTLS" in greeting_caps
    assert "LOGINDISABLED" not in greeting_caps
    untagged, tagged = w.cmd("CAPABILITY", tag="c1")
    assert only_capability(untagged) == greeting_caps
    assert re.fullmatch(r"c1 OK .+", tagged), tagged


def test_capability_in_authenticated_and_selected_state(connect):
    w = connect(login=False)
    untagged, tagged = w.cmd("LOGIN alice secret", tag="l1")
    # RFC 3501 §7.1: the tagged OK may carry the new capability list, as
    # Dovecot's "OK [CAPABILITY ...] Logged in" does; clients (mbsync) rely on it.
    assert untagged == []
    assert tagged.startswith("l1 OK [CAPABILITY "), tagged
    post = caps_of(tagged)
    assert POST_LOGIN_CAPS <= post
    assert "STARTTLS" not in post and not any(c.startswith("AUTH=") for c in post)
    untagged, tagged = w.cmd("CAPABILITY", tag="c2")
    assert only_capability(untagged) == post
    assert tagged.startswith("c2 OK "), tagged
    w.ok("SELECT INBOX")
    untagged, tagged = w.cmd("CAPABILITY", tag="c3")
    assert only_capability(untagged) == post
    assert tagged.startswith("c3 OK "), tagged


def test_noop_in_every_state(connect):
    w = connect(login=False)
    untagged, tagged = w.cmd("NOOP", tag="n1")
    assert untagged == [] and norm(tagged) == "n1 OK NOOP completed"
    w.login()
    untagged, tagged = w.cmd("NOOP", tag="n2")
    assert untagged == [] and norm(tagged) == "n2 OK NOOP completed"
    w.ok("SELECT INBOX")
    untagged, tagged = w.cmd("NOOP", tag="n3")
    assert untagged == [] and tagged.startswith("n3 OK "), (untagged, tagged)


@pytest.mark.parametrize("state", ["not_authenticated", "authenticated", "selected"])
def test_logout_in_every_state(connect, state):
    w = connect(login=state != "not_authenticated")
    if state == "selected":
        w.ok("SELECT INBOX")
    w.send_line("z LOGOUT")
    # RFC 3501 §6.1.3: BYE first, then the tagged OK, then the server closes.
    assert w.read_response() == "* BYE Logging out"
    assert norm(w.read_response()) == "z OK Logout completed"
    assert w.expect_closed() == []


def test_unknown_command_and_wrong_state(connect):
    w = connect(login=False)
    untagged, tagged = w.cmd("FOO", tag="u1")
    assert untagged == [] and tagged.startswith("u1 BAD "), tagged
    # Commands of a later state are refused in the not-authenticated state.
    untagged, tagged = w.cmd("SELECT INBOX", tag="u2")
    assert untagged == [] and tagged.startswith("u2 BAD "), tagged
    w.login()
    untagged, tagged = w.cmd("FOO", tag="u3")
    assert untagged == [] and norm(tagged) == "u3 BAD Error in IMAP command FOO: Unknown command"
    # Selected-state commands need a mailbox (Dovecot: "BAD No mailbox selected").
    for tag, command in (("u4", "FETCH 1 FLAGS"), ("u5", "CLOSE"), ("u6", "EXPUNGE"), ("u7", "SEARCH ALL")):
        untagged, tagged = w.cmd(command, tag=tag)
        assert untagged == [] and norm(tagged) == f"{tag} BAD No mailbox selected", tagged
    # LOGIN is not allowed once authenticated (RFC 3501 §6.2).
    untagged, tagged = w.cmd("LOGIN alice secret", tag="u8")
    assert tagged.startswith("u8 BAD "), tagged


# --- not authenticated --------------------------------------------------------

def test_login_forms_and_failure(connect, srv):
    w = connect(login=False)
    untagged, tagged = w.cmd("LOGIN alice wrong", tag="f1")
    # RFC 5530 AUTHENTICATIONFAILED, Dovecot's text.
    assert untagged == []
    assert norm(tagged) == "f1 NO [AUTHENTICATIONFAILED] Authentication failed"
    untagged, tagged = w.cmd("LOGIN nosuchuser secret", tag="f2")
    assert norm(tagged) == "f2 NO [AUTHENTICATIONFAILED] Authentication failed"
    # Still not authenticated.
    assert w.cmd("SELECT INBOX", tag="f3")[1].startswith("f3 BAD ")
    # Quoted strings and a synchronising literal (RFC 3501 §4.3, §7.5).
    w.send_line('f4 LOGIN {5}')
    cont = w.read_line()
    assert cont.startswith("+"), cont
    w.send_line('alice "secret"')
    untagged, tagged = w.read_until_tagged("f4")
    assert tagged.startswith("f4 OK [CAPABILITY "), tagged
    # imaplib does the same with quoted strings.
    client = imaplib.IMAP4(srv.host, srv.port)
    try:
        assert client.login("bob", "secret")[0] == "OK"
        assert client.state == "AUTH"
    finally:
        client.logout()


def test_authenticate_plain(connect):
    # SASL-IR (RFC 4959): the initial response on the command line.
    w = connect(login=False)
    untagged, tagged = w.cmd(f"AUTHENTICATE PLAIN {plain_ir()}", tag="a1")
    assert untagged == [] and tagged.startswith("a1 OK [CAPABILITY "), tagged
    assert "AUTH=PLAIN" not in caps_of(tagged)
    w.ok("SELECT INBOX")
    # Without an initial response: an empty challenge "+ " (RFC 3501 §6.2.2).
    w = connect(login=False)
    w.send_line("a2 AUTHENTICATE PLAIN")
    assert w.read_line() == "+ "
    w.send_line(plain_ir("bob"))
    untagged, tagged = w.read_until_tagged("a2")
    assert tagged.startswith("a2 OK [CAPABILITY "), tagged
    # A wrong password and a cancelled exchange ("*" -> BAD, RFC 3501 §6.2.2).
    w = connect(login=False)
    untagged, tagged = w.cmd(f"AUTHENTICATE PLAIN {plain_ir('alice', 'nope')}", tag="a3")
    assert norm(tagged) == "a3 NO [AUTHENTICATIONFAILED] Authentication failed"
    w.send_line("a4 AUTHENTICATE PLAIN")
    assert w.read_line() == "+ "
    w.send_line("*")
    untagged, tagged = w.read_until_tagged("a4")
    assert tagged.startswith("a4 BAD "), tagged
    # An unknown mechanism.
    untagged, tagged = w.cmd("AUTHENTICATE X-NOPE", tag="a5")
    assert tagged.startswith("a5 NO ") or tagged.startswith("a5 BAD "), tagged
    untagged, tagged = w.cmd("NOOP", tag="a6")
    assert untagged == [] and norm(tagged) == "a6 OK NOOP completed"


def test_starttls_and_implicit_tls(connect, srv):
    w = connect(login=False)
    w.send_line("s1 STARTTLS")
    assert norm(w.read_line()) == "s1 OK Begin TLS negotiation now"
    w.sock = client_tls_context().wrap_socket(w.sock, server_hostname="localhost")
    untagged, tagged = w.cmd("CAPABILITY", tag="s2")
    caps = only_capability(untagged)
    # RFC 3501 §6.2.1: no STARTTLS once TLS is active.
    assert "STARTTLS" not in caps and "AUTH=PLAIN" in caps
    untagged, tagged = w.cmd("STARTTLS", tag="s3")
    assert tagged.startswith("s3 BAD ") or tagged.startswith("s3 NO "), tagged
    w.login()
    w.ok("SELECT INBOX")
    # Port 993 style: TLS from the first byte, no STARTTLS offered.
    t = connect(tls=True, login=False)
    assert "STARTTLS" not in caps_of(t.greeting_line)
    t.login("bob")
    t.ok("SELECT INBOX")


# --- session-wide extensions --------------------------------------------------

def test_id(connect):
    w = connect(login=False)
    untagged, tagged = w.cmd('ID ("name" "pytest" "version" "1")', tag="i1")
    # RFC 2971: one untagged ID response (a list or NIL), then OK.
    assert len(untagged) == 1 and re.fullmatch(r'\* ID (NIL|\(.*\))', untagged[0]), untagged
    assert tagged.startswith("i1 OK "), tagged
    untagged, tagged = w.cmd("ID NIL", tag="i2")
    assert len(untagged) == 1 and untagged[0].startswith("* ID "), untagged
    untagged, tagged = w.cmd("ID (", tag="i3")
    assert tagged.startswith("i3 BAD "), tagged


def test_enable(connect):
    w = connect(login=False)
    # RFC 5161: ENABLE is valid only in the authenticated state (Dovecot
    # answers "OK ENABLE ignored in non-authenticated state.").
    untagged, tagged = w.cmd("ENABLE CONDSTORE", tag="e0")
    assert untagged == [] and re.match(r"e0 (OK|BAD) ", tagged), tagged
    caps = caps_of(w.login())
    # Only advertised extensions are enabled (RFC 5161 §3.1).
    condstore = "CONDSTORE" in caps
    untagged, tagged = w.cmd("ENABLE CONDSTORE", tag="e1")
    assert untagged == (["* ENABLED CONDSTORE"] if condstore else []) or untagged == ["* ENABLED"], untagged
    assert tagged.startswith("e1 OK "), tagged
    # Unknown extensions are ignored; an already enabled one is not listed again.
    untagged, tagged = w.cmd("ENABLE X-UNKNOWN CONDSTORE", tag="e2")
    assert untagged in ([], ["* ENABLED"]), untagged
    assert tagged.startswith("e2 OK "), tagged
    # No argument: RFC 5161 wants one, Dovecot answers OK.
    untagged, tagged = w.cmd("ENABLE", tag="e3")
    assert untagged == [] and re.match(r"e3 (OK|BAD) ", tagged), tagged
    # With CONDSTORE enabled SELECT reports HIGHESTMODSEQ (RFC 7162 §3.1.2.1).
    untagged = w.ok("SELECT INBOX")
    if condstore:
        assert any(re.fullmatch(r"\* OK \[HIGHESTMODSEQ \d+\] .*", u) for u in untagged), untagged


def test_idle_gets_exists_from_another_session(connect):
    w = connect()
    w.ok("SELECT INBOX")
    w.send_line("d1 IDLE")
    assert w.read_line().startswith("+ "), "IDLE continuation"
    other = connect("alice")
    assert " OK " in other.append("INBOX", message("pushed"))
    # RFC 2177: the new message arrives unprompted while idling.
    got = []
    while not any(re.fullmatch(r"\* 1 EXISTS", g) for g in got):
        got.append(w.read_response())
    w.send_line("DONE")
    untagged, tagged = w.read_until_tagged("d1")
    assert norm(tagged) == "d1 OK Idle completed", tagged
    # IDLE needs an authenticated session.
    pre = connect(login=False)
    assert pre.cmd("IDLE", tag="d2")[1].startswith("d2 BAD ")
    # Anything but DONE ends IDLE with BAD (Dovecot: "BAD Expected DONE.").
    w.send_line("d3 IDLE")
    assert w.read_line().startswith("+ ")
    w.send_line("NOOP")
    untagged, tagged = w.read_until_tagged("d3")
    assert tagged.startswith("d3 BAD "), tagged


def test_compress_deflate(connect):
    w = connect()
    untagged, tagged = w.cmd("COMPRESS DEFLATE", tag="z1")
    assert untagged == [] and tagged.startswith("z1 OK "), tagged
    w.start_compress()
    # Everything after the tagged OK is raw deflate (RFC 4978 §3), both ways.
    assert w.cmd("NOOP", tag="z2")[1].startswith("z2 OK ")
    assert " OK " in w.append("INBOX", message("compressed", "x" * 10000 + "\r\n"))
    untagged = w.ok("SELECT INBOX")
    assert "* 1 EXISTS" in untagged
    untagged, tagged = w.cmd("FETCH 1 BODY.PEEK[TEXT]", tag="z3")
    assert untagged == ["* 1 FETCH (BODY[TEXT] {10002}\r\n" + "x" * 10000 + "\r\n)"], untagged[:1]
    # A second COMPRESS: NO [COMPRESSIONACTIVE] (RFC 4978 §4).
    untagged, tagged = w.cmd("COMPRESS DEFLATE", tag="z4")
    assert tagged.startswith("z4 NO [COMPRESSIONACTIVE]"), tagged
    untagged, tagged = w.cmd("COMPRESS NOPE", tag="z5")
    assert tagged.startswith("z5 BAD ") or tagged.startswith("z5 NO "), tagged
    w.send_line("z6 LOGOUT")
    assert w.read_response() == "* BYE Logging out"


def test_logindisabled_for_a_client_that_is_not_secured(build_dir, tmp_path):
    """Loopback counts as secured, so the client is made to look remote: a
    listener that takes a PROXY v1 header (from 127.0.0.0/8 only) whose
    source is 192.0.2.7 (TEST-NET-1; nothing is sent there)."""
    from imapd_util import ImapServer, free_port
    proxied = free_port()
    server = ImapServer(build_dir, tmp_path, extra_config="haproxy_trusted_networks = 127.0.0.0/8\n", start=False)
    text = server.config_path.read_text()
    assert "service imap-login {\n" in text
    server.config_path.write_text(text.replace("service imap-login {\n", "service imap-login {\n"
                                               f"  inet_listener proxied {{\n    address = 127.0.0.1\n"
                                               f"    port = {proxied}\n    haproxy = yes\n  }}\n", 1))
    from imap_raw import Wire
    with server.start():
        w = Wire.connect(proxied)
        try:
            w.send(b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 143\r\n")
            caps = caps_of(w.greeting())
            # RFC 3501 §6.2.3: LOGINDISABLED, and no plaintext mechanism offered.
            assert {"LOGINDISABLED", "STARTTLS"} <= caps and "AUTH=PLAIN" not in caps, caps
            untagged, tagged = w.cmd("LOGIN alice secret", tag="p1")
            # RFC 5530 PRIVACYREQUIRED; Dovecot's text.
            assert norm(tagged) == ("p1 NO [PRIVACYREQUIRED] Plaintext authentication disallowed on "
                                    "non-secure (SSL/TLS) connections"), tagged
            untagged, tagged = w.cmd(f"AUTHENTICATE PLAIN {plain_ir()}", tag="p2")
            assert re.match(r"p2 (NO|BAD) ", tagged), tagged
            assert w.cmd("SELECT INBOX", tag="p3")[1].startswith("p3 BAD ")
            # After STARTTLS the same client may log in.
            w.send_line("p4 STARTTLS")
            assert w.read_line().startswith("p4 OK ")
            w.sock = client_tls_context().wrap_socket(w.sock, server_hostname="localhost")
            caps = only_capability(w.cmd("CAPABILITY", tag="p5")[0])
            assert "LOGINDISABLED" not in caps and "AUTH=PLAIN" in caps, caps
            w.login()
            w.ok("SELECT INBOX")
        finally:
            w.close()
        # A PROXY header naming a loopback source keeps the client secured.
        w = Wire.connect(proxied)
        try:
            w.send(b"PROXY TCP4 127.0.0.1 127.0.0.1 40001 143\r\n")
            assert "LOGINDISABLED" not in caps_of(w.greeting())
            w.login("bob")
        finally:
            w.close()
