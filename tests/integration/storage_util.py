"""Helpers for the storage integration tests: running loft-storage-tool
(tests/support/storage_tool.cpp, the public storage API on the command line),
parsing what it prints, token messages whose body proves they are whole, and
a throwaway Dovecot set-up (doveadm, dovecot-lda) on a temporary Maildir.

Dovecot refuses mail access as root ("Mail access not allowed for root"), so
DovecotUser creates a temporary system user with useradd, runs doveadm,
dovecot-lda and loft-storage-tool as that user (setpriv), and removes the
user again in close(). doveadm and dovecot-lda are run without -u/-d: with
USER and HOME in the environment they skip the userdb lookup, so no Dovecot
auth service has to run.
"""
from __future__ import annotations

import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile

TIMEOUT = 120


def tool_binary(build_dir: pathlib.Path) -> str:
    built = build_dir / "tests" / "support" / "loft-storage-tool"
    if not built.exists():
        raise AssertionError(f"{built} is not built (meson compile -C {build_dir})")
    return str(built)


# ---- token messages (the same bytes as make_message in storage_tool.cpp) ----

def body_line(token: str, i: int) -> str:
    return f"{token} {i:06d} abcdefghijklmnopqrstuvwxyz0123456789\n"


def make_message(token: str, size: int = 1024) -> bytes:
    per_line = len(body_line(token, 0))
    lines = max(1, (size - 300) // per_line if size > 300 else 1)
    head = (
        "From: Loft Test <test@loft.example>\n"
        "To: user@loft.example\n"
        f"Subject: {token}\n"
        f"Message-ID: <{token}@loft.example>\n"
        "Date: Sat, 28 Nov 2026 12:00:00 +0000\n"
        f"X-Token: {token}\n"
        f"X-Body-Lines: {lines}\n"
        "\n"
    )
    return (head + "".join(body_line(token, i) for i in range(lines))).encode()


# ---- parsing loft-storage-tool output ----

SYSTEM_FLAGS = {"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"}


class Fetch:
    """`loft-storage-tool fetch` output: header values and one row per message."""

    def __init__(self, text: str):
        lines = text.splitlines()
        assert lines and lines[0].startswith("# "), f"no header line in fetch output: {text[:200]!r}"
        self.header = dict(kv.split("=", 1) for kv in lines[0][2:].split())
        self.rows = []
        for line in lines[1:]:
            f = line.split("\t")
            assert len(f) >= 5, f"bad fetch line {line!r}"
            row = {
                "uid": int(f[0]),
                "flags": frozenset(f[1].split()),
                "keywords": frozenset(f[2].split()),
                "modseq": int(f[3]),
                "size": f[4],
                "extra": f[5:],
            }
            self.rows.append(row)

    @property
    def uids(self) -> list[int]:
        return [r["uid"] for r in self.rows]

    @property
    def uidvalidity(self) -> int:
        return int(self.header["uidvalidity"])

    @property
    def uidnext(self) -> int:
        return int(self.header["uidnext"])

    @property
    def highestmodseq(self) -> int:
        return int(self.header["highestmodseq"])

    def flag_map(self) -> dict[int, tuple[frozenset, frozenset]]:
        return {r["uid"]: (r["flags"], r["keywords"]) for r in self.rows}

    def tokens(self) -> dict[int, str]:
        """UID -> token for `fetch --verify` output; asserts every body was whole."""
        out = {}
        for r in self.rows:
            assert r["extra"], "fetch was not run with --verify"
            token, verdict = r["extra"][0].split(" ")
            assert verdict == "ok", f"UID {r['uid']} (token {token}): body not intact"
            out[r["uid"]] = token
        return out


def parse_doveadm_fetch(text: str) -> dict[int, tuple[frozenset, frozenset]]:
    """`doveadm fetch 'uid flags'` output -> UID -> (system flags, keywords),
    without \\Recent (it belongs to a session, not to the message)."""
    out = {}
    uid = None
    for line in text.splitlines():
        if line.startswith("uid: "):
            uid = int(line[5:])
        elif line.startswith("flags:"):
            words = line[6:].split()
            flags = frozenset(w for w in words if w in SYSTEM_FLAGS)
            keywords = frozenset(w for w in words if not w.startswith("\\"))
            assert uid is not None, f"flags before uid in {text!r}"
            assert uid not in out, f"UID {uid} twice in doveadm fetch output"
            out[uid] = (flags, keywords)
            uid = None
    return out


def parse_doveadm_status(text: str) -> dict[str, str]:
    """`doveadm mailbox status 'uidvalidity uidnext messages' BOX` -> values."""
    words = text.split()
    return dict(w.split("=", 1) for w in words if "=" in w)


# ---- running things ----

def run(cmd: list[str], *, input: bytes | None = None, check: bool = True, env=None,
        timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}\nstdout: {p.stdout.decode(errors='replace')[:2000]}"
                             f"\nstderr: {p.stderr.decode(errors='replace')[:4000]}")
    return p


class Tool:
    """loft-storage-tool on one Maildir, optionally run as another user."""

    def __init__(self, binary: str, location: str, *, settings: dict[str, str] | None = None,
                 prefix: list[str] | None = None):
        self.binary = binary
        self.location = location
        self.settings = dict(settings or {})
        self.prefix = list(prefix or [])

    def argv(self, *args: str, settings: dict[str, str] | None = None) -> list[str]:
        cmd = self.prefix + [self.binary, "-l", self.location]
        for k, v in {**self.settings, **(settings or {})}.items():
            cmd += ["-o", f"{k}={v}"]
        return cmd + list(args)

    def __call__(self, *args: str, input: bytes | None = None, check: bool = True,
                 settings: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return run(self.argv(*args, settings=settings), input=input, check=check)

    def fetch(self, mailbox: str = "INBOX", *extra: str) -> Fetch:
        return Fetch(self("fetch", mailbox, *extra).stdout.decode())

    def save(self, mailbox: str, message: bytes, *extra: str) -> int:
        out = self("save", mailbox, *extra, input=message).stdout.decode().split()
        assert len(out) == 1, f"save printed {out!r}"
        return int(out[0])


def temp_dir(name: str) -> pathlib.Path:
    """A fresh directory under /tmp that other users can enter (for setpriv)."""
    d = pathlib.Path(tempfile.mkdtemp(prefix=f"loft-{name}-"))
    d.chmod(0o755)
    return d


class DovecotUser:
    """A temporary system user with a home in `workdir`, a minimal dovecot.conf
    (mail_location = maildir:~/Maildir) and ways to run doveadm, dovecot-lda
    and loft-storage-tool as that user."""

    def __init__(self, workdir: pathlib.Path, tool_bin: str):
        self.workdir = workdir
        self.name = f"lofttest{os.getpid() % 100000}"
        self.home = workdir / "home"
        self.home.mkdir()
        subprocess.run(["userdel", self.name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        run(["useradd", "-r", "-M", "-d", str(self.home), "-s", "/usr/sbin/nologin", self.name])
        pw = pwd.getpwnam(self.name)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        os.chown(self.home, self.uid, self.gid)
        self.maildir = self.home / "Maildir"
        self.conf = workdir / "dovecot.conf"
        self.conf.write_text(
            "mail_location = maildir:~/Maildir\n"
            f"mail_uid = {self.name}\n"
            f"mail_gid = {self.name}\n"
            "first_valid_uid = 1\n"
            "first_valid_gid = 1\n"
            f"base_dir = {workdir}/run\n"
            "log_path = /dev/stderr\n"
            "ssl = no\n"
            "mail_fsync = optimized\n"
        )
        self.conf.chmod(0o644)
        self.setpriv = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups",
                        "env", f"USER={self.name}", f"HOME={self.home}"]
        self.tool = Tool(tool_bin, f"maildir:{self.maildir}", prefix=self.setpriv)

    def doveadm(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
        return run(self.setpriv + ["doveadm", "-c", str(self.conf)] + list(args), input=input, check=check)

    def lda(self, message: bytes, mailbox: str | None = None) -> None:
        cmd = self.setpriv + ["/usr/lib/dovecot/dovecot-lda", "-c", str(self.conf), "-e"]
        if mailbox:
            cmd += ["-m", mailbox]
        run(cmd, input=message)

    def fetch(self, mailbox: str = "INBOX") -> dict[int, tuple[frozenset, frozenset]]:
        return parse_doveadm_fetch(self.doveadm("fetch", "uid flags", "mailbox", mailbox, "all").stdout.decode())

    def status(self, mailbox: str) -> dict[str, str]:
        out = self.doveadm("mailbox", "status", "uidvalidity uidnext messages guid", mailbox).stdout.decode()
        return parse_doveadm_status(out)

    def mailboxes(self, *flags: str) -> set[str]:
        return set(self.doveadm("mailbox", "list", *flags).stdout.decode().splitlines())

    def close(self) -> None:
        subprocess.run(["userdel", self.name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.workdir, ignore_errors=True)
