"""The example tools of examples/ (built on the public C++ API only) against a
Maildir written here with known senders, sizes, flags and dates:
loft-mailbox-stats' text and JSON output, and loft-archive's output and the
folders, files, flags, dates and subscriptions it leaves on disk."""
from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import time

import pytest

DAY = 86400
NOW = int(time.time())


def ts(text: str) -> int:
    """Unix time of a UTC "YYYY-MM-DD"."""
    return int(time.mktime(time.strptime(text + " UTC", "%Y-%m-%d %Z"))) - time.timezone


def rfc5322(t: int) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))


class Msg:
    """A message of the test Maildir: `arrived` is its internal date (the
    file's mtime), `sent` its Date: header."""

    def __init__(self, key, folder, sender, subject, arrived, sent=None, flags="", body_lines=3):
        self.key = key
        self.folder = folder
        self.arrived = arrived
        body = "".join(f"{key} line {i:05d} of the body\n" for i in range(body_lines))
        self.data = (f"From: {sender}\nTo: user@example.org\nSubject: {subject}\n"
                     f"Date: {rfc5322(sent if sent is not None else arrived)}\n"
                     f"Message-ID: <{key}@example.org>\n\n{body}").encode()
        self.flags = flags
        # RFC822.SIZE: every LF counted as CRLF.
        self.vsize = len(self.data) + self.data.count(b"\n")


def messages() -> list[Msg]:
    return [
        Msg("old2019", "INBOX", "alice@example.org", "Old report", ts("2019-03-10"), flags="S"),
        Msg("old2020", "INBOX", "Bob <bob@example.org>", "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=", ts("2020-06-01"),
            flags="FS", body_lines=200),
        # Arrived in 2021, but its Date: says 2018 (--by=date files it there).
        Msg("late", "INBOX", "alice@example.org", "Delayed", ts("2021-01-05"), sent=ts("2018-12-31"),
            body_lines=10),
        Msg("recent1", "INBOX", "carol@example.org", "This week", NOW - 2 * DAY),
        Msg("recent2", "INBOX", "ALICE@Example.ORG", "Today", NOW - 3600, body_lines=1),
        Msg("work1", "Work", "Bob <bob@example.org>", "Work plan", ts("2022-02-02"), flags="S", body_lines=60),
    ]


def folder_dir(maildir: pathlib.Path, folder: str) -> pathlib.Path:
    return maildir if folder == "INBOX" else maildir / ("." + folder)


def write_maildir(maildir: pathlib.Path, msgs: list[Msg]):
    """Mail files as a Maildir delivery agent leaves them (no index yet)."""
    for n, m in enumerate(msgs):
        d = folder_dir(maildir, m.folder)
        for sub in ("cur", "new", "tmp"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        if m.folder != "INBOX":
            (d / "maildirfolder").touch()
        path = d / "cur" / f"{m.arrived}.M{n}P1.example,S={len(m.data)},W={m.vsize}:2,{m.flags}"
        path.write_bytes(m.data)
        os.utime(path, (m.arrived, m.arrived))


def mail_files(d: pathlib.Path) -> dict[str, pathlib.Path]:
    """Message key (from the Message-ID) -> file, of one folder's cur/ and new/."""
    found = {}
    for sub in ("cur", "new"):
        if (d / sub).is_dir():
            for f in (d / sub).iterdir():
                key = re.search(rb"Message-ID: <([^@]+)@", f.read_bytes()).group(1).decode()
                found[key] = f
    return found


def uidlist(d: pathlib.Path) -> dict[str, int]:
    """Base file name -> UID, from dovecot-uidlist."""
    uids = {}
    for line in (d / "dovecot-uidlist").read_text().splitlines()[1:]:
        # "UID [EXTENSION...] :FILENAME"
        uid, _, rest = line.partition(" ")
        uids[(" " + rest).split(" :", 1)[1]] = int(uid)
    return uids


def run(args, **kw):
    env = dict(os.environ, TZ="UTC")
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, env=env,
                          stdin=subprocess.DEVNULL, **kw)


@pytest.fixture(scope="module")
def tools(build_dir):
    found = {}
    for name in ("loft-mailbox-stats", "loft-archive"):
        exe = build_dir / "examples" / name
        if not exe.exists():
            pytest.fail(f"{exe} not built")
        found[name] = exe
    return found


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    write_maildir(home / "Maildir", messages())
    return home


def where(home):
    return ["--home", home, "--mail-location", f"maildir:{home}/Maildir"]


# ---- loft-mailbox-stats ----

def test_stats_text(tools, home):
    out = run([tools["loft-mailbox-stats"], *where(home), "--top", "3"])
    assert out.returncode == 0, out.stderr
    msgs = {m.key: m for m in messages()}
    inbox = [m for m in msgs.values() if m.folder == "INBOX"]
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["Folder", "Messages", "Size"]
    assert lines[1].split() == ["INBOX", "5", str(sum(m.vsize for m in inbox))]
    assert lines[2].split() == ["Work", "1", str(msgs["work1"].vsize)]
    assert lines[3].split() == ["Total", "6", str(sum(m.vsize for m in msgs.values()))]
    assert lines[4:6] == ["", "Largest messages:"]
    # The three largest, largest first; the subject RFC 2047-decoded.
    largest = sorted(msgs.values(), key=lambda m: -m.vsize)[:3]
    assert [m.key for m in largest] == ["old2020", "work1", "late"]
    assert [line.split(None, 4) for line in lines[6:9]] == [
        [str(msgs["old2020"].vsize), "INBOX", "UID", "2", "Grüße"],
        [str(msgs["work1"].vsize), "Work", "UID", "1", "Work plan"],
        [str(msgs["late"].vsize), "INBOX", "UID", "3", "Delayed"],
    ]
    # Senders by address, case-insensitively: alice 3 (one written in capitals), bob 2, carol 1.
    assert lines[9:] == ["", "Top senders:", f"{3:10d}  alice@example.org", f"{2:10d}  bob@example.org",
                         f"{1:10d}  carol@example.org"]


def test_stats_json_and_userdb_lookup(tools, home, tmp_path):
    """--json, with the user found through a config's passwd-file userdb."""
    passwd = tmp_path / "passwd"
    passwd.write_text(f"alice:{{PLAIN}}secret:{os.geteuid()}:{os.getegid()}::{home}::"
                      "userdb_mail=maildir:~/Maildir\n")
    conf = tmp_path / "loft.conf"
    conf.write_text(f"passdb {{\n  driver = passwd-file\n  args = {passwd}\n}}\n"
                    f"userdb {{\n  driver = passwd-file\n  args = {passwd}\n}}\n")
    out = run([tools["loft-mailbox-stats"], "-c", conf, "-u", "alice", "--json", "-n", "2"])
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)
    msgs = {m.key: m for m in messages()}
    assert stats["user"] == "alice"
    assert stats["folders"] == [
        {"name": "INBOX", "messages": 5, "size": sum(m.vsize for m in msgs.values() if m.folder == "INBOX")},
        {"name": "Work", "messages": 1, "size": msgs["work1"].vsize},
    ]
    assert stats["total"] == {"messages": 6, "size": sum(m.vsize for m in msgs.values())}
    assert stats["largest"] == [
        {"folder": "INBOX", "uid": 2, "size": msgs["old2020"].vsize, "subject": "Grüße"},
        {"folder": "Work", "uid": 1, "size": msgs["work1"].vsize, "subject": "Work plan"},
    ]
    assert stats["senders"] == [{"address": "alice@example.org", "messages": 3},
                                {"address": "bob@example.org", "messages": 2}]

    out = run([tools["loft-mailbox-stats"], "-c", conf, "-u", "nobody-here"])
    assert out.returncode == 1
    assert "nobody-here" in out.stderr and "not found" in out.stderr


def test_stats_leaves_mail_alone(tools, home):
    """Read-only: mail files (names carry the flags) are unchanged."""
    maildir = home / "Maildir"
    before = sorted(p.name for p in maildir.rglob("*") if p.parent.name in ("cur", "new"))
    assert run([tools["loft-mailbox-stats"], *where(home)]).returncode == 0
    after = sorted(p.name for p in maildir.rglob("*") if p.parent.name in ("cur", "new"))
    assert before == after


# ---- loft-archive ----

def test_archive_moves_old_mail_by_year(tools, home):
    maildir = home / "Maildir"
    msgs = {m.key: m for m in messages()}
    out = run([tools["loft-archive"], *where(home), "--days", "30", "-v"])
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "created Archive",
        "created Archive.2019",
        "INBOX UID 1 -> Archive.2019 UID 1",
        "moved 1 message from INBOX to Archive.2019",
        "created Archive.2020",
        "INBOX UID 2 -> Archive.2020 UID 1",
        "moved 1 message from INBOX to Archive.2020",
        "created Archive.2021",
        "INBOX UID 3 -> Archive.2021 UID 1",
        "moved 1 message from INBOX to Archive.2021",
    ]
    # The source keeps only the recent messages, under their old UIDs.
    inbox = mail_files(maildir)
    assert set(inbox) == {"recent1", "recent2"}
    uids = uidlist(maildir)
    assert {key: uids[f.name.split(":")[0]] for key, f in inbox.items()} == {"recent1": 4, "recent2": 5}
    # Each archived message whole, with its flags and internal date.
    for key, year in (("old2019", 2019), ("old2020", 2020), ("late", 2021)):
        files = mail_files(maildir / f".Archive.{year}")
        assert set(files) == {key}
        f = files[key]
        assert f.read_bytes() == msgs[key].data
        assert (f.name.split(":2,")[1] if ":2," in f.name else "") == msgs[key].flags
        assert int(f.stat().st_mtime) == msgs[key].arrived
        assert uidlist(maildir / f".Archive.{year}")[f.name.split(":")[0]] == 1
    # Other folders untouched; the new folders subscribed.
    assert set(mail_files(maildir / ".Work")) == {"work1"}
    # (Dovecot's subscriptions file v2 separates hierarchy levels with a TAB.)
    subscribed = (maildir / "subscriptions").read_text().splitlines()
    assert {"Archive", "Archive\t2019", "Archive\t2020", "Archive\t2021"} <= set(subscribed)

    # Nothing left to do the second time.
    out = run([tools["loft-archive"], *where(home), "--days", "30"])
    assert (out.returncode, out.stdout) == (0, "nothing older than 30 days in INBOX\n"), out.stderr
    # The statistics tool sees the new folders.
    out = run([tools["loft-mailbox-stats"], *where(home), "--json"])
    stats = json.loads(out.stdout)
    assert stats["user"] == "home"  # without -u: the home directory's name
    folders = {f["name"]: f["messages"] for f in stats["folders"]}
    assert folders == {"INBOX": 2, "Archive": 0, "Archive.2019": 1, "Archive.2020": 1, "Archive.2021": 1,
                       "Work": 1}


def test_archive_dry_run_changes_nothing(tools, home):
    maildir = home / "Maildir"
    before = sorted(str(p.relative_to(maildir)) for p in maildir.rglob("*") if p.parent.name in ("cur", "new"))
    out = run([tools["loft-archive"], *where(home), "--days", "1000", "--dry-run", "-v"])
    assert out.returncode == 0, out.stderr
    # Only what arrived more than 1000 days ago, per year.
    assert out.stdout.splitlines() == [
        "would move 1 message from INBOX to Archive.2019",
        "INBOX UID 1 -> Archive.2019",
        "would move 1 message from INBOX to Archive.2020",
        "INBOX UID 2 -> Archive.2020",
        "would move 1 message from INBOX to Archive.2021",
        "INBOX UID 3 -> Archive.2021",
    ]
    after = sorted(str(p.relative_to(maildir)) for p in maildir.rglob("*") if p.parent.name in ("cur", "new"))
    assert before == after
    assert not list(maildir.glob(".Archive*"))


def test_archive_by_date_header_other_folder(tools, home):
    """--by=date files by the Date: header; --folder and --archive name the
    source and the archive's top folder."""
    maildir = home / "Maildir"
    out = run([tools["loft-archive"], *where(home), "--days", "30", "--by=date"])
    assert out.returncode == 0, out.stderr
    assert "moved 1 message from INBOX to Archive.2018" in out.stdout
    assert set(mail_files(maildir / ".Archive.2018")) == {"late"}
    assert not (maildir / ".Archive.2021").exists()

    out = run([tools["loft-archive"], *where(home), "--days", "30", "--folder", "Work", "--archive", "Old"])
    assert out.returncode == 0, out.stderr
    assert set(mail_files(maildir / ".Old.2022")) == {"work1"}
    assert mail_files(maildir / ".Work") == {}


def test_archive_errors(tools, home):
    out = run([tools["loft-archive"], *where(home), "--days", "30", "--folder", "Nope"])
    assert out.returncode == 1
    assert "Nope" in out.stderr
    out = run([tools["loft-archive"], *where(home)])
    assert out.returncode != 0
    assert "--days" in out.stderr
    out = run([tools["loft-archive"], *where(home), "--days", "3", "--by", "sender"])
    assert out.returncode != 0


def test_archive_failure_keeps_mail_in_source(tools, home):
    """A destination that cannot take mail (a Maildir folder whose cur/ is a
    file) stops the run with an error; the messages for it stay in the
    source, the ones moved before are in their archive folder once."""
    maildir = home / "Maildir"
    broken = maildir / ".Archive.2020"
    for sub in ("new", "tmp"):
        (broken / sub).mkdir(parents=True)
    (broken / "cur").write_text("")
    (broken / "maildirfolder").touch()
    out = run([tools["loft-archive"], *where(home), "--days", "30"])
    assert out.returncode == 1
    assert "Archive.2020" in out.stderr
    assert out.stdout.splitlines() == ["created Archive", "created Archive.2019",
                                       "moved 1 message from INBOX to Archive.2019"]
    assert set(mail_files(maildir)) == {"old2020", "late", "recent1", "recent2"}
    assert set(mail_files(maildir / ".Archive.2019")) == {"old2019"}


def test_archive_fs_layout_uses_slash(tools, tmp_path):
    """With LAYOUT=fs the hierarchy separator is '/': Archive/<year>, one
    directory per level."""
    home = tmp_path / "fs"
    maildir = home / "Maildir"
    write_maildir(maildir, [m for m in messages() if m.folder == "INBOX"])
    location = ["--home", home, "--mail-location", f"maildir:{maildir}:LAYOUT=fs"]
    out = run([tools["loft-archive"], *location, "--days", "30"])
    assert out.returncode == 0, out.stderr
    assert "moved 1 message from INBOX to Archive/2019" in out.stdout.splitlines()
    assert set(mail_files(maildir / "Archive" / "2019")) == {"old2019"}
    assert set(mail_files(maildir / "Archive" / "2021")) == {"late"}
    out = run([tools["loft-mailbox-stats"], *location, "--json"])
    assert [f["name"] for f in json.loads(out.stdout)["folders"]] == [
        "INBOX", "Archive", "Archive/2019", "Archive/2020", "Archive/2021"]


def test_archive_while_mail_arrives(tools, tmp_path):
    """Another program delivering into the Maildir while loft-archive runs
    (as Postfix's local agent would: tmp/, then a rename into new/): every
    message is afterwards in exactly one place, the old ones archived, the
    new ones still in INBOX."""
    import threading
    from collections import Counter

    home = tmp_path / "busy"
    maildir = home / "Maildir"
    old = [Msg(f"old{i:04d}", "INBOX", "a@example.org", f"old {i}", ts("2020-03-01") + i) for i in range(400)]
    write_maildir(maildir, old)
    arrived = []
    stop = threading.Event()

    def deliver():
        n = 0
        while not stop.is_set() or n < 20:
            m = Msg(f"new{n:04d}", "INBOX", "b@example.org", f"new {n}", NOW)
            tmp = maildir / "tmp" / f"{NOW}.M{n}P2.mta"
            tmp.write_bytes(m.data)
            os.rename(tmp, maildir / "new" / tmp.name)
            arrived.append(m.key)
            n += 1
            time.sleep(0.005)

    writer = threading.Thread(target=deliver)
    writer.start()
    try:
        out = run([tools["loft-archive"], *where(home), "--days", "30"])
    finally:
        stop.set()
        writer.join()
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "moved 400 messages from INBOX to Archive.2020"

    def keys(folder: pathlib.Path) -> Counter:
        found = Counter()
        for sub in ("cur", "new"):
            for f in (folder / sub).iterdir():
                found[re.search(rb"Message-ID: <([^@]+)@", f.read_bytes()).group(1).decode()] += 1
        return found

    inbox, archive = keys(maildir), keys(maildir / ".Archive.2020")
    assert archive == Counter(m.key for m in old)
    assert inbox == Counter(arrived)
