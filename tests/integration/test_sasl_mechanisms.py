"""The challenge-response SASL mechanisms (docs/sasl.md) end to end through
loft-authd's auth-client socket: MECH lines with Dovecot's flags, CRAM-MD5,
DIGEST-MD5 and SCRAM-SHA-1/256 computed by a client written here from the
RFCs, and a hashed password that cannot serve them."""
from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from authd_util import b64, client_conn, start_authd
from loftd_util import wait_until

MECHANISMS = "plain login cram-md5 digest-md5 scram-sha-1 scram-sha-256"


@pytest.fixture
def authd(build_dir):
    proc = start_authd(build_dir, mechanisms=MECHANISMS)
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()


def cont_data(line: str, rid: int) -> bytes:
    fields = line.split("\t")
    assert fields[:2] == ["CONT", str(rid)], line
    return base64.b64decode(fields[2]) if len(fields) > 2 else b""


def test_mech_lines_carry_dovecot_flags(authd):
    _, lines = client_conn(authd.socket_path("auth-client"))
    mechs = [l for l in lines if l.startswith("MECH\t")]
    assert mechs == [
        "MECH\tPLAIN\tplaintext",
        "MECH\tLOGIN\tplaintext",
        "MECH\tCRAM-MD5\tdictionary\tactive",
        "MECH\tDIGEST-MD5\tdictionary\tactive\tmutual-auth",
        "MECH\tSCRAM-SHA-1\tmutual-auth",
        "MECH\tSCRAM-SHA-256\tmutual-auth",
    ]


@pytest.mark.parametrize("user,password,ok", [("alice", "secret", True), ("alice", "wrong", False)])
def test_cram_md5(authd, user, password, ok):
    c, _ = client_conn(authd.socket_path("auth-client"))
    c.send("AUTH\t1\tCRAM-MD5\tservice=imap\n")
    challenge = cont_data(c.line(), 1)
    assert challenge.startswith(b"<") and challenge.endswith(b">") and b"@" in challenge
    digest = hmac.new(password.encode(), challenge, "md5").hexdigest()
    c.send(f"CONT\t1\t{b64(user.encode() + b' ' + digest.encode())}\n")
    reply = c.line()
    assert reply.startswith("OK\t1\tuser=alice") if ok else reply.startswith("FAIL\t1")
    c.close()


def test_digest_md5(authd):
    c, _ = client_conn(authd.socket_path("auth-client"))
    c.send("AUTH\t2\tDIGEST-MD5\tservice=imap\n")
    challenge = cont_data(c.line(), 2).decode()
    assert challenge.startswith('realm="",nonce="')
    assert challenge.endswith(',qop="auth",charset="utf-8",algorithm="md5-sess"')
    nonce = challenge.split('nonce="')[1].split('"')[0]
    uri = "imap/mail.example.org"

    def kd(a2: bytes) -> str:
        ha1 = hashlib.md5(b"alice::secret").digest()
        a1 = hashlib.md5(ha1 + b":" + nonce.encode() + b":cn").hexdigest()
        return hashlib.md5(f"{a1}:{nonce}:00000001:cn:auth:{hashlib.md5(a2).hexdigest()}".encode()).hexdigest()

    resp = (f'username="alice",nonce="{nonce}",cnonce="cn",nc=00000001,qop=auth,digest-uri="{uri}",'
            f'response={kd(b"AUTHENTICATE:" + uri.encode())}')
    c.send(f"CONT\t2\t{b64(resp.encode())}\n")
    assert cont_data(c.line(), 2) == f"rspauth={kd(b':' + uri.encode())}".encode()
    c.send("CONT\t2\t\n")
    assert c.line().startswith("OK\t2\tuser=alice")
    c.close()


def scram_login(c, rid: int, mech: str, user: str, password: str) -> str:
    h = "sha1" if mech == "SCRAM-SHA-1" else "sha256"
    bare = f"n={user},r=clientnonce"
    c.send(f"AUTH\t{rid}\t{mech}\tservice=imap\tresp={b64(('n,,' + bare).encode())}\n")
    line = c.line()
    if not line.startswith("CONT"):
        return line
    server_first = cont_data(line, rid).decode()
    attrs = dict(a.split("=", 1) for a in server_first.split(","))
    assert attrs["r"].startswith("clientnonce") and len(attrs["r"]) > len("clientnonce")
    salted = hashlib.pbkdf2_hmac(h, password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", h).digest()
    stored_key = hashlib.new(h, client_key).digest()
    without_proof = f"c=biws,r={attrs['r']}"
    auth_message = f"{bare},{server_first},{without_proof}".encode()
    signature = hmac.new(stored_key, auth_message, h).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    c.send(f"CONT\t{rid}\t{b64((without_proof + ',p=' + b64(proof)).encode())}\n")
    reply = c.line()
    if reply.startswith("OK"):
        server_key = hmac.new(salted, b"Server Key", h).digest()
        expected = "v=" + b64(hmac.new(server_key, auth_message, h).digest())
        # The server-final-message travels with OK as resp=.
        fields = dict(f.split("=", 1) for f in reply.split("\t")[2:] if "=" in f)
        assert base64.b64decode(fields["resp"]).decode() == expected, reply
    return reply


@pytest.mark.parametrize("mech", ["SCRAM-SHA-1", "SCRAM-SHA-256"])
def test_scram(authd, mech):
    c, _ = client_conn(authd.socket_path("auth-client"))
    assert scram_login(c, 3, mech, "alice", "secret").startswith("OK\t3\tuser=alice")
    assert scram_login(c, 4, mech, "alice", "wrong").startswith("FAIL\t4")
    c.close()


@pytest.mark.parametrize("mech", ["CRAM-MD5", "SCRAM-SHA-256"])
def test_hashed_password_cannot_serve_challenge_response(authd, mech):
    # carol's password is SHA512-CRYPT: only PLAIN and LOGIN can check it.
    c, _ = client_conn(authd.socket_path("auth-client"))
    if mech == "CRAM-MD5":
        c.send("AUTH\t5\tCRAM-MD5\tservice=imap\n")
        challenge = cont_data(c.line(), 5)
        digest = hmac.new(b"carolpw", challenge, "md5").hexdigest()
        c.send(f"CONT\t5\t{b64(b'carol ' + digest.encode())}\n")
        reply = c.line()
    else:
        reply = scram_login(c, 5, mech, "carol", "carolpw")
    assert reply.startswith("FAIL\t5"), reply
    c.close()
    # The admin sees why in the log; the client only sees FAIL.
    expected = (f"Authentication failed: user=<carol>, method={mech}, service=imap, "
                f"reason=stored password cannot be used with {mech}")
    assert wait_until(lambda: expected in authd.log), authd.log
