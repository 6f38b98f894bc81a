"""loftadm mailbox list|create|delete|rename|subscribe|unsubscribe|status,
force-resync and index dump on a passwd-file user's Maildir: output, exit
codes (doveadm 2.3.19's) and the directories and files left on disk; and
`mailbox status` against `doveadm mailbox status` on one Maildir."""
import os
import pathlib
import re
import time

import pytest

from loftadm_storage_util import DOVEADM, Dovecot, LoftUser, run, uidlist_entries, without_leak_check


@pytest.fixture(scope="module")
def loftadm(build_dir):
    exe = build_dir / "daemons" / "loftadm" / "loftadm"
    if not exe.exists():
        pytest.fail(f"{exe} not built")
    return str(exe)


@pytest.fixture
def u(loftadm, tmp_path):
    return LoftUser(loftadm, tmp_path)


def drop(folder: pathlib.Path, sub: str, name: str, data: bytes):
    """A mail file written by another program (as Postfix's local delivery)."""
    (folder / sub).mkdir(parents=True, exist_ok=True)
    path = folder / sub / name
    path.write_bytes(data)
    return path


MSG1 = b"From: a@example.org\nSubject: one\n\nbody one\n"      # 43 bytes, 4 LF: vsize 47
MSG2 = b"From: b@example.org\nSubject: two\n\nbody two\n"      # 43 / 47
MSG3 = b"From: c@example.org\nSubject: three\n\nbody three\n"  # 47 / 51


def test_create_and_list(u):
    out = u.adm("mailbox create", "-s", "Foo")
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")
    out = u.adm("mailbox create", "Foo.Bar", "Baz")
    assert out.returncode == 0, out.stderr
    for name in (".Foo", ".Foo.Bar", ".Baz"):
        for sub in ("cur", "new", "tmp"):
            assert (u.maildir / name / sub).is_dir(), (name, sub)
        # Maildir++: a folder is marked as one (Dovecot writes it too).
        assert (u.maildir / name / "maildirfolder").exists()
    assert (u.maildir / "subscriptions").read_text() == "V\t2\n\nFoo\n"

    out = u.adm("mailbox list")
    assert (out.returncode, out.stdout) == (0, "INBOX\nBaz\nFoo\nFoo.Bar\n"), out.stderr
    out = u.adm("mailbox list", "-s")
    assert (out.returncode, out.stdout) == (0, "Foo\n")
    out = u.adm("mailbox list", "F*")
    assert (out.returncode, out.stdout) == (0, "Foo\nFoo.Bar\n")
    out = u.adm("mailbox list", "F%")
    assert (out.returncode, out.stdout) == (0, "Foo\n")
    out = u.adm("mailbox list", "Nothing*")
    assert (out.returncode, out.stdout) == (0, "")


def test_create_errors(u):
    assert u.adm("mailbox create", "Foo").returncode == 0
    out = u.adm("mailbox create", "Foo")
    assert out.returncode == 65
    assert "Can't create mailbox Foo" in out.stderr
    # An empty hierarchy level is not a name.
    out = u.adm("mailbox create", "Foo..Bar")
    assert out.returncode == 64
    assert "Can't create mailbox Foo..Bar" in out.stderr
    assert not (u.maildir / ".Foo..Bar").exists()
    # The others of several names are still created; the failure decides
    # the exit code.
    out = u.adm("mailbox create", "Foo", "Other")
    assert out.returncode == 65
    assert (u.maildir / ".Other" / "cur").is_dir()
    out = u.adm("mailbox create", "--special-use", "\\Nonsense", "X")
    assert out.returncode == 64
    assert "--special-use" in out.stderr
    assert not (u.maildir / ".X").exists()


def test_create_special_use(u):
    out = u.adm("mailbox create", "--special-use", "\\Sent", "Sent Items")
    assert out.returncode == 0, out.stderr
    assert (u.maildir / ".Sent Items" / "cur").is_dir()


def test_utf8_names_are_modified_utf7_on_disk(u):
    # doveadm takes and prints UTF-8; Dovecot's Maildir++ names are modified
    # UTF-7 (RFC 3501 5.1.3).
    out = u.adm("mailbox create", "-s", "Entwürfe", "台北")
    assert out.returncode == 0, out.stderr
    assert (u.maildir / ".Entw&APw-rfe" / "cur").is_dir()
    assert (u.maildir / ".&U,BTFw-" / "cur").is_dir()
    assert (u.maildir / "subscriptions").read_text() == "V\t2\n\nEntw&APw-rfe\n&U,BTFw-\n"
    out = u.adm("mailbox list", "Entw*")
    assert (out.returncode, out.stdout) == (0, "Entwürfe\n")
    out = u.adm("mailbox status", "messages", "台北")
    assert (out.returncode, out.stdout) == (0, "台北 messages=0\n")


def test_unknown_user(loftadm, tmp_path):
    u = LoftUser(loftadm, tmp_path, user="alice@example.org")
    u.user = "nobody@example.org"
    for command, args in (("mailbox list", []), ("mailbox status", ["messages", "INBOX"]),
                          ("mailbox create", ["X"]), ("force-resync", ["*"])):
        out = u.adm(command, *args)
        assert out.returncode == 67, (command, out.stderr)
        assert out.stderr == "loftadm: user nobody@example.org doesn't exist\n"
        assert out.stdout == ""
    assert not u.maildir.exists()


def test_all_users_and_user_masks(loftadm, tmp_path):
    u = LoftUser(loftadm, tmp_path, user="alice@example.org")
    bob_home = tmp_path / "bob"
    bob_home.mkdir()
    with open(tmp_path / "passwd", "a") as f:
        f.write(f"bob@example.org:{{PLAIN}}x:{os.getuid()}:{os.getgid()}::{bob_home}::userdb_mail=maildir:~/Maildir\n")
        f.write(f"carol@example.com:{{PLAIN}}x:{os.getuid()}:{os.getgid()}::{tmp_path}/carol::"
                "userdb_mail=maildir:~/Maildir\n")
    drop(u.maildir, "new", "1700000001.M1P1.test", MSG1)
    drop(bob_home / "Maildir", "new", "1700000002.M1P1.test", MSG2)
    drop(bob_home / "Maildir", "new", "1700000003.M1P1.test", MSG3)
    # doveadm -A: the user name first on each line, users in userdb order.
    out = run([loftadm, "-c", str(u.conf), "mailbox", "status", "-A", "messages", "INBOX"])
    assert (out.returncode, out.stdout) == (0, "alice@example.org INBOX messages=1\n"
                                               "bob@example.org INBOX messages=2\n"
                                               "carol@example.com INBOX messages=0\n"), out.stderr
    out = run([loftadm, "-c", str(u.conf), "mailbox", "status", "-u", "*@example.org", "-t", "messages", "*"])
    assert (out.returncode, out.stdout) == (0, "alice@example.org messages=1\nbob@example.org messages=2\n")
    out = run([loftadm, "-c", str(u.conf), "mailbox", "list", "-u", "b*"])
    assert (out.returncode, out.stdout) == (0, "bob@example.org INBOX\n")
    out = run([loftadm, "-c", str(u.conf), "force-resync", "-A", "*"])
    assert (out.returncode, out.stdout) == (0, ""), out.stderr
    assert [uid for uid, _ in uidlist_entries(bob_home / "Maildir")] == [1, 2]
    out = run([loftadm, "-c", str(u.conf), "mailbox", "list", "-A", "-u", "alice@example.org"])
    assert out.returncode == 64


def test_usage_errors(u):
    # -u is required; FIELDS and a name are required.
    out = run([u.loftadm, "-c", str(u.conf), "mailbox", "list"])
    assert (out.returncode, out.stderr) == (64, "Error: -u USER or -A is needed\n")
    out = run([u.loftadm, "-c", str(u.conf), "mailbox", "list", "-s"])
    assert out.returncode == 64
    out = run([u.loftadm, "-c", str(u.conf), "mailbox", "create", "X"])
    assert out.returncode == 64
    out = u.adm("mailbox status", "messages")
    assert out.returncode == 64
    out = u.adm("mailbox rename", "OnlyOne")
    assert out.returncode == 64


def test_delete(u):
    assert u.adm("mailbox create", "-s", "Baz", "X", "X.Y", "X.Y.Z", "Keep").returncode == 0
    out = u.adm("mailbox delete", "-s", "Baz")
    assert (out.returncode, out.stderr) == (0, "")
    assert not (u.maildir / ".Baz").exists()
    assert (u.maildir / "subscriptions").read_text() == "V\t2\n\nX\nX\tY\nX\tY\tZ\nKeep\n"

    out = u.adm("mailbox delete", "Nope")
    assert out.returncode == 68
    assert "Can't delete mailbox Nope" in out.stderr
    out = u.adm("mailbox delete", "INBOX")
    assert out.returncode == 65
    assert out.stderr == "Error: Can't delete mailbox INBOX: INBOX can't be deleted.\n"
    out = u.adm("mailbox delete", "inbox")
    assert out.returncode == 65

    out = u.adm("mailbox delete", "-r", "X")
    assert out.returncode == 0, out.stderr
    for name in (".X", ".X.Y", ".X.Y.Z"):
        assert not (u.maildir / name).exists(), name
    assert (u.maildir / ".Keep" / "cur").is_dir()
    out = u.adm("mailbox list")
    assert out.stdout == "INBOX\nKeep\n"


def test_delete_removes_messages(u):
    assert u.adm("mailbox create", "Trash").returncode == 0
    drop(u.maildir / ".Trash", "new", "1700000000.M1P1.test", MSG1)
    out = u.adm("mailbox status", "messages", "Trash")
    assert out.stdout == "Trash messages=1\n", out.stderr
    assert u.adm("mailbox delete", "Trash").returncode == 0
    assert not (u.maildir / ".Trash").exists()


def test_rename(u):
    assert u.adm("mailbox create", "Foo", "Foo.Bar").returncode == 0
    drop(u.maildir / ".Foo", "cur", "1700000000.M1P1.test:2,S", MSG1)
    out = u.adm("mailbox rename", "Foo", "Qux")
    assert (out.returncode, out.stderr) == (0, "")
    assert not (u.maildir / ".Foo").exists()
    assert not (u.maildir / ".Foo.Bar").exists()
    assert (u.maildir / ".Qux" / "cur" / "1700000000.M1P1.test:2,S").read_bytes() == MSG1
    assert (u.maildir / ".Qux.Bar" / "cur").is_dir()
    assert u.adm("mailbox list").stdout == "INBOX\nQux\nQux.Bar\n"

    out = u.adm("mailbox rename", "Nope", "Other")
    assert out.returncode == 68
    assert "Can't rename mailbox Nope to Other" in out.stderr
    out = u.adm("mailbox rename", "Qux", "Qux.Bar")
    assert out.returncode == 65
    assert (u.maildir / ".Qux" / "cur").is_dir()


def test_rename_moves_subscriptions(u):
    assert u.adm("mailbox create", "-s", "Foo", "Foo.Bar", "Other").returncode == 0
    out = u.adm("mailbox rename", "-s", "Foo", "New")
    assert out.returncode == 0, out.stderr
    subs = (u.maildir / "subscriptions").read_text().split("\n\n", 1)[1].splitlines()
    assert sorted(subs) == ["New", "New\tBar", "Other"]
    assert u.adm("mailbox list", "-s").stdout == "New\nNew.Bar\nOther\n"


def test_subscribe_unsubscribe(u):
    out = u.adm("mailbox subscribe", "A", "B.C")
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")
    # Dovecot's format: version line, empty line, names with the hierarchy
    # separator as TAB.
    assert (u.maildir / "subscriptions").read_text() == "V\t2\n\nA\nB\tC\n"
    # Unsubscribing what is not subscribed is no error (doveadm).
    out = u.adm("mailbox unsubscribe", "A", "Nope")
    assert out.returncode == 0, out.stderr
    assert (u.maildir / "subscriptions").read_text() == "V\t2\n\nB\tC\n"
    # A subscription to a mailbox that does not exist is listed by -s only.
    assert u.adm("mailbox list", "-s").stdout == "B.C\n"
    assert u.adm("mailbox list").stdout == "INBOX\n"


def make_inbox(u):
    """INBOX with MSG1 (seen) and MSG2, MSG3 (new), dropped in by hand."""
    drop(u.maildir, "cur", "1700000001.M1P1.test:2,S", MSG1)
    drop(u.maildir, "new", "1700000002.M2P1.test", MSG2)
    drop(u.maildir, "new", "1700000003.M3P1.test", MSG3)
    for sub in ("tmp",):
        (u.maildir / sub).mkdir(exist_ok=True)


def test_status(u):
    make_inbox(u)
    out = u.adm("mailbox status", "messages unseen", "INBOX")
    assert (out.returncode, out.stdout) == (0, "INBOX messages=3 unseen=2\n"), out.stderr
    # Fields print in doveadm's fixed order, whatever order they were asked in.
    out = u.adm("mailbox status", "vsize unseen messages", "inbox")
    assert out.stdout == "INBOX messages=3 unseen=2 vsize=145\n"
    out = u.adm("mailbox status", "uidnext uidvalidity", "INBOX")
    entries = uidlist_entries(u.maildir)
    assert [uid for uid, _ in entries] == [1, 2, 3]
    header = (u.maildir / "dovecot-uidlist").read_text().splitlines()[0].split()
    uidvalidity = next(f[1:] for f in header if f.startswith("V"))
    guid = next(f[1:] for f in header if f.startswith("G"))
    assert out.stdout == f"INBOX uidnext=4 uidvalidity={uidvalidity}\n"
    out = u.adm("mailbox status", "guid", "INBOX")
    assert out.stdout == f"INBOX guid={guid}\n"

    out = u.adm("mailbox status", "all", "INBOX")
    assert out.returncode == 0, out.stderr
    m = re.fullmatch(r"INBOX messages=3 recent=(\d+) uidnext=4 uidvalidity=(\d+) unseen=2 highestmodseq=(\d+) "
                     r"vsize=145 guid=([0-9a-f]{32}) firstsaved=(\d+)\n", out.stdout)
    assert m, out.stdout
    assert m.group(2) == uidvalidity and m.group(4) == guid
    assert int(m.group(3)) > 0
    assert abs(int(m.group(5)) - time.time()) < 24 * 3600


def test_status_several_and_totals(u):
    make_inbox(u)
    assert u.adm("mailbox create", "Empty", "Other").returncode == 0
    drop(u.maildir / ".Other", "new", "1700000004.M4P1.test", MSG1)
    out = u.adm("mailbox status", "messages vsize", "*")
    assert (out.returncode, out.stdout) == (0, "INBOX messages=3 vsize=145\nEmpty messages=0 vsize=0\n"
                                                "Other messages=1 vsize=47\n"), out.stderr
    # Names that match nothing are skipped when several are given.
    out = u.adm("mailbox status", "messages", "Nope", "INBOX")
    assert (out.returncode, out.stdout) == (0, "INBOX messages=3\n")
    out = u.adm("mailbox status", "-t", "messages unseen vsize", "*")
    assert (out.returncode, out.stdout) == (0, "messages=4 unseen=3 vsize=192\n")
    out = u.adm("mailbox status", "-t", "all", "INBOX", "Other")
    assert re.fullmatch(r"messages=4 recent=\d+ unseen=3 vsize=192\n", out.stdout), out.stdout
    out = u.adm("mailbox status", "firstsaved", "Empty")
    assert out.stdout == "Empty firstsaved=never\n"


def test_status_errors(u):
    make_inbox(u)
    out = u.adm("mailbox status", "messages", "Nope")
    assert out.returncode == 68
    assert out.stderr.startswith("Error: Mailbox Nope: Failed to lookup mailbox status")
    out = u.adm("mailbox status", "messages bogus", "INBOX")
    assert (out.returncode, out.stdout, out.stderr) == (64, "", "Fatal: Unknown status field: bogus\n")
    out = u.adm("mailbox status", "-t", "messages guid", "INBOX")
    assert (out.returncode, out.stderr) == (64, "Fatal: Status field guid can't be used with -t\n")
    out = u.adm("mailbox status", " ", "INBOX")
    assert (out.returncode, out.stderr) == (64, "Fatal: No status fields\n")


def test_force_resync_picks_up_external_changes(u):
    make_inbox(u)
    assert u.adm("mailbox status", "messages", "INBOX").stdout == "INBOX messages=3\n"
    # Another program delivers one and deletes one behind Loft's back.
    drop(u.maildir, "new", "1700000009.M9P1.test", MSG1)
    # (The first sync moved the new/ files to cur/, as Dovecot does.)
    gone = list(u.maildir.glob("*/1700000002.M2P1.test*"))
    assert len(gone) == 1
    gone[0].unlink()
    out = u.adm("force-resync", "INBOX")
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")
    entries = uidlist_entries(u.maildir)
    bases = [base for _, base in entries]
    assert "1700000009.M9P1.test" in bases
    assert [uid for uid, base in entries if base == "1700000009.M9P1.test"] == [4]
    out = u.adm("mailbox status", "messages uidnext", "INBOX")
    assert out.stdout == "INBOX messages=3 uidnext=5\n"
    # Every mailbox; a name that matches nothing is no error (doveadm).
    assert u.adm("mailbox create", "Other").returncode == 0
    assert u.adm("force-resync", "*").returncode == 0
    assert u.adm("force-resync", "Nope").returncode == 0


def test_index_dump(u):
    make_inbox(u)
    out = u.adm("mailbox status", "uidvalidity", "INBOX")
    uidvalidity = out.stdout.split("=")[1].strip()
    out = u.adm("index dump", "INBOX")
    assert out.returncode == 0, out.stderr
    assert uidvalidity in out.stdout
    by_path = run([u.loftadm, "-c", str(u.conf), "index", "dump", str(u.maildir)])
    assert (by_path.returncode, by_path.stdout) == (0, out.stdout)
    by_file = run([u.loftadm, "index", "dump", str(u.maildir / "loft.index.log")])
    assert (by_file.returncode, by_file.stdout) == (0, out.stdout)
    # Dumping never creates an index.
    empty = u.maildir.parent / "empty"
    empty.mkdir()
    out = run([u.loftadm, "index", "dump", str(empty)])
    assert out.returncode == 68
    assert "no loft.index" in out.stderr
    assert os.listdir(empty) == []
    out = run([u.loftadm, "index", "dump", str(empty / "missing")])
    assert out.returncode == 68
    out = u.adm("index dump", "Nope")
    assert out.returncode == 68


@pytest.mark.skipif(DOVEADM is None, reason="doveadm (dovecot-core) not installed")
def test_status_matches_doveadm(u, tmp_path):
    dovecot = Dovecot(tmp_path / "dovecot", u.home)
    dovecot.save("INBOX", MSG1.decode())
    dovecot.save("INBOX", MSG2.decode())
    dovecot.save("INBOX", "From: x@example.org\r\nSubject: crlf\r\n\r\nline\r\n")
    out = dovecot.adm("flags", "add", "\\Seen", "mailbox", "INBOX", "uid", "2")
    assert out.returncode == 0, out.stderr
    out = dovecot.adm("mailbox", "create", "Sub")
    assert out.returncode == 0, out.stderr
    dovecot.save("Sub", MSG3.decode())
    fields = "messages uidnext uidvalidity unseen vsize guid"
    theirs = dovecot.adm("mailbox", "status", fields, "*")
    assert theirs.returncode == 0, theirs.stderr
    ours = u.adm("mailbox status", fields, "*")
    assert ours.returncode == 0, ours.stderr
    # doveadm's order is that of its list index: compare the lines.
    assert sorted(ours.stdout.splitlines()) == sorted(theirs.stdout.splitlines())
    assert len(ours.stdout.splitlines()) == 2
    theirs = dovecot.adm("mailbox", "status", "-t", "messages unseen vsize", "*")
    ours = u.adm("mailbox status", "-t", "messages unseen vsize", "*")
    assert (ours.returncode, ours.stdout) == (0, theirs.stdout)


@pytest.mark.skipif(os.geteuid() != 0, reason="changing file owners needs root")
def test_files_belong_to_the_userdb_uid_or_mail_uid(loftadm, tmp_path):
    """Run as root, loftadm creates the user's files with the userdb's uid and
    gid (given as names, as Dovecot allows), else with mail_uid/mail_gid —
    never as root, or the mail processes could not use them."""
    import pwd
    import grp
    import shutil
    import tempfile
    nobody = pwd.getpwnam("nobody").pw_uid
    nogroup = grp.getgrnam("nogroup").gr_gid
    # The homes must be reachable by nobody (pytest's tmp_path is root-only).
    base = pathlib.Path(tempfile.mkdtemp(prefix="loft-owner-", dir="/tmp"))
    try:
        _check_owners(loftadm, tmp_path, base, nobody, nogroup)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _check_owners(loftadm, tmp_path, base, nobody, nogroup):
    base.chmod(0o755)
    home = base / "home"
    home.mkdir()
    os.chown(home, nobody, nogroup)
    passwd = tmp_path / "passwd"
    # named ids in the userdb
    passwd.write_text(f"named:{{PLAIN}}x:nobody:nogroup::{home}/named::\n"
                      f"plain:{{PLAIN}}x::::{home}/plain::\n")
    conf = tmp_path / "loft.conf"
    conf.write_text(f"mail_location = maildir:~/Maildir\nmail_uid = nobody\nmail_gid = nogroup\n"
                    f"passdb {{\n  driver = passwd-file\n  args = {passwd}\n}}\n"
                    f"userdb {{\n  driver = passwd-file\n  args = {passwd}\n}}\n")
    for user in ("named", "plain"):
        out = run([loftadm, "-c", str(conf), "mailbox", "create", "-u", user, "Work"], env=without_leak_check())
        assert out.returncode == 0, out.stderr
        out = run([loftadm, "-c", str(conf), "mailbox", "status", "-u", user, "messages", "INBOX"],
                  env=without_leak_check())
        assert (out.returncode, out.stdout) == (0, "INBOX messages=0\n"), out.stderr
        for path in (home / user / "Maildir", home / user / "Maildir" / ".Work" / "cur",
                     home / user / "Maildir" / ".Work" / "maildirfolder",
                     home / user / "Maildir" / "dovecot-uidlist"):
            st = path.stat()
            assert (st.st_uid, st.st_gid) == (nobody, nogroup), (user, path)
