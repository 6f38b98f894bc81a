"""Helpers of the loftadm storage tests: a Loft config with a passwd-file
userdb whose user keeps mail in ~/Maildir, a throwaway Dovecot 2.3 config
for doveadm on its own Maildir, and readers of Maildir files on disk."""
import os
import pathlib
import shutil
import subprocess

DOVEADM = shutil.which("doveadm")
# doveadm refuses to work on mail as root: as root it drops to nobody.
NOBODY = 65534


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, **kwargs)


def without_leak_check() -> dict:
    """The environment for a program that changes its effective uid, in
    AddressSanitizer builds: LeakSanitizer's final check attaches to the
    process like a debugger, which the kernel refuses once it is no longer
    dumpable (after seteuid) — the check would fail, not find a leak."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "detect_leaks=0"]))
    return env


class LoftUser:
    """A Loft config (CONF) whose passwd-file knows USER with home HOME."""

    def __init__(self, loftadm, root: pathlib.Path, user="alice@example.org"):
        self.loftadm = loftadm
        self.user = user
        self.home = root / "home"
        self.home.mkdir()
        self.maildir = self.home / "Maildir"
        passwd = root / "passwd"
        passwd.write_text(f"{user}:{{PLAIN}}secret:{os.geteuid()}:{os.getegid()}::{self.home}::"
                          "userdb_mail=maildir:~/Maildir\n")
        self.conf = root / "loft.conf"
        self.conf.write_text(f"""passdb {{
  driver = passwd-file
  args = {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
}}
""")

    def adm(self, command, *args, env=None):
        """loftadm -c CONF COMMAND -u USER ARGS; COMMAND as "mailbox list"."""
        return run([self.loftadm, "-c", str(self.conf), *command.split(), "-u", self.user, *args], env=env)


class Dovecot:
    """doveadm on a Maildir in HOME/Maildir, without any Dovecot daemon: the
    user is given by $USER and $HOME; mail is accessed as `nobody` when the
    tests run as root (Dovecot refuses root)."""

    def __init__(self, root: pathlib.Path, home: pathlib.Path, user="alice"):
        self.home = home
        self.user = user
        root.mkdir(parents=True, exist_ok=True)
        self.uid = NOBODY if os.geteuid() == 0 else os.geteuid()
        self.gid = NOBODY if os.geteuid() == 0 else os.getegid()
        self.conf = root / "dovecot.conf"
        self.conf.write_text(f"""mail_location = maildir:~/Maildir
base_dir = {root}/run
log_path = {root}/dovecot.log
ssl = no
mail_uid = {self.uid}
mail_gid = {self.gid}
first_valid_uid = 0
first_valid_gid = 0
""")
        self.home.mkdir(parents=True, exist_ok=True)
        self.own()
        if os.geteuid() == 0:
            # nobody must be able to reach HOME through the test's directories.
            path = home
            while path != path.parent:
                path = path.parent
                if path == pathlib.Path("/tmp") or path == pathlib.Path("/"):
                    break
                os.chmod(path, os.stat(path).st_mode | 0o711)

    def own(self):
        """Gives every file under HOME to the mail user (after Loft, running
        as root, wrote some)."""
        if os.geteuid() == 0:
            for dirpath, dirnames, filenames in os.walk(self.home):
                for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
                    os.lchown(name, self.uid, self.gid)

    def adm(self, *args, input_text=None):
        env = dict(os.environ, HOME=str(self.home), USER=self.user)
        return subprocess.run([DOVEADM, "-c", str(self.conf), *args], capture_output=True, text=True, timeout=120,
                              env=env, input=input_text)

    def save(self, mailbox, message):
        out = self.adm("save", "-m", mailbox, input_text=message)
        assert out.returncode == 0, out.stderr


def maildir_path(maildir: pathlib.Path, mailbox: str) -> pathlib.Path:
    """The directory of a Maildir++ folder ("INBOX" is the root)."""
    return maildir if mailbox == "INBOX" else maildir / ("." + mailbox)


def keyword_names(folder: pathlib.Path) -> dict:
    """Letter -> name of dovecot-keywords."""
    names = {}
    path = folder / "dovecot-keywords"
    if path.exists():
        for line in path.read_text().splitlines():
            index, _, name = line.partition(" ")
            names[chr(ord("a") + int(index))] = name
    return names


def uidlist_entries(folder: pathlib.Path) -> list:
    """(uid, base name) of every dovecot-uidlist line after the header."""
    lines = (folder / "dovecot-uidlist").read_text().splitlines()
    assert lines[0].startswith("3 "), lines[0]
    entries = []
    for line in lines[1:]:
        fields, _, base = line.partition(":")
        entries.append((int(fields.split()[0]), base))
    return entries


def messages(folder: pathlib.Path) -> list:
    """Every message file of cur/ and new/ in UID order as dicts: uid, name,
    data (bytes), flags (system flag letters), keywords (names), mtime."""
    kw = keyword_names(folder)
    files = {}
    for sub in ("cur", "new"):
        for entry in (folder / sub).iterdir():
            files[entry.name.split(":")[0]] = entry
    out = []
    for uid, base in uidlist_entries(folder):
        entry = files.pop(base)
        info = entry.name.partition(":2,")[2]
        out.append({
            "uid": uid,
            "name": entry.name,
            "data": entry.read_bytes(),
            "flags": "".join(c for c in info if c.isupper()),
            "keywords": sorted(kw[c] for c in info if c.islower()),
            "mtime": int(entry.stat().st_mtime),
        })
    assert not files, f"files without a uidlist line: {sorted(files)}"
    return out
