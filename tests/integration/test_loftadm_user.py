"""loftadm user: userdb lookups and user listing against a passwd-file, an
SQLite database made with the sqlite3 CLI (removed: exit 75, never 67), and
a temporary system user (userdb passwd)."""
import os
import pwd
import subprocess
import uuid

import pytest

PASSWD = (
    "bla@example.org:{PLAIN}test:10000:10000::/srv/vmail/example.org/bla::"
    "userdb_mail=maildir:~/Maildir userdb_quota_rule=*:storage=200M\n"
    "klaus@example.com:{PLAIN}test:10000:10000::/srv/vmail/example.com/klaus::\n"
    "susi@example.com:{PLAIN}test:10000:10000::/srv/vmail/example.com/susi::\n"
    "micha@example.com:{PLAIN}test:10001:10002::/srv/vmail/example.com/micha::\n"
)


@pytest.fixture(scope="module")
def loftadm(build_dir):
    exe = build_dir / "daemons" / "loftadm" / "loftadm"
    if not exe.exists():
        pytest.fail(f"{exe} not built")
    return str(exe)


def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.fixture
def conf(tmp_path):
    (tmp_path / "passwd").write_text(PASSWD)
    path = tmp_path / "loft.conf"
    path.write_text(f"""passdb {{
  driver = passwd-file
  args = {tmp_path}/passwd
}}
userdb {{
  driver = passwd-file
  args = {tmp_path}/passwd
}}
""")
    return str(path)


def test_user_table(loftadm, conf):
    # The book's scenario 10, in doveadm 2.3.19's table form.
    out = run([loftadm, "-c", conf, "user", "bla@example.org"])
    assert out.returncode == 0, out.stderr
    assert out.stdout == ("field\tvalue\n"
                          "uid\t10000\n"
                          "gid\t10000\n"
                          "home\t/srv/vmail/example.org/bla\n"
                          "mail\tmaildir:~/Maildir\n"
                          "quota_rule\t*:storage=200M\n")


def test_user_table_without_mail_field(loftadm, conf):
    out = run([loftadm, "-c", conf, "user", "micha@example.com"])
    assert out.returncode == 0, out.stderr
    assert out.stdout == "field\tvalue\nuid\t10001\ngid\t10002\nhome\t/srv/vmail/example.com/micha\nmail\t\n"


def test_user_several(loftadm, conf):
    out = run([loftadm, "-c", conf, "user", "klaus@example.com", "micha@example.com"])
    assert out.returncode == 0
    assert out.stdout == ("field\tvalue\nuid\t10000\ngid\t10000\nhome\t/srv/vmail/example.com/klaus\nmail\t\n"
                          "\nuid\t10001\ngid\t10002\nhome\t/srv/vmail/example.com/micha\nmail\t\n")


def test_user_userdb_form(loftadm, conf):
    out = run([loftadm, "-c", conf, "user", "-u", "bla@example.org"])
    assert out.returncode == 0, out.stderr
    assert out.stdout == ("userdb: bla@example.org\n"
                          "  user      : bla@example.org\n"
                          "  uid       : 10000\n"
                          "  gid       : 10000\n"
                          "  home      : /srv/vmail/example.org/bla\n"
                          "  mail      : maildir:~/Maildir\n"
                          "  quota_rule: *:storage=200M\n")


def test_user_field(loftadm, conf):
    out = run([loftadm, "-c", conf, "user", "-f", "home", "bla@example.org"])
    assert (out.returncode, out.stdout) == (0, "/srv/vmail/example.org/bla\n")
    out = run([loftadm, "-c", conf, "user", "-f", "gid", "micha@example.com"])
    assert (out.returncode, out.stdout) == (0, "10002\n")
    # A field the user does not have prints nothing, as doveadm.
    out = run([loftadm, "-c", conf, "user", "-f", "nosuchfield", "bla@example.org"])
    assert (out.returncode, out.stdout) == (0, "")
    out = run([loftadm, "-c", conf, "user", "-f", "home", "ghost@example.com"])
    assert (out.returncode, out.stdout) == (67, "userdb lookup: user ghost@example.com doesn't exist\n")


def test_user_expand(loftadm, conf):
    out = run([loftadm, "-c", conf, "user", "-e", "%h/sieve %n at %d uid=%{uid}", "bla@example.org"])
    assert (out.returncode, out.stdout) == (0, "/srv/vmail/example.org/bla/sieve bla at example.org uid=10000\n")
    out = run([loftadm, "-c", conf, "user", "-e", "%{nosuch", "bla@example.org"])
    assert (out.returncode, out.stdout) == (64, "")
    assert out.stderr.startswith("Error: -e: ")


def test_unknown_user_exits_67(loftadm, conf):
    # The book's cleanup script: `if doveadm user $USER; then ...`.
    out = run([loftadm, "-c", conf, "user", "ghost@example.com"])
    assert (out.returncode, out.stdout) == (67, "userdb lookup: user ghost@example.com doesn't exist\n")
    out = run([loftadm, "-c", conf, "user", "-u", "ghost@example.com"])
    assert (out.returncode, out.stdout) == (67, "userdb lookup: user ghost@example.com doesn't exist\n")
    out = run([loftadm, "-c", conf, "user", "ghost@example.com", "bla@example.org"])
    assert out.returncode == 67
    assert out.stdout.startswith("userdb lookup: user ghost@example.com doesn't exist\nfield\tvalue\nuid\t10000\n")


def test_list_users(loftadm, conf):
    # The book's scenario 11: one user per line, in the userdb's order.
    out = run([loftadm, "-c", conf, "user", "*"])
    assert out.returncode == 0, out.stderr
    assert out.stdout == "bla@example.org\nklaus@example.com\nsusi@example.com\nmicha@example.com\n"
    out = run([loftadm, "-c", conf, "user", "*@example.com"])
    assert (out.returncode, out.stdout) == (0, "klaus@example.com\nsusi@example.com\nmicha@example.com\n")
    out = run([loftadm, "-c", conf, "user", "?u*"])
    assert (out.returncode, out.stdout) == (0, "susi@example.com\n")
    out = run([loftadm, "-c", conf, "user", "nomatch*"])
    assert (out.returncode, out.stdout) == (0, "")


def test_usage(loftadm, conf):
    assert run([loftadm, "-c", conf, "user"]).returncode == 64
    out = run([loftadm, "-c", conf, "user", "-x", "foo=bar", "bla@example.org"])
    assert (out.returncode, out.stdout) == (64, "")


# --- SQLite ---------------------------------------------------------------

SQL_SCHEMA = """
CREATE TABLE users (userid TEXT PRIMARY KEY, password TEXT, home TEXT, uid INTEGER, gid INTEGER, quota TEXT);
INSERT INTO users VALUES ('ann@example.net', '{PLAIN}annpass', '/srv/vmail/example.net/ann', 10000, 10000,
                          '*:storage=1G');
INSERT INTO users VALUES ('ben@example.net', '{PLAIN}benpass', '/srv/vmail/example.net/ben', 10001, 10001, NULL);
"""


@pytest.fixture
def sql_conf(tmp_path):
    db = tmp_path / "users.sqlite"
    made = subprocess.run(["sqlite3", str(db)], input=SQL_SCHEMA, capture_output=True, text=True, timeout=30)
    assert made.returncode == 0, made.stderr
    (tmp_path / "sql.conf.ext").write_text(f"""driver = sqlite
connect = {db}
password_query = SELECT userid AS user, password FROM users WHERE userid = '%u'
user_query = SELECT home, uid, gid, quota AS quota_rule FROM users WHERE userid = '%u'
iterate_query = SELECT userid AS user FROM users ORDER BY userid
""")
    path = tmp_path / "loft.conf"
    path.write_text(f"""passdb {{
  driver = sql
  args = {tmp_path}/sql.conf.ext
}}
userdb {{
  driver = sql
  args = {tmp_path}/sql.conf.ext
}}
""")
    return str(path), db


def test_sqlite_user(loftadm, sql_conf):
    path, _ = sql_conf
    out = run([loftadm, "-c", path, "user", "ann@example.net"])
    assert out.returncode == 0, out.stderr
    assert out.stdout == ("field\tvalue\nuid\t10000\ngid\t10000\nhome\t/srv/vmail/example.net/ann\nmail\t\n"
                          "quota_rule\t*:storage=1G\n")
    out = run([loftadm, "-c", path, "user", "-f", "uid", "ben@example.net"])
    assert (out.returncode, out.stdout) == (0, "10001\n")
    out = run([loftadm, "-c", path, "user", "zed@example.net"])
    assert (out.returncode, out.stdout) == (67, "userdb lookup: user zed@example.net doesn't exist\n")
    out = run([loftadm, "-c", path, "user", "*"])
    assert (out.returncode, out.stdout) == (0, "ann@example.net\nben@example.net\n")


def test_sqlite_unreachable_is_tempfail_not_unknown(loftadm, sql_conf):
    path, db = sql_conf
    os.unlink(db)
    for args in (["user", "ann@example.net"], ["user", "-f", "home", "ann@example.net"],
                 ["user", "-u", "ann@example.net"]):
        out = run([loftadm, "-c", path] + args)
        assert out.returncode == 75, (args, out.stdout, out.stderr)
        assert "doesn't exist" not in out.stdout
        assert out.stdout == ""
        assert "Error: userdb lookup failed for ann@example.net: " in out.stderr
    out = run([loftadm, "-c", path, "user", "*"])
    assert (out.returncode, out.stdout) == (75, "")
    assert "Error: user listing failed: " in out.stderr
    assert not os.path.exists(db)


# --- System users -----------------------------------------------------------

@pytest.fixture
def system_user():
    if os.geteuid() != 0:
        pytest.skip("needs root to create a system user")
    name = "loftu" + uuid.uuid4().hex[:8]
    subprocess.run(["useradd", "-M", "-d", f"/nonexistent/{name}", "-s", "/usr/sbin/nologin", name],
                   check=True, timeout=30)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], timeout=30)


def test_system_user(loftadm, tmp_path, system_user):
    path = tmp_path / "system.conf"
    path.write_text("passdb {\n  driver = shadow\n}\nuserdb {\n  driver = passwd\n}\n")
    name = system_user.pw_name
    out = run([loftadm, "-c", str(path), "user", name])
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[:4] == ["field\tvalue", f"uid\t{system_user.pw_uid}", f"gid\t{system_user.pw_gid}",
                         f"home\t/nonexistent/{name}"]
    out = run([loftadm, "-c", str(path), "user", "-f", "uid", name])
    assert (out.returncode, out.stdout) == (0, f"{system_user.pw_uid}\n")
    out = run([loftadm, "-c", str(path), "user", "*"])
    assert out.returncode == 0, out.stderr
    assert name in out.stdout.splitlines()
    ghost = "loftnone" + uuid.uuid4().hex[:8]
    out = run([loftadm, "-c", str(path), "user", ghost])
    assert (out.returncode, out.stdout) == (67, f"userdb lookup: user {ghost} doesn't exist\n")


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


def test_socket_user(loftadm, authd, tmp_path):
    empty = tmp_path / "empty.conf"
    empty.write_text("")
    run_dir = str(authd.workdir / "run")
    for where in (run_dir, authd.socket_path("auth-userdb")):
        out = run([loftadm, "-c", str(empty), "-a", where, "user", "bla@example.org"])
        assert out.returncode == 0, out.stdout + out.stderr + authd.log
        assert out.stdout == ("field\tvalue\nuid\t10000\ngid\t10000\nhome\t/srv/vmail/example.org/bla\n"
                              "mail\tmaildir:~/Maildir\nquota_rule\t*:storage=200M\n")
    out = run([loftadm, "-c", str(empty), "-a", run_dir, "user", "-f", "home", "micha@example.com"])
    assert (out.returncode, out.stdout) == (0, "/srv/vmail/example.com/micha\n")
    out = run([loftadm, "-c", str(empty), "-a", run_dir, "user", "ghost@example.com"])
    assert (out.returncode, out.stdout) == (67, "userdb lookup: user ghost@example.com doesn't exist\n")
    out = run([loftadm, "-c", str(empty), "-a", run_dir, "user", "*"])
    assert (out.returncode, out.stdout) == (
        0, "bla@example.org\nklaus@example.com\nsusi@example.com\nmicha@example.com\n"), out.stderr
    out = run([loftadm, "-c", str(empty), "-a", run_dir, "user", "*@example.org"])
    assert (out.returncode, out.stdout) == (0, "bla@example.org\n")


def test_socket_unreachable_is_tempfail(loftadm, tmp_path):
    empty = tmp_path / "empty.conf"
    empty.write_text("")
    sock_dir = tmp_path / "run"
    sock_dir.mkdir()
    out = run([loftadm, "-c", str(empty), "-a", str(sock_dir), "user", "bla@example.org"])
    assert (out.returncode, out.stdout) == (75, "")
    assert out.stderr.startswith("Error: userdb lookup failed for bla@example.org: ")
    out = run([loftadm, "-c", str(empty), "-a", str(sock_dir), "user", "*"])
    assert (out.returncode, out.stdout) == (75, "")
    assert out.stderr.startswith("Error: user listing failed: ")
