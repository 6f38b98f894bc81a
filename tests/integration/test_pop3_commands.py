"""loft-pop3d through real sockets: every RFC 1939 command through poplib and
raw bytes, CAPA (RFC 2449), USER/PASS, AUTH PLAIN (RFC 5034) with and without
an initial response, the failed-login delay, APOP, pipelining, and bad input
(unknown commands, bad message numbers, an over-long line, a burst of 1000
commands) — each answered with a clear -ERR and nothing lost in the Maildir.
Replies are Dovecot 2.3's wording (a throwaway Dovecot showed them)."""
import base64
import hashlib
import poplib
import re
import socket

import pytest

from pop3d_util import Pop3Server, crlf, message, undot

GREETING = "+OK Loft ready."
CAPA_BEFORE_LOGIN = ["+OK", "CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "STLS", "USER",
                     "SASL PLAIN", "IMPLEMENTATION Loft"]
CAPA_AFTER_LOGIN = ["+OK", "CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE",
                    "IMPLEMENTATION Loft"]


@pytest.fixture
def srv(build_dir, tmp_path):
    with Pop3Server(build_dir, tmp_path) as s:
        yield s


def uidvalidity(srv, user="alice") -> int:
    head = (srv.maildir(user) / "dovecot-uidlist").read_text().splitlines()[0]
    return int(re.search(r"\bV(\d+)", head).group(1))


def uidl(srv, uid, user="alice") -> str:
    # pop3_uidl_format's default %08Xu%08Xv: Dovecot 2.3 writes %X in
    # lower case (a throwaway Dovecot answered 000000016b0bd6f0).
    return f"{uid:08x}{uidvalidity(srv, user):08x}"


def test_smoke_exact_session(srv):
    m1 = message(1)
    m2 = b"Subject: two\n\nbare lf\n.dot line\n"
    srv.deliver("alice", m1)
    srv.deliver("alice", m2)
    c = srv.raw()
    assert c.greeting() == GREETING
    assert c.multi("CAPA") == CAPA_BEFORE_LOGIN
    assert c.cmd("user alice") == "+OK"
    assert c.cmd("pass secret") == "+OK Logged in."
    total = len(m1) + len(crlf(m2))
    assert c.cmd("STAT") == f"+OK 2 {total}"
    assert c.multi("LIST") == ["+OK 2 messages:", f"1 {len(m1)}", f"2 {len(crlf(m2))}"]
    assert c.cmd("LIST 2") == f"+OK 2 {len(crlf(m2))}"
    assert c.multi("UIDL") == ["+OK", f"1 {uidl(srv, 1)}", f"2 {uidl(srv, 2)}"]
    assert c.cmd("UIDL 1") == f"+OK 1 {uidl(srv, 1)}"
    # RETR: "+OK n octets", CRLF line ends, dot-stuffing (RFC 1939 §3).
    c.send_line("RETR 2")
    assert c.line() == f"+OK {len(crlf(m2))} octets"
    assert c.read_multi_raw() == b"Subject: two\r\n\r\nbare lf\r\n..dot line\r\n"
    # TOP n 1: the header, the blank line and one body line.
    assert c.multi("TOP 1 1") == ["+OK", "From: sender@example.org", "To: alice@example.org",
                                  "Subject: message 1", "Message-ID: <msg1@pop3.test>", "",
                                  "line 0 of message 1"]
    assert c.multi("CAPA") == CAPA_AFTER_LOGIN
    assert c.cmd("NOOP") == "+OK"
    assert c.cmd("DELE 1") == "+OK Marked to be deleted."
    assert c.cmd("STAT") == f"+OK 1 {len(crlf(m2))}"
    assert c.cmd("RETR 1") == "-ERR Message is deleted."
    assert c.cmd("RSET") == "+OK"
    assert c.cmd("STAT") == f"+OK 2 {total}"
    assert c.cmd("DELE 2") == "+OK Marked to be deleted."
    assert c.cmd("QUIT") == "+OK Logging out, messages deleted."
    assert c.closed_by_server()
    files = srv.mail_files()
    assert len(files) == 1 and files[0].read_bytes() == m1
    log = srv.wait_log("Disconnected: Logged out")
    assert re.search(r"pop3-login: .*Login: user=<alice>, method=PLAIN, rip=127\.0\.0\.1, lip=127\.0\.0\.1, "
                     r"mpid=\d+, secured, session=<[^>]+>", log), log


def test_poplib_every_command(srv):
    for n in range(1, 4):
        srv.deliver("alice", message(n, body_lines=5))
    p = srv.connect()
    assert p.getwelcome() == GREETING.encode()
    caps = p.capa()
    assert set(caps) >= {"TOP", "UIDL", "RESP-CODES", "PIPELINING", "USER", "SASL", "STLS"}
    assert caps["SASL"] == ["PLAIN"]
    assert p.user("alice") == b"+OK"
    assert p.pass_("secret") == b"+OK Logged in."
    size = sum(len(message(n, body_lines=5)) for n in range(1, 4))
    assert p.stat() == (3, size)
    resp, lines, _ = p.list()
    assert resp == b"+OK 3 messages:"
    assert lines == [f"{n} {len(message(n, body_lines=5))}".encode() for n in range(1, 4)]
    resp, lines, octets = p.retr(2)
    assert resp == f"+OK {len(message(2, body_lines=5))} octets".encode()
    assert b"\r\n".join(lines) + b"\r\n" == message(2, body_lines=5)
    resp, lines, _ = p.top(3, 2)
    assert lines[-3:] == [b"", b"line 0 of message 3", b"line 1 of message 3"]
    resp, lines, _ = p.uidl()
    assert lines == [f"{n} {uidl(srv, n)}".encode() for n in range(1, 4)]
    assert p.uidl(3) == f"+OK 3 {uidl(srv, 3)}".encode()
    assert p.noop() == b"+OK"
    assert p.dele(3) == b"+OK Marked to be deleted."
    assert p.rset() == b"+OK"
    assert p.dele(1) == b"+OK Marked to be deleted."
    assert p.quit() == b"+OK Logging out, messages deleted."
    ids = sorted(re.search(rb"Message-ID: <(msg\d)@", f.read_bytes()).group(1) for f in srv.mail_files())
    assert ids == [b"msg2", b"msg3"]


def test_uidl_stable_across_sessions(srv):
    for n in range(1, 4):
        srv.deliver("alice", message(n))
    first = srv.login().uidl()[1]
    p = srv.login()
    assert p.uidl()[1] == first
    p.dele(2)
    p.quit()
    again = srv.login().uidl()[1]
    # The others keep their UIDLs; the numbers close up at the next login.
    assert again == [b"1 " + first[0].split()[1], b"2 " + first[2].split()[1]]


def test_drop_without_quit_deletes_nothing(srv):
    srv.deliver("alice", message(1))
    c = srv.raw()
    c.greeting()
    c.login("alice", "secret")
    assert c.cmd("DELE 1") == "+OK Marked to be deleted."
    c.close()
    srv.wait_log("Disconnected: Connection closed")
    p = srv.login()
    assert p.stat()[0] == 1


def test_auth_plain_with_and_without_initial_response(srv):
    token = base64.b64encode(b"\0alice\0secret").decode()
    c = srv.raw()
    c.greeting()
    assert c.cmd(f"AUTH PLAIN {token}") == "+OK Logged in."
    assert c.cmd("QUIT") == "+OK Logging out."
    c = srv.raw()
    c.greeting()
    assert c.cmd("AUTH PLAIN") == "+ "
    assert c.cmd(token) == "+OK Logged in."
    assert c.cmd("QUIT") == "+OK Logging out."
    c = srv.raw()
    c.greeting()
    assert c.cmd("AUTH PLAIN") == "+ "
    assert c.cmd("*") == "-ERR Authentication aborted by client."
    assert c.cmd("AUTH KERBEROS_V4") == "-ERR [AUTH] Unsupported authentication mechanism."
    assert c.cmd("PASS secret") == "-ERR No username given."
    assert c.cmd("APOP alice 0123456789abcdef0123456789abcdef") == "-ERR APOP not enabled."
    # A transaction command before login is unknown in this state.
    assert c.cmd("STAT") == "-ERR Unknown command."
    c.close()
    srv.wait_log("method=PLAIN", 2)


def test_wrong_password_waits_for_the_failure_delay(build_dir, tmp_path):
    with Pop3Server(build_dir, tmp_path, extra_config="auth_failure_delay = 3 secs\n") as srv:
        c = srv.raw()
        c.greeting()
        assert c.cmd("USER alice") == "+OK"
        c.send_line("PASS wrong")
        # The -ERR comes only after the delay (a lower bound: a correct
        # server can never answer within the first second).
        c.sock.settimeout(1.0)
        with pytest.raises(socket.timeout):
            c.sock.recv(1)
        c.sock.settimeout(15.0)
        assert c.line() == "-ERR [AUTH] Authentication failed."
        c.login("alice", "secret")
        assert c.cmd("QUIT") == "+OK Logging out."
        p = srv.connect()
        with pytest.raises(poplib.error_proto, match=r"-ERR \[AUTH\] Authentication failed\."):
            p.user("bob")
            p.pass_("nope")
        p.close()
        log = srv.wait_log("auth failed, 1 attempts")
        assert "user=<bob>, method=PLAIN" in log


def test_apop_with_plaintext_passdb(build_dir, tmp_path):
    with Pop3Server(build_dir, tmp_path, extra_config="auth_mechanisms = plain apop\n") as srv:
        srv.deliver("alice", message(1))
        c = srv.raw()
        greeting = c.greeting()
        m = re.fullmatch(r"\+OK Loft ready\. (<[^<>@ ]+@[^<> ]+>)", greeting)
        assert m, greeting
        digest = hashlib.md5((m.group(1) + "wrong").encode()).hexdigest()
        assert c.cmd(f"APOP alice {digest}") == "-ERR [AUTH] Authentication failed."
        c.close()
        p = srv.connect()
        assert p.apop("alice", "secret") == b"+OK Logged in."
        assert p.stat()[0] == 1
        p.quit()
        assert re.search(r"Login: user=<alice>, method=APOP", srv.log_text())


def test_apop_replay_on_another_connection_fails(build_dir, tmp_path):
    # RFC 1939 §7: the digest covers this connection's greeting timestamp,
    # and the session checks it against its own timestamp, never one the
    # client names; a captured login replayed elsewhere fails.
    with Pop3Server(build_dir, tmp_path, extra_config="auth_mechanisms = plain apop\n") as srv:
        first = srv.raw()
        stamp1 = re.fullmatch(r"\+OK Loft ready\. (<[^<>@ ]+@[^<> ]+>)", first.greeting()).group(1)
        digest = hashlib.md5((stamp1 + "secret").encode()).hexdigest()
        assert first.cmd(f"APOP alice {digest}") == "+OK Logged in."
        first.close()
        second = srv.raw()
        stamp2 = re.fullmatch(r"\+OK Loft ready\. (<[^<>@ ]+@[^<> ]+>)", second.greeting()).group(1)
        assert stamp2 != stamp1
        assert second.cmd(f"APOP alice {digest}") == "-ERR [AUTH] Authentication failed."
        second.close()


def test_apop_through_authd_is_bound_to_the_greetings_connection(build_dir):
    # loft-authd checks APOP for the POP3 daemon: a timestamp (with its
    # correct digest) sniffed from one connection, sent in a request for
    # another session, fails; the same request for its own session passes.
    from authd_util import client_conn, start_authd
    authd = start_authd(build_dir, mechanisms="plain apop")
    try:
        authd.wait_ready()
        c, _ = client_conn(authd.socket_path("auth-client"))
        stamp = "<0123456789abcdef.4242.SessA+/1@mail.example>"
        digest = hashlib.md5((stamp + "secret").encode()).hexdigest()
        resp = base64.b64encode(f"{stamp}\0alice\0{digest}".encode()).decode()
        c.send(f"AUTH\t1\tAPOP\tservice=pop3\tsession=SessB\tresp={resp}\n")
        assert re.match(r"FAIL\t1(\t|$)", c.line())
        c.send(f"AUTH\t2\tAPOP\tservice=pop3\tresp={resp}\n")
        assert re.match(r"FAIL\t2(\t|$)", c.line())
        c.send(f"AUTH\t3\tAPOP\tservice=pop3\tsession=SessA+/1\tresp={resp}\n")
        assert c.line() == "OK\t3\tuser=alice\t"
        c.close()
    finally:
        authd.stop()


def test_imap_authenticate_apop_is_unknown(build_dir, tmp_path):
    # A sniffed APOP login (timestamp, user, digest) must not log in over
    # IMAP: AUTHENTICATE APOP gets the unknown-mechanism answer.
    from imapd_util import ImapServer
    with ImapServer(build_dir, tmp_path, extra_config="auth_mechanisms = plain apop\n", tls=False) as srv:
        stamp = "<1896.697170952@dbc.mtview.ca.us>"
        digest = hashlib.md5((stamp + "secret").encode()).hexdigest()
        data = base64.b64encode(f"{stamp}\0alice\0{digest}".encode()).decode()
        with srv.raw() as c:
            c.read_greeting()
            c.send_line(f"a AUTHENTICATE APOP {data}")
            assert c.read_until_tagged("a") == ["a NO [ALERT] Unsupported authentication mechanism."]
            c.send_line("b AUTHENTICATE PLAIN " + base64.b64encode(b"\0alice\0secret").decode())
            assert c.read_until_tagged("b")[-1].startswith("b OK ")


def test_no_apop_timestamp_without_plaintext_passwords(build_dir, tmp_path):
    # A passdb of hashes cannot check an APOP digest: no timestamp, APOP off.
    with Pop3Server(build_dir, tmp_path, password_scheme="SHA512-CRYPT",
                    extra_config="auth_mechanisms = plain apop\n") as srv:
        c = srv.raw()
        assert c.greeting() == GREETING
        assert c.cmd("APOP alice 0123456789abcdef0123456789abcdef") == "-ERR APOP not enabled."
        c.login("alice", "secret")
        assert c.cmd("QUIT") == "+OK Logging out."


def test_pipelined_session_in_one_send(srv):
    m1, m2 = message(1, body_lines=2), message(2, body_lines=1)
    srv.deliver("alice", m1)
    srv.deliver("alice", m2)
    c = srv.raw()
    assert c.greeting() == GREETING
    c.send(b"USER alice\r\nPASS secret\r\nSTAT\r\nLIST\r\nUIDL 2\r\nRETR 1\r\nTOP 2 0\r\nDELE 1\r\n"
           b"DELE 7\r\nNOOP\r\nQUIT\r\n")
    assert c.closed_by_server()
    header2 = m2.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    expected = (b"+OK\r\n+OK Logged in.\r\n"
                + f"+OK 2 {len(m1) + len(m2)}\r\n".encode()
                + f"+OK 2 messages:\r\n1 {len(m1)}\r\n2 {len(m2)}\r\n.\r\n".encode()
                + f"+OK 2 {uidl(srv, 2)}\r\n".encode()
                + f"+OK {len(m1)} octets\r\n".encode() + m1 + b".\r\n"
                + b"+OK\r\n" + header2 + b".\r\n"
                + b"+OK Marked to be deleted.\r\n"
                + b"-ERR There's no message 7.\r\n"
                + b"+OK\r\n+OK Logging out, messages deleted.\r\n")
    assert c.buf == expected
    assert [f.read_bytes() for f in srv.mail_files()] == [m2]


def test_bad_message_numbers_and_garbage(srv):
    srv.deliver("alice", message(1))
    c = srv.raw()
    c.greeting()
    c.login("alice", "secret")
    replies = [c.cmd(x) for x in ("DELE 2", "DELE 0", "DELE x", "DELE", "DELE 1 2", "RETR 99999999999",
                                  "LIST 5", "TOP 1", "TOP 1 x", "UIDL -1", "FROB", "\x01\x02garbage")]
    assert replies == ["-ERR There's no message 2.", "-ERR There's no message 0.", "-ERR Invalid message number: x",
                       "-ERR Invalid message number: ", "-ERR Noise after message number:  2",
                       "-ERR Message number too large: 99999999999", "-ERR There's no message 5.",
                       "-ERR Noise after message number: ", "-ERR Invalid size: x",
                       "-ERR Invalid message number: -1", "-ERR Unknown command: FROB",
                       "-ERR Unknown command: \x01\x02garbage"]
    # The session still works and the message is untouched.
    assert c.cmd("STAT") == f"+OK 1 {len(message(1))}"
    assert c.cmd("QUIT") == "+OK Logging out."
    assert [f.read_bytes() for f in srv.mail_files()] == [message(1)]


def test_too_many_bad_commands_close_the_session(srv):
    srv.deliver("alice", message(1))
    c = srv.raw()
    c.greeting()
    c.login("alice", "secret")
    assert c.cmd("DELE 1") == "+OK Marked to be deleted."
    c.send(b"DELE 5\r\n" * 21)
    lines = [c.line() for _ in range(22)]
    assert lines == ["-ERR There's no message 5."] * 21 + ["-ERR Too many bad commands."]
    assert c.closed_by_server()
    # No QUIT, so the DELE was not applied.
    assert [f.read_bytes() for f in srv.mail_files()] == [message(1)]
    srv.wait_log("Too many bad commands")


def test_over_long_line(srv):
    srv.deliver("alice", message(1))
    c = srv.raw()
    c.greeting()
    c.login("alice", "secret")
    c.send(b"NOOP " + b"x" * 20000 + b"\r\n")
    assert c.line() == "-ERR Input line too long."
    assert c.closed_by_server()
    # Before login too: nothing is buffered without bound.
    c = srv.raw()
    c.greeting()
    c.send(b"USER " + b"a" * 20000 + b"\r\n")
    assert c.line() == "-ERR Input buffer full, aborting"
    assert c.closed_by_server()
    assert [f.read_bytes() for f in srv.mail_files()] == [message(1)]


def test_burst_of_1000_commands(srv):
    for n in range(1, 6):
        srv.deliver("alice", message(n))
    c = srv.raw()
    c.greeting()
    c.login("alice", "secret")
    commands = []
    for i in range(1000):
        commands.append(("NOOP", "STAT", f"LIST {i % 5 + 1}", f"UIDL {i % 5 + 1}")[i % 4])
    c.send("".join(x + "\r\n" for x in commands))
    size = sum(len(message(n)) for n in range(1, 6))
    for i, command in enumerate(commands):
        reply = c.line()
        n = i % 5 + 1
        expected = {"NOOP": "+OK", "STAT": f"+OK 5 {size}"}.get(command) or (
            f"+OK {n} {len(message(n))}" if command.startswith("LIST") else f"+OK {n} {uidl(srv, n)}")
        assert reply == expected, (i, command)
    assert c.cmd("QUIT") == "+OK Logging out."
    assert len(srv.mail_files()) == 5


def test_logout_line_counts_top_retr_dele(srv):
    m = [message(n) for n in range(1, 4)]
    for x in m:
        srv.deliver("alice", x)
    p = srv.login()
    p.retr(1)
    p.retr(2)
    _, lines, _ = p.top(3, 0)
    # Dovecot counts the +OK line and the message lines, not the ".".
    top_bytes = len(b"+OK\r\n") + sum(len(l) + 2 for l in lines)
    retr_bytes = sum(len(f"+OK {len(x)} octets\r\n") + len(x) for x in m[:2])
    p.dele(1)
    p.quit()
    log = srv.wait_log("Disconnected: Logged out")
    line = re.search(r"pop3\(alice\)<\d+><[^>]+>: .*Disconnected: Logged out (.*)", log)
    assert line, log
    size = sum(len(x) for x in m)
    assert line.group(1).strip() == (f"top=1/{top_bytes}, retr=2/{retr_bytes}, del=1/3, "
                                     f"size={size}")


def test_logout_format_setting(build_dir, tmp_path):
    with Pop3Server(build_dir, tmp_path, extra_config="pop3_logout_format = retr=%r del=%d msgs=%m\n") as srv:
        srv.deliver("alice", message(1))
        p = srv.login()
        p.retr(1)
        p.quit()
        assert "Disconnected: Logged out retr=1 del=0 msgs=1" in srv.wait_log("Disconnected: Logged out")


def test_prelogin_disconnect_is_logged(srv):
    c = srv.raw()
    c.greeting()
    assert c.cmd("USER alice") == "+OK"
    c.send_line("PASS wrong")
    assert c.line() == "-ERR [AUTH] Authentication failed."
    c.close()
    log = srv.wait_log("pop3-login: ")
    assert re.search(r"Disconnected \(auth failed, 1 attempts in \d+ secs\): user=<alice>, method=PLAIN, "
                     r"rip=127\.0\.0\.1, lip=127\.0\.0\.1, secured, session=<", srv.wait_log("auth failed")), log


def test_lock_session_answers_in_use(build_dir, tmp_path):
    # pop3_lock_session: one POP3 session per mailbox; the second waits a
    # while and then gets RFC 2449 §8.1.1's [IN-USE]. Once the first has
    # quit, logins work again.
    with Pop3Server(build_dir, tmp_path, extra_config="pop3_lock_session = yes\n") as srv:
        srv.deliver("alice", message(1))
        first = srv.raw()
        first.greeting()
        first.login("alice", "secret")
        second = srv.raw()
        second.greeting()
        assert second.cmd("USER alice") == "+OK"
        assert second.cmd("PASS secret") == "-ERR [IN-USE] Mailbox is locked by another POP3 session."
        # Another user's mailbox is not locked.
        other = srv.raw()
        other.greeting()
        other.login("bob", "secret")
        assert first.cmd("QUIT") == "+OK Logging out."
        assert first.closed_by_server()
        third = srv.raw()
        third.greeting()
        third.login("alice", "secret")
        assert third.cmd("STAT") == f"+OK 1 {len(message(1))}"


def test_retr_of_a_big_message_streams_intact(srv):
    # 4 MB with bare LF line ends and dot lines: more than the session hands
    # out at once, so the daemon's flush/backpressure path carries it.
    body = b"".join(b"." * (i % 3) + f"line {i:07d} ".encode() + b"x" * 60 + b"\n" for i in range(60000))
    big = b"Subject: big\nMessage-ID: <big@pop3.test>\n\n" + body
    srv.deliver("alice", big)
    c = srv.raw()
    c.greeting()
    c.login("alice", "secret")
    assert c.cmd("LIST 1") == f"+OK 1 {len(crlf(big))}"
    c.send_line("RETR 1")
    assert c.line() == f"+OK {len(crlf(big))} octets"
    wire = c.read_multi_raw()
    assert undot(wire) == crlf(big)
    assert c.cmd("NOOP") == "+OK"
    assert c.cmd("QUIT") == "+OK Logging out."
    # retr bytes are what went out: the +OK line and the dot-stuffed lines
    # (as Dovecot counts them), not the terminating ".".
    assert f"retr=1/{len(f'+OK {len(crlf(big))} octets') + 2 + len(wire)}, " in srv.wait_log("Logged out")
