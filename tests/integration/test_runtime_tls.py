"""TLS in the network runtime, through loft-echod: implicit TLS, SNI,
STARTTLS (and the discarding of pipelined input), ssl = required, client
certificates, certificate reload on SIGHUP."""
import signal
import subprocess

from echod_util import (WAIT, LineClient, cert_subject_cn, certs, client_context, echod,  # noqa: F401
                        tls_settings, wait_for)


def s_client(port, servername=None, lines=("WHOAMI",)):
    """Run `openssl s_client`, send `lines`, return (stdout, the first '* WHOAMI' line)."""
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-crlf"]
    if servername:
        cmd += ["-servername", servername]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = b""
    try:
        proc.stdin.write(("\n".join(lines) + "\n").encode())
        proc.stdin.flush()
        # Read until the answer arrives, then let s_client go.
        import select
        import time
        deadline = time.monotonic() + WAIT
        while b"* WHOAMI" not in out and time.monotonic() < deadline:
            r, _, _ = select.select([proc.stdout], [], [], 0.2)
            if r:
                chunk = proc.stdout.read1(65536)
                if not chunk:
                    break
                out += chunk
    finally:
        proc.stdin.close()
        proc.kill()
        proc.wait()
    text = out.decode(errors="replace")
    whoami = next((l for l in text.splitlines() if l.startswith("* WHOAMI")), "")
    return text, whoami


def test_implicit_tls_handshake_with_s_client(echod, certs):
    e = echod(tls_settings(certs.default_crt, certs.default_key),
              listeners={"echo": {}, "echos": {"ssl": "yes"}})
    text, whoami = s_client(e.port("echos"))
    assert "subject=CN = default.test" in text
    assert "* OK echo ready" in text
    assert "tls=yes" in whoami and "cipher=TLS_" in whoami


def test_sni_picks_the_certificate_of_the_local_name_block(echod, certs):
    a_crt, a_key = certs.self_signed("a", "a.example.test")
    b_crt, b_key = certs.self_signed("b", "b.example.test")
    settings = (tls_settings(certs.default_crt, certs.default_key) +
                f"local_name a.example.test {{\n  ssl_cert = <{a_crt}\n  ssl_key = <{a_key}\n}}\n"
                f"local_name b.example.test {{\n  ssl_cert = <{b_crt}\n  ssl_key = <{b_key}\n}}\n")
    e = echod(settings, listeners={"echos": {"ssl": "yes"}})
    text, whoami = s_client(e.port("echos"), servername="a.example.test")
    assert "subject=CN = a.example.test" in text
    assert "sni=a.example.test" in whoami
    text, _ = s_client(e.port("echos"), servername="b.example.test")
    assert "subject=CN = b.example.test" in text
    text, _ = s_client(e.port("echos"), servername="other.example.test")
    assert "subject=CN = default.test" in text
    # Python's client agrees.
    c = LineClient.connect(e.port("echos"), tls_context=client_context(), server_hostname="b.example.test")
    assert cert_subject_cn(c.sock.getpeercert(binary_form=True)) == "b.example.test"
    c.close()


def test_starttls_upgrade_and_pipelined_commands_are_dropped(echod, certs):
    e = echod(tls_settings(certs.default_crt, certs.default_key))
    c = e.connect()
    assert c.readline_unbuffered() == "* OK echo ready"
    # STARTTLS and a command in one packet: the command arrived in plaintext
    # and must never be executed inside TLS.
    c.send(b"STARTTLS\r\nECHO injected\r\n")
    assert c.readline_unbuffered() == "OK begin TLS"
    c.starttls(client_context())
    assert c.cmd("ECHO after") == "* after"
    who = c.cmd("WHOAMI")
    assert "tls=yes" in who
    assert c.cmd("QUIT") == "OK bye"
    c.close()
    assert "injected" not in e.log()
    wait_for(lambda: "Discarded 15 bytes sent after STARTTLS" in e.log(), "the discard to be logged")


def test_starttls_not_offered_without_tls(echod):
    e = echod("ssl = no\n")
    c = e.connect()
    assert c.readline() == "* OK echo ready"
    assert c.cmd("STARTTLS") == "BAD TLS not available"
    c.close()


def test_ssl_required_refuses_plaintext_login(echod, certs):
    e = echod(tls_settings(certs.default_crt, certs.default_key) + "ssl = required\n")
    c = e.connect()
    assert c.readline_unbuffered() == "* OK echo ready"
    c.send(b"LOGIN alice\r\n")
    assert c.readline_unbuffered().startswith("NO [PRIVACYREQUIRED]")
    c.send(b"STARTTLS\r\n")
    assert c.readline_unbuffered() == "OK begin TLS"
    c.starttls(client_context())
    assert c.cmd("LOGIN alice") == "OK logged in"
    c.close()


def test_client_certificates_are_verified(echod, certs):
    client_crt, client_key = certs.signed("client", "client1", client=True)
    rogue_crt, rogue_key = certs.self_signed("rogue", "rogue")
    e = echod(tls_settings(certs.default_crt, certs.default_key) +
              f"ssl_verify_client_cert = yes\nssl_client_ca_file = {certs.ca_crt}\n",
              listeners={"echos": {"ssl": "yes"}})

    def whoami(ctx):
        c = LineClient.connect(e.port("echos"), tls_context=ctx)
        assert c.readline() == "* OK echo ready"
        line = c.cmd("WHOAMI")
        c.close()
        return line

    good = whoami(client_context(client_crt, client_key))
    assert "verified=yes" in good and "CN=client1" in good
    bad = whoami(client_context(rogue_crt, rogue_key))
    assert "verified=no" in bad and "CN=rogue" in bad
    none = whoami(client_context())
    assert "verified=no" in none and none.endswith("cert=")


def test_sighup_reloads_certificates_without_dropping_connections(echod, certs):
    live_crt = certs.dir / "live.crt"
    live_key = certs.dir / "live.key"
    old_crt, old_key = certs.self_signed("old", "old.test")
    new_crt, new_key = certs.self_signed("new", "new.test")
    live_crt.write_bytes(old_crt.read_bytes())
    live_key.write_bytes(old_key.read_bytes())
    e = echod(tls_settings(live_crt, live_key), listeners={"echos": {"ssl": "yes"}})

    def current_cn():
        c = LineClient.connect(e.port("echos"), tls_context=client_context())
        cn = cert_subject_cn(c.sock.getpeercert(binary_form=True))
        c.close()
        return cn

    assert current_cn() == "old.test"
    existing = LineClient.connect(e.port("echos"), tls_context=client_context())
    assert existing.readline() == "* OK echo ready"
    live_crt.write_bytes(new_crt.read_bytes())
    live_key.write_bytes(new_key.read_bytes())
    e.signal(signal.SIGHUP)
    wait_for(lambda: current_cn() == "new.test", "new connections to get the new certificate")
    # The connection made before the reload is still open and working.
    assert existing.cmd("ECHO still here") == "* still here"
    assert cert_subject_cn(existing.sock.getpeercert(binary_form=True)) == "old.test"
    existing.close()
    assert "Configuration reloaded" in e.log()


def test_bad_certificate_on_reload_keeps_the_old_one(echod, certs):
    live_crt = certs.dir / "live.crt"
    live_crt.write_bytes(certs.default_crt.read_bytes())
    e = echod(tls_settings(live_crt, certs.default_key), listeners={"echos": {"ssl": "yes"}})
    live_crt.write_text("not a certificate\n")
    e.signal(signal.SIGHUP)
    wait_for(lambda: "Reload failed" in e.log(), "the reload failure to be logged")
    c = LineClient.connect(e.port("echos"), tls_context=client_context())
    assert cert_subject_cn(c.sock.getpeercert(binary_form=True)) == "default.test"
    c.close()


def test_local_address_block_picks_its_certificate(echod, certs):
    local_crt, local_key = certs.self_signed("local", "loopback.test")
    e = echod(tls_settings(certs.default_crt, certs.default_key) +
              f"local 127.0.0.1 {{\n  ssl_cert = <{local_crt}\n  ssl_key = <{local_key}\n}}\n",
              listeners={"echos": {"ssl": "yes"}})
    c = LineClient.connect(e.port("echos"), tls_context=client_context())
    assert cert_subject_cn(c.sock.getpeercert(binary_form=True)) == "loopback.test"
    c.close()


def test_implicit_tls_listener_without_certificate_fails_to_start(echod):
    e = echod("", listeners={"echos": {"ssl": "yes"}}, start=False)
    try:
        e.start()
        raise AssertionError("loft-echod started without a certificate")
    except AssertionError as err:
        assert "ssl_cert is not set" in str(err)


def test_with_ssl_no_implicit_tls_listeners_are_not_bound(echod):
    # As in Dovecot: `ssl = no` leaves imaps-style listeners out.
    e = echod("ssl = no\n", listeners={"echos": {"ssl": "yes"}}, start=False)
    try:
        e.start()
        raise AssertionError("loft-echod started with no usable listener")
    except AssertionError as err:
        assert "no enabled listener" in str(err)


def test_min_protocol_and_encrypted_key(echod, certs):
    import ssl
    from echod_util import run_openssl
    enc_key = certs.dir / "enc.key"
    run_openssl("pkey", "-in", str(certs.default_key), "-aes256", "-passout", "pass:s3cret", "-out", str(enc_key))
    e = echod(f"ssl_cert = <{certs.default_crt}\nssl_key = <{enc_key}\nssl_key_password = s3cret\n"
              "ssl_min_protocol = TLSv1.3\n", listeners={"echos": {"ssl": "yes"}})
    c = LineClient.connect(e.port("echos"), tls_context=client_context())
    assert c.sock.version() == "TLSv1.3"
    assert c.readline() == "* OK echo ready"
    c.close()
    old = client_context()
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        LineClient.connect(e.port("echos"), tls_context=old).close()
        raise AssertionError("a TLS 1.2 client got in despite ssl_min_protocol = TLSv1.3")
    except ssl.SSLError:
        pass


def test_wrong_key_password_fails_at_startup_naming_the_setting(echod, certs):
    from echod_util import run_openssl
    enc_key = certs.dir / "enc.key"
    run_openssl("pkey", "-in", str(certs.default_key), "-aes256", "-passout", "pass:s3cret", "-out", str(enc_key))
    e = echod(f"ssl_cert = <{certs.default_crt}\nssl_key = <{enc_key}\nssl_key_password = wrong\n",
              listeners={"echos": {"ssl": "yes"}}, start=False)
    try:
        e.start()
        raise AssertionError("started with a wrong key password")
    except AssertionError as err:
        assert "ssl_key" in str(err)


def test_ssl_dh_parameters_load(echod, certs):
    from echod_util import run_openssl
    dh = certs.dir / "dh.pem"
    run_openssl("dhparam", "-dsaparam", "-out", str(dh), "2048")
    e = echod(tls_settings(certs.default_crt, certs.default_key) + f"ssl_dh = <{dh}\n"
              "ssl_prefer_server_ciphers = yes\nssl_cipher_suites = TLS_AES_128_GCM_SHA256\n",
              listeners={"echos": {"ssl": "yes"}})
    c = LineClient.connect(e.port("echos"), tls_context=client_context())
    assert c.sock.cipher()[0] == "TLS_AES_128_GCM_SHA256"
    assert c.readline() == "* OK echo ready"
    c.close()


def startup_error(e) -> str:
    try:
        e.start()
    except AssertionError as err:
        return str(err)
    raise AssertionError("loft-echod started with a bad TLS setup")


def test_key_of_another_certificate_is_reported_as_a_mismatch_with_its_location(echod, certs):
    other_crt, other_key = certs.self_signed("other", "other.test")
    e = echod(tls_settings(certs.default_crt, other_key), listeners={"echos": {"ssl": "yes"}}, start=False)
    err = startup_error(e)
    assert "ssl_key does not match ssl_cert (is the leaf certificate first in ssl_cert?)" in err
    assert "is it encrypted" not in err and "ssl_key_password" not in err
    # The config line of ssl_key (line 4: base_dir, log_path, ssl_cert, ssl_key).
    assert f"{e.config_path}:4: ssl_key" in err


def test_chain_in_the_wrong_order_is_reported_as_a_mismatch(echod, certs):
    leaf_crt, leaf_key = certs.signed("leaf", "leaf.test")
    chain = certs.dir / "wrong-order.pem"
    chain.write_text(certs.ca_crt.read_text() + leaf_crt.read_text())
    e = echod(tls_settings(chain, leaf_key), listeners={"echos": {"ssl": "yes"}}, start=False)
    err = startup_error(e)
    assert "ssl_key does not match ssl_cert (is the leaf certificate first in ssl_cert?)" in err


def test_encrypted_key_without_password_asks_for_ssl_key_password(echod, certs):
    from echod_util import run_openssl
    enc_key = certs.dir / "enc2.key"
    run_openssl("pkey", "-in", str(certs.default_key), "-aes256", "-passout", "pass:s3cret", "-out", str(enc_key))
    e = echod(tls_settings(certs.default_crt, enc_key), listeners={"echos": {"ssl": "yes"}}, start=False)
    err = startup_error(e)
    assert "ssl_key: the private key is encrypted; set ssl_key_password" in err
    assert "does not match" not in err
    assert f"{e.config_path}:4:" in err
    # With a wrong password, the message says so.
    e2 = echod(tls_settings(certs.default_crt, enc_key) + "ssl_key_password = wrong\n",
               listeners={"echos": {"ssl": "yes"}}, start=False)
    assert "is ssl_key_password right?" in startup_error(e2)
