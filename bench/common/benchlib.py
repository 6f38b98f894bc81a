"""Shared parts of the side-by-side benchmarks (Loft against Dovecot).

What every runner needs and should do the same way, so two runners never
configure the servers differently by accident:

- the unprivileged system user `loftbench` that owns both servers' mail
  (Dovecot refuses to access mail as root, and loftd refuses to run workers
  as root), created when missing and removed again only if we created it;
- Dovecot (`dovecot -F -c`) and Loft (`loftd -c`, which starts loft-imapd,
  loft-pop3d, loft-lmtpd and loft-authd the way an admin runs it; or, for the
  per-area benchmarks that time one daemon, the daemons on their own with
  `-c`) with one common configuration: maildir:~/Maildir, mail_fsync =
  optimized, the same passwd-file passdb/userdb, plaintext auth on loopback,
  the same hostname, on free loopback ports in a work directory;
- process trees: CPU time (exited children included) and the sum of PSS of
  a server's processes (/proc/PID/smaps_rollup), for memory per connection;
- strace -c attached to a server's processes or running a command (sync
  calls per message), perf record and its top symbols;
- Maildir copies (hard links to the message files, a copy of the uidlist),
  dropping the page cache;
- smtp-source -L deliveries with a check that every message arrived;
- interleaved rounds: medians, min-max spread, ratios; markdown tables and
  the machine/load header of a report.

Standard library only: runners are started with /usr/bin/python3.
"""
from __future__ import annotations

import datetime
import os
import pathlib
import platform
import pwd
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import time

BENCH_USER = "loftbench"
PASSWORD = "secret"
DOMAIN = "example.org"
HOSTNAME = "bench.example"
SYNC_CALLS = ("fsync", "fdatasync", "syncfs")
# Open files for each server (and the load generator): 10,000 IDLE
# connections need one descriptor each, plus the mailbox files and inotify.
NOFILE = 65536


class BenchError(SystemExit):
    """A run that cannot give a trustworthy number: stops the runner."""


def fail(msg: str) -> None:
    raise BenchError(f"run_bench: {msg}")


# ---------------------------------------------------------------------------
# The mail owner.

def ensure_bench_user() -> tuple[pwd.struct_passwd, bool]:
    """(passwd entry of loftbench, whether this call created it)."""
    try:
        return pwd.getpwnam(BENCH_USER), False
    except KeyError:
        pass
    subprocess.run(["useradd", "-r", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", BENCH_USER],
                   check=True)
    return pwd.getpwnam(BENCH_USER), True


def remove_bench_user(created: bool) -> None:
    if created:
        subprocess.run(["userdel", BENCH_USER], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def raise_nofile() -> None:
    """preexec_fn of server processes: the open-files limit both servers get."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(NOFILE, soft)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ---------------------------------------------------------------------------
# Processes.

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    fail(f"{what} did not listen on port {port} within {timeout:.0f} s")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2:].split()


def descendants(pid: int) -> list[int]:
    """pid and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        f = _stat_fields(int(entry))
        if f:
            children.setdefault(int(f[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of pid and every process below it, including
    children they have already reaped (cutime/cstime): Dovecot's short-lived
    processes exit and its master reaps them, so the difference of two
    readings is what the whole server spent between them."""
    ticks = 0
    for p in descendants(pid):
        f = _stat_fields(p)
        if f:
            ticks += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_pss_kb(pid: int) -> tuple[int, int]:
    """(sum of PSS in kB over pid and every process below it, number of
    processes). PSS shares each shared page among the processes mapping it,
    so the sum is what the server as a whole costs the machine."""
    total, n = 0, 0
    for p in descendants(pid):
        try:
            text = pathlib.Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue
        m = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
        if m:
            total += int(m.group(1))
            n += 1
    return total, n


def stop_process(proc: subprocess.Popen, timeout: float = 60) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def drop_caches() -> None:
    """Write back dirty pages, then drop the page cache, dentries and inodes
    (needs root), so the next run reads from the disk."""
    os.sync()
    pathlib.Path("/proc/sys/vm/drop_caches").write_text("3\n")


# ---------------------------------------------------------------------------
# Mail.

def link_maildir(src: pathlib.Path, dst: pathlib.Path, owner: tuple[int, int]) -> None:
    """dst: hard links to src's message files (cur/ and new/), copies of its
    dovecot-uidlist, dovecot-keywords and subscriptions, no index: each
    server starts from the same files, and message files are never changed
    in place by either server (flags rename, expunge unlinks)."""
    if dst.exists():
        shutil.rmtree(dst)
    for d in ("cur", "new", "tmp"):
        (dst / d).mkdir(parents=True)
        if d != "tmp" and (src / d).is_dir():
            for f in os.scandir(src / d):
                os.link(f.path, dst / d / f.name)
    for name in ("dovecot-uidlist", "dovecot-keywords", "subscriptions"):
        if (src / name).exists():
            shutil.copy(src / name, dst / name)
    for sub in src.iterdir():  # Maildir++ folders (.Sent, ...) of the corpus
        if sub.is_dir() and sub.name.startswith("."):
            link_maildir(sub, dst / sub.name, owner)
    chown_tree(dst, owner)


def chown_tree(top: pathlib.Path, owner: tuple[int, int]) -> None:
    os.chown(top, *owner)
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            os.chown(os.path.join(root, name), *owner, follow_symlinks=False)


def generate_maildir(maildir: pathlib.Path, files, uidvalidity: int, guid: int) -> None:
    """A generated Maildir as a server's deliveries leave it: `files` yields
    (file name, bytes, mtime) in UID order, each written into cur/, and a
    dovecot-uidlist gives them UIDs 1, 2, ... The tree is written beside
    `maildir` and renamed into place: an interrupted run leaves no half
    cache behind."""
    tmp = maildir.with_name(maildir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for d in ("cur", "new", "tmp"):
        (tmp / d).mkdir(parents=True)
    uidlist = []
    for uid, (name, data, mtime) in enumerate(files, start=1):
        path = tmp / "cur" / name
        path.write_bytes(data)
        os.utime(path, (mtime, mtime))
        uidlist.append(f"{uid} :{name}\n")
    (tmp / "dovecot-uidlist").write_text(f"3 V{uidvalidity} N{len(uidlist) + 1} G{guid:032x}\n" + "".join(uidlist))
    shutil.rmtree(maildir, ignore_errors=True)
    tmp.rename(maildir)


def work_dir(cache: pathlib.Path) -> pathlib.Path:
    """A fresh, empty `cache`/work (the cache itself is kept): both servers'
    homes and logs for one run, readable by the unprivileged mail owner."""
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o755)
    work = cache / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    work.chmod(0o755)
    return work


def count_messages(maildir: pathlib.Path) -> int:
    return sum(len(os.listdir(maildir / d)) for d in ("new", "cur") if (maildir / d).is_dir())


# ---------------------------------------------------------------------------
# The servers.

class Server:
    """One side of the comparison: its ports, users, homes and processes.
    Subclasses write their configuration and start their master process;
    everything the server runs is below `self.master`."""

    name = "?"

    def __init__(self, work: pathlib.Path, owner: tuple[int, int], protocols: tuple[str, ...]):
        self.dir = work / self.name.lower()
        self.dir.mkdir(parents=True)
        self.dir.chmod(0o755)
        self.owner = owner
        self.protocols = protocols
        self.ports = {p: free_port() for p in protocols}
        self.master: subprocess.Popen | None = None
        self.tuning = ""  # configuration text of the workload's limits (settings())
        self.conf = self.dir / "server.conf"

    # -- users
    def home(self, user: str) -> pathlib.Path:
        return self.dir / "home" / user.split("@")[0]

    def write_users(self, users: list[str]) -> None:
        """A Dovecot passwd-file both servers read; homes are created empty."""
        lines = []
        for u in users:
            home = self.home(u)
            home.mkdir(parents=True, exist_ok=True)
            os.chown(home, *self.owner)
            lines.append(f"{u}:{{PLAIN}}{PASSWORD}:{self.owner[0]}:{self.owner[1]}::{home}::\n")
        path = self.dir / "users"
        path.write_text("".join(lines))
        path.chmod(0o644)
        os.chown(self.dir / "home", *self.owner)

    # -- configuration
    def common_config(self) -> str:
        """Identical for both servers: what decides the work each does."""
        listeners = {
            "imap": ("imap-login", "imap", "imaps"),
            "pop3": ("pop3-login", "pop3", "pop3s"),
            "lmtp": ("lmtp", "lmtp", None),
        }
        out = [f"base_dir = {self.dir}/run", f"log_path = {self.dir}/server.log",
               f"protocols = {' '.join(self.protocols)}", "listen = 127.0.0.1", "ssl = no",
               "disable_plaintext_auth = no", f"hostname = {HOSTNAME}",
               f"postmaster_address = postmaster@{DOMAIN}",
               "mail_location = maildir:~/Maildir", "mail_fsync = optimized",
               f"first_valid_uid = {min(self.owner[0], 500)}",
               f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {self.dir}/users\n}}",
               f"userdb {{\n  driver = passwd-file\n  args = {self.dir}/users\n}}"]
        for proto in self.protocols:
            svc, name, tls = listeners[proto]
            block = (f"service {svc} {{\n  inet_listener {name} {{\n    address = 127.0.0.1\n"
                     f"    port = {self.ports[proto]}\n  }}\n")
            if tls:
                block += f"  inet_listener {tls} {{\n    port = 0\n  }}\n"
            out.append(block + "}")
        return "\n".join(out) + "\n"

    def start(self) -> None:
        raise NotImplementedError

    def wait_listening(self) -> None:
        for proto, port in self.ports.items():
            wait_port(port, self.master, f"{self.name} ({proto})")

    def stop(self) -> None:
        if self.master:
            stop_process(self.master)
            self.master = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def pid(self) -> int:
        return self.master.pid if self.master else 0

    def pids(self) -> list[int]:
        return descendants(self.pid())

    def cpu(self) -> float:
        return tree_cpu(self.pid())

    def pss_kb(self) -> tuple[int, int]:
        return tree_pss_kb(self.pid())

    def log_tail(self, lines: int = 20) -> str:
        out = []
        for f in (self.dir / "server.log", self.dir / "stderr"):
            if f.exists():
                out += f.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(out)


class Dovecot(Server):
    name = "Dovecot"

    def start(self) -> None:
        for d in ("run", "state"):
            (self.dir / d).mkdir(exist_ok=True)
        self.conf = self.dir / "dovecot.conf"
        # The internal users first: $default_internal_user in the tuning
        # expands to the value set before it.
        self.conf.write_text(self.common_config() + f"state_dir = {self.dir}/state\n"
                             f"default_internal_user = {BENCH_USER}\ndefault_login_user = {BENCH_USER}\n" +
                             self.tuning)
        self.master = subprocess.Popen(["dovecot", "-F", "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                       stderr=open(self.dir / "stderr", "ab"), preexec_fn=raise_nofile)
        self.wait_listening()

    def doveconf(self, key: str) -> str:
        p = subprocess.run(["doveconf", "-c", str(self.conf), "-h", key],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        value = p.stdout.strip() or "?"
        # A service's vsz_limit of "unset" reads as the largest uint64: the default applies.
        return "(default_vsz_limit)" if value.startswith("18446744073709551615") else value

    def settings(self, services: tuple[str, ...]) -> list[str]:
        """The limits that decide how Dovecot takes the load, as it reads them."""
        out = []
        for svc in services:
            vals = [f"{k} = {self.doveconf(f'service/{svc}/{k}')}"
                    for k in ("process_limit", "client_limit", "service_count", "process_min_avail", "vsz_limit")]
            out.append(f"service {svc}: " + ", ".join(vals))
        glob = [f"{k} = {self.doveconf(k)}" for k in
                ("default_process_limit", "default_client_limit", "default_vsz_limit", "imap_hibernate_timeout",
                 "mail_max_userip_connections", "mail_fsync")]
        return out + ["; ".join(glob)]


class Loft(Server):
    name = "Loft"

    def __init__(self, work, owner, protocols, loftd: str):
        super().__init__(work, owner, protocols)
        self.loftd = loftd

    def start(self) -> None:
        self.conf = self.dir / "loft.conf"
        # loftd is root and starts its workers as mail_uid (it refuses root).
        self.conf.write_text(self.common_config() + self.tuning +
                             f"mail_uid = {BENCH_USER}\nmail_gid = {self.owner[1]}\n")
        self.master = subprocess.Popen([self.loftd, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                       stderr=open(self.dir / "stderr", "ab"), preexec_fn=raise_nofile)
        self.wait_listening()

    def settings(self, services: tuple[str, ...]) -> list[str]:
        """Loft's process/thread model for these services, from its config and
        the running processes."""
        out = []
        workers: dict[str, int] = {}
        threads: dict[str, int] = {}
        for p in self.pids()[1:]:
            try:
                comm = pathlib.Path(f"/proc/{p}/comm").read_text().strip()
                status = pathlib.Path(f"/proc/{p}/status").read_text()
            except OSError:
                continue
            workers[comm] = workers.get(comm, 0) + 1
            m = re.search(r"^Threads:\s+(\d+)", status, re.M)
            threads[comm] = threads.get(comm, 0) + (int(m.group(1)) if m else 0)
        out.append("running: " + ", ".join(f"{n} × {c} ({threads[c]} threads in all)"
                                            for c, n in sorted(workers.items())))
        tuned = " ".join(line.strip() for line in self.tuning.splitlines() if line.strip())
        out.append("workload limits: " + (tuned or "none beyond the common settings"))
        return out


class LoftDaemons(Server):
    """Loft's protocol daemons run on their own (`loft-lmtpd -c CONF`, ...),
    without loftd: the per-area benchmarks time one daemon, its threads
    and nothing else. `daemons` maps a protocol to its daemon's binary; the
    daemons run as the invoking user, who owns the mail, and read the common
    configuration (first_valid_uid follows that user, so root may own it)."""

    name = "Loft"

    def __init__(self, work: pathlib.Path, daemons: dict[str, str], args: tuple[str, ...] = ()):
        super().__init__(work, (os.getuid(), os.getgid()), tuple(daemons))
        self.daemons = daemons
        self.args = list(args)
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        self.conf = self.dir / "loft.conf"
        self.conf.write_text(self.common_config() + self.tuning)
        for proto, binary in self.daemons.items():
            name = os.path.basename(binary)
            p = subprocess.Popen([binary, "-c", str(self.conf), *self.args], stdout=subprocess.DEVNULL,
                                 stderr=open(self.dir / f"{name}.stderr", "ab"), preexec_fn=raise_nofile)
            self.procs[proto] = p
            wait_port(self.ports[proto], p, name)

    def stop(self) -> None:
        for p in reversed(list(self.procs.values())):
            stop_process(p)
        self.procs = {}

    def pid_of(self, proto: str) -> int:
        """The daemon serving `proto`: what to trace or profile for it."""
        return self.procs[proto].pid

    def pids(self) -> list[int]:
        return [q for p in self.procs.values() for q in descendants(p.pid)]

    def cpu(self) -> float:
        return sum(tree_cpu(p.pid) for p in self.procs.values())

    def pss_kb(self) -> tuple[int, int]:
        sums = [tree_pss_kb(p.pid) for p in self.procs.values()]
        return sum(kb for kb, _ in sums), sum(n for _, n in sums)

    def log_tail(self, lines: int = 20) -> str:
        out = [super().log_tail(lines)]
        for f in sorted(self.dir.glob("*.stderr")):
            out += f.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(out)


# ---------------------------------------------------------------------------
# Tracing.

def strace_prefix(out: pathlib.Path) -> list[str]:
    """`strace -c` counting the sync calls of what follows it (a command, or
    -p PID ...) and of every process and thread it starts, into `out`."""
    return ["strace", "-f", "-c", "-e", "trace=" + ",".join(SYNC_CALLS), "-o", str(out)]


class Attached:
    """strace -c or perf record attached to running processes for one run."""

    def __init__(self, kind: str, pids: list[int], out: pathlib.Path):
        self.kind = kind
        if kind == "strace":
            cmd = strace_prefix(out)
            for p in pids:
                cmd += ["-p", str(p)]
        else:
            cmd = ["perf", "record", "-q", "-g", "-o", str(out), "-p", ",".join(map(str, pids))]
        self.errfile = out.with_suffix(".stderr")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(self.errfile, "wb"))
        if kind == "strace":  # wait until every process is attached
            deadline = time.monotonic() + 30
            while self.errfile.read_text(errors="replace").count("attached") < len(pids):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.finish()
                    fail(f"strace did not attach: {self.errfile.read_text(errors='replace')[-800:]}")
                time.sleep(0.05)
        else:
            time.sleep(1.0)

    def finish(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def strace_syncs(trace: pathlib.Path) -> dict[str, int]:
    """fsync / fdatasync / syncfs calls in an `strace -c` summary."""
    counts = {c: 0 for c in SYNC_CALLS}
    for line in trace.read_text().splitlines():
        f = line.split()
        if len(f) >= 5 and f[-1] in SYNC_CALLS:
            counts[f[-1]] = int(f[3])
    return counts


def perf_top(data: pathlib.Path, limit: int = 20) -> list[str]:
    """The symbols with the most self time in a `perf record` file."""
    p = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "-g", "none",
                        "--sort", "dso,symbol", "--percent-limit", "0.5"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    rows = []
    for line in p.stdout.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rows.append(re.sub(r"( -)+$", "", re.sub(r"\s+", " ", line).strip()))
    return rows[:limit]


# ---------------------------------------------------------------------------
# LMTP with Postfix's smtp-source.

def smtp_source(server: Server, users: list[str], messages: int, sessions: int, size: int) -> tuple[float, float]:
    """smtp-source -L -d into `users` (one smtp-source per user, all at once):
    (seconds until the last one exits, server CPU seconds meanwhile). Every
    user's Maildir must then hold exactly the messages sent to it."""
    per_user, rest = divmod(messages, len(users))
    if rest or (len(users) > 1 and sessions % len(users)):
        fail(f"{messages} messages over {sessions} sessions do not split evenly over {len(users)} users")
    sess = sessions if len(users) == 1 else sessions // len(users)
    cpu0 = server.cpu()
    t0 = time.perf_counter()
    procs = []
    for u in users:
        procs.append(subprocess.Popen(
            ["smtp-source", "-L", "-d", "-s", str(sess), "-m", str(per_user), "-l", str(size),
             "-S", "LMTP benchmark", "-M", "client.example", "-f", f"sender@{DOMAIN}", "-t", u,
             f"127.0.0.1:{server.ports['lmtp']}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    outputs = [p.communicate()[0] for p in procs]
    elapsed = time.perf_counter() - t0
    cpu = server.cpu() - cpu0
    for p, out in zip(procs, outputs):
        if p.returncode != 0:
            fail(f"{server.name}: smtp-source exited {p.returncode}: {out.decode(errors='replace')[-500:]}")
    for u in users:  # a fast server that loses mail fails the run
        got = count_messages(server.home(u) / "Maildir")
        if got != per_user:
            fail(f"{server.name}: {u} has {got} messages, {per_user} were delivered")
    return elapsed, cpu


# ---------------------------------------------------------------------------
# Statistics and the report.

def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def spread(xs: list[float], fmt: str = "{:.0f}") -> str:
    if not xs:
        return "–"
    return fmt.format(min(xs)) + "–" + fmt.format(max(xs))


def ratio(loft: float, dovecot: float) -> float:
    return loft / dovecot if dovecot else float("nan")


def verdict(value: float, target: float) -> str:
    """'met' / 'missed' for a ratio where bigger is better for Loft."""
    if value != value:  # NaN
        return "–"
    return "met" if value >= target else "**missed**"


def table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> list[str]:
    """A markdown table; columns in `right` (default: all but the first) right-aligned."""
    right = set(range(1, len(headers))) if right is None else right
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join("---:" if i in right else "---" for i in range(len(headers))) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def machine_header(path: pathlib.Path, load_before: tuple, load_after: tuple) -> str:
    fs = subprocess.run(["stat", "-f", "-c", "%T", str(path)], stdout=subprocess.PIPE, text=True).stdout.strip()
    dv = subprocess.run(["dovecot", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    cpu = ""
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = ""
    m = re.search(r"^MemTotal:\s+(\d+) kB", pathlib.Path("/proc/meminfo").read_text(), re.M)
    if m:
        mem = f", {int(m.group(1)) / 1048576:.0f} GB RAM"
    return (f"Machine: {platform.machine()} ({cpu}), {os.cpu_count()} CPUs{mem}, Linux {platform.release()}, "
            f"file system {fs} ({path}); load average {load_before[0]:.1f} / {load_before[1]:.1f} / "
            f"{load_before[2]:.1f} before, {load_after[0]:.1f} / {load_after[1]:.1f} / {load_after[2]:.1f} after "
            "(the machine is shared: absolute rates vary between runs, the interleaved ratios less). "
            f"Dovecot {dv}.")


def utc_now() -> str:
    return f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"


def report_head(title: str, path: pathlib.Path, load_before: tuple) -> list[str]:
    """A report's first lines: its title and time, then the machine, the file
    system of `path` and the load average from `load_before` until now."""
    return [f"# {title}, {utc_now()}", "", machine_header(path, load_before, os.getloadavg())]


def write_report(lines: list[str], markdown: str) -> None:
    """Prints the report, and writes it to the file `markdown` unless that is empty."""
    text = "\n".join(lines).rstrip("\n") + "\n"
    print(text)
    if markdown:
        pathlib.Path(markdown).write_text(text)
