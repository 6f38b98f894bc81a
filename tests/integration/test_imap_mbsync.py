"""mbsync (Debian's isync) against loft-imapd: a 2,000-message account synced
both ways with a local Maildir, flag changes and deletions on each side, and
a last run that transfers nothing (checked in mbsync's own protocol trace,
-Dn, and on both sides)."""
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from imap_raw import connect, fetches, listed, message, search_numbers, srv  # noqa: F401

MBSYNC = shutil.which("mbsync")
COUNT = 2000
pytestmark = pytest.mark.skipif(MBSYNC is None, reason="mbsync (Debian package isync) is not installed")


def subject_of(data: bytes) -> str:
    m = re.search(rb"^Subject: (.*?)\r?$", data, re.M)
    return m.group(1).decode() if m else ""


def mbsync_config(srv, local: pathlib.Path, tls: bool = False) -> str:
    # isync 1.4 names: Far/Near, SSLType. Plain IMAP on loopback (the
    # server counts loopback as secured), or implicit TLS trusting the test
    # certificate itself; FSync off keeps the test quick.
    if tls:
        transport = f"Port {srv.tls_port}\nSSLType IMAPS\nCertificateFile {srv.dir / 'imapd.crt'}"
    else:
        transport = f"Port {srv.port}\nSSLType None"
    return f"""FSync no

IMAPAccount loft
Host {srv.host}
{transport}
User alice
Pass secret
AuthMechs LOGIN

IMAPStore remote
Account loft

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
Sync All
"""


def run_mbsync(config: pathlib.Path, *flags: str) -> subprocess.CompletedProcess:
    result = subprocess.run([MBSYNC, *flags, "-c", str(config), "-a"], capture_output=True, text=True,
                            timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    return result


def local_messages(folder: pathlib.Path) -> dict[str, str]:
    """Subject -> Maildir flags of the local folder's messages."""
    out = {}
    for sub in ("cur", "new"):
        for path in (folder / sub).iterdir():
            subject = subject_of(path.read_bytes())
            assert subject not in out, ("twice", subject)
            out[subject] = path.name.partition(":2,")[2]
    return out


def remote_messages(w, mailbox: str) -> dict[str, tuple[int, set[str]]]:
    """Subject -> (UID, flags) on the server."""
    w.ok(f"EXAMINE {mailbox}")
    out = {}
    for items in fetches(w.ok("FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")).values():
        header = next(v for k, v in items.items() if k.startswith("BODY[HEADER.FIELDS"))
        out[subject_of(header)] = (int(items["UID"]), set(items["FLAGS"]) - {r"\Recent"})
    return out


def fill_server(srv, w):
    """2,000 messages written straight into INBOX's cur/ (every tenth \\Seen)
    and 50 into Archive: the server indexes them when they are opened."""
    w.ok("CREATE Archive")
    w.ok("SELECT INBOX")
    maildir = srv.maildir("alice")
    owner = maildir.stat()
    for folder, count in (("", COUNT), (".Archive", 50)):
        cur = maildir / folder / "cur" if folder else maildir / "cur"
        for n in range(count):
            name = f"msg-{n:04d}" if not folder else f"arch-{n:02d}"
            flags = "S" if n % 10 == 9 else ""
            path = cur / f"1700000000.M{n}P1.loft-test:2,{flags}"
            path.write_bytes(message(name, f"Body of {name}.\r\n", message_id=f"<{name}@example.org>"))
            os.chown(path, owner.st_uid, owner.st_gid)
    w.ok("NOOP")


def test_mbsync_two_way(connect, srv, tmp_path):
    w = connect()
    fill_server(srv, w)
    local = tmp_path / "local"
    local.mkdir()
    config = tmp_path / "mbsyncrc"
    config.write_text(mbsync_config(srv, local))

    # 1. Everything comes down, flags included.
    run_mbsync(config)
    near = local_messages(local / "INBOX")
    assert len(near) == COUNT
    assert {s for s, f in near.items() if "S" in f} == {f"msg-{n:04d}" for n in range(9, COUNT, 10)}
    assert len(local_messages(local / "Archive")) == 50
    sample = next(p for sub in ("cur", "new") for p in (local / "INBOX" / sub).iterdir())
    name = subject_of(sample.read_bytes())
    # Byte for byte, but for LF line ends and the X-TUID header mbsync adds.
    data = re.sub(rb"(?m)^X-TUID: .*\n", b"", sample.read_bytes())
    assert data.replace(b"\n", b"\r\n") == message(name, f"Body of {name}.\r\n",
                                                                  message_id=f"<{name}@example.org>")

    # 2. Changes on both sides.
    far = remote_messages(w, "INBOX")
    w.ok("SELECT INBOX")
    uids = lambda names: ",".join(str(far[s][0]) for s in names)  # noqa: E731
    w.ok(r"UID STORE %s +FLAGS.SILENT (\Flagged)" % uids([f"msg-{n:04d}" for n in range(0, 10)]))
    w.ok(r"UID STORE %s +FLAGS.SILENT (\Deleted)" % uids([f"msg-{n:04d}" for n in range(10, 20)]))
    w.ok("EXPUNGE")
    for n in range(5):
        assert " OK " in w.append("INBOX", message(f"remote-new-{n}", message_id=f"<remote-new-{n}@example.org>"))
    w.ok("UNSELECT")
    for sub in ("cur", "new"):
        for path in list((local / "INBOX" / sub).iterdir()):
            subject = subject_of(path.read_bytes())
            n = int(subject[4:]) if subject.startswith("msg-") else -1
            if 20 <= n < 30:
                base, _, flags = path.name.partition(":2,")
                path.rename(local / "INBOX" / "cur" / f"{base}:2,{''.join(sorted(flags + 'S'))}")
            elif 30 <= n < 40:
                path.unlink()
    for n in range(3):
        (local / "INBOX" / "new" / f"1700000001.L{n}.near").write_bytes(
            message(f"local-new-{n}", message_id=f"<local-new-{n}@example.org>").replace(b"\r\n", b"\n"))
    run_mbsync(config)

    expected = ({f"msg-{n:04d}" for n in range(COUNT) if not 10 <= n < 40} | set(f"msg-{n:04d}" for n in range(20, 30))
                | {f"remote-new-{n}" for n in range(5)} | {f"local-new-{n}" for n in range(3)})
    assert len(expected) == COUNT - 20 + 8
    far = remote_messages(w, "INBOX")
    near = local_messages(local / "INBOX")
    assert set(far) == expected and set(near) == expected
    for n in range(COUNT):
        subject = f"msg-{n:04d}"
        if subject not in expected:
            continue
        seen = n % 10 == 9 or 20 <= n < 30
        flagged = n < 10
        assert (r"\Seen" in far[subject][1], r"\Flagged" in far[subject][1]) == (seen, flagged), (subject, far[subject])
        assert ("S" in near[subject], "F" in near[subject]) == (seen, flagged), (subject, near[subject])

    # 3. Nothing to do: the trace shows no APPEND, no body fetched, no STORE
    # or EXPUNGE, and neither side changes.
    before_near = sorted(p.name for sub in ("cur", "new") for p in (local / "INBOX" / sub).iterdir())
    status_before = w.ok("STATUS INBOX (MESSAGES UIDNEXT)")
    trace = run_mbsync(config, "-Dn")
    sent = [line[4:] for line in (trace.stdout + trace.stderr).splitlines() if line.startswith(">>> ")]
    assert sent, trace.stdout[-2000:]
    verbs = {" ".join(s.split()[1:3]) if s.split()[1] == "UID" else s.split()[1] for s in sent}
    assert not {v for v in verbs if v.split()[-1] in ("APPEND", "STORE", "EXPUNGE", "COPY", "MOVE")}, sent
    assert not [s for s in sent if "BODY" in s or "RFC822" in s.replace("RFC822.SIZE", "")], sent
    # mbsync took the COMPRESS=DEFLATE the server offers.
    assert "COMPRESS DEFLATE" in [" ".join(s.split()[1:]) for s in sent], sent
    after_near = sorted(p.name for sub in ("cur", "new") for p in (local / "INBOX" / sub).iterdir())
    assert after_near == before_near
    assert w.ok("STATUS INBOX (MESSAGES UIDNEXT)") == status_before
    assert "Archive" in listed(w.ok('LIST "" "*"'))


def test_mbsync_over_implicit_tls(build_dir, tmp_path):
    """IMAPS with the server's self-signed certificate as mbsync's
    CertificateFile; mbsync also checks the name, so the certificate is
    made for 127.0.0.1."""
    from imapd_util import ImapServer, make_self_signed
    from imap_raw import Wire
    server = ImapServer(build_dir, tmp_path / "server", start=False)
    make_self_signed(server.dir, "imapd", "127.0.0.1")
    with server.start():
        w = Wire.connect(server.port)
        try:
            w.greeting()
            w.login()
            for n in range(20):
                assert " OK " in w.append("INBOX", message(f"tls-{n:02d}", message_id=f"<tls-{n:02d}@example.org>"))
            local = tmp_path / "local"
            local.mkdir()
            config = tmp_path / "mbsyncrc"
            config.write_text(mbsync_config(server, local, tls=True))
            run_mbsync(config)
            assert set(local_messages(local / "INBOX")) == {f"tls-{n:02d}" for n in range(20)}
            # A message written locally goes up the same way.
            (local / "INBOX" / "new" / "1700000002.L1.near").write_bytes(
                message("from-near", message_id="<from-near@example.org>").replace(b"\r\n", b"\n"))
            run_mbsync(config)
            far = remote_messages(w, "INBOX")
            assert "from-near" in far and len(far) == 21
        finally:
            w.close()
