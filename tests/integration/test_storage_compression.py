"""zlib plugin compatibility: `plugin { zlib_save = gz|bz2 }` makes new mail
files gzip or bzip2 streams (readable with zcat/bzcat), plain and compressed
files live side by side in one mailbox, sizes are those of the uncompressed
message (S= in the name, vsize in STATUS), and Dovecot with its zlib plugin
reads what Loft wrote."""
import bz2
import gzip

import pytest

from loftadm_storage_util import DOVEADM, Dovecot, LoftUser, messages, run


@pytest.fixture(scope="module")
def loftadm(build_dir):
    exe = build_dir / "daemons" / "loftadm" / "loftadm"
    if not exe.exists():
        pytest.fail(f"{exe} not built")
    return str(exe)


def message(n: int) -> bytes:
    # Compressible and unique: a token per message to find it again.
    body = "".join(f"line {i} of message {n}, token-{n:04d}\n" for i in range(200))
    return f"From: sender{n}@example.org\nSubject: message {n}\n\n{body}".encode()


def mbox(msgs) -> bytes:
    return b"".join(b"From sender@example.org Sat Jan  1 00:00:00 2022\n" + m + b"\n" for m in msgs)


def import_with(u, tmp_path, compression, msgs, name):
    base = u.conf.read_text().split("plugin {")[0]
    if compression:
        base += f"plugin {{\n  zlib_save = {compression}\n  zlib_save_level = 6\n}}\n"
    u.conf.write_text(base)
    source = tmp_path / name
    source.write_bytes(mbox(msgs))
    out = u.adm("import", str(source), "INBOX")
    assert out.returncode == 0, out.stderr


def test_compressed_and_plain_side_by_side(loftadm, tmp_path):
    u = LoftUser(loftadm, tmp_path)
    gz_msgs = [message(n) for n in range(3)]
    bz_msgs = [message(n) for n in range(3, 5)]
    plain_msgs = [message(n) for n in range(5, 7)]
    import_with(u, tmp_path, "gz", gz_msgs, "a.mbox")
    import_with(u, tmp_path, "bz2", bz_msgs, "b.mbox")
    import_with(u, tmp_path, None, plain_msgs, "c.mbox")

    stored = messages(u.maildir)
    assert [m["uid"] for m in stored] == list(range(1, 8))
    expected = gz_msgs + bz_msgs + plain_msgs
    for m, original in zip(stored, expected):
        data = m["data"]
        if m["uid"] <= 3:
            assert data[:2] == b"\x1f\x8b", m["name"]
            assert gzip.decompress(data) == original
        elif m["uid"] <= 5:
            assert data[:3] == b"BZh", m["name"]
            assert bz2.decompress(data) == original
        else:
            assert data == original
        # S= is the uncompressed size, as Dovecot's zlib plugin writes it.
        assert f",S={len(original)}," in m["name"] or m["name"].split(":")[0].endswith(f",S={len(original)}")
        assert len(data) < len(original) or m["uid"] > 5

    vsize = sum(len(x) + x.count(b"\n") for x in expected)
    out = u.adm("mailbox status", "messages vsize", "INBOX")
    assert (out.returncode, out.stdout) == (0, f"INBOX messages=7 vsize={vsize}\n"), out.stderr


@pytest.mark.skipif(DOVEADM is None, reason="doveadm (dovecot-core) is not installed")
def test_dovecot_with_zlib_reads_what_loft_compressed(loftadm, tmp_path):
    u = LoftUser(loftadm, tmp_path)
    msgs = [message(n) for n in range(4)]
    import_with(u, tmp_path, "gz", msgs[:2], "a.mbox")
    import_with(u, tmp_path, "bz2", msgs[2:], "b.mbox")
    dovecot = Dovecot(tmp_path / "dovecot", u.home)
    dovecot.conf.write_text(dovecot.conf.read_text() + "mail_plugins = zlib\n")
    dovecot.own()
    out = dovecot.adm("fetch", "uid size.virtual", "mailbox", "INBOX", "all")
    assert out.returncode == 0, out.stderr
    got = [line.split(": ")[1] for line in out.stdout.splitlines() if ": " in line]
    want = []
    for uid, m in enumerate(msgs, 1):
        want += [str(uid), str(len(m) + m.count(b"\n"))]
    assert got == want
    for uid, m in enumerate(msgs, 1):
        out = dovecot.adm("fetch", "text", "mailbox", "INBOX", "uid", str(uid))
        assert out.returncode == 0, out.stderr
        assert f"token-{uid - 1:04d}" in out.stdout
        assert out.stdout.count("token-") == 200
