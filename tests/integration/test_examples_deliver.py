"""examples/deliver (loft-deliver): the C API's delivery example. A message
piped to it lands in the recipient's Maildir, and its exit statuses are the
sysexits.h values an MTA acts on (0 delivered, 64 usage, 67 unknown user,
75 try again, 77 refused)."""
from __future__ import annotations

import pathlib
import subprocess

import pytest

EX_OK, EX_USAGE, EX_NOUSER, EX_TEMPFAIL, EX_NOPERM = 0, 64, 67, 75, 77
TIMEOUT = 60

MESSAGE = (b"From: Carol <carol@example.net>\nTo: alice@example.com\nSubject: piped\n"
           b"Message-ID: <deliver-1@example.net>\n\nHello through the C API.\n")


class Setup:
    """A config with a passwd-file userdb (alice, and bob whose home cannot
    be created) and the loft-deliver binary."""

    def __init__(self, build_dir: pathlib.Path, workdir: pathlib.Path):
        self.exe = build_dir / "examples" / "deliver" / "loft-deliver"
        if not self.exe.exists():
            raise AssertionError(f"{self.exe} is not built (ninja -C {build_dir} examples/deliver/loft-deliver)")
        self.dir = workdir
        self.mail = workdir / "mail"
        self.mail.mkdir()
        (workdir / "not-a-directory").write_text("")
        passwd = workdir / "passwd"
        passwd.write_text(f"alice:{{PLAIN}}secret::::{self.mail / 'alice'}::\n"
                          f"bob:{{PLAIN}}secret::::{workdir / 'not-a-directory' / 'bob'}::\n")
        self.log = workdir / "loft.log"
        self.config = workdir / "loft.conf"
        self.config.write_text(
            f"base_dir = {workdir}/run\n"
            f"log_path = {self.log}\n"
            "mail_location = maildir:~/Maildir\n"
            "lda_mailbox_autocreate = yes\n"
            f"passdb {{\n  driver = passwd-file\n  args = {passwd}\n}}\n"
            f"userdb {{\n  driver = passwd-file\n  args = {passwd}\n}}\n")

    def run(self, *args: str, input: bytes = MESSAGE, config: bool = True) -> subprocess.CompletedProcess:
        argv = [str(self.exe)] + (["-c", str(self.config)] if config else []) + list(args)
        return subprocess.run(argv, input=input, capture_output=True, timeout=TIMEOUT)

    def messages(self, mailbox: str = "INBOX") -> list[pathlib.Path]:
        root = self.mail / "alice" / "Maildir"
        d = root if mailbox == "INBOX" else root / f".{mailbox}"
        return sorted(p for sub in ("new", "cur") if (d / sub).is_dir() for p in (d / sub).iterdir())


@pytest.fixture
def setup(build_dir, tmp_path):
    return Setup(build_dir, tmp_path)


def explain(r: subprocess.CompletedProcess) -> str:
    return f"exit {r.returncode}\nstderr: {r.stderr.decode(errors='replace')}"


def test_delivers_stdin_into_inbox(setup):
    r = setup.run("-f", "carol@example.net", "alice")
    assert r.returncode == EX_OK, explain(r)
    [saved] = setup.messages()
    # As loft-lda (and dovecot-lda): the file is the message as piped, LF
    # line ends kept, and its name carries both sizes.
    assert saved.read_bytes() == MESSAGE
    vsize = len(MESSAGE) + MESSAGE.count(b"\n")
    assert saved.name.split(":")[0].endswith(f",S={len(MESSAGE)},W={vsize}"), saved.name
    assert r.stdout == b""
    assert "saved mail to INBOX" in setup.log.read_text()


def test_mailbox_option_autocreates(setup):
    r = setup.run("-m", "Lists", "alice")
    assert r.returncode == EX_OK, explain(r)
    assert [p.read_bytes() for p in setup.messages("Lists")] == [MESSAGE]
    assert setup.messages() == []


def test_large_message_through_the_pipe(setup):
    body = b"".join(b"line %06d of a long message\n" % i for i in range(200_000))  # ~5.6 MB
    message = MESSAGE + body
    r = setup.run("alice", input=message)
    assert r.returncode == EX_OK, explain(r)
    [saved] = setup.messages()
    assert saved.read_bytes() == message


def test_unknown_user_is_ex_nouser(setup):
    r = setup.run("mallory")
    assert r.returncode == EX_NOUSER, explain(r)
    assert b"mallory" in r.stderr
    assert setup.messages() == []


def test_empty_message_is_refused(setup):
    r = setup.run("alice", input=b"")
    assert r.returncode == EX_NOPERM, explain(r)
    assert b"Empty mail" in r.stderr
    assert setup.messages() == []


def test_unwritable_home_is_temporary(setup):
    # bob's home lies under a regular file: the Maildir cannot be made, which
    # may work later (an admin fixes it), so the MTA must keep the message.
    r = setup.run("bob")
    assert r.returncode == EX_TEMPFAIL, explain(r)
    assert b"4.3.0" in r.stderr


def test_missing_config_is_temporary_not_unknown_user(setup):
    r = setup.run("-c", str(setup.dir / "missing.conf"), "alice", config=False)
    assert r.returncode == EX_TEMPFAIL, explain(r)
    assert b"missing.conf" in r.stderr


@pytest.mark.parametrize("args", [(), ("alice", "bob"), ("-x", "alice")])
def test_usage_errors(setup, args):
    r = setup.run(*args)
    assert r.returncode == EX_USAGE, explain(r)
    assert b"usage:" in r.stderr
