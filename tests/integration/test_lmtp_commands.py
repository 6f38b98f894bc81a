"""loft-lmtpd through its sockets (RFC 2033): Python's smtplib.LMTP and raw
sockets over TCP and the unix socket base_dir/lmtp. Deliveries are checked
on disk: the trace headers of each recipient's own file and the body
byte for byte."""
from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
import subprocess

import pytest

from lmtpd_util import LmtpServer, wait_for

ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"


def message(n: int | str, body: bytes = b"Hello.\r\n", extra: bytes = b"") -> bytes:
    return (b"From: sender@example.org\r\nTo: undisclosed-recipients:;\r\n"
            b"Subject: test " + str(n).encode() + b"\r\n"
            b"Message-ID: <" + str(n).encode() + b"@lmtp.test>\r\n" + extra + b"\r\n" + body)


def stored(data: bytes) -> bytes:
    """How the Maildir file holds message bytes: LF line ends, as Dovecot's
    LMTP stores them."""
    return data.replace(b"\r\n", b"\n")


def split(file_bytes: bytes) -> tuple[bytes, bytes]:
    head, _, body = file_bytes.partition(b"\n\n")
    return head + b"\n", body


def header_values(head: bytes, name: str) -> list[str]:
    """Unfolded values of every `name` header."""
    unfolded = re.sub(rb"\n[ \t]+", b" ", head).decode(errors="replace")
    out = []
    for line in unfolded.split("\n"):
        k, sep, v = line.partition(":")
        if sep and k.lower() == name.lower():
            out.append(v.strip())
    return out


@pytest.fixture
def srv(build_dir, tmp_path):
    s = LmtpServer(build_dir, tmp_path)
    yield s
    s.stop()


# --- greeting and LHLO ----------------------------------------------------------


def lhlo(c) -> list[str]:
    c.send_line("LHLO client.example")
    return c.read_reply()


def test_greeting_and_lhlo_over_tcp(srv):
    sock = socket.create_connection((srv.host, srv.port), timeout=10)
    from lmtpd_util import LmtpRaw
    c = LmtpRaw(sock)
    greeting = c.read_line()
    assert re.fullmatch(r"220 lmtp\.test .*ready\.", greeting), greeting
    caps = lhlo(c)
    assert caps[0] == "250-lmtp.test"
    words = [line[4:].split()[0] for line in caps[1:]]
    for need in ("8BITMIME", "ENHANCEDSTATUSCODES", "PIPELINING", "CHUNKING"):
        assert need in words, caps
    # 127.0.0.1 is not in login_trusted_networks: no XCLIENT for it.
    assert "XCLIENT" not in words, caps
    assert "STARTTLS" not in words, caps  # ssl = no
    assert all(line.startswith("250-") for line in caps[:-1]) and caps[-1].startswith("250 ")
    assert c.command("QUIT") == "221 2.0.0 Bye"
    assert c.closed_by_server()
    c.close()
    log = srv.wait_log("Disconnect from 127.0.0.1")
    assert re.search(r"lmtp<\d+><[^>]+>: Info: Connect from 127\.0\.0\.1\n", log), log
    # Dovecot 2.3.19's line after QUIT, with the SMTP state at that moment.
    assert "Disconnect from 127.0.0.1: Logged out (state=READY)\n" in log, log


def test_unix_socket_clients_are_local_and_trusted(srv):
    assert srv.socket_path.is_socket()
    assert srv.socket_path.stat().st_mode & 0o777 == 0o666  # Dovecot's default mode
    c = srv.raw(unix=True)
    caps = lhlo(c)
    assert any(line[4:].startswith("XCLIENT") for line in caps), caps
    assert c.command("QUIT") == "221 2.0.0 Bye"
    log = srv.wait_log("Disconnect from local")
    assert "Connect from local" in log


# --- delivery ---------------------------------------------------------------------


def test_delivery_to_two_users_each_gets_own_file(srv):
    body = b"Line one.\r\n..leading dot kept once\r\n\r\nLast line without anything special.\r\n"
    msg = message("two", body)
    with srv.lmtp() as c:
        c.ehlo_or_helo_if_needed()
        assert c.mail("sender@example.org")[0] == 250
        assert c.rcpt(ALICE)[0] == 250
        assert c.rcpt(BOB)[0] == 250
        # RFC 2033 §4.2: one reply per accepted recipient after the data.
        code, text = c.data(msg)
        assert code == 250 and text.startswith(b"2.0.0 <alice@example.com> ") and text.endswith(b" Saved"), text
        code2, text2 = c.getreply()
        assert code2 == 250 and text2.startswith(b"2.0.0 <bob@example.com> ") and text2.endswith(b" Saved"), text2
    for user, other in ((ALICE, BOB), (BOB, ALICE)):
        files = srv.messages(user)
        assert len(files) == 1, (user, files)
        data = files[0]
        # Each copy names its own recipient only (a shared file would reveal the other).
        assert other.encode() not in data, data
        head, stored_body = split(data)
        assert header_values(head, "Return-Path") == ["<sender@example.org>"]
        assert header_values(head, "Delivered-To") == [user]
        received = header_values(head, "Received")
        assert len(received) == 1
        # "for <rcpt>" names this copy's recipient, or nobody.
        assert re.match(r"from client\.example \(\[127\.0\.0\.1\]\) by lmtp\.test with LMTP id \S+ "
                        rf"\(envelope-from <sender@example\.org>\)(?: for <{re.escape(user)}>)?; ", received[0]), \
            received
        assert head.startswith(b"Return-Path: <sender@example.org>\n")
        # The message as sent follows the added headers, byte for byte.
        assert data.endswith(stored(msg)), data
        # smtplib dot-stuffed the "." line and the server took the stuffing off.
        assert stored_body == stored(body)
    log = srv.wait_log("saved mail to INBOX", 2)
    assert "msgid=<two@lmtp.test>: saved mail to INBOX" in log


def test_unknown_user_is_550_and_others_still_delivered(srv):
    c = srv.raw()
    lhlo(c)
    assert c.command("MAIL FROM:<sender@example.org>") == "250 2.1.0 OK"
    assert c.command("RCPT TO:<nobody@example.com>") == \
        "550 5.1.1 <nobody@example.com> User doesn't exist: nobody@example.com"
    assert c.command("RCPT TO:<alice@example.com>") == "250 2.1.5 OK"
    assert c.command("DATA").startswith("354 ")
    c.send(message("unknown") + b".\r\n")
    reply = c.read_reply()
    assert len(reply) == 1 and reply[0].startswith("250 2.0.0 <alice@example.com> "), reply
    assert c.command("QUIT") == "221 2.0.0 Bye"
    assert len(srv.messages(ALICE)) == 1
    assert not (srv.mail_root / "nobody@example.com").exists()


def test_userdb_through_authd_and_unreachable_is_451(build_dir, tmp_path):
    with LmtpServer(build_dir, tmp_path, authd=True) as srv:
        assert "Userdb lookups through loft-authd" in srv.log_text()
        c = srv.raw()
        lhlo(c)
        assert c.command("MAIL FROM:<sender@example.org>") == "250 2.1.0 OK"
        assert c.command("RCPT TO:<alice@example.com>") == "250 2.1.5 OK"
        assert c.command("RCPT TO:<nobody@example.com>").startswith("550 5.1.1 ")
        # loft-authd restarts while the connection to it idles: the first
        # lookup afterwards already works (the dead connection is replaced,
        # not reported as a failure).
        srv.stop_authd()
        srv.start_authd()
        assert c.command("RCPT TO:<carol@example.com>") == "250 2.1.5 OK"
        srv.stop_authd()
        # The userdb cannot answer: a temporary failure, so Postfix keeps
        # the mail queued instead of bouncing it.
        reply = c.command("RCPT TO:<bob@example.com>")
        assert reply == "451 4.3.0 <bob@example.com> Temporary user lookup failure", reply
        # What was accepted before is still delivered.
        assert c.command("DATA").startswith("354 ")
        c.send(message("authd") + b".\r\n")
        replies = c.read_replies(2)
        assert replies[0].startswith("250 2.0.0 <alice@example.com> "), replies
        assert replies[1].startswith("250 2.0.0 <carol@example.com> "), replies
        assert srv.messages(BOB) == []
        srv.start_authd()
        assert c.command("MAIL FROM:<sender@example.org>") == "250 2.1.0 OK"
        assert c.command("RCPT TO:<bob@example.com>") == "250 2.1.5 OK"
        assert c.command("RSET").startswith("250 ")
        assert c.command("QUIT") == "221 2.0.0 Bye"


def test_detail_mailbox_autocreate_through_unix_socket(build_dir, tmp_path):
    extra = ("recipient_delimiter = +-\n"
             "lmtp_save_to_detail_mailbox = yes\n"
             "lda_mailbox_autocreate = yes\n"
             "lda_mailbox_autosubscribe = yes\n")
    with LmtpServer(build_dir, tmp_path, extra_config=extra) as srv:
        with srv.lmtp(unix=True) as c:
            c.sendmail("sender@example.org", ["alice+lists@example.com"], message("plus"))
        with srv.lmtp(unix=True) as c:
            # The second delimiter character splits too.
            c.sendmail("sender@example.org", ["alice-news@example.com"], message("minus"))
        with srv.lmtp(unix=True) as c:
            c.sendmail("sender@example.org", ["alice@example.com"], message("plain"))
        lists = srv.messages(ALICE, "lists")
        news = srv.messages(ALICE, "news")
        inbox = srv.messages(ALICE)
        assert len(lists) == 1 and b"Message-ID: <plus@lmtp.test>" in lists[0]
        assert len(news) == 1 and b"Message-ID: <minus@lmtp.test>" in news[0]
        assert len(inbox) == 1 and b"Message-ID: <plain@lmtp.test>" in inbox[0]
        # Delivered-To names the address as given (lmtp_hdr_delivery_address = final).
        assert header_values(split(lists[0])[0], "Delivered-To") == ["alice+lists@example.com"]
        subs = (srv.maildir(ALICE) / "subscriptions").read_text()
        assert "lists" in subs.split("\n") and "news" in subs.split("\n"), subs


def test_detail_mailbox_without_autocreate_goes_to_inbox(build_dir, tmp_path):
    extra = "lmtp_save_to_detail_mailbox = yes\n"
    with LmtpServer(build_dir, tmp_path, extra_config=extra) as srv:
        with srv.lmtp(unix=True) as c:
            c.sendmail("sender@example.org", ["bob+missing@example.com"], message("fallback"))
        assert len(srv.messages(BOB)) == 1
        assert not (srv.maildir(BOB) / ".missing").exists()


# --- BDAT and pipelining ----------------------------------------------------------


def test_bdat_chunks_are_stored_byte_exact(srv):
    msg = message("bdat", b"first chunk ends mid-line ")
    rest = b"and continues.\r\n.\r\n..\r\nA lone dot above is data in BDAT.\r\n"
    c = srv.raw()
    lhlo(c)
    c.send(b"MAIL FROM:<sender@example.org>\r\nRCPT TO:<alice@example.com>\r\nRCPT TO:<carol@example.com>\r\n")
    assert c.read_replies(3) == ["250 2.1.0 OK", "250 2.1.5 OK", "250 2.1.5 OK"]
    c.send(f"BDAT {len(msg)}\r\n".encode() + msg)
    chunk_reply = c.read_reply()
    assert len(chunk_reply) == 1 and chunk_reply[0].startswith("250 2.0.0 "), chunk_reply
    c.send(f"BDAT {len(rest)} LAST\r\n".encode() + rest)
    replies = c.read_replies(2)
    assert replies[0].startswith("250 2.0.0 <alice@example.com> ") and replies[0].endswith(" Saved"), replies
    assert replies[1].startswith("250 2.0.0 <carol@example.com> ") and replies[1].endswith(" Saved"), replies
    assert c.command("QUIT") == "221 2.0.0 Bye"
    for user in (ALICE, CAROL):
        (data,) = srv.messages(user)
        assert data.endswith(stored(msg + rest)), data


def test_whole_transaction_in_one_send(srv):
    c = srv.raw()
    msg = message("pipelined")
    c.send(b"LHLO client.example\r\nMAIL FROM:<sender@example.org>\r\nRCPT TO:<alice@example.com>\r\n"
           b"RCPT TO:<nobody@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n" + msg + b".\r\n"
           b"MAIL FROM:<>\r\nRCPT TO:<carol@example.com>\r\nDATA\r\n" + message("second") + b".\r\nQUIT\r\n")
    caps = c.read_reply()
    assert caps[-1].startswith("250 ")
    replies = c.read_replies(11)
    assert replies[:5] == ["250 2.1.0 OK", "250 2.1.5 OK",
                           "550 5.1.1 <nobody@example.com> User doesn't exist: nobody@example.com",
                           "250 2.1.5 OK", replies[4]]
    assert replies[4].startswith("354 ")
    assert replies[5].startswith("250 2.0.0 <alice@example.com> ")
    assert replies[6].startswith("250 2.0.0 <bob@example.com> ")
    assert replies[7:9] == ["250 2.1.0 OK", "250 2.1.5 OK"]
    assert replies[9].startswith("354 ")
    assert replies[10].startswith("250 2.0.0 <carol@example.com> ")
    assert c.read_reply() == ["221 2.0.0 Bye"]
    assert c.closed_by_server()
    assert len(srv.messages(ALICE)) == len(srv.messages(BOB)) == len(srv.messages(CAROL)) == 1
    # The null sender is kept as <> in Return-Path.
    assert header_values(split(srv.messages(CAROL)[0])[0], "Return-Path") == ["<>"]


# --- bad input --------------------------------------------------------------------


@pytest.mark.parametrize("limit", [None, 100])
def test_thousand_recipients(build_dir, tmp_path, limit):
    extra = f"lmtp_max_recipients = {limit}\n" if limit else ""
    srv = LmtpServer(build_dir, tmp_path, extra_config=extra)
    accept = limit or 1000  # lmtp_max_recipients' default
    c = srv.raw()
    lhlo(c)
    c.send_line("MAIL FROM:<sender@example.org>")
    assert c.read_reply() == ["250 2.1.0 OK"]
    c.send("".join(f"RCPT TO:<alice+{i}@example.com>\r\n" for i in range(1000)))
    replies = c.read_replies(1000)
    # RFC 5321 §4.5.3.1.10: past the limit, 452 (the client sends the rest later).
    assert replies == ["250 2.1.5 OK"] * accept + ["452 4.5.3 Too many recipients"] * (1000 - accept)
    assert c.command("RSET") == "250 2.0.0 OK"
    # 1,000 unknown users and one known: one reply after the data.
    c.send_line("MAIL FROM:<sender@example.org>")
    assert c.read_reply() == ["250 2.1.0 OK"]
    c.send("".join(f"RCPT TO:<nobody{i}@example.com>\r\n" for i in range(1000)) + "RCPT TO:<bob@example.com>\r\n")
    replies = c.read_replies(1001)
    assert all(r == f"550 5.1.1 <nobody{i}@example.com> User doesn't exist: nobody{i}@example.com"
               for i, r in enumerate(replies[:1000])), set(replies)
    assert replies[1000] == "250 2.1.5 OK"
    assert c.command("DATA").startswith("354 ")
    c.send(message("many") + b".\r\n")
    reply = c.read_reply()
    assert len(reply) == 1 and reply[0].startswith("250 2.0.0 <bob@example.com> "), reply
    assert c.command("NOOP").startswith("250 ")
    assert len(srv.messages(BOB)) == 1
    assert srv.messages(ALICE) == []
    srv.stop()


def test_two_gigabyte_size_is_refused_at_mail(build_dir, tmp_path):
    srv = LmtpServer(build_dir, tmp_path, extra_config="lmtp_max_mail_size = 50M\n")
    c = srv.raw()
    caps = lhlo(c)
    assert "250-SIZE 52428800" in caps, caps
    reply = c.command("MAIL FROM:<sender@example.org> SIZE=2147483648")
    assert reply == "552 5.3.4 Message size exceeds fixed maximum message size", reply
    # 20 digits past 2^64: saturated, refused as too big, not wrapped around.
    reply = c.command("MAIL FROM:<sender@example.org> SIZE=99999999999999999999")
    assert reply == "552 5.3.4 Message size exceeds fixed maximum message size", reply
    # More than RFC 1870's 1*20DIGIT: a syntax error.
    reply = c.command("MAIL FROM:<sender@example.org> SIZE=99999999999999999999999999")
    assert reply == "501 5.5.4 Invalid SIZE parameter", reply
    # The session goes on.
    assert c.command("MAIL FROM:<sender@example.org> SIZE=1000") == "250 2.1.0 OK"
    assert c.command("QUIT") == "221 2.0.0 Bye"
    srv.stop()


def deliver_raw(c, msg: bytes, rcpt: str = ALICE) -> list[str]:
    assert c.command("MAIL FROM:<sender@example.org>") == "250 2.1.0 OK"
    assert c.command(f"RCPT TO:<{rcpt}>") == "250 2.1.5 OK"
    assert c.command("DATA").startswith("354 ")
    c.send(msg + b".\r\n")
    return c.read_reply()


def test_bare_lf_and_nul_in_data(srv):
    """Accepted and stored as they came (docs/lmtp.md, "Message data"), as
    Dovecot does. Only CRLF "." CRLF ends the data (RFC 5321 §4.1.1.4):
    a "." line next to a bare LF is data (Dovecot 2.3.19 ends the data
    there), so a smuggled second transaction stays inside the first
    message."""
    c = srv.raw()
    lhlo(c)
    msg = message("odd", b"bare\nline feed\r\nnul \x00 byte\r\n")
    reply = deliver_raw(c, msg)
    assert reply[0].startswith("250 2.0.0 <alice@example.com> "), reply
    (data,) = srv.messages(ALICE)
    assert data.endswith(stored(msg)), data
    # "\r\n.\n" and "\n.\r\n" are data: the commands after them are message
    # text, and one 250 answers the whole.
    assert c.command("MAIL FROM:<sender@example.org>") == "250 2.1.0 OK"
    assert c.command("RCPT TO:<bob@example.com>") == "250 2.1.5 OK"
    assert c.command("DATA").startswith("354 ")
    smuggled = (b"x\r\n.\nMAIL FROM:<evil@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n"
                b"y\n.\r\nQUIT\r\n")
    c.send(message("lf-dot", smuggled) + b".\r\n")
    reply = c.read_reply()
    assert len(reply) == 1 and reply[0].startswith("250 2.0.0 <bob@example.com> "), reply
    assert reply[0].endswith(" Saved"), reply
    assert c.command("NOOP").startswith("250 ")
    (data,) = srv.messages(BOB)
    assert data.endswith(stored(message("lf-dot", smuggled)))
    assert len(srv.messages(ALICE)) == 1


def test_eight_bit_body_in_seven_bit_session(srv):
    c = srv.raw()
    lhlo(c)
    msg = message("8bit", "Grüße aus Köln\r\n".encode())
    assert c.command("MAIL FROM:<sender@example.org> BODY=7BIT") == "250 2.1.0 OK"
    assert c.command("RCPT TO:<alice@example.com>") == "250 2.1.5 OK"
    assert c.command("DATA").startswith("354 ")
    c.send(msg + b".\r\n")
    reply = c.read_reply()
    # Accepted and stored as received, as Dovecot does: refusing would
    # bounce mail that a relay already accepted.
    assert reply[0].startswith("250 2.0.0 <alice@example.com> "), reply
    (data,) = srv.messages(ALICE)
    assert data.endswith(stored(msg))


def test_disconnect_in_data_stores_nothing(srv):
    c = srv.raw()
    lhlo(c)
    assert c.command("MAIL FROM:<sender@example.org>") == "250 2.1.0 OK"
    assert c.command("RCPT TO:<alice@example.com>") == "250 2.1.5 OK"
    assert c.command("DATA").startswith("354 ")
    c.send(message("cut", b"x" * 100000))
    c.close()
    # As Dovecot 2.3.19 logs a client gone in the middle of DATA.
    srv.wait_log("Disconnect from 127.0.0.1: Connection closed (unfinished DATA command) (state=DATA)\n")
    assert srv.messages(ALICE) == []
    # The server still serves.
    with srv.lmtp() as l:
        l.sendmail("sender@example.org", [ALICE], message("after"))
    assert len(srv.messages(ALICE)) == 1


@pytest.mark.parametrize("commands,state", [
    ([], "GREETING"),
    (["LHLO client.test"], "READY"),
    (["LHLO client.test", "MAIL FROM:<sender@example.org>"], "MAIL FROM"),
    (["LHLO client.test", "MAIL FROM:<sender@example.org>", "RCPT TO:<alice@example.com>"], "RCPT TO"),
    (["LHLO client.test", "MAIL FROM:<sender@example.org>", "RCPT TO:<alice@example.com>", "RSET"], "READY"),
])
def test_disconnect_line_names_the_state(srv, commands, state):
    # Dovecot 2.3.19's "Disconnect from IP: Connection closed (state=...)"
    # for a client that goes away without QUIT, checked against its lmtp.
    c = srv.raw()
    for command in commands:
        reply = c.command(command)
        assert reply[:1] == "2", (command, reply)
    c.close()
    srv.wait_log(f"Disconnect from 127.0.0.1: Connection closed (state={state})\n")


def test_disconnect_in_bdat_chunk(srv):
    c = srv.raw()
    lhlo(c)
    assert c.command("MAIL FROM:<sender@example.org>") == "250 2.1.0 OK"
    assert c.command("RCPT TO:<alice@example.com>") == "250 2.1.5 OK"
    c.send(b"BDAT 100\r\nabc")
    c.close()
    srv.wait_log("Disconnect from 127.0.0.1: Connection closed (unfinished BDAT command) (state=DATA)\n")
    assert srv.messages(ALICE) == []


def test_inactivity_timeout(build_dir, tmp_path):
    with LmtpServer(build_dir, tmp_path, extra_config="lmtp_inactivity_timeout = 1s\n") as srv:
        c = srv.raw()
        lhlo(c)
        line = c.read_line()
        assert line.startswith("421 "), line
        assert c.closed_by_server()
        srv.wait_log("Disconnect from 127.0.0.1: Disconnected for inactivity")


def test_sigterm_answers_421_and_exits(srv):
    c = srv.raw()
    lhlo(c)
    srv.proc.send_signal(15)
    line = c.read_line()
    assert line.startswith("421 4.3.2 "), line
    assert srv.proc.wait(timeout=15) == 0


# --- STARTTLS, XCLIENT, per-user concurrency ----------------------------------------


def test_starttls_then_delivery(build_dir, tmp_path):
    key, crt = tmp_path / "lmtp.key", tmp_path / "lmtp.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(crt), "-days", "2", "-subj", "/CN=lmtp.test"],
                   check=True, capture_output=True)
    extra = f"ssl = yes\nssl_cert = <{crt}\nssl_key = <{key}\n"
    with LmtpServer(build_dir, tmp_path / "srv", extra_config=extra) as srv:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with srv.lmtp() as c:
            c.ehlo_or_helo_if_needed()
            assert c.has_extn("starttls")
            code, _ = c.starttls(context=ctx)
            assert code == 220
            c.ehlo()
            assert not c.has_extn("starttls")
            c.sendmail("sender@example.org", [ALICE], message("tls"))
        (data,) = srv.messages(ALICE)
        assert data.endswith(stored(message("tls")))


def test_xclient_from_unix_socket_sets_received(srv):
    c = srv.raw(unix=True)
    lhlo(c)
    c.send_line("XCLIENT ADDR=192.0.2.7 NAME=relay.example.net")
    assert c.read_line().startswith("220 "), "XCLIENT greets again"
    lhlo(c)
    reply = deliver_raw(c, message("xclient"))
    assert reply[0].startswith("250 2.0.0 "), reply
    (data,) = srv.messages(ALICE)
    received = header_values(split(data)[0], "Received")
    assert received[0].startswith("from client.example (relay.example.net [192.0.2.7]) "), received


def test_xclient_refused_from_untrusted_tcp(srv):
    c = srv.raw()
    lhlo(c)
    reply = c.command("XCLIENT ADDR=192.0.2.7")
    assert reply.startswith("550 5.7."), reply
    reply = deliver_raw(c, message("untrusted"))
    (data,) = srv.messages(ALICE)
    assert header_values(split(data)[0], "Received")[0].startswith("from client.example ([127.0.0.1])")


def test_xclient_allowed_from_login_trusted_networks(build_dir, tmp_path):
    with LmtpServer(build_dir, tmp_path, extra_config="login_trusted_networks = 127.0.0.0/8\n") as srv:
        c = srv.raw()
        caps = lhlo(c)
        assert any(line[4:].startswith("XCLIENT") for line in caps), caps
        c.send_line("XCLIENT ADDR=198.51.100.1 HELO=mx.example.net")
        assert c.read_line().startswith("220 ")


# Run as another uid: LHLO and XCLIENT over the unix socket, the replies on
# stdout. The socket is reached relative to the working directory, since
# pytest's tmp_path is closed to other users.
UNIX_XCLIENT_CLIENT = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect("lmtp")
f = s.makefile("rb")
out = [f.readline()]
s.sendall(b"LHLO client.example\r\n")
while True:
    line = f.readline()
    out.append(line)
    if line[3:4] != b"-":
        break
s.sendall(b"XCLIENT ADDR=192.0.2.9\r\n")
out.append(f.readline())
sys.stdout.write(b"".join(out).decode())
"""


def xclient_as(srv, user: str) -> list[str]:
    import pwd
    pw = pwd.getpwnam(user)
    srv.base_dir.chmod(0o711)
    done = subprocess.run(["/usr/bin/python3", "-c", UNIX_XCLIENT_CLIENT], cwd=srv.base_dir, user=pw.pw_uid,
                          group=pw.pw_gid, extra_groups=[], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode().split("\r\n")[:-1]


@pytest.mark.skipif(os.geteuid() != 0, reason="connecting as another uid needs root")
def test_xclient_refused_to_an_unprivileged_local_uid(build_dir, tmp_path):
    """The unix socket is 0666: XCLIENT only for root, the server's uid and
    lmtp_xclient_trusted_users (SO_PEERCRED), so a local user cannot forge
    the Received header."""
    with LmtpServer(build_dir, tmp_path / "a") as srv:
        lines = xclient_as(srv, "nobody")
        assert not any(line[4:].startswith("XCLIENT") for line in lines), lines
        assert lines[-1] == "550 5.7.0 You are not a trusted local user", lines
    with LmtpServer(build_dir, tmp_path / "b", extra_config="lmtp_xclient_trusted_users = daemon, nobody\n") as srv:
        lines = xclient_as(srv, "nobody")
        assert any(line[4:].startswith("XCLIENT") for line in lines), lines
        assert lines[-1].startswith("220 "), lines


def test_user_concurrency_limit(build_dir, tmp_path):
    """While one delivery to alice waits for her mailbox's lock, a second
    one to her gets 451 4.3.0 (lmtp_user_concurrency_limit = 1); bob is not
    affected; once the lock goes the first delivery completes."""
    with LmtpServer(build_dir, tmp_path, extra_config="lmtp_user_concurrency_limit = 1\n") as srv:
        with srv.lmtp() as c:
            c.sendmail("sender@example.org", [ALICE], message("warm-up"))
        maildir = srv.maildir(ALICE)

        def files():
            return sum(len(os.listdir(maildir / d)) for d in ("tmp", "new", "cur"))

        before = files()
        # A live process's lock (ours): the delivery waits for it.
        lock = maildir / "dovecot-uidlist.lock"
        lock.write_text(f"{os.getpid()}:{socket.gethostname()}")
        first = srv.raw()
        lhlo(first)
        assert first.command("MAIL FROM:<sender@example.org>") == "250 2.1.0 OK"
        assert first.command(f"RCPT TO:<{ALICE}>") == "250 2.1.5 OK"
        assert first.command("DATA").startswith("354 ")
        first.send(message("first") + b".\r\n")
        wait_for(lambda: files() > before, "the first delivery to start writing")

        second = srv.raw()
        lhlo(second)
        assert second.command("MAIL FROM:<sender@example.org>") == "250 2.1.0 OK"
        assert second.command(f"RCPT TO:<{ALICE}>") == "250 2.1.5 OK"
        assert second.command(f"RCPT TO:<{BOB}>") == "250 2.1.5 OK"
        assert second.command("DATA").startswith("354 ")
        second.send(message("second") + b".\r\n")
        replies = second.read_replies(2)
        assert replies[0] == "451 4.3.0 <alice@example.com> Too many concurrent deliveries for user", replies
        assert replies[1].startswith("250 2.0.0 <bob@example.com> "), replies
        lock.unlink()
        reply = first.read_reply()
        assert reply[0].startswith("250 2.0.0 <alice@example.com> "), reply
        assert srv.wait_log("Too many concurrent deliveries for user (lmtp_user_concurrency_limit=1)")
        ids = sorted(re.search(rb"Message-ID: <([^@]+)@", m).group(1) for m in srv.messages(ALICE))
        assert ids == [b"first", b"warm-up"]
        # The slot is free again.
        assert deliver_raw(second, message("third"))[0].startswith("250 2.0.0 ")


def test_sighup_reload_changes_delivery_settings(srv):
    """After SIGHUP new sessions use the new config (greeting, delivery
    settings); one open across the reload keeps its own."""
    old = srv.raw()
    lhlo(old)
    text = srv.config_path.read_text().replace("hostname = lmtp.test\n", "hostname = reloaded.test\n")
    srv.config_path.write_text(text + "lmtp_save_to_detail_mailbox = yes\nlda_mailbox_autocreate = yes\n")
    srv.proc.send_signal(1)
    srv.wait_log("Configuration reloaded")
    new = srv.raw(greeting=False)
    assert new.read_line().startswith("220 reloaded.test ")
    lhlo(new)
    assert deliver_raw(new, message("reloaded"), "alice+folder@example.com")[0].startswith("250 2.0.0 ")
    assert len(srv.messages(ALICE, "folder")) == 1
    assert new.command("QUIT") == "221 2.0.0 Bye"
    assert old.command("NOOP").startswith("250 ")
    assert old.command("QUIT") == "221 2.0.0 Bye"


def test_oversize_data_is_552_for_each_recipient_and_nothing_stored(build_dir, tmp_path):
    with LmtpServer(build_dir, tmp_path, extra_config="lmtp_max_mail_size = 4k\n") as srv:
        c = srv.raw()
        lhlo(c)
        # No SIZE= announced: the bound applies while the data arrives; the
        # rest is read and dropped, then every recipient gets 552.
        assert c.command("MAIL FROM:<sender@example.org>") == "250 2.1.0 OK"
        assert c.command(f"RCPT TO:<{ALICE}>") == "250 2.1.5 OK"
        assert c.command(f"RCPT TO:<{BOB}>") == "250 2.1.5 OK"
        assert c.command("DATA").startswith("354 ")
        c.send(message("big", b"y" * 70 + b"\r\n") * 200 + b".\r\n")
        replies = c.read_replies(2)
        assert all(r.startswith("552 5.3.4 ") for r in replies), replies
        assert srv.messages(ALICE) == [] and srv.messages(BOB) == []
        # The same session still delivers what fits.
        assert deliver_raw(c, message("small"))[0].startswith("250 2.0.0 ")
        assert len(srv.messages(ALICE)) == 1
