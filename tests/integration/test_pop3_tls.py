"""loft-pop3d and TLS: STLS on the pop3 port (RFC 2595 §4, with bytes
pipelined after STLS discarded), implicit TLS on the pop3s port, openssl
s_client as a real TLS client, and ssl = required refusing plaintext logins
before STLS. The non-loopback client that ssl = required is about comes
through a `haproxy = yes` listener whose PROXY header names 198.51.100.7
(loopback clients count as secured, as in Dovecot)."""
import re
import subprocess

import pytest

from pop3d_util import Pop3Server, message
from imapd_util import client_tls_context

PLAINTEXT_REFUSED = "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."


@pytest.fixture
def srv(build_dir, tmp_path):
    with Pop3Server(build_dir, tmp_path) as s:
        s.deliver("alice", message(1))
        yield s


def test_stls_discards_pipelined_bytes(srv):
    c = srv.raw()
    assert c.greeting() == "+OK Loft ready."
    assert "STLS" in c.multi("CAPA")
    # USER rides in the same packet as STLS: it must not count after the
    # handshake (RFC 2595 §4: the client discards knowledge from before).
    c.send(b"STLS\r\nUSER alice\r\n")
    assert c.line() == "+OK Begin TLS negotiation now."
    c.starttls()
    assert c.cmd("PASS secret") == "-ERR No username given."
    capa = c.multi("CAPA")
    assert "STLS" not in capa and "USER" in capa and "SASL PLAIN" in capa
    assert c.cmd("STLS") == "-ERR TLS is already active."
    c.login("alice", "secret")
    assert c.cmd("STAT") == f"+OK 1 {len(message(1))}"
    assert c.cmd("QUIT") == "+OK Logging out."
    log = srv.wait_log("Disconnected: Logged out")
    assert re.search(r"Login: user=<alice>, method=PLAIN, rip=127\.0\.0\.1, lip=127\.0\.0\.1, mpid=\d+, TLS, ", log)


def test_user_before_stls_is_forgotten(srv):
    # RFC 2595 §4: the client must discard what it learnt before TLS, and
    # the server must not pair a USER from the plaintext part (which an
    # attacker in the path could have injected) with a PASS sent under TLS.
    c = srv.raw()
    c.greeting()
    assert c.cmd("USER bob") == "+OK"
    assert c.cmd("STLS") == "+OK Begin TLS negotiation now."
    c.starttls()
    assert c.cmd("PASS secret") == "-ERR No username given."
    c.login("alice", "secret")
    assert c.cmd("QUIT") == "+OK Logging out."


def test_poplib_stls(srv):
    p = srv.connect()
    assert p.stls(context=client_tls_context()).startswith(b"+OK")
    p.user("alice")
    p.pass_("secret")
    resp, lines, _ = p.retr(1)
    assert b"\r\n".join(lines) + b"\r\n" == message(1)
    p.quit()


def test_pop3s_implicit_tls(srv):
    p = srv.connect_tls()
    assert p.getwelcome() == b"+OK Loft ready."
    caps = p.capa()
    assert "STLS" not in caps and "USER" in caps
    p.user("alice")
    p.pass_("secret")
    assert p.stat() == (1, len(message(1)))
    p.quit()
    c = srv.raw(tls=True)
    assert c.greeting() == "+OK Loft ready."
    assert c.cmd("STLS") == "-ERR TLS is already active."


def test_openssl_s_client_starttls_and_pop3s(srv):
    script = b"USER alice\r\nPASS secret\r\nSTAT\r\nQUIT\r\n"
    for args in (["-starttls", "pop3", "-connect", f"127.0.0.1:{srv.port}"],
                 ["-connect", f"127.0.0.1:{srv.tls_port}"]):
        out = subprocess.run(["openssl", "s_client", "-quiet", "-ign_eof", *args], input=script,
                             capture_output=True, timeout=30)
        lines = out.stdout.decode(errors="replace").replace("\r", "").splitlines()
        # -starttls pop3 reads the greeting and STLS reply itself.
        assert lines[-4:] == ["+OK", "+OK Logged in.", f"+OK 1 {len(message(1))}", "+OK Logging out."], (
            out.stdout, out.stderr)


def test_ssl_required_refuses_plaintext_before_stls(build_dir, tmp_path):
    with Pop3Server(build_dir, tmp_path, haproxy=True, extra_config="ssl = required\n") as srv:
        srv.deliver("alice", message(1))
        c = srv.raw(proxy_from="198.51.100.7")
        assert c.greeting() == "+OK Loft ready."
        capa = c.multi("CAPA")
        assert "STLS" in capa and "USER" not in capa and "SASL PLAIN" not in capa
        assert c.cmd("USER alice") == PLAINTEXT_REFUSED
        assert c.cmd("AUTH PLAIN AGFsaWNlAHNlY3JldA==") == PLAINTEXT_REFUSED
        assert c.cmd("STLS") == "+OK Begin TLS negotiation now."
        c.starttls()
        assert "USER" in c.multi("CAPA")
        c.login("alice", "secret")
        assert c.cmd("QUIT") == "+OK Logging out."
        log = srv.wait_log("Disconnected: Logged out")
        assert re.search(r"Login: user=<alice>, method=PLAIN, rip=198\.51\.100\.7, .*TLS, ", log), log
        # A loopback client counts as secured (Dovecot's rule): no STLS needed.
        p = srv.login()
        assert p.stat()[0] == 1
        p.quit()
        # A refused client that goes away is logged by pop3-login.
        c = srv.raw(proxy_from="198.51.100.8")
        c.greeting()
        assert c.cmd("USER bob") == PLAINTEXT_REFUSED
        c.close()
        assert "rip=198.51.100.8" in srv.wait_log("rip=198.51.100.8")


def test_disable_plaintext_auth_without_tls_offers_nothing_plain(build_dir, tmp_path):
    # ssl = no and a non-loopback client: no STLS to offer, and plaintext
    # logins are refused (disable_plaintext_auth = yes is the default).
    with Pop3Server(build_dir, tmp_path, tls=False, haproxy=True) as srv:
        c = srv.raw(proxy_from="198.51.100.7")
        assert c.greeting() == "+OK Loft ready."
        capa = c.multi("CAPA")
        assert "STLS" not in capa and "USER" not in capa
        assert c.cmd("STLS") == "-ERR TLS support isn't enabled."
        assert c.cmd("USER alice") == PLAINTEXT_REFUSED
