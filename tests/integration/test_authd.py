"""loft-authd: Dovecot's auth-client and auth-userdb protocols on unix
sockets, checked with raw socket conversations against a standalone
loft-authd over a passwd-file (docs/authd.md), and through loftd."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import shutil
import socket
import stat
import subprocess
import time

import pytest

from authd_util import (AuthdProcess, authd_binary, b64, plain, client_conn, master_conn, start_authd, authd_config, LineConn, PASSWD,
                        TIMEOUT)
from loftd_util import (LoftdProcess, child_pids, make_shared_tempdir, start_loftd, wait_until,  # noqa: F401
                        workdir)

MECHS = ["MECH\tPLAIN\tplaintext", "MECH\tLOGIN\tplaintext"]


@pytest.fixture
def authd(build_dir):
    proc = start_authd(build_dir)
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()


def fail_id(line: str) -> int:
    """The id of a plain FAIL: no reason (it never says whether the user
    exists or the password was wrong), not temporary."""
    fields = line.split("\t")
    assert fields[0] == "FAIL", line
    assert all(f.startswith("user=") for f in fields[2:]), line
    return int(fields[1])


def handshake_lines_ok(lines: list[str], mechs: list[str]):
    assert lines[0] == "VERSION\t1\t2"
    assert lines[1:1 + len(mechs)] == mechs
    rest = lines[1 + len(mechs):]
    assert len(rest) == 4, lines
    assert re.fullmatch(r"SPID\t[1-9][0-9]*", rest[0])
    assert re.fullmatch(r"CUID\t[1-9][0-9]*", rest[1])
    assert re.fullmatch(r"COOKIE\t[0-9a-f]{32}", rest[2])
    assert rest[3] == "DONE"


def test_client_handshake(authd):
    c, lines = client_conn(authd.socket_path("auth-client"))
    handshake_lines_ok(lines, MECHS)
    assert lines[-4] == f"SPID\t{authd.proc.pid}"
    c2, lines2 = client_conn(authd.socket_path("auth-client"))
    # Each connection gets its own CUID and cookie.
    assert lines2[-3] != lines[-3]
    assert lines2[-2] != lines[-2]
    c.close()
    c2.close()


def test_handshake_arrives_before_client_version(authd):
    c = LineConn(authd.socket_path("auth-client"))
    assert c.line() == "VERSION\t1\t2"
    c.close()


def test_plain_ok_and_fail(authd):
    c, _ = client_conn(authd.socket_path("auth-client"))
    c.send(f"AUTH\t1\tPLAIN\tservice=smtp\tlip=127.0.0.1\trip=127.0.0.1\tlport=25\trport=40000\t"
           f"resp={plain('alice', 'secret')}\n")
    assert c.line() == "OK\t1\tuser=alice\t"
    c.send(f"AUTH\t2\tPLAIN\tservice=smtp\tresp={plain('alice', 'wrong')}\n")
    assert fail_id(c.line()) == 2
    c.send(f"AUTH\t3\tPLAIN\tservice=smtp\tresp={plain('carol', 'carolpw')}\n")
    assert c.line() == "OK\t3\tuser=carol\t"
    c.send(f"AUTH\t4\tplain\tservice=smtp\tresp={plain('nobody-here', 'x')}\n")
    assert fail_id(c.line()) == 4
    c.close()


def test_plain_without_initial_response_uses_cont(authd):
    c, _ = client_conn(authd.socket_path("auth-client"))
    c.send("AUTH\t5\tPLAIN\tservice=smtp\n")
    # RFC 4616 §2: the client goes first; the server sends an empty challenge.
    assert c.line() == "CONT\t5\t"
    c.send(f"CONT\t5\t{plain('alice', 'secret')}\n")
    assert c.line() == "OK\t5\tuser=alice\t"
    c.close()


def test_empty_initial_response_is_equals_sign(authd):
    c, _ = client_conn(authd.socket_path("auth-client"))
    c.send("AUTH\t6\tPLAIN\tservice=smtp\tresp==\n")
    assert c.line() == "FAIL\t6"
    c.close()


def test_login_via_cont(authd):
    c, _ = client_conn(authd.socket_path("auth-client"))
    c.send("AUTH\t7\tLOGIN\tservice=smtp\n")
    assert c.line() == "CONT\t7\t" + b64(b"Username:")
    c.send(f"CONT\t7\t{b64(b'alice')}\n")
    assert c.line() == f"CONT\t7\t{b64(b'Password:')}"
    c.send(f"CONT\t7\t{b64(b'secret')}\n")
    assert c.line() == "OK\t7\tuser=alice\t"
    c.close()


def test_pipelined_requests_answered_by_id(authd):
    c, _ = client_conn(authd.socket_path("auth-client"))
    c.send("".join(f"AUTH\t{i}\tPLAIN\tservice=smtp\tresp={plain('alice', 'secret' if i % 2 else 'bad')}\n"
                   for i in range(1, 21)))
    got = {}
    for _ in range(20):
        line = c.line()
        fields = line.split("\t")
        got[int(fields[1])] = fields[0]
    assert got == {i: ("OK" if i % 2 else "FAIL") for i in range(1, 21)}
    c.close()


def test_nologin_reason(authd):
    c, _ = client_conn(authd.socket_path("auth-client"))
    c.send(f"AUTH\t1\tPLAIN\tservice=smtp\tresp={plain('bob', 'pw')}\n")
    line = c.line()
    assert line.startswith("FAIL\t1\t"), line
    assert line.endswith("\treason=Suspended"), line
    c.close()


def test_failure_delay(build_dir):
    proc = start_authd(build_dir, failure_delay="1500 ms")
    try:
        proc.wait_ready()
        c, _ = client_conn(proc.socket_path("auth-client"))
        c.sock.settimeout(0.5)
        c.send(f"AUTH\t1\tPLAIN\tservice=smtp\tresp={plain('alice', 'wrong')}\n")
        # A success on the same connection is not held up by the failure.
        c.send(f"AUTH\t2\tPLAIN\tservice=smtp\tresp={plain('alice', 'secret')}\n")
        assert c.line() == "OK\t2\tuser=alice\t"
        c.sock.settimeout(TIMEOUT)
        assert fail_id(c.line()) == 1
        c.close()
    finally:
        proc.stop()


def test_temporary_failure_when_database_is_missing(build_dir):
    """A passdb/userdb whose SQLite file does not exist fails lookups
    temporarily: FAIL ... temp on auth-client, FAIL on auth-userdb, never
    "wrong password" or NOTFOUND."""
    workdir = make_shared_tempdir("authd-test-")
    (workdir / "run").mkdir()
    (workdir / "sql.conf.ext").write_text(f"""driver = sqlite
connect = {workdir}/missing.sqlite
password_query = SELECT username AS user, password FROM users WHERE username = '%u'
user_query = SELECT home, uid, gid FROM users WHERE username = '%u'
""")
    conf = workdir / "loft.conf"
    conf.write_text(f"""base_dir = {workdir}/run
log_path = /dev/stderr
disable_plaintext_auth = no
auth_mechanisms = plain
auth_failure_delay = 0
passdb {{
  driver = sql
  args = {workdir}/sql.conf.ext
}}
userdb {{
  driver = sql
  args = {workdir}/sql.conf.ext
}}
""")
    proc = AuthdProcess(authd_binary(build_dir), conf, workdir)
    try:
        proc.wait_ready()
        c, _ = client_conn(proc.socket_path("auth-client"))
        c.send(f"AUTH\t1\tPLAIN\tservice=smtp\tresp={plain('alice', 'secret')}\n")
        line = c.line()
        assert line.startswith("FAIL\t1\t"), line
        assert line.split("\t")[-1] == "temp", line
        c.close()
        m, _ = master_conn(proc.socket_path("auth-userdb"))
        m.send("USER\t1\talice\tservice=lmtp\n")
        line = m.line()
        assert line.startswith("FAIL\t1\treason="), line
        m.close()
    finally:
        proc.stop()


def test_bad_base64(authd):
    c, _ = client_conn(authd.socket_path("auth-client"))
    c.send("AUTH\t1\tPLAIN\tservice=smtp\tresp=!!!\n")
    assert c.line() == "FAIL\t1\tcode=invalid_base64\treason=Invalid base64 data in initial response"
    c.send("AUTH\t2\tLOGIN\tservice=smtp\n")
    assert c.line().startswith("CONT\t2\t")
    c.send("CONT\t2\t###\n")
    assert c.line() == "FAIL\t2\tcode=invalid_base64\treason=Invalid base64 data in continued response"
    # Still usable afterwards.
    c.send(f"AUTH\t3\tPLAIN\tservice=smtp\tresp={plain('alice', 'secret')}\n")
    assert c.line() == "OK\t3\tuser=alice\t"
    c.close()


def test_unknown_mechanism_and_unknown_cont(authd):
    c, _ = client_conn(authd.socket_path("auth-client"))
    c.send("AUTH\t1\tFOO\tservice=smtp\n")
    assert c.line() == "FAIL\t1\treason=Unsupported authentication mechanism"
    c.send("CONT\t9\tYQ==\n")
    assert c.line() == "FAIL\t9\treason=Authentication request timed out"
    c.send("AUTH\t2\tPLAIN\tservice=smtp\n")
    assert c.line() == "CONT\t2\t"
    c.send("CONT\t2\tYQ==\n")
    c.send("CONT\t2\tYQ==\n")
    line = c.line()
    assert line.startswith("FAIL\t2")
    c.close()


@pytest.mark.parametrize("lines", [
    "VERSION\t2\t0\n",                                    # incompatible version
    "HELLO\n",                                            # not VERSION
    "VERSION\t1\t2\nAUTH\t1\tPLAIN\tservice=smtp\n",      # AUTH before CPID
    "VERSION\t1\t2\nCPID\t1\nFOO\t1\n",                   # unknown command
    "VERSION\t1\t2\nCPID\t1\nAUTH\t1\tPLAIN\n",           # no service
    "VERSION\t1\t2\nCPID\t1\nAUTH\tabc\tPLAIN\tservice=smtp\n",  # bad id
    "VERSION\t1\t2\nCPID\t1\nAUTH\t0\tPLAIN\tservice=smtp\n",    # id 0
    "VERSION\t1\t2\nCPID\t1\nAUTH\t1\tLOGIN\tservice=smtp\nAUTH\t1\tLOGIN\tservice=smtp\n",  # id reused
    "VERSION\t1\t2\nCPID\t1\n" + "x" * 20000 + "\n",      # line over the limit
    "VERSION\t1\t2\nCPID\t1\n" + "\t" * 100 + "\n",       # too many fields
])
def test_protocol_violations_disconnect(authd, lines):
    c = LineConn(authd.socket_path("auth-client"))
    c.lines_until("DONE")
    c.send(lines)
    assert c.closed(), c.buf
    c.close()
    # The daemon is still there for the next client.
    c2, hs = client_conn(authd.socket_path("auth-client"))
    assert hs[-1] == "DONE"
    c2.close()
    assert authd.proc.poll() is None
    assert wait_until(lambda: "; disconnecting" in authd.log, TIMEOUT), authd.log


def test_master_user_pass_list(authd):
    m, hs = master_conn(authd.socket_path("auth-userdb"))
    assert hs[0] == "VERSION\t1\t1"
    assert hs[1] == f"SPID\t{authd.proc.pid}"
    m.send("USER\t1\talice\tservice=lmtp\n")
    assert m.line() == "USER\t1\talice\tuid=1000\tgid=1000\thome=/home/alice\tmail=maildir:~/Maildir"
    m.send("USER\t2\tnobody-here\tservice=lmtp\n")
    assert m.line() == "NOTFOUND\t2"
    m.send("PASS\t3\talice\tservice=lmtp\n")
    line = m.line()
    assert line.startswith("PASS\t3\tuser=alice\t"), line
    assert "secret" not in line
    m.send("PASS\t4\tnobody-here\tservice=lmtp\n")
    assert m.line() == "NOTFOUND\t4"
    m.send("LIST\t5\n")
    assert m.lines_until("DONE\t5") == ["LIST\t5\talice", "LIST\t5\tbob", "LIST\t5\tcarol", "DONE\t5\t"]
    m.send("LIST\t6\tuser=?o*\n")
    assert m.lines_until("DONE\t6") == ["LIST\t6\tbob", "DONE\t6\t"]
    m.close()


def test_master_pipelined(authd):
    m, _ = master_conn(authd.socket_path("auth-userdb"))
    m.send("".join(f"USER\t{i}\t{'alice' if i % 2 else 'nobody-here'}\tservice=lmtp\n" for i in range(1, 11)))
    got = {}
    for _ in range(10):
        f = m.line().split("\t")
        got[int(f[1])] = f[0]
    assert got == {i: ("USER" if i % 2 else "NOTFOUND") for i in range(1, 11)}
    m.close()


@pytest.mark.parametrize("lines", [
    "USER\t1\talice\tservice=lmtp\n",           # no VERSION first
    "VERSION\t2\t0\n",
    "VERSION\t1\t1\nUSER\t7\talice\n",          # no service
    "VERSION\t1\t1\nFOO\t7\n",
    "VERSION\t1\t1\nUSER\tx\talice\tservice=lmtp\n",
    "VERSION\t1\t1\nUSER\t8\n",
])
def test_master_violations_disconnect(authd, lines):
    c = LineConn(authd.socket_path("auth-userdb"))
    assert c.line() == "VERSION\t1\t1"
    c.send(lines)
    assert c.closed()
    c.close()
    assert authd.proc.poll() is None


def test_standalone_socket_modes(authd):
    assert stat.S_IMODE(os.stat(authd.socket_path("auth-client")).st_mode) == 0o666
    assert stat.S_IMODE(os.stat(authd.socket_path("auth-userdb")).st_mode) == 0o600


def test_reload_keeps_serving_with_new_passwd_file(build_dir):
    proc = start_authd(build_dir)
    try:
        proc.wait_ready()
        other = proc.workdir / "passwd2"
        other.write_text("dave:{PLAIN}davepw::::::\n")
        (proc.workdir / "loft.conf").write_text(authd_config(proc.workdir, passwd=other))
        c, _ = client_conn(proc.socket_path("auth-client"))
        proc.proc.send_signal(1)  # SIGHUP
        assert wait_until(lambda: "new passdb/userdb settings in use" in proc.log, TIMEOUT), proc.log
        c2, _ = client_conn(proc.socket_path("auth-client"))
        c2.send(f"AUTH\t1\tPLAIN\tservice=smtp\tresp={plain('dave', 'davepw')}\n")
        assert c2.line() == "OK\t1\tuser=dave\t"
        c2.send(f"AUTH\t2\tPLAIN\tservice=smtp\tresp={plain('alice', 'secret')}\n")
        assert c2.line().startswith("FAIL\t2")
        c.close()
        c2.close()
    finally:
        proc.stop()


def test_bad_config_fails_at_start(build_dir):
    workdir = make_shared_tempdir("authd-test-")
    (workdir / "run").mkdir()
    conf = workdir / "loft.conf"
    conf.write_text(f"base_dir = {workdir}/run\npassdb {{\n  driver = no-such-driver\n}}\n")
    proc = AuthdProcess(authd_binary(build_dir), conf, workdir)
    try:
        code = proc.proc.wait(TIMEOUT)
    finally:
        proc.stop()  # also waits for the whole of its output
    assert code == 1
    assert "no-such-driver" in proc.log


def test_through_loftd_default_listeners(build_dir):
    """loftd starts loft-authd for a config with a passdb, with the default
    auth-client (0600) and auth-userdb (0660, the mail user's) sockets."""
    workdir = make_shared_tempdir("authd-loftd-")
    (workdir / "passwd").write_text(PASSWD)
    conf = workdir / "loft.conf"
    conf.write_text(f"""protocols = none
base_dir = {workdir}/run
log_path = /dev/stderr
mail_uid = nobody
mail_gid = nogroup
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = {workdir}/passwd
}}
userdb {{
  driver = passwd-file
  args = {workdir}/passwd
}}
# An empty block: the built-in listeners only.
service auth {{
}}
""")
    loftd = LoftdProcess(build_dir, workdir, ["-F", "-c", str(conf)])
    try:
        client = workdir / "run" / "auth-client"
        userdb = workdir / "run" / "auth-userdb"
        assert wait_until(lambda: client.exists() and userdb.exists()), loftd.stderr
        st = os.stat(client)
        assert stat.S_IMODE(st.st_mode) == 0o600
        assert st.st_uid == 0
        st = os.stat(userdb)
        assert stat.S_IMODE(st.st_mode) == 0o660
        if os.geteuid() == 0:
            import grp
            import pwd
            assert st.st_uid == pwd.getpwnam("nobody").pw_uid
            assert st.st_gid == grp.getgrnam("nogroup").gr_gid

        def answers():
            try:
                c, lines = client_conn(str(client))
            except OSError:
                return False
            c.close()
            return lines[-1] == "DONE"
        assert wait_until(answers), loftd.stderr
        c, _ = client_conn(str(client))
        c.send(f"AUTH\t1\tPLAIN\tservice=smtp\tresp={plain('alice', 'secret')}\n")
        assert c.line() == "OK\t1\tuser=alice\t"
        c.close()
        m, _ = master_conn(str(userdb))
        m.send("USER\t1\talice\tservice=lmtp\n")
        assert m.line().startswith("USER\t1\talice\t")
        m.close()

        # Exactly one loft-authd, whatever the number of cores.
        workers = child_pids(loftd.pid)
        assert len(workers) == 1, workers
        with open(f"/proc/{workers[0]}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        assert argv[0].endswith(b"loft-authd") or b"auth" in argv[0], argv

        # Reload: the config now names another passwd-file; the running
        # loft-authd builds a new Authenticator from it.
        (workdir / "passwd2").write_text("dave:{PLAIN}davepw:1003:1003::/home/dave::\n")
        conf.write_text(conf.read_text().replace(f"{workdir}/passwd\n", f"{workdir}/passwd2\n"))
        r = loftd.run_command("-c", str(conf), "reload")
        assert r.returncode == 0, r.stdout + r.stderr

        def dave_ok():
            c, _ = client_conn(str(client))
            c.send(f"AUTH\t1\tPLAIN\tservice=smtp\tresp={plain('dave', 'davepw')}\n")
            line = c.line()
            c.close()
            return line == "OK\t1\tuser=dave\t"
        assert wait_until(dave_ok), loftd.stderr

        # Stop: loft-authd goes with loftd.
        r = loftd.run_command("-c", str(conf), "stop")
        assert r.returncode == 0, r.stdout + r.stderr
        assert wait_until(lambda: not os.path.exists(f"/proc/{workers[0]}")), loftd.stderr
    finally:
        loftd.kill_all()
        shutil.rmtree(workdir, ignore_errors=True)


def vm_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def flood(conn: LineConn, request: bytes, total: int) -> int:
    """Writes `request` repeatedly (up to `total` bytes) without reading the
    replies; stops when the server no longer reads (the send times out).
    Returns the bytes written."""
    chunk = request * (1024 * 1024 // len(request))
    conn.sock.settimeout(3)
    sent = 0
    try:
        while sent < total:
            sent += conn.sock.send(chunk)
    except (socket.timeout, BlockingIOError):
        pass
    return sent


def test_client_that_never_reads_keeps_memory_bounded(authd):
    """A client writing requests without reading the replies: loft-authd
    stops reading it once 64 KB of replies are unsent (docs/authd.md
    "Limits"), so its memory stays bounded, and it still serves others."""
    c, _ = client_conn(authd.socket_path("auth-client"))
    # Measured against the daemon's own footprint before the flood, which
    # is much larger under AddressSanitizer (shadow memory, quarantine).
    before = vm_rss_kib(authd.proc.pid)
    # Each CONT for an unknown id is answered with a FAIL line.
    flood(c, b"CONT\t7\t=\n", 200 * 1024 * 1024)
    # Without the limit, 200 MB of CONT lines grew loft-authd past 3 GB.
    assert vm_rss_kib(authd.proc.pid) - before < 64 * 1024
    other, _ = client_conn(authd.socket_path("auth-client"))
    other.send(f"AUTH\t1\tPLAIN\tservice=smtp\tresp={plain('alice', 'secret')}\n")
    assert other.line() == "OK\t1\tuser=alice\t"
    other.close()
    c.close()
    assert authd.proc.poll() is None


def test_master_list_streams_to_a_slow_reader(build_dir):
    """LIST of 60,000 users goes out in batches as the client reads: every
    user once, in the userdb's order, then DONE; other requests of other
    connections are answered while the lister has not read anything."""
    users = [f"user{i:05d}" for i in range(60000)]
    passwd = "".join(f"{u}:{{PLAIN}}x:1000:1000::/home/{u}::\n" for u in users)
    proc = start_authd(build_dir, passwd_text=passwd)
    try:
        proc.wait_ready()
        m, _ = master_conn(proc.socket_path("auth-userdb"))
        m.send("LIST\t5\n")
        other, _ = master_conn(proc.socket_path("auth-userdb"))
        other.send("USER\t1\tuser00042\tservice=lmtp\n")
        assert other.line() == "USER\t1\tuser00042\tuid=1000\tgid=1000\thome=/home/user00042"
        other.close()
        got = m.lines_until("DONE\t5")
        assert got[-1] == "DONE\t5\t"
        assert got[:-1] == [f"LIST\t5\t{u}" for u in users]
        m.send("USER\t6\tuser59999\tservice=lmtp\n")
        assert m.line().startswith("USER\t6\tuser59999\t")
        m.close()
    finally:
        proc.stop()


PROXY_PASSWD = PASSWD + """\
dave:{PLAIN}pw:1003:1003::/home/dave::proxy=y host=10.0.0.2 port=1143 destuser=dave2 nologin reason=Moved
erin:{PLAIN}pw:1004:1004::/home/erin::proxy_maybe=y host=10.0.0.3 nologin reason=Referral
fred:{PLAIN}pw:1005:1005::/home/fred::nodelay=y nologin host=mail2.example.com port=1143 destuser=fred2 reason=Moved allow_nets=0.0.0.0/0
"""


def test_proxy_with_nologin_is_ok_with_its_fields(build_dir):
    """proxy/proxy_maybe with nologin is Dovecot's way to proxy or refer a
    user: OK with every field (nologin and reason included) for the login
    process to act on. nologin without proxy stays a FAIL."""
    proc = start_authd(build_dir, passwd_text=PROXY_PASSWD)
    try:
        proc.wait_ready()
        c, _ = client_conn(proc.socket_path("auth-client"))
        c.send(f"AUTH\t1\tPLAIN\tservice=imap\tresp={plain('dave', 'pw')}\n")
        assert c.line() == ("OK\t1\tuser=dave\tproxy=y\thost=10.0.0.2\tport=1143\tdestuser=dave2"
                            "\tnologin\treason=Moved")
        c.send(f"AUTH\t2\tPLAIN\tservice=imap\tresp={plain('erin', 'pw')}\n")
        assert c.line() == "OK\t2\tuser=erin\tproxy_maybe=y\thost=10.0.0.3\tnologin\treason=Referral"
        c.send(f"AUTH\t3\tPLAIN\tservice=imap\tresp={plain('bob', 'pw')}\n")
        assert c.line() == "FAIL\t3\tuser=bob\tnologin\treason=Suspended"
        c.send(f"AUTH\t4\tPLAIN\tservice=imap\tresp={plain('dave', 'wrong')}\n")
        assert fail_id(c.line()) == 4
        c.close()
    finally:
        proc.stop()


def test_nologin_fail_carries_the_passdb_fields(build_dir):
    """nologin without proxy: FAIL with the passdb's fields (nologin, host,
    port, destuser) before reason=, for the login process's RFC 2221
    referral; never the password, nodelay or allow_nets. A wrong password
    gets no fields."""
    proc = start_authd(build_dir, passwd_text=PROXY_PASSWD)
    try:
        proc.wait_ready()
        c, _ = client_conn(proc.socket_path("auth-client"))
        c.send(f"AUTH\t1\tPLAIN\tservice=imap\tresp={plain('fred', 'pw')}\n")
        assert c.line() == ("FAIL\t1\tuser=fred\tnologin\thost=mail2.example.com\tport=1143"
                            "\tdestuser=fred2\treason=Moved")
        c.send(f"AUTH\t2\tPLAIN\tservice=imap\tresp={plain('fred', 'wrong')}\n")
        assert c.line() == "FAIL\t2\tuser=fred"
        c.close()
    finally:
        proc.stop()


def scram_plus(c: LineConn, rid: int, params: str, password: str, cb_type: str, cb_data: bytes) -> str:
    """SCRAM-SHA-256-PLUS (RFC 5802 §6, RFC 9266) for alice, binding to
    `cb_data`; returns the final reply line (or the first that is not CONT)."""
    gs2 = f"p={cb_type},,"
    bare = "n=alice,r=plusnonce"
    c.send(f"AUTH\t{rid}\tSCRAM-SHA-256-PLUS\tservice=imap\t{params}resp={b64((gs2 + bare).encode())}\n")
    line = c.line()
    if not line.startswith("CONT"):
        return line
    server_first = base64.b64decode(line.split("\t")[2]).decode()
    attrs = dict(a.split("=", 1) for a in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    without_proof = f"c={b64(gs2.encode() + cb_data)},r={attrs['r']}"
    auth_message = f"{bare},{server_first},{without_proof}".encode()
    proof = bytes(a ^ b for a, b in zip(client_key, hmac.new(stored_key, auth_message, "sha256").digest()))
    c.send(f"CONT\t{rid}\t{b64((without_proof + ',p=' + b64(proof)).encode())}\n")
    reply = c.line()
    if reply.startswith("OK"):
        server_key = hmac.new(salted, b"Server Key", "sha256").digest()
        fields = dict(f.split("=", 1) for f in reply.split("\t")[2:] if "=" in f)
        assert base64.b64decode(fields["resp"]) == b"v=" + base64.b64encode(
            hmac.new(server_key, auth_message, "sha256").digest()), reply
    return reply


def test_scram_plus_not_announced_but_usable_with_channel_binding(build_dir):
    """-PLUS mechanisms are not in the MECH lines (Postfix cannot bind to
    TLS and would offer them to SMTP clients), but an AUTH carrying Loft's
    channel_binding_type/channel_binding parameters can use them."""
    proc = start_authd(build_dir, mechanisms="plain scram-sha-256 scram-sha-256-plus")
    try:
        proc.wait_ready()
        c, hs = client_conn(proc.socket_path("auth-client"))
        mechs = [l for l in hs if l.startswith("MECH\t")]
        assert [m.split("\t")[1] for m in mechs] == ["PLAIN", "SCRAM-SHA-256"], hs
        cb = bytes(range(32))
        params = f"channel_binding_type=tls-exporter\tchannel_binding={b64(cb)}\t"
        assert scram_plus(c, 1, params, "secret", "tls-exporter", cb).startswith("OK\t1\tuser=alice\t")
        # The proof binds to other data than the connection's: refused.
        assert scram_plus(c, 2, params, "secret", "tls-exporter", bytes(32)).startswith("FAIL\t2")
        # A type the connection does not have.
        assert scram_plus(c, 3, params, "secret", "tls-unique", cb).startswith("FAIL\t3")
        # Without channel binding parameters -PLUS cannot work.
        assert scram_plus(c, 4, "", "secret", "tls-exporter", cb).startswith("FAIL\t4")
        # Broken parameters.
        c.send("AUTH\t5\tSCRAM-SHA-256-PLUS\tservice=imap\tchannel_binding=AAAA\n")
        assert c.line() == ("FAIL\t5\treason=Invalid channel binding "
                            "(channel_binding_type and base64 channel_binding)")
        c.send("AUTH\t6\tSCRAM-SHA-256-PLUS\tservice=imap\tchannel_binding_type=tls-exporter\t"
               "channel_binding=!!\n")
        assert c.line().startswith("FAIL\t6\treason=Invalid channel binding")
        c.close()
    finally:
        proc.stop()


def thread_count(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError(f"no Threads for {pid}")


def test_pool_threads_follow_auth_worker_max_count(build_dir):
    """Each passdb/userdb call holds a pool thread; the pool has
    auth_worker_max_count threads (default 30, as Dovecot's auth workers)."""
    counts = {}
    for setting in ("", "auth_worker_max_count = 5", "auth_worker_max_count = 12"):
        proc = start_authd(build_dir, extra=setting)
        try:
            proc.wait_ready()
            counts[setting] = thread_count(proc.proc.pid)
        finally:
            proc.stop()
    assert counts["auth_worker_max_count = 12"] - counts["auth_worker_max_count = 5"] == 7, counts
    assert counts[""] - counts["auth_worker_max_count = 5"] == 25, counts


def test_builtin_default_runs_authd_for_the_demo_user(build_dir, workdir, start_loftd):
    """loftd on its built-in default (`make run`) has a passwd-file passdb,
    so it runs loft-authd, and `loftadm -a <base_dir>` logs the demo user in
    through it."""
    from test_loftd import builtin_ports_free, system_config
    conf = system_config(build_dir)
    if conf and conf.exists():
        pytest.skip(f"{conf} exists and would be used instead of the built-in default")
    if not builtin_ports_free():
        pytest.skip("a built-in default port is in use (is `make run` running?)")
    loftd = start_loftd(None)
    m = loftd.wait_for_output(r"Demo login: demo / (\S+)")
    assert m, loftd.output
    base_dir = workdir / "var" / "run"
    assert f"  auth:  auth-client on {base_dir}/auth-client" in loftd.stdout, loftd.stdout
    assert wait_until(lambda: os.path.exists(base_dir / "auth-client")), loftd.output
    loftadm = str(build_dir / "daemons" / "loftadm" / "loftadm")
    empty = workdir / "empty.conf"
    empty.write_text("")

    def auth_test(password):
        return subprocess.run([loftadm, "-c", str(empty), "-a", str(base_dir), "auth", "test", "demo", password],
                              capture_output=True, text=True, timeout=60)
    out = auth_test(m.group(1))
    assert out.returncode == 0, out.stdout + out.stderr + loftd.output
    assert out.stdout.startswith("passdb: demo auth succeeded\n"), out.stdout
    out = auth_test("wrong")
    assert out.returncode == 77, out.stdout + out.stderr
    assert "unexpectedly" not in loftd.output, loftd.output


def test_fail_lines_name_the_attempted_user(authd):
    """FAIL carries user= with the attempted name after auth_username_format
    (%Lu), as Dovecot's do, whether the user exists or not."""
    c, _ = client_conn(authd.socket_path("auth-client"))
    c.send(f"AUTH\t1\tPLAIN\tservice=smtp\tresp={plain('Alice', 'wrong')}\n")
    assert c.line() == "FAIL\t1\tuser=alice"
    c.send(f"AUTH\t2\tPLAIN\tservice=smtp\tresp={plain('nobody-here', 'x')}\n")
    assert c.line() == "FAIL\t2\tuser=nobody-here"
    c.send(f"AUTH\t3\tPLAIN\tservice=smtp\tresp={plain('bob', 'pw')}\n")
    assert c.line() == "FAIL\t3\tuser=bob\tnologin\treason=Suspended"
    c.close()
