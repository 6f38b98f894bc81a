"""loftadm import: an mbox file (From_ separators, mboxrd/mboxo quoting,
Status/X-Status/X-Keywords headers) and a Maildir written by Dovecot's
doveadm, into a mailbox of a passwd-file user; checked on disk (the Maildir
files, their flags and keyword letters, dovecot-uidlist) and, for the
Maildir, with doveadm reading what Loft wrote."""
import calendar
import os

import pytest

from loftadm_storage_util import DOVEADM, NOBODY, Dovecot, LoftUser, maildir_path, messages, run, without_leak_check


@pytest.fixture(scope="module")
def loftadm(build_dir):
    exe = build_dir / "daemons" / "loftadm" / "loftadm"
    if not exe.exists():
        pytest.fail(f"{exe} not built")
    return str(exe)


@pytest.fixture
def u(loftadm, tmp_path):
    return LoftUser(loftadm, tmp_path)


MBOX = (b"From alice@example.org Mon Jan  2 15:04:05 2006\n"
        b"From: alice@example.org\n"
        b"Status: RO\n"
        b"Subject: one\n"
        b"X-Status: AF\n"
        b"X-Keywords: $Label1 work\n"
        b"X-UID: 5\n"
        b"Content-Length: 77\n"
        b"\n"
        b"Hello\n"
        b">From the start of a line\n"
        b">>From quoted twice\n"
        b"> From is not quoting\n"
        b"text\n"
        b"From a line after text is body\n"
        b"\n"
        b"From bob@example.org Tue Jan  3 10:00:00 2006\n"
        b"From: bob@example.org\n"
        b"Subject: two\n"
        b"\n"
        b"Body two\n"
        b"\n")

ONE = (b"From: alice@example.org\n"
       b"Subject: one\n"
       b"\n"
       b"Hello\n"
       b"From the start of a line\n"
       b">From quoted twice\n"
       b"> From is not quoting\n"
       b"text\n"
       b"From a line after text is body\n")
TWO = b"From: bob@example.org\nSubject: two\n\nBody two\n"


def test_import_mbox(u, tmp_path):
    src = tmp_path / "old.mbox"
    src.write_bytes(MBOX)
    out = u.adm("import", "-s", str(src), "Archive")
    assert (out.returncode, out.stdout, out.stderr) == (0, "Imported 2 messages into Archive\n", "")
    folder = maildir_path(u.maildir, "Archive")
    assert (folder / "maildirfolder").exists()
    assert (u.maildir / "subscriptions").read_text() == "V\t2\n\nArchive\n"
    got = messages(folder)
    assert [m["uid"] for m in got] == [1, 2]
    assert got[0]["data"] == ONE
    assert got[1]["data"] == TWO
    # Status: R -> \Seen; X-Status: A F -> \Answered \Flagged.
    assert got[0]["flags"] == "FRS"
    assert got[0]["keywords"] == ["$Label1", "work"]
    assert got[1]["flags"] == "" and got[1]["keywords"] == []
    # INTERNALDATE from the From_ line, kept as the file's mtime (Maildir).
    assert got[0]["mtime"] == calendar.timegm((2006, 1, 2, 15, 4, 5, 0, 0, 0))
    assert got[1]["mtime"] == calendar.timegm((2006, 1, 3, 10, 0, 0, 0, 0, 0))
    # S= in the name is the stored size, as Dovecot writes it.
    assert f",S={len(ONE)}" in got[0]["name"]

    # A second import appends with new UIDs.
    out = u.adm("import", str(src), "Archive")
    assert (out.returncode, out.stdout) == (0, "Imported 2 messages into Archive\n")
    assert [m["uid"] for m in messages(folder)] == [1, 2, 3, 4]
    out = u.adm("mailbox status", "messages unseen", "Archive")
    assert out.stdout == "Archive messages=4 unseen=2\n"


def test_import_mbox_into_inbox_in_batches(u, tmp_path):
    src = tmp_path / "many.mbox"
    parts = []
    for i in range(7):
        parts.append(f"From x@example.org Wed Jan  4 00:00:0{i} 2006\nSubject: m{i}\n\nbody {i}\n\n".encode())
    src.write_bytes(b"".join(parts))
    out = u.adm("import", "--batch", "3", str(src), "INBOX")
    assert (out.returncode, out.stdout) == (0, "Imported 7 messages into INBOX\n"), out.stderr
    got = messages(u.maildir)
    assert [m["data"] for m in got] == [f"Subject: m{i}\n\nbody {i}\n".encode() for i in range(7)]
    assert [m["uid"] for m in got] == list(range(1, 8))
    assert not (u.maildir / "subscriptions").exists()


def test_import_mbox_crlf_and_empty_message(u, tmp_path):
    src = tmp_path / "crlf.mbox"
    src.write_bytes(b"From a Thu Jan  5 00:00:00 2006\r\n"
                    b"\r\n"
                    b"From b Thu Jan  5 00:00:01 2006\r\n"
                    b"Subject: crlf\r\n"
                    b"Status: R\r\n"
                    b"\r\n"
                    b">From x\r\n"
                    b"\r\n")
    out = u.adm("import", str(src), "Crlf")
    assert (out.returncode, out.stdout) == (0, "Imported 1 messages into Crlf\n"), out.stderr
    assert "message 1 (From_ line 1) is empty: skipped" in out.stderr
    got = messages(maildir_path(u.maildir, "Crlf"))
    assert len(got) == 1
    # Stored with LF line ends (mail_save_crlf = no), as Dovecot saves.
    assert got[0]["data"] == b"Subject: crlf\n\nFrom x\n"
    assert got[0]["flags"] == "S"


def test_import_uw_imap_pseudo_message_skipped(u, tmp_path):
    src = tmp_path / "uw.mbox"
    src.write_bytes(b"From MAILER-DAEMON Fri Jan  6 00:00:00 2006\n"
                    b"Subject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA\n"
                    b"X-IMAP: 1136505600 0000000002\n"
                    b"\n"
                    b"This text is part of the internal format of your mail folder.\n"
                    b"\n"
                    b"From a@example.org Fri Jan  6 00:00:01 2006\n"
                    b"Subject: real\n"
                    b"X-UID: 1\n"
                    b"\n"
                    b"real\n")
    out = u.adm("import", str(src), "Uw")
    assert (out.returncode, out.stdout) == (0, "Imported 1 messages into Uw\n"), out.stderr
    got = messages(maildir_path(u.maildir, "Uw"))
    assert [m["data"] for m in got] == [b"Subject: real\n\nreal\n"]


def test_import_errors(u, tmp_path):
    notmbox = tmp_path / "notmbox"
    notmbox.write_bytes(b"Subject: no From_ line\n\nbody\n")
    out = u.adm("import", str(notmbox), "X")
    assert out.returncode == 65
    assert "not an mbox file" in out.stderr
    out = u.adm("import", str(tmp_path / "missing"), "X")
    assert out.returncode == 68
    assert "missing" in out.stderr
    plain_dir = tmp_path / "plain"
    plain_dir.mkdir()
    out = u.adm("import", str(plain_dir), "X")
    assert out.returncode == 64
    assert "not a Maildir" in out.stderr
    src = tmp_path / "ok.mbox"
    src.write_bytes(MBOX)
    out = run([u.loftadm, "-c", str(u.conf), "import", "-u", "nobody@example.org", str(src), "X"])
    assert (out.returncode, out.stderr) == (67, "loftadm: user nobody@example.org doesn't exist\n")
    out = u.adm("import", str(src), "Bad..Name")
    assert out.returncode == 64
    assert "Can't create mailbox Bad..Name" in out.stderr


def test_import_maildir_by_hand(u, tmp_path):
    # A Maildir of another program: no dovecot-uidlist, keyword letters
    # without dovecot-keywords (dropped), a message still in new/.
    src = tmp_path / "src"
    for sub in ("cur", "new", "tmp"):
        (src / sub).mkdir(parents=True)
    (src / "cur" / "1000000001.a.host:2,RS").write_bytes(b"Subject: a\n\na\n")
    (src / "cur" / "1000000002.b.host:2,Tab").write_bytes(b"Subject: b\n\nb\n")
    (src / "new" / "1000000003.c.host").write_bytes(b"Subject: c\n\nc\n")
    (src / "cur" / ".hidden").write_bytes(b"not mail")
    out = u.adm("import", str(src), "Hand")
    assert (out.returncode, out.stdout) == (0, "Imported 3 messages into Hand\n"), out.stderr
    got = messages(maildir_path(u.maildir, "Hand"))
    assert [(m["data"], m["flags"], m["keywords"]) for m in got] == [
        (b"Subject: a\n\na\n", "RS", []),
        (b"Subject: b\n\nb\n", "T", []),
        (b"Subject: c\n\nc\n", "", []),
    ]


@pytest.mark.skipif(DOVEADM is None, reason="doveadm (dovecot-core) not installed")
def test_import_maildir_written_by_dovecot(u, tmp_path):
    dovecot_home = tmp_path / "dovecot-home"
    dovecot = Dovecot(tmp_path / "dovecot", dovecot_home)
    bodies = [f"From: sender{i}@example.org\nSubject: message {i}\n\nbody {i}\n" for i in range(1, 5)]
    for body in bodies:
        dovecot.save("INBOX", body)
    assert dovecot.adm("flags", "add", "\\Seen kw1", "mailbox", "INBOX", "uid", "1").returncode == 0
    assert dovecot.adm("flags", "add", "\\Flagged kw2 kw1", "mailbox", "INBOX", "uid", "2").returncode == 0
    assert dovecot.adm("flags", "add", "\\Answered", "mailbox", "INBOX", "uid", "4").returncode == 0
    # UID 3 expunged: the import follows the UIDs that are left.
    assert dovecot.adm("expunge", "mailbox", "INBOX", "uid", "3").returncode == 0
    src_folder = dovecot_home / "Maildir"
    theirs = messages(src_folder)
    assert [m["uid"] for m in theirs] == [1, 2, 4]

    out = u.adm("import", "-s", str(src_folder), "Imported")
    assert (out.returncode, out.stdout) == (0, "Imported 3 messages into Imported\n"), out.stderr
    ours = messages(maildir_path(u.maildir, "Imported"))
    assert [m["uid"] for m in ours] == [1, 2, 3]
    assert [m["data"] for m in ours] == [bodies[0].encode(), bodies[1].encode(), bodies[3].encode()]
    assert [m["flags"] for m in ours] == ["S", "F", "R"]
    assert [m["keywords"] for m in ours] == [["kw1"], ["kw1", "kw2"], []]
    assert [m["mtime"] for m in ours] == [m["mtime"] for m in theirs]

    # And Dovecot reads what Loft wrote: the same flags and keywords.
    loft_dovecot = Dovecot(tmp_path / "dovecot2", u.home)
    fetched = loft_dovecot.adm("fetch", "uid flags", "mailbox", "Imported", "all")
    assert fetched.returncode == 0, fetched.stderr
    lines = [line.replace(" \\Recent", "") for line in fetched.stdout.splitlines() if line]
    assert lines == ["uid: 1", "flags: \\Seen kw1",
                     "uid: 2", "flags: \\Flagged kw1 kw2",
                     "uid: 3", "flags: \\Answered"]
    body = loft_dovecot.adm("fetch", "body", "mailbox", "Imported", "uid", "3")
    assert body.returncode == 0, body.stderr
    assert "body 4" in body.stdout
    listed = loft_dovecot.adm("mailbox", "list", "-s")
    assert listed.stdout == "Imported\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to change ids")
def test_runs_as_the_userdb_uid(loftadm, tmp_path):
    # As root, loftadm takes the userdb's uid/gid (doveadm drops to them), so
    # the mail processes of the user can use what it writes.
    u = LoftUser(loftadm, tmp_path)
    (tmp_path / "passwd").write_text(f"{u.user}:{{PLAIN}}x:{NOBODY}:{NOBODY}::{u.home}::"
                                     "userdb_mail=maildir:~/Maildir\n")
    os.chown(u.home, NOBODY, NOBODY)
    path = tmp_path
    while path != path.parent and str(path) != "/tmp":
        os.chmod(path, os.stat(path).st_mode | 0o711)
        path = path.parent
    src = tmp_path / "root-only.mbox"
    src.write_bytes(MBOX)
    os.chmod(src, 0o600)  # opened before the ids change
    out = u.adm("import", str(src), "Archive", env=without_leak_check())
    assert (out.returncode, out.stdout) == (0, "Imported 2 messages into Archive\n"), out.stderr
    folder = maildir_path(u.maildir, "Archive")
    for dirpath, dirnames, filenames in os.walk(u.maildir):
        for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
            st = os.lstat(name)
            assert (st.st_uid, st.st_gid) == (NOBODY, NOBODY), name
    assert [m["data"] for m in messages(folder)] == [ONE, TWO]
