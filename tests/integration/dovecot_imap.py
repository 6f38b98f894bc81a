"""Dovecot's imap binary as the reference answer for a test mailbox: a
private copy of the Maildir, a minimal config, and a pre-authenticated
session fed on stdin (USER and HOME in the environment, so no Dovecot auth
service runs). Dovecot refuses mail access as root, so when the tests run
as root the copy belongs to nobody and Dovecot runs as nobody."""
import os
import pathlib
import shutil
import subprocess
import tempfile

DOVECOT_IMAP = pathlib.Path("/usr/lib/dovecot/imap")


def write_maildir(maildir: pathlib.Path, messages: list[bytes], base_time: int, tag: str,
                  arrivals: list[int] | None = None) -> None:
    """`messages` as Maildir files in cur/, in UID order (their names sort by
    base_time + index), with file mtimes (arrival dates) `arrivals` if given."""
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(messages):
        path = maildir / "cur" / f"{base_time + i}.M{i}P1.{tag}:2,"
        path.write_bytes(data)
        if arrivals is not None:
            os.utime(path, (arrivals[i], arrivals[i]))


class DovecotImap:
    """A throwaway Dovecot over the Maildir that `fill(maildir)` writes."""

    def __init__(self, fill, prefix: str = "loft-dovecot-"):
        self.root = pathlib.Path(tempfile.mkdtemp(prefix=prefix))
        os.chmod(self.root, 0o755)
        self.home = self.root / "home"
        fill(self.home / "Maildir")
        uid, gid = os.getuid(), os.getgid()
        if uid == 0:
            uid = gid = 65534
            for p in [self.root, *self.root.rglob("*")]:
                os.chown(p, uid, gid)
        (self.root / "run").mkdir()
        self.conf = self.root / "dovecot.conf"
        self.conf.write_text(
            f"base_dir = {self.root}/run\nstate_dir = {self.root}/run\nlog_path = {self.root}/log\n"
            "protocols = imap\nssl = no\nmail_location = maildir:~/Maildir\n"
            f"mail_uid = {uid}\nmail_gid = {gid}\nfirst_valid_uid = {uid}\nfirst_valid_gid = {gid}\n")

    def session(self, commands: list, tag: str = "X", timeout: int = 120) -> bytes:
        """Everything Dovecot answers to SELECT INBOX, then `commands` (str or
        bytes, tagged <tag>0, <tag>1, ...), then LOGOUT."""
        script = b"s SELECT INBOX\r\n"
        for i, c in enumerate(commands):
            script += f"{tag}{i} ".encode() + (c.encode() if isinstance(c, str) else c) + b"\r\n"
        script += b"z LOGOUT\r\n"
        env = {"USER": "alice", "HOME": str(self.home), "PATH": os.environ.get("PATH", "")}
        proc = subprocess.run([str(DOVECOT_IMAP), "-c", str(self.conf)], env=env, timeout=timeout, input=script,
                              capture_output=True, check=True)
        return proc.stdout

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
