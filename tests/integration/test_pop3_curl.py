"""curl as a POP3 client of loft-pop3d: pop3:// LIST and RETR (the message
compared byte for byte with its Maildir file, line ends made CRLF),
pop3s:// on the implicit-TLS port, and curl's SASL AUTH PLAIN."""
import shutil
import subprocess

import pytest

from pop3d_util import Pop3Server, crlf, message

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")

# Bare LF line ends and a line starting with a dot: the wire has CRLF and
# dot-stuffing, curl removes the stuffing again.
ODD = b"From: x@example.org\nSubject: odd\nMessage-ID: <odd@pop3.test>\n\n.leading dot\nlast line\n"


def curl(*args):
    out = subprocess.run(["curl", "-sS", "--max-time", "30", *args], capture_output=True, timeout=60)
    assert out.returncode == 0, (out.returncode, out.stderr)
    return out


@pytest.fixture
def srv(build_dir, tmp_path):
    with Pop3Server(build_dir, tmp_path) as s:
        s.deliver("alice", ODD)
        s.deliver("alice", message(2))
        yield s


def test_curl_list_and_retr(srv):
    base = f"pop3://127.0.0.1:{srv.port}"
    out = curl("-u", "alice:secret", base + "/")
    assert out.stdout == f"1 {len(crlf(ODD))}\r\n2 {len(message(2))}\r\n".encode()
    out = curl("-u", "alice:secret", base + "/1")
    # RETR made it \Seen: the file moved to cur/ with the S flag.
    files = sorted((srv.maildir() / "cur").iterdir())
    seen = [f for f in files if f.name.endswith(":2,S")]
    assert len(files) == 2 and len(seen) == 1
    assert out.stdout == crlf(seen[0].read_bytes()) == crlf(ODD)
    out = curl("-u", "alice:secret", base + "/2")
    assert out.stdout == message(2)


def test_curl_pop3s(srv):
    out = curl("-k", "-u", "alice:secret", f"pop3s://127.0.0.1:{srv.tls_port}/2")
    assert out.stdout == message(2)
    # STLS on the plain port with --ssl-reqd.
    out = curl("-k", "--ssl-reqd", "-u", "alice:secret", f"pop3://127.0.0.1:{srv.port}/1")
    assert out.stdout == crlf(ODD)
    assert srv.log_text().count(", TLS, ") >= 2


def test_curl_auth_plain(srv):
    for extra in ([], ["--sasl-ir"]):
        out = curl("-v", *extra, "--login-options", "AUTH=PLAIN", "-u", "alice:secret",
                   f"pop3://127.0.0.1:{srv.port}/2")
        assert out.stdout == message(2)
        trace = out.stderr.decode(errors="replace")
        assert "> AUTH PLAIN" in trace and "< +OK Logged in." in trace, trace
        if extra:
            assert "> AUTH PLAIN AGFsaWNlAHNlY3JldA==" in trace
        else:
            assert "< + " in trace
    out = subprocess.run(["curl", "-sS", "--max-time", "30", "--login-options", "AUTH=PLAIN", "-u", "alice:bad",
                          f"pop3://127.0.0.1:{srv.port}/1"], capture_output=True, timeout=60)
    assert out.returncode == 67  # CURLE_LOGIN_DENIED
