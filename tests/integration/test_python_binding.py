"""The Python package (bindings/python/loft, ctypes over libmailstore-c) on
real Maildirs: listing, creating, saving, iterating, searching, reading
headers and MIME parts, flags, expunge, copy/move, delivery and password
checks through a config file, the exception classes of each error code, and
handles closed by context managers (use after close raises, never crashes).
What each call did is checked on disk too (file names carry the flags)."""
from __future__ import annotations

import datetime
import importlib
import io
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

UTC = datetime.timezone.utc


@pytest.fixture(autouse=True, scope="module")
def not_under_a_sanitizer(build_dir):
    """ctypes loads the library into this Python process. A library built
    with AddressSanitizer needs the sanitizer's runtime loaded first, which a
    running interpreter cannot do: the runtime aborts the whole process. The C
    API itself runs under the sanitizers in tests/unit/capi; the binding is
    tested in the plain build."""
    library = build_dir / "bindings" / "c" / "libmailstore-c.so"
    if library.exists():
        dynamic = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True).stdout
        if "libasan" in dynamic or "libubsan" in dynamic:
            pytest.skip("libmailstore-c is built with a sanitizer: ctypes cannot load it into Python")


@pytest.fixture(scope="module")
def loft(build_dir):
    library = build_dir / "bindings" / "c" / "libmailstore-c.so"
    if not library.exists():
        pytest.fail(f"{library} not built")
    os.environ["LOFT_LIBRARY"] = str(library)
    sys.path.insert(0, str(ROOT / "bindings" / "python"))
    try:
        module = importlib.import_module("loft")
        module.library_version()  # loads the library now: a failure is this fixture's
        yield module
    finally:
        sys.path.remove(str(ROOT / "bindings" / "python"))


MSG_ALICE = b"From: Alice <alice@example.org>\nTo: bob@example.org\nSubject: Lunch\n\nAt noon?\n"
MSG_CAROL = (b"From: carol@example.org\nTo: bob@example.org\n"
             b"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\nX-Folded: one\n two\n\nHello\n")
MULTIPART = textwrap.dedent("""\
    From: alice@example.org
    To: bob@example.org
    Subject: Report
    MIME-Version: 1.0
    Content-Type: multipart/mixed; boundary="XX"

    --XX
    Content-Type: text/plain

    see attachment
    --XX
    Content-Type: application/octet-stream
    Content-Transfer-Encoding: base64

    AAECAwQF/w==
    --XX--
    """).encode()


def flags_on_disk(folder: pathlib.Path) -> dict[bytes, str]:
    """Message-ID-less mails are told apart by their Subject: subject -> the
    flag letters of the file name."""
    found = {}
    for sub in ("cur", "new"):
        for f in (folder / sub).iterdir():
            subject = next(line for line in f.read_bytes().splitlines() if line.startswith(b"Subject:"))
            found[subject[9:]] = f.name.split(":2,")[1] if ":2," in f.name else ""
    return found


@pytest.fixture
def home(tmp_path):
    """A Maildir as a delivery agent leaves it: INBOX with two messages
    (one \\Seen), and a folder Work with none."""
    home = tmp_path / "alice"
    maildir = home / "Maildir"
    for d in (maildir, maildir / ".Work"):
        for sub in ("cur", "new", "tmp"):
            (d / sub).mkdir(parents=True)
    (maildir / ".Work" / "maildirfolder").touch()
    for n, (data, flags, when) in enumerate([(MSG_ALICE, "S", 1700000000), (MSG_CAROL, "", 1750000000)]):
        f = maildir / "cur" / f"{when}.M{n}P1.example,S={len(data)}:2,{flags}"
        f.write_bytes(data)
        os.utime(f, (when, when))
    return home


@pytest.fixture
def user(loft, home):
    with loft.User.open(home=home, mail_location="maildir:~/Maildir") as user:
        yield user


def write_config(tmp_path: pathlib.Path, home: pathlib.Path) -> pathlib.Path:
    """A config whose passwd-file knows alice (password "secret") with her
    mail at HOME/Maildir."""
    passwd = tmp_path / "passwd"
    passwd.write_text(f"alice:{{PLAIN}}secret:{os.geteuid()}:{os.getegid()}::{home}::"
                      "userdb_mail=maildir:~/Maildir\n")
    conf = tmp_path / "loft.conf"
    conf.write_text(f"passdb {{\n  driver = passwd-file\n  args = {passwd}\n}}\n"
                    f"userdb {{\n  driver = passwd-file\n  args = {passwd}\n}}\n")
    return conf


def test_list_and_iterate(loft, user, home):
    assert user.name == "alice"
    assert user.home == str(home)
    boxes = {b.name: b for b in user.mailboxes()}
    assert set(boxes) == {"INBOX", "Work"}
    assert all(b.selectable for b in boxes.values())
    assert [b.name for b in user.mailboxes("W*")] == ["Work"]

    # Without a location the format is detected in the home directory.
    with loft.User.open(home) as detected:
        assert [b.name for b in detected.mailboxes()] == ["INBOX", "Work"]

    with user.open_mailbox("INBOX") as inbox:
        assert len(inbox) == 2
        messages = list(inbox)
        assert [(m.seq, m.uid) for m in messages] == [(1, 1), (2, 2)]
        assert messages[0].flags == frozenset({"\\Seen"})
        assert messages[1].flags == frozenset()
        assert messages[0].size == len(MSG_ALICE) + MSG_ALICE.count(b"\n")  # RFC822.SIZE: CRLF
        assert messages[0].physical_size == len(MSG_ALICE)
        assert messages[0].internal_date == datetime.datetime.fromtimestamp(1700000000, UTC)
        assert messages[1].internal_date == datetime.datetime.fromtimestamp(1750000000, UTC)
        assert messages[0].read() == MSG_ALICE
        assert messages[0].header("subject") == "Lunch"
        assert messages[0].header("From", raw=True) == " Alice <alice@example.org>"
        assert messages[1].header("Subject") == "Grüße"
        assert messages[1].header("X-Folded") == "one two"
        assert messages[1].header("X-Missing") is None
        assert messages[1].headers("To") == ["bob@example.org"]
        status = inbox.status()
        assert (status.messages, status.unseen, status.uidnext) == (2, 1, 3)
    assert user.status("Work").messages == 0


def test_create_save_read_parts(loft, user, home):
    user.create_mailbox("Reports", special_use={"\\Archive"})
    info = next(b for b in user.mailboxes() if b.name == "Reports")
    assert info.special_use == frozenset({"\\Archive"})
    assert (home / "Maildir" / ".Reports" / "cur").is_dir()
    with pytest.raises(loft.Exists):
        user.create_mailbox("Reports")

    when = datetime.datetime(2024, 5, 17, 8, 30, tzinfo=UTC)
    with user.open_mailbox("Reports") as box:
        uid = box.save(MULTIPART, flags={"\\Flagged", "$Important"}, internal_date=when)
        assert uid == 1
        second = box.save(MSG_ALICE)
        assert second == 2
        assert len(box) == 2
        m = box.message(uid)
        assert m.flags == frozenset({"\\Flagged", "$Important"})
        assert m.keywords == frozenset({"$Important"})
        assert m.internal_date == when
        assert m.read() == MULTIPART
        assert list(m.iter_bytes(100)) == [MULTIPART[i:i + 100] for i in range(0, len(MULTIPART), 100)]
        # BINARY[2]: base64 undone; BODY[2]: as encoded (CRLF line ends).
        assert m.part("2") == bytes([0, 1, 2, 3, 4, 5, 255])
        assert m.part("2", raw=True) == b"AAECAwQF/w=="
        assert m.part("1") == b"see attachment"
        assert m.part("HEADER", raw=True).startswith(b"From: alice@example.org\r\n")
        with pytest.raises(loft.NotFound):
            m.part("7")
        with pytest.raises(loft.InvalidArgument):
            m.part("BOGUS[", raw=True)
    # On disk: the message whole, \Flagged as F, the keyword as a letter.
    files = list((home / "Maildir" / ".Reports" / "cur").iterdir()) + \
        list((home / "Maildir" / ".Reports" / "new").iterdir())
    assert sorted(f.read_bytes() for f in files) == sorted([MULTIPART, MSG_ALICE])
    saved = next(f for f in files if f.read_bytes() == MULTIPART)
    assert saved.name.split(":2,")[1] == "Fa"
    assert "$Important" in (home / "Maildir" / ".Reports" / "dovecot-keywords").read_text()
    assert int(saved.stat().st_mtime) == int(when.timestamp())


def test_search(loft, user):
    with user.open_mailbox("INBOX") as inbox:
        assert inbox.search("ALL") == [1, 2]
        assert inbox.search("UNSEEN") == [2]
        assert inbox.search("FROM alice") == [1]
        assert inbox.search("UNSEEN FROM alice") == []
        assert inbox.search("SUBJECT grüße") == [2]
        assert inbox.search('OR SEEN HEADER X-Folded "two"') == [1, 2]
        assert inbox.search("UID 2:*") == [2]
        with pytest.raises(loft.InvalidArgument) as e:
            inbox.search("FOO bar")
        assert "FOO" in str(e.value)
        assert isinstance(e.value, ValueError)


def test_store_flags_and_expunge(loft, user, home):
    maildir = home / "Maildir"
    with user.open_mailbox("INBOX") as inbox:
        inbox.store(2, add={"\\Seen", "\\Flagged", "Work"})
        assert inbox.message(2).flags == frozenset({"\\Seen", "\\Flagged", "Work"})
        inbox.store([1, 2], remove="\\Seen")
        assert inbox.message(1).flags == frozenset()
        assert inbox.message(2).flags == frozenset({"\\Flagged", "Work"})
        inbox.store("1:*", replace={"\\Answered"})
        assert [m.flags for m in inbox] == [frozenset({"\\Answered"})] * 2
        assert flags_on_disk(maildir) == {b"Lunch": "R", b"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=": "R"}
        with pytest.raises(loft.InvalidArgument):
            inbox.store(1, add="\\Recent")
        with pytest.raises(loft.InvalidArgument):
            inbox.store(1, add="\\Seen", replace="\\Seen")
        with pytest.raises(loft.InvalidArgument):
            inbox.store("1:x", add="\\Seen")
        inbox.store([], add="\\Seen")  # nothing to do
        inbox.expunge([])
        assert flags_on_disk(maildir) == {b"Lunch": "R", b"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=": "R"}

        # EXPUNGE removes only what is \Deleted.
        inbox.store(1, add=loft.DELETED)
        inbox.expunge()
        assert [m.uid for m in inbox] == [2]
        assert set(flags_on_disk(maildir)) == {b"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?="}
        # By UID, whatever the flags.
        inbox.expunge([2])
        assert len(inbox) == 0
        assert flags_on_disk(maildir) == {}


def test_copy_and_move(loft, user, home):
    maildir = home / "Maildir"
    with user.open_mailbox("INBOX") as inbox, user.open_mailbox("Work") as work:
        inbox.copy([1], work)
        work.sync()
        assert [(m.uid, m.flags) for m in work] == [(1, frozenset({"\\Seen"}))]
        inbox.move("2", work)
        work.sync()
        assert [m.uid for m in work] == [1, 2]
        assert work.message(2).read() == MSG_CAROL
        assert [m.uid for m in inbox] == [1]
    assert set(flags_on_disk(maildir)) == {b"Lunch"}
    assert set(flags_on_disk(maildir / ".Work")) == {b"Lunch", b"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?="}


def test_other_handles_changes_seen_after_sync(loft, home):
    with loft.User.open(home, "maildir:~/Maildir") as one, loft.User.open(home, "maildir:~/Maildir") as two:
        with one.open_mailbox() as a, two.open_mailbox() as b:
            uid = a.save(b"Subject: new\n\nx\n")
            assert len(b) == 2  # b's view has not moved
            b.sync()
            assert len(b) == 3 and b.message(uid).read() == b"Subject: new\n\nx\n"
            a.expunge(uid)
            msg = b.message(uid)
            b.sync()
            with pytest.raises(loft.NotFound):
                msg.read()


def test_from_config_deliver_verify(loft, home, tmp_path):
    conf = write_config(tmp_path, home)
    with loft.User.from_config(conf, "alice") as user:
        assert user.name == "alice"
        assert [b.name for b in user.mailboxes()] == ["INBOX", "Work"]

    assert loft.deliver(conf, "alice", b"From: dave@example.org\nSubject: Delivered\n\nhi\n",
                        sender="dave@example.org") == 250
    message = tmp_path / "from-file.eml"
    message.write_bytes(b"From: erin@example.org\nSubject: From a file\n\nhello\n")
    with open(message, "rb") as f:
        assert loft.deliver(conf, "alice", f, mailbox="Work") == 250
    # A file object without a descriptor is read whole; a real file is read
    # from where its reader stands (here: after a first line it skipped).
    assert loft.deliver(conf, "alice", io.BytesIO(b"Subject: In memory\n\nm\n"), mailbox="Work") == 250
    message.write_bytes(b"X-Skipped: yes\nSubject: After a line\n\nrest\n")
    with open(message, "rb") as f:
        f.readline()
        assert loft.deliver(conf, "alice", f, mailbox="Work") == 250
    with loft.User.from_config(conf, "alice") as user:
        with user.open_mailbox("Work", readonly=True) as work:
            assert [m.read() for m in work][1:] == [b"Subject: In memory\n\nm\n",
                                                   b"Subject: After a line\n\nrest\n"]
        with user.open_mailbox("INBOX", readonly=True) as inbox:
            delivered = inbox.message(inbox.search("SUBJECT Delivered")[0])
            # As loft-lda (and Dovecot's LDA), no trace header is added.
            assert delivered.read() == b"From: dave@example.org\nSubject: Delivered\n\nhi\n"
        with user.open_mailbox("Work", readonly=True) as work:
            assert [m.header("Subject") for m in work] == ["From a file", "In memory", "After a line"]

    with pytest.raises(loft.NotFound) as e:
        loft.deliver(conf, "nobody", b"Subject: x\n\ny\n")
    assert e.value.smtp_code == 0  # no delivery was attempted
    with pytest.raises(loft.InvalidArgument):
        loft.deliver(tmp_path / "missing.conf", "alice", b"Subject: x\n\ny\n")

    assert loft.verify_password(conf, "alice", "secret") is True
    assert loft.verify_password(conf, "alice", "wrong") is False
    assert loft.verify_password(conf, "nobody", "secret") is False


def test_errors_are_the_right_classes(loft, user, tmp_path):
    with pytest.raises(loft.NotFound) as e:
        user.open_mailbox("Nope")
    assert isinstance(e.value, loft.Error) and isinstance(e.value, LookupError)
    assert "Nope" in str(e.value)
    assert e.value.status == 2
    with pytest.raises(loft.InvalidArgument):
        user.create_mailbox("Bad..Name")
    with pytest.raises(loft.InvalidArgument) as e:
        user.delete_mailbox("INBOX")
    assert "INBOX" in str(e.value)
    with pytest.raises(loft.NotFound):
        user.delete_mailbox("Nope")
    with pytest.raises(loft.InvalidArgument):
        user.create_mailbox("X", special_use={"\\Bogus"})
    with user.open_mailbox("INBOX", readonly=True) as inbox:
        with pytest.raises(loft.PermissionDenied):
            inbox.store(1, add="\\Seen")
        with pytest.raises(loft.PermissionDenied):
            inbox.save(b"Subject: x\n\ny\n")
        with pytest.raises(loft.NotFound):
            inbox.message(99)
    with pytest.raises(loft.NotFound):
        loft.User.from_config(tmp_path / "missing.conf", "alice")
    with pytest.raises(loft.NotFound) as e:
        loft.User.open(tmp_path / "no-such-home")  # nothing to detect
    assert "mail_location" in str(e.value)
    with pytest.raises(loft.InvalidArgument):
        loft.User.open(tmp_path, "bogus:/x")
    bad = tmp_path / "bad.conf"
    bad.write_text("no_such_setting = 1\n")
    with pytest.raises(loft.InvalidArgument) as e:
        loft.User.from_config(bad, "alice")
    assert "bad.conf:1" in str(e.value)
    with pytest.raises(loft.NotFound):
        loft.User.from_config(write_config(tmp_path, tmp_path), "nobody")


def test_closed_handles(loft, home):
    with loft.User.open(home, "maildir:~/Maildir") as user:
        with user.open_mailbox() as inbox:
            first = inbox.message_at(1)
        assert inbox.closed
        for use in (lambda: len(inbox), lambda: list(inbox), lambda: inbox.search("ALL"), first.read,
                    lambda: inbox.save(b"Subject: x\n\ny\n"), inbox.sync):
            with pytest.raises(loft.Closed):
                use()
        inbox.close()  # twice is fine
        # Closing the user closes what was opened from it.
        work = user.open_mailbox("Work")
    assert user.closed and work.closed
    with pytest.raises(loft.Closed):
        user.mailboxes()
    with pytest.raises(loft.Closed):
        work.status()
    with pytest.raises(loft.Closed):
        user.open_mailbox("INBOX")


def test_library_found_without_environment(build_dir):
    """LOFT_LIBRARY unset: the SONAME through LD_LIBRARY_PATH (a fresh
    interpreter, since the package loads the library once)."""
    env = {k: v for k, v in os.environ.items() if k != "LOFT_LIBRARY"}
    env["LD_LIBRARY_PATH"] = str(build_dir / "bindings" / "c")
    env["PYTHONPATH"] = str(ROOT / "bindings" / "python")
    out = subprocess.run([sys.executable, "-c", "import loft; print(loft.library_version())"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().count(".") == 2

    # A LOFT_LIBRARY that is not there is an error, even though the loader
    # could find the library (no other library is used instead).
    env["LOFT_LIBRARY"] = "/nonexistent/libmailstore-c.so"
    out = subprocess.run([sys.executable, "-c", "import loft\nloft.library_version()"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode != 0
    assert "LOFT_LIBRARY" in out.stderr


def test_installed_package(build_dir, home, tmp_path):
    """`meson install` puts the package into the prefix's site-packages with
    the prefix's libdir recorded; staged (DESTDIR) and imported from there by
    Debian's python3, it opens a Maildir, lists it and reads a message."""
    import json

    stage = tmp_path / "stage"
    out = subprocess.run(["meson", "install", "-C", str(build_dir), "--no-rebuild", "--tags", "python-runtime",
                          "--destdir", str(stage)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    installed = [p for p in stage.rglob("loft/__init__.py")]
    assert len(installed) == 1, installed
    package = installed[0].parent
    assert {p.name for p in package.iterdir()} >= {
        "__init__.py", "_library.py", "_install_paths.py", "delivery.py", "errors.py", "flags.py", "mailbox.py",
        "message.py", "user.py", "py.typed"}
    options = {o["name"]: o["value"] for o in json.loads(subprocess.run(
        ["meson", "introspect", "--buildoptions", str(build_dir)], capture_output=True, text=True,
        check=True).stdout)}
    recorded = {}
    exec((package / "_install_paths.py").read_text(), recorded)
    assert recorded["LIBDIR"] == os.path.join(options["prefix"], options["libdir"])

    script = textwrap.dedent(f"""\
        import loft
        print(loft.__file__)
        with loft.User.open({str(home)!r}, "maildir:~/Maildir") as user:
            print(" ".join(b.name for b in user.mailboxes()))
            with user.open_mailbox("INBOX", readonly=True) as inbox:
                print(inbox.message(1).header("Subject"))
        """)
    env = {k: v for k, v in os.environ.items() if k not in ("LOFT_LIBRARY", "PYTHONPATH")}
    env["PYTHONPATH"] = str(package.parent)
    # The staged tree's libdir does not exist at the recorded path: the
    # loader's path is the fallback (here, the build's library).
    env["LD_LIBRARY_PATH"] = str(build_dir / "bindings" / "c")
    out = subprocess.run(["/usr/bin/python3", "-c", script], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [str(package / "__init__.py"), "INBOX Work", "Lunch"]
