#!/usr/bin/python3
"""SORT and THREAD over a 100,000-message mailbox, Loft against Dovecot
(make bench-sort-thread; issue 7's benchmark note).

1. A Maildir of --messages messages is generated once (deterministic, seed
   --seed) into --cache-dir: realistic headers (Date in many time zones, From
   with display names, Subject with Re:/Fwd: prefixes and encoded words,
   Message-ID / In-Reply-To / References chains of threads of 1..40 messages,
   some broken chains and missing Message-IDs), 1-4 KB bodies, and a
   dovecot-uidlist, so both servers give every message the same UID.
2. Each server gets its own copy of the tree (hard links to the same message
   files; index files are each server's own): loft-imapd from the release
   build, and Debian's Dovecot (dovecot -F, a temporary config, a
   passwd-file user, mail owned by a temporary system user because Dovecot
   refuses to access mail as root).
3. Both are warmed: SELECT, then each command twice (Loft and Dovecot both
   cache the sort and thread keys on first use). Then --rounds rounds, each
   running every command against Loft then Dovecot (A B A B ...), one
   connection per server kept open, the time from sending the command to the
   tagged OK, measured by the client. The UID answers of the two servers are
   compared and the report says whether they were identical. THREAD is
   measured three ways: over a different set of messages each round (what
   a client sees after new mail: no thread tree of a previous command
   applies), over ALL right after another set, and the same ALL again
   (Loft keeps the last tree per algorithm, Dovecot a thread index).

The report (medians, spread, Loft/Dovecot ratio) goes to --markdown and
stdout. Nothing here is a pass/fail test: `make test` never times anything.
"""
from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import platform
import pwd
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time

# A command is a string, or a function of the round (-1 for the warm-up)
# giving a different command each round: "changed set" threads a different
# set of messages every time, so no server can answer from the tree it built
# for the previous command (Loft keeps the last tree per algorithm; Dovecot
# keeps a thread index), which is what a client sees after new mail.
COMMANDS = [
    ("UID SORT (DATE)", "UID SORT (DATE) UTF-8 ALL"),
    ("UID SORT (REVERSE ARRIVAL)", "UID SORT (REVERSE ARRIVAL) UTF-8 ALL"),
    ("UID SORT (SUBJECT)", "UID SORT (SUBJECT) UTF-8 ALL"),
    ("UID SORT (FROM)", "UID SORT (FROM) UTF-8 ALL"),
    ("UID THREAD REFERENCES, a new set each round", lambda r: f"UID THREAD REFERENCES UTF-8 1:{99990 - r}"),
    ("UID THREAD REFERENCES ALL, after another set", "UID THREAD REFERENCES UTF-8 ALL"),
    ("UID THREAD REFERENCES ALL, the same again", "UID THREAD REFERENCES UTF-8 ALL"),
    ("UID THREAD ORDEREDSUBJECT, a new set each round", lambda r: f"UID THREAD ORDEREDSUBJECT UTF-8 1:{99990 - r}"),
    ("UID THREAD ORDEREDSUBJECT ALL, after another set", "UID THREAD ORDEREDSUBJECT UTF-8 ALL"),
    ("UID THREAD ORDEREDSUBJECT ALL, the same again", "UID THREAD ORDEREDSUBJECT UTF-8 ALL"),
]


def command_text(cmd, round_no: int) -> str:
    return cmd(round_no) if callable(cmd) else cmd


NAMES = ["Alice Archer", "Bob Baker", "Carol Cooper", "Dave Dyer", "Eve Ellis", "Frank Fisher",
         "Grace Gardner", "Heidi Hunter", "Ivan Ivanov", "Judy Jones", "Mallory Miller", "Niaj Nowak",
         "Olivia Ortiz", "Peggy Price", "Rupert Reed", "Sybil Smith", "Trent Turner", "Victor Vance",
         "Walter White", "Zoë Zimmermann", "José García", "Søren Kierkegaard", "Łukasz Nowicki"]
WORDS = ("meeting budget report quarterly release server migration invoice schedule review "
         "design proposal holiday party lunch deadline update question answer patch build test "
         "performance memory network storage backup outage incident ticket customer contract").split()
ZONES = ["+0000", "+0100", "+0200", "-0500", "-0800", "+0530", "+0900", "-0300", "+1000", "-0700"]


def encode_word(text: str) -> str:
    if all(ord(c) < 128 for c in text):
        return text
    import base64
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def generate(maildir: pathlib.Path, count: int, seed: int) -> None:
    rnd = random.Random(seed)
    tmp = maildir.with_name(maildir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for d in ("cur", "new", "tmp"):
        (tmp / d).mkdir(parents=True)
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc).timestamp()
    threads = []  # [subject, [message-ids]]
    uidlist = []
    for n in range(1, count + 1):
        t = start + n * 300 + rnd.randint(-7200, 7200)
        zone = rnd.choice(ZONES)
        sign = 1 if zone[0] == "+" else -1
        offset = sign * (int(zone[1:3]) * 3600 + int(zone[3:5]) * 60)
        local = datetime.datetime.fromtimestamp(t + offset, datetime.timezone.utc)
        date = local.strftime("%a, %d %b %Y %H:%M:%S ") + zone
        name = rnd.choice(NAMES)
        addr = name.split()[0].lower().replace("ö", "o") + "@example.org"
        msgid = f"<{n}.{rnd.randrange(1 << 30):x}@bench.example>"
        headers = [f"Return-Path: <{addr}>"]
        reply_to = None
        if threads and rnd.random() < 0.7:
            thread = threads[rnd.randrange(max(0, len(threads) - 200), len(threads))]
            subject = rnd.choice(["Re: ", "RE: ", "Re: Re: ", "Fwd: ", "Re: [list] "]) + thread[0]
            refs = thread[1][-rnd.randint(1, min(10, len(thread[1]))):]
            if rnd.random() < 0.05:
                refs = refs[1:]  # a broken chain
            reply_to = refs[-1] if refs else None
            if rnd.random() < 0.97:
                thread[1].append(msgid)
        else:
            subject = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 6))).capitalize()
            if rnd.random() < 0.1:
                subject += " – " + rnd.choice(NAMES)
            threads.append([subject, [msgid]])
            refs = []
        headers.append(f"From: {encode_word(name)} <{addr}>")
        headers.append(f"To: {encode_word(rnd.choice(NAMES))} <team@example.org>")
        if rnd.random() < 0.3:
            headers.append(f"Cc: {encode_word(rnd.choice(NAMES))} <cc@example.org>")
        headers.append(f"Subject: {encode_word(subject)}")
        headers.append(f"Date: {date}")
        if rnd.random() < 0.99:
            headers.append(f"Message-ID: {msgid}")
        if reply_to:
            headers.append(f"In-Reply-To: {reply_to}")
            headers.append("References: " + "\r\n ".join(refs))
        headers.append("MIME-Version: 1.0")
        headers.append("Content-Type: text/plain; charset=utf-8")
        body_words = rnd.randint(150, 650)
        body = []
        line = []
        for _ in range(body_words):
            line.append(rnd.choice(WORDS))
            if len(line) == 12:
                body.append(" ".join(line))
                line = []
        body.append(" ".join(line))
        data = ("\r\n".join(headers) + "\r\n\r\n" + "\r\n".join(body) + "\r\n").encode()
        base = f"{int(t)}.M{n}P1.bench"
        fname = f"{base},S={len(data)}:2,S"
        path = tmp / "cur" / fname
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (t, t))
        uidlist.append(f"{n} :{fname}\n")
    (tmp / "dovecot-uidlist").write_text(f"3 V1700000000 N{count + 1} G{'%032x' % seed}\n" + "".join(uidlist))
    shutil.rmtree(maildir, ignore_errors=True)
    tmp.rename(maildir)


def link_tree(src: pathlib.Path, dst: pathlib.Path, owner=None) -> None:
    """dst/{cur,new,tmp} with hard links to src's message files and a copy of its uidlist."""
    shutil.rmtree(dst, ignore_errors=True)
    for d in ("cur", "new", "tmp"):
        (dst / d).mkdir(parents=True)
    for f in os.scandir(src / "cur"):
        os.link(f.path, dst / "cur" / f.name)
    shutil.copy(src / "dovecot-uidlist", dst / "dovecot-uidlist")
    if owner:
        for root, dirs, files in os.walk(dst.parent):
            os.chown(root, *owner)
            for name in files:
                os.chown(os.path.join(root, name), *owner)


class Conn:
    def __init__(self, port: int, user: str, password: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=600)
        self.buf = b""
        self.n = 0
        self.read_line()
        self.command(f"LOGIN {user} {password}")

    def read_line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise SystemExit("run_bench: connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def command(self, text: str) -> tuple[float, list[bytes]]:
        self.n += 1
        tag = f"b{self.n}".encode()
        t0 = time.perf_counter()
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        lines = []
        while True:
            line = self.read_line()
            if line.startswith(tag + b" "):
                elapsed = time.perf_counter() - t0
                if not line.startswith(tag + b" OK"):
                    raise SystemExit(f"run_bench: {text} -> {line!r}")
                return elapsed, lines
            lines.append(line)


def wait_port(port: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"run_bench: {what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"run_bench: {what} did not listen on {port}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--imapd", required=True, help="loft-imapd (release build)")
    ap.add_argument("--cache-dir", default="/var/tmp/loft-bench-sort")
    ap.add_argument("--messages", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--markdown", default="")
    args = ap.parse_args()

    cache = pathlib.Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o755)
    src = cache / f"maildir-{args.messages}-{args.seed}"
    if not (src / "dovecot-uidlist").exists():
        print(f"generating {args.messages} messages into {src} ...", flush=True)
        generate(src, args.messages, args.seed)
    work = cache / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    work.chmod(0o755)

    bench_user = "loftbench"
    subprocess.run(["userdel", bench_user], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["useradd", "-r", "-M", "-d", str(work / "dovecot"), "-s", "/usr/sbin/nologin", bench_user],
                   check=True)
    pw = pwd.getpwnam(bench_user)
    procs = []
    try:
        # Loft.
        loft_home = work / "loft"
        link_tree(src, loft_home / "Maildir")
        loft_port = free_port()
        (work / "loft-users").write_text(f"bench:{{PLAIN}}secret:{os.getuid()}:{os.getgid()}::{loft_home}::\n")
        (work / "loft.conf").write_text(
            f"base_dir = {work}/loft-run\nlog_path = {work}/loft.log\n"
            f"mail_location = maildir:{loft_home}/Maildir\nmail_fsync = optimized\nprotocols = imap\nssl = no\n"
            f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {work}/loft-users\n}}\n"
            f"userdb {{\n  driver = passwd-file\n  args = {work}/loft-users\n}}\n"
            f"service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {loft_port}\n  }}\n"
            "  inet_listener imaps {\n    port = 0\n  }\n}\n")
        loft = subprocess.Popen([args.imapd, "-c", str(work / "loft.conf")], stdout=subprocess.DEVNULL,
                                stderr=open(work / "loft.stderr", "wb"))
        procs.append(loft)
        wait_port(loft_port, loft, "loft-imapd")

        # Dovecot.
        dv_home = work / "dovecot"
        link_tree(src, dv_home / "Maildir", owner=(pw.pw_uid, pw.pw_gid))
        dv_port = free_port()
        (work / "dovecot-users").write_text(
            f"bench:{{PLAIN}}secret:{pw.pw_uid}:{pw.pw_gid}::{dv_home}::\n")
        (work / "dovecot.conf").write_text(
            f"base_dir = {work}/dovecot-run\nlog_path = {work}/dovecot.log\nstate_dir = {work}/dovecot-state\n"
            "protocols = imap\nssl = no\ndisable_plaintext_auth = no\nlisten = 127.0.0.1\n"
            f"mail_location = maildir:~/Maildir\nmail_fsync = optimized\nfirst_valid_uid = 1\n"
            f"default_internal_user = {bench_user}\ndefault_login_user = {bench_user}\n"
            f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {work}/dovecot-users\n}}\n"
            f"userdb {{\n  driver = passwd-file\n  args = {work}/dovecot-users\n}}\n"
            f"service imap-login {{\n  inet_listener imap {{\n    port = {dv_port}\n  }}\n"
            "  inet_listener imaps {\n    port = 0\n  }\n}\n")
        for d in ("dovecot-run", "dovecot-state"):
            (work / d).mkdir()
        dovecot = subprocess.Popen(["dovecot", "-F", "-c", str(work / "dovecot.conf")],
                                   stdout=subprocess.DEVNULL, stderr=open(work / "dovecot.stderr", "wb"))
        procs.append(dovecot)
        wait_port(dv_port, dovecot, "dovecot")

        servers = {"Loft": Conn(loft_port, "bench", "secret"), "Dovecot": Conn(dv_port, "bench", "secret")}
        select = {}
        for name, conn in servers.items():
            t, lines = conn.command("SELECT INBOX")
            select[name] = t
            exists = [line for line in lines if line.endswith(b" EXISTS")]
            if exists != [f"* {args.messages} EXISTS".encode()]:
                raise SystemExit(f"run_bench: {name} SELECT says {exists}")
        answers = {}
        for label, cmd in COMMANDS:  # warm-up: both cache sort/thread keys on first use
            for name, conn in servers.items():
                conn.command(command_text(cmd, -1))
                _, lines = conn.command(command_text(cmd, -1))
                answers[(name, label)] = lines
        times = {(name, label): [] for name in servers for label, _ in COMMANDS}
        for round_no in range(args.rounds):
            for label, cmd in COMMANDS:
                for name, conn in servers.items():
                    t, _ = conn.command(command_text(cmd, round_no))
                    times[(name, label)].append(t)
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["userdel", bench_user], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    med = statistics.median
    load = os.getloadavg()
    out = [
        f"# SORT and THREAD benchmark, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Linux {platform.release()}; load average "
        f"{load[0]:.1f} at the end. Made by `make bench-sort-thread` (bench/imap_sort/run_bench.py); "
        f"{args.messages:,} messages (seed {args.seed}), warm: each command ran twice on each server before "
        f"timing, then {args.rounds} interleaved rounds (Loft, Dovecot, Loft, ...). Times are from sending the "
        "command to the tagged OK, one connection per server, on loopback. Dovecot "
        + subprocess.run(["dovecot", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
        + " with its defaults (mail_fsync = optimized on both; nothing here writes mail).",
        "",
        "| command | Loft median ms | Dovecot median ms | Loft / Dovecot time | Loft min–max | Dovecot min–max | same answer |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for label, _ in COMMANDS:
        lt, dt = times[("Loft", label)], times[("Dovecot", label)]
        same = "yes" if answers[("Loft", label)] == answers[("Dovecot", label)] else "no"
        out.append(f"| {label} | {med(lt) * 1000:.1f} | {med(dt) * 1000:.1f} | {med(lt) / med(dt):.2f} | "
                   f"{min(lt) * 1000:.1f}–{max(lt) * 1000:.1f} | {min(dt) * 1000:.1f}–{max(dt) * 1000:.1f} | {same} |")
    out.append("")
    out.append(f"First SELECT (index built from the uidlist): Loft {select['Loft'] * 1000:.0f} ms, "
               f"Dovecot {select['Dovecot'] * 1000:.0f} ms.")
    text = "\n".join(out) + "\n"
    print(text)
    if args.markdown:
        pathlib.Path(args.markdown).write_text(text)


if __name__ == "__main__":
    main()
