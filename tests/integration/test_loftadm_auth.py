"""loftadm auth test / auth lookup against real passdbs: a passwd-file with
the book's examples and a master user, an SQLite database made with the
sqlite3 CLI (and then removed: a temporary failure, never "unknown user"),
and a temporary system user (shadow and PAM)."""
import os
import pwd
import subprocess
import uuid

import pytest

PASSWD = (
    "bla@example.org:{PLAIN}test:10000:10000::/srv/vmail/example.org/bla::"
    "userdb_mail=maildir:~/Maildir userdb_quota_rule=*:storage=200M\n"
    "klaus@example.com:{PLAIN}test:10000:10000::/srv/vmail/example.com/klaus::"
    "proxy_maybe=y host=10.152.188.113\n"
    "nolog@example.org:{PLAIN}test:10000:10000::/srv/vmail/example.org/nolog::nologin reason=Disabled\n"
    "susi@example.com:{SHA256}n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=:10000:10000::"
    "/srv/vmail/example.com/susi::\n"
)
MASTERS = "adminuser:{PLAIN}secretsecret\n"


@pytest.fixture(scope="module")
def loftadm(build_dir):
    exe = build_dir / "daemons" / "loftadm" / "loftadm"
    if not exe.exists():
        pytest.fail(f"{exe} not built")
    return str(exe)


def run(args, stdin=""):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=60)


@pytest.fixture
def passwd_conf(tmp_path):
    (tmp_path / "passwd").write_text(PASSWD)
    (tmp_path / "master-users").write_text(MASTERS)
    conf = tmp_path / "loft.conf"
    conf.write_text(f"""auth_master_user_separator = *
passdb {{
  driver = passwd-file
  master = yes
  args = {tmp_path}/master-users
  pass = yes
}}
passdb {{
  driver = passwd-file
  args = {tmp_path}/passwd
}}
userdb {{
  driver = passwd-file
  args = {tmp_path}/passwd
}}
""")
    return str(conf)


def test_auth_test_succeeds(loftadm, passwd_conf):
    out = run([loftadm, "-c", passwd_conf, "auth", "test", "bla@example.org", "test"])
    assert out.returncode == 0, out.stderr
    assert out.stdout == "passdb: bla@example.org auth succeeded\nextra fields:\n  user=bla@example.org\n"
    # A hashed password (the book's SHA256 vector for "test").
    out = run([loftadm, "-c", passwd_conf, "auth", "test", "susi@example.com", "test"])
    assert out.returncode == 0, out.stderr


def test_auth_test_password_from_stdin(loftadm, passwd_conf):
    out = run([loftadm, "-c", passwd_conf, "auth", "test", "bla@example.org"], stdin="test\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("passdb: bla@example.org auth succeeded\n")
    out = run([loftadm, "-c", passwd_conf, "auth", "test", "bla@example.org"], stdin="")
    assert out.returncode == 64
    assert out.stdout == ""


def test_auth_test_failures(loftadm, passwd_conf):
    out = run([loftadm, "-c", passwd_conf, "auth", "test", "bla@example.org", "wrong"])
    assert out.returncode == 77
    assert out.stdout == "passdb: bla@example.org auth failed\nextra fields:\n  user=bla@example.org\n"
    # An unknown user looks exactly like a wrong password.
    out = run([loftadm, "-c", passwd_conf, "auth", "test", "nobody@example.org", "test"])
    assert out.returncode == 77
    assert out.stdout == "passdb: nobody@example.org auth failed\nextra fields:\n  user=nobody@example.org\n"


def test_auth_test_nologin_shows_reason(loftadm, passwd_conf):
    out = run([loftadm, "-c", passwd_conf, "auth", "test", "nolog@example.org", "test"])
    assert out.returncode == 77
    lines = out.stdout.splitlines()
    assert lines[:3] == ["passdb: nolog@example.org auth failed", "extra fields:", "  user=nolog@example.org"]
    assert "  nologin" in lines
    assert "  reason=Disabled" in lines


def test_auth_test_proxy_fields(loftadm, passwd_conf):
    # The book's scenario 9.
    out = run([loftadm, "-c", passwd_conf, "auth", "test", "klaus@example.com", "test"])
    assert out.returncode == 0, out.stderr
    assert out.stdout == ("passdb: klaus@example.com auth succeeded\nextra fields:\n"
                          "  user=klaus@example.com\n  proxy_maybe=y\n  host=10.152.188.113\n")


def test_auth_test_master_user(loftadm, passwd_conf):
    # The book's scenario 8: the target user with the master's password.
    out = run([loftadm, "-c", passwd_conf, "auth", "test", "bla@example.org*adminuser", "secretsecret"])
    assert out.returncode == 0, out.stderr
    assert out.stdout == ("passdb: bla@example.org*adminuser auth succeeded\nextra fields:\n"
                          "  user=bla@example.org\n  original_user=adminuser\n  auth_user=adminuser\n")
    # -M builds the same login from the separator in the config.
    out2 = run([loftadm, "-c", passwd_conf, "auth", "test", "-M", "adminuser", "bla@example.org", "secretsecret"])
    assert (out2.returncode, out2.stdout) == (0, out.stdout)
    # The target's own password is not the master's.
    out = run([loftadm, "-c", passwd_conf, "auth", "test", "bla@example.org*adminuser", "test"])
    assert out.returncode == 77
    assert out.stdout.startswith("passdb: bla@example.org*adminuser auth failed\n")
    # pass = yes: the target must exist in the regular passdb.
    out = run([loftadm, "-c", passwd_conf, "auth", "test", "test@example.com*adminuser", "secretsecret"])
    assert out.returncode == 77
    assert out.stdout.startswith("passdb: test@example.com*adminuser auth failed\nextra fields:\n"
                                 "  user=test@example.com\n")


def test_auth_test_request_fields(loftadm, passwd_conf):
    out = run([loftadm, "-c", passwd_conf, "auth", "test", "-x", "service=imap", "-x", "rip=127.0.0.1",
               "-x", "lip=127.0.0.1", "-x", "rport=40000", "-x", "secured", "bla@example.org", "test"])
    assert out.returncode == 0, out.stderr
    out = run([loftadm, "-c", passwd_conf, "auth", "test", "-x", "colour=blue", "bla@example.org", "test"])
    assert (out.returncode, out.stdout) == (64, "")
    assert out.stderr.startswith("Error: unknown -x field 'colour'")
    out = run([loftadm, "-c", passwd_conf, "auth", "test", "-x", "rport=99999", "bla@example.org", "test"])
    assert (out.returncode, out.stderr) == (64, "Error: bad port in -x rport=99999\n")


def test_auth_lookup(loftadm, passwd_conf):
    out = run([loftadm, "-c", passwd_conf, "auth", "lookup", "klaus@example.com"])
    assert out.returncode == 0, out.stderr
    assert out.stdout == ("passdb: klaus@example.com\n"
                          "  user      : klaus@example.com\n"
                          "  proxy_maybe: y\n"
                          "  host      : 10.152.188.113\n")
    out = run([loftadm, "-c", passwd_conf, "auth", "lookup", "klaus@example.com", "nolog@example.org"])
    assert out.returncode == 0
    assert out.stdout.endswith("\n\npassdb: nolog@example.org\n"
                               "  user      : nolog@example.org\n"
                               "  nologin   \n"
                               "  reason    : Disabled\n")
    out = run([loftadm, "-c", passwd_conf, "auth", "lookup", "-f", "host", "klaus@example.com"])
    assert (out.returncode, out.stdout) == (0, "10.152.188.113\n")


def test_auth_lookup_unknown_user(loftadm, passwd_conf):
    out = run([loftadm, "-c", passwd_conf, "auth", "lookup", "nobody@example.org"])
    assert (out.returncode, out.stdout) == (67, "passdb lookup: user nobody@example.org doesn't exist\n")
    out = run([loftadm, "-c", passwd_conf, "auth", "lookup", "nobody@example.org", "bla@example.org"])
    assert out.returncode == 67
    assert out.stdout.startswith("passdb lookup: user nobody@example.org doesn't exist\npassdb: bla@example.org\n")


def test_usage_and_config_errors(loftadm, passwd_conf, tmp_path):
    assert run([loftadm, "-c", passwd_conf, "auth", "test"]).returncode == 64
    assert run([loftadm, "-c", passwd_conf, "auth", "test", "a", "b", "c"]).returncode == 64
    assert run([loftadm, "-c", passwd_conf, "auth"]).returncode == 64
    assert run([loftadm, "-c", passwd_conf, "auth", "lookup"]).returncode == 64
    out = run([loftadm, "-c", str(tmp_path / "missing.conf"), "auth", "test", "a", "b"])
    assert (out.returncode, out.stdout) == (78, "")
    assert out.stderr.startswith("Error: ") and "missing.conf" in out.stderr
    bad = tmp_path / "bad.conf"
    bad.write_text("passdb {\n  driver = no-such-driver\n}\n")
    out = run([loftadm, "-c", str(bad), "auth", "test", "a", "b"])
    assert (out.returncode, out.stdout) == (78, "")
    assert "bad.conf:1" in out.stderr or "bad.conf:2" in out.stderr


# --- SQLite ---------------------------------------------------------------

SQL_SCHEMA = """
CREATE TABLE users (userid TEXT PRIMARY KEY, password TEXT, home TEXT, uid INTEGER, gid INTEGER,
                    quota TEXT, host TEXT);
INSERT INTO users VALUES ('ann@example.net', '{PLAIN}annpass', '/srv/vmail/example.net/ann', 10000, 10000,
                          '*:storage=1G', NULL);
INSERT INTO users VALUES ('ben@example.net', '{SHA256}n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=',
                          '/srv/vmail/example.net/ben', 10001, 10001, NULL, '10.0.0.9');
"""


@pytest.fixture
def sql_conf(tmp_path):
    db = tmp_path / "users.sqlite"
    made = subprocess.run(["sqlite3", str(db)], input=SQL_SCHEMA, capture_output=True, text=True, timeout=30)
    assert made.returncode == 0, made.stderr
    (tmp_path / "sql.conf.ext").write_text(f"""driver = sqlite
connect = {db}
password_query = SELECT userid AS user, password, host FROM users WHERE userid = '%u'
user_query = SELECT home, uid, gid, quota AS quota_rule FROM users WHERE userid = '%u'
iterate_query = SELECT userid AS user FROM users ORDER BY userid
""")
    conf = tmp_path / "loft.conf"
    conf.write_text(f"""passdb {{
  driver = sql
  args = {tmp_path}/sql.conf.ext
}}
userdb {{
  driver = sql
  args = {tmp_path}/sql.conf.ext
}}
""")
    return str(conf), db


def test_sqlite_auth_test(loftadm, sql_conf):
    conf, _ = sql_conf
    out = run([loftadm, "-c", conf, "auth", "test", "ann@example.net", "annpass"])
    assert (out.returncode, out.stdout) == (0, "passdb: ann@example.net auth succeeded\nextra fields:\n"
                                               "  user=ann@example.net\n"), out.stderr
    out = run([loftadm, "-c", conf, "auth", "test", "ben@example.net", "test"])
    assert out.returncode == 0, out.stderr
    assert "  host=10.0.0.9\n" in out.stdout
    out = run([loftadm, "-c", conf, "auth", "test", "ann@example.net", "wrong"])
    assert out.returncode == 77
    out = run([loftadm, "-c", conf, "auth", "test", "zed@example.net", "annpass"])
    assert out.returncode == 77


def test_sqlite_auth_lookup(loftadm, sql_conf):
    conf, _ = sql_conf
    out = run([loftadm, "-c", conf, "auth", "lookup", "ben@example.net"])
    assert (out.returncode, out.stdout) == (0, "passdb: ben@example.net\n  user      : ben@example.net\n"
                                               "  host      : 10.0.0.9\n"), out.stderr
    out = run([loftadm, "-c", conf, "auth", "lookup", "zed@example.net"])
    assert (out.returncode, out.stdout) == (67, "passdb lookup: user zed@example.net doesn't exist\n")


def test_sqlite_unreachable_is_temporary(loftadm, sql_conf):
    conf, db = sql_conf
    os.unlink(db)
    out = run([loftadm, "-c", conf, "auth", "test", "ann@example.net", "annpass"])
    assert out.returncode == 75, out.stdout + out.stderr
    assert out.stdout == ("passdb: ann@example.net auth failed\nextra fields:\n"
                          "  user=ann@example.net\n  temp\n")
    out = run([loftadm, "-c", conf, "auth", "lookup", "ann@example.net"])
    assert (out.returncode, out.stdout) == (75, "")
    assert "Error: passdb lookup failed for ann@example.net: " in out.stderr
    assert not os.path.exists(db)  # a lookup must not create the database


# --- System users -----------------------------------------------------------

@pytest.fixture
def system_user(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to create a system user")
    name = "lofta" + uuid.uuid4().hex[:8]
    subprocess.run(["useradd", "-M", "-d", f"/nonexistent/{name}", "-s", "/usr/sbin/nologin", name],
                   check=True, timeout=30)
    try:
        subprocess.run(["chpasswd"], input=f"{name}:Sys-Pass-1\n", text=True, check=True, timeout=30)
        yield name
    finally:
        subprocess.run(["userdel", name], timeout=30)


def system_conf(tmp_path, passdb_driver):
    conf = tmp_path / f"{passdb_driver}.conf"
    conf.write_text(f"""passdb {{
  driver = {passdb_driver}
}}
userdb {{
  driver = passwd
}}
""")
    return str(conf)


@pytest.mark.parametrize("driver", ["shadow", "pam"])
def test_system_user_auth_test(loftadm, tmp_path, system_user, driver):
    conf = system_conf(tmp_path, driver)
    out = run([loftadm, "-c", conf, "auth", "test", system_user, "Sys-Pass-1"])
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith(f"passdb: {system_user} auth succeeded\nextra fields:\n  user={system_user}\n")
    out = run([loftadm, "-c", conf, "auth", "test", system_user, "wrong"])
    assert out.returncode == 77
    assert out.stdout.startswith(f"passdb: {system_user} auth failed\n")


def test_system_user_lookup_is_known(loftadm, tmp_path, system_user):
    conf = system_conf(tmp_path, "shadow")
    out = run([loftadm, "-c", conf, "auth", "lookup", system_user])
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"passdb: {system_user}\n  user      : {system_user}\n")
    assert pwd.getpwnam(system_user)  # still there until the fixture removes it


# --- Through loft-authd (-a) --------------------------------------------------

@pytest.fixture
def authd(build_dir):
    authd_util = pytest.importorskip("authd_util")
    proc = authd_util.start_authd(build_dir, passwd_text=PASSWD)
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()


def test_socket_auth_test(loftadm, authd, tmp_path):
    empty = tmp_path / "empty.conf"
    empty.write_text("")
    run_dir = str(authd.workdir / "run")
    for where in (run_dir, authd.socket_path("auth-client")):
        out = run([loftadm, "-c", str(empty), "-a", where, "auth", "test", "bla@example.org", "test"])
        assert out.returncode == 0, out.stdout + out.stderr + authd.log
        assert out.stdout.startswith("passdb: bla@example.org auth succeeded\nextra fields:\n"
                                     "  user=bla@example.org\n")
    out = run([loftadm, "-c", str(empty), "-a", run_dir, "auth", "test", "bla@example.org", "wrong"])
    assert out.returncode == 77
    assert out.stdout.startswith("passdb: bla@example.org auth failed\n")
    out = run([loftadm, "-c", str(empty), "-a", run_dir, "auth", "test", "nolog@example.org", "test"])
    assert out.returncode == 77
    assert "  reason=Disabled\n" in out.stdout


def test_socket_auth_lookup(loftadm, authd, tmp_path):
    empty = tmp_path / "empty.conf"
    empty.write_text("")
    run_dir = str(authd.workdir / "run")
    out = run([loftadm, "-c", str(empty), "-a", run_dir, "auth", "lookup", "klaus@example.com"])
    assert out.returncode == 0, out.stdout + out.stderr + authd.log
    assert out.stdout.startswith("passdb: klaus@example.com\n  user      : klaus@example.com\n")
    assert "  host      : 10.152.188.113\n" in out.stdout
    assert "test" not in out.stdout  # never the password
    out = run([loftadm, "-c", str(empty), "-a", authd.socket_path("auth-userdb"), "auth", "lookup", "x@y"])
    assert (out.returncode, out.stdout) == (67, "passdb lookup: user x@y doesn't exist\n")


def test_socket_unreachable(loftadm, tmp_path):
    empty = tmp_path / "empty.conf"
    empty.write_text("")
    out = run([loftadm, "-c", str(empty), "-a", str(tmp_path / "nothing"), "auth", "test", "a", "b"])
    assert (out.returncode, out.stdout) == (78, "")
    assert out.stderr == f"Error: -a {tmp_path}/nothing: no such socket or directory\n"
    sock_dir = tmp_path / "run"
    sock_dir.mkdir()
    out = run([loftadm, "-c", str(empty), "-a", str(sock_dir), "auth", "lookup", "a"])
    assert (out.returncode, out.stdout) == (75, "")
    assert out.stderr.startswith("Error: passdb lookup failed for a: ")


# --- The plaintext policy (disable_plaintext_auth = yes, the default) ----------
# loftadm's requests are secured unless -x says otherwise: the auth framework
# does not count a request without a remote IP as local.

PLAINTEXT_REFUSED = "  reason=Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\n"


def check_plaintext_policy(base_args):
    def auth_test(*xs):
        args = list(base_args) + ["auth", "test"]
        for x in xs:
            args += ["-x", x]
        return run(args + ["bla@example.org", "test"])

    for xs in ((), ("service=imap",), ("secured",), ("secured=yes",), ("rip=10.0.0.1", "secured"),
               ("secured", "rip=10.0.0.1")):  # either order
        out = auth_test(*xs)
        assert (out.returncode, out.stdout) == (0, "passdb: bla@example.org auth succeeded\nextra fields:\n"
                                                   "  user=bla@example.org\n"), (xs, out.stderr)
    for xs in (("secured=no",), ("secured=0",), ("rip=10.0.0.1",), ("rip=10.0.0.1", "secured=no"),
               ("secured=yes", "secured=no")):
        out = auth_test(*xs)
        assert out.returncode == 77, (xs, out.stdout, out.stderr)
        assert out.stdout.startswith("passdb: bla@example.org auth failed\nextra fields:\n"), xs
        assert PLAINTEXT_REFUSED in out.stdout, (xs, out.stdout)
    out = auth_test("secured=maybe")
    assert (out.returncode, out.stdout, out.stderr) == (
        64, "", "Error: bad value in -x secured=maybe (yes or no)\n")


def test_plaintext_policy_in_process(loftadm, passwd_conf):
    with open(passwd_conf, "a") as f:
        f.write("disable_plaintext_auth = yes\n")
    check_plaintext_policy([loftadm, "-c", passwd_conf])


@pytest.fixture
def authd_plaintext_policy(build_dir):
    authd_util = pytest.importorskip("authd_util")
    proc = authd_util.start_authd(build_dir, passwd_text=PASSWD, extra="disable_plaintext_auth = yes")
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()


def test_plaintext_policy_socket(loftadm, authd_plaintext_policy, tmp_path):
    empty = tmp_path / "empty.conf"
    empty.write_text("")
    run_dir = str(authd_plaintext_policy.workdir / "run")
    check_plaintext_policy([loftadm, "-c", str(empty), "-a", run_dir])
