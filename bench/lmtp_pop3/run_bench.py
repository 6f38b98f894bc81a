#!/usr/bin/python3
"""LMTP delivery and POP3 download, Loft against Dovecot
(make bench-lmtp-pop3; issue 8's benchmark note).

Both servers run side by side on loopback with the same settings that matter
(mail_fsync = optimized, maildir:~/Maildir, the same passwd-file users, the
same hostname; bench/common/benchlib.py writes both configurations):
loft-lmtpd and loft-pop3d from the release build, each on its own, and
Debian's Dovecot 2.3 (dovecot -F, a temporary config; its mail belongs to the
unprivileged system user `loftbench`, created here if missing, because
Dovecot refuses to access mail as root).

LMTP: Postfix's `smtp-source -L -d` sends --messages messages of --size
bytes of body (its own From/To/Date/Message-Id/Subject headers) over
--sessions parallel sessions, each session delivering one message after the
other on its connection as Postfix's LMTP client does with its connection
cache. Two workloads: every message to one user (all sessions contend for one
Maildir), and the same number spread over --users users (one smtp-source
per user, --sessions/--users sessions each). Each round delivers into new,
empty homes (new user names, so no server can keep state of a previous
round); after each run every user's Maildir must hold exactly the messages
it was sent (files in new/ and cur/), else the run fails. A warm-up run
before the timed rounds starts Dovecot's lmtp processes. Then one unmeasured
run of --sample messages to one user under `strace -f -c -e
trace=fsync,fdatasync,syncfs` attached to the server's processes (Dovecot:
the master and all its children, following new ones; Loft: every thread of
loft-lmtpd) counts the sync calls per delivered message.

POP3: a Maildir of --pop3-messages messages of realistic sizes (log-normal,
median 8 KB, a few up to 2 MB with base64 attachments; LF line endings, S=
and W= in the file names and a dovecot-uidlist, as Dovecot's deliveries
leave them; every message already \\Seen so RETR changes no flags) is
generated once into --cache-dir. Each round each server gets a fresh copy
of it (hard links to the message files, a copy of the uidlist, no index),
then a session runs on each with a cold index (the first login builds it
from the uidlist and the file names) and again warm. A session is: connect,
USER/PASS, STAT, LIST, UIDL, RETR of every message, QUIT (no DELE, so it
can be repeated), timed from connect to the QUIT reply. The client is
pop3_load (pop3_load.cpp, built with the benches: one command at a time, no
pipelining, reads of up to 256 KB, memmem for the terminator; a Python
client spent a quarter of the session in itself); its CPU time is reported
next to the wall time so one can see it is not the bottleneck. Every RETR's
octets (dot-stuffing undone) must equal the size LIST gave, STAT must count
every message, and the UIDL lists of both servers are compared.

Rounds are interleaved (Loft, Dovecot, Loft, Dovecot ...); medians, min-max
spread and the Loft/Dovecot ratio go to --markdown and stdout. --perf
records loft-lmtpd and loft-pop3d with `perf record -g` during one extra
run of each and adds their top symbols to the report. Nothing here is a
pass/fail test: `make test` never times anything.
"""
from __future__ import annotations

import argparse
import base64
import datetime
import math
import os
import pathlib
import random
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "common"))
import benchlib as bl  # noqa: E402
from benchlib import DOMAIN, HOSTNAME, PASSWORD, fail  # noqa: E402

# ---------------------------------------------------------------------------
# The POP3 mailbox.

WORDS = ("meeting budget report quarterly release server migration invoice schedule review "
         "design proposal holiday party lunch deadline update question answer patch build test "
         "performance memory network storage backup outage incident ticket customer contract").split()
NAMES = ["Alice Archer", "Bob Baker", "Carol Cooper", "Dave Dyer", "Eve Ellis", "Frank Fisher",
         "Grace Gardner", "Heidi Hunter", "Ivan Ivanov", "Judy Jones", "Mallory Miller"]


def text_lines(rnd: random.Random, size: int) -> list[str]:
    lines, total = [], 0
    while total < size:
        if rnd.random() < 0.01:
            line = "." + " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(0, 6)))  # needs dot-stuffing
        elif rnd.random() < 0.05:
            line = ""
        else:
            line = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(6, 12)))
        lines.append(line)
        total += len(line) + 1
    return lines


def pop3_message(rnd: random.Random, n: int, t: float, size: int) -> bytes:
    """About `size` bytes, LF line endings (how Dovecot stores mail)."""
    name = rnd.choice(NAMES)
    addr = name.split()[0].lower() + "@example.com"
    date = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
    head = [f"Return-Path: <{addr}>", f"Delivered-To: pop@{DOMAIN}",
            f"Received: from mx.example.com by {HOSTNAME} with LMTP id {n:08x}; {date}",
            f"From: {name} <{addr}>", f"To: pop@{DOMAIN}",
            f"Subject: {' '.join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 7))).capitalize()}",
            f"Date: {date}", f"Message-ID: <{n}.{rnd.randrange(1 << 30):x}@example.com>", "MIME-Version: 1.0"]
    if size < 20000:
        head.append("Content-Type: text/plain; charset=utf-8")
        body = text_lines(rnd, size - 600)
    else:
        boundary = f"=-b{n:x}"
        head.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
        body = ["This is a multi-part message in MIME format.", "", f"--{boundary}",
                "Content-Type: text/plain; charset=utf-8", ""]
        body += text_lines(rnd, 3000)
        raw = rnd.randbytes((size - 4500) * 3 // 4)
        enc = base64.b64encode(raw).decode()
        body += [f"--{boundary}", "Content-Type: application/octet-stream; name=\"data.bin\"",
                 "Content-Transfer-Encoding: base64", "Content-Disposition: attachment; filename=\"data.bin\"", ""]
        body += [enc[i:i + 76] for i in range(0, len(enc), 76)]
        body += [f"--{boundary}--"]
    return ("\n".join(head) + "\n\n" + "\n".join(body) + "\n").encode()


def pop3_files(count: int, seed: int):
    """(file name, bytes, mtime) of each message of the POP3 Maildir."""
    rnd = random.Random(seed)
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc).timestamp()
    for n in range(1, count + 1):
        size = int(min(2_000_000, max(800, rnd.lognormvariate(math.log(8000), 1.5))))
        t = start + n * 600
        data = pop3_message(rnd, n, t, size)
        vsize = len(data) + data.count(b"\n")  # CRLF size: what RETR sends before dot-stuffing
        yield f"{int(t)}.M{n}P1.{HOSTNAME},S={len(data)},W={vsize}:2,S", data, t


def generate_pop3_maildir(maildir: pathlib.Path, count: int, seed: int) -> None:
    bl.generate_maildir(maildir, pop3_files(count, seed), uidvalidity=1735689600, guid=seed + 1)




# ---------------------------------------------------------------------------
# The servers: what each side reports of its settings, what to trace.

def loft_settings(threads: int) -> str:
    if threads:
        pools = f"--threads {threads} (blocking pool threads)"
    else:  # the defaults, as the sources define them
        repo = pathlib.Path(__file__).resolve().parents[2]
        pools = []
        for d in ("lmtpd", "pop3d"):
            m = re.search(r"kDefaultPoolThreads\s*=\s*(\d+)", (repo / "daemons" / d / "main.cpp").read_text())
            pools.append(f"loft-{d} {m.group(1) if m else '?'}")
        pools = "their default blocking pools (" + ", ".join(pools) + " threads)"
    return (f"loft-lmtpd and loft-pop3d each one process with one I/O thread and {pools}; "
            "no other setting beyond the common ones above.")


def dovecot_settings(s: bl.Dovecot) -> str:
    out = s.settings(("lmtp", "pop3", "pop3-login"))
    out.append(f"lmtp_user_concurrency_limit = {s.doveconf('lmtp_user_concurrency_limit')}")
    return "; ".join(out) + " (Debian's defaults: the config sets none of them but mail_fsync)."


def trace_pids(s: bl.Server, proto: str) -> list[int]:
    """Loft: the daemon of `proto` (strace -f follows its threads); Dovecot:
    the master and every process below it (strace -f follows new ones)."""
    return [s.pid_of(proto)] if isinstance(s, bl.LoftDaemons) else s.pids()


# ---------------------------------------------------------------------------
# LMTP.

def lmtp_users(tag: str, count: int) -> list[str]:
    return [f"{tag}u{k}@{DOMAIN}" for k in range(count)]



def check_delivered_file(server: bl.Server, user: str, size: int) -> str:
    """One delivered file's headers must name the recipient; returns its first lines."""
    md = server.home(user) / "Maildir"
    files = sorted((md / "new").iterdir()) + sorted((md / "cur").iterdir())
    data = files[0].read_bytes()
    head = data.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    if not re.search(rb"^Return-Path: <sender@", head, re.M | re.I) or len(data) < size:
        fail(f"{server.name}: {files[0]} does not look like a delivered message:\n{data[:600]!r}")
    return head.decode(errors="replace")


def remove_homes(server: bl.Server, users: list[str]) -> None:
    for u in users:
        shutil.rmtree(server.home(u) / "Maildir", ignore_errors=True)


# ---------------------------------------------------------------------------
# POP3.

def pop3_session(client: str, port: int, user: str, expect: int, checksum: bool) -> dict:
    """One session of pop3_load (connect ... RETR every message ... QUIT)."""
    cmd = [client, "--port", str(port), "--user", user, "--password", PASSWORD]
    if checksum:
        cmd.append("--checksum")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        fail(f"pop3_load on port {port}: {p.stderr.strip()}")
    res = {}
    for line in p.stdout.splitlines():
        key, value = line.split()
        res[key] = float(value) if key in ("seconds", "cpu") else value if "crc" in key else int(value)
    if res["stat_count"] != expect or res["list_count"] != expect:
        fail(f"POP3 on port {port}: STAT {res['stat_count']}, LIST {res['list_count']} messages, {expect} expected")
    return res


# ---------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lmtpd", default="", help="loft-lmtpd (release build)")
    ap.add_argument("--pop3d", default="", help="loft-pop3d (release build)")
    ap.add_argument("--client", default="", help="bench/lmtp_pop3/pop3_load (the POP3 client)")
    ap.add_argument("--threads", type=int, default=0, help="--threads for the Loft daemons (0: their default)")
    ap.add_argument("--cache-dir", default="/var/tmp/loft-bench-lmtp-pop3")
    ap.add_argument("--messages", type=int, default=10000, help="LMTP messages per run")
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--users", type=int, default=10, help="users of the spread LMTP workload")
    ap.add_argument("--size", type=int, default=4096, help="LMTP body bytes (smtp-source -l)")
    ap.add_argument("--sample", type=int, default=1000, help="LMTP messages of the strace fsync count")
    ap.add_argument("--pop3-messages", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", choices=("lmtp", "pop3", "both"), default="both")
    ap.add_argument("--servers", default="Loft,Dovecot", help="comma-separated: Loft, Dovecot")
    ap.add_argument("--perf", action="store_true", help="profile Loft's daemons during one extra run")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, perf data)")
    ap.add_argument("--markdown", default="")
    args = ap.parse_args()
    names = [s.strip() for s in args.servers.split(",") if s.strip()]
    if not set(names) <= {"Loft", "Dovecot"} or not names:
        fail("--servers takes Loft and/or Dovecot")
    if "Loft" in names and not (args.lmtpd or args.pop3d):
        fail("Loft needs --lmtpd and/or --pop3d")
    do_lmtp = args.only in ("lmtp", "both")
    do_pop3 = args.only in ("pop3", "both")
    if "Loft" in names and do_lmtp and not args.lmtpd:
        fail("the LMTP part needs --lmtpd")
    if "Loft" in names and do_pop3 and not args.pop3d:
        fail("the POP3 part needs --pop3d")
    if do_pop3 and not args.client:
        fail("the POP3 part needs --client (pop3_load)")

    cache = pathlib.Path(args.cache_dir)
    work = bl.work_dir(cache)
    src = cache / f"pop3-maildir-{args.pop3_messages}-{args.seed}"
    if do_pop3 and not (src / "dovecot-uidlist").exists():
        print(f"generating {args.pop3_messages} messages into {src} ...", flush=True)
        generate_pop3_maildir(src, args.pop3_messages, args.seed)

    pw, created_user = bl.ensure_bench_user()
    load_before = os.getloadavg()

    servers: dict[str, bl.Server] = {}
    workloads = [("one user", 1), (f"{args.users} users", args.users)]
    lmtp_times = {(n, w): [] for n in names for w, _ in workloads}
    lmtp_cpu = {(n, w): [] for n in names for w, _ in workloads}
    syncs: dict[str, dict[str, int]] = {}
    headers: dict[str, str] = {}
    pop3 = {(n, kind): [] for n in names for kind in ("cold", "warm")}
    profiles: dict[str, list[str]] = {}
    settings: dict[str, str] = {}
    try:
        users = [f"pop@{DOMAIN}"]
        users += lmtp_users("warm", 1) + lmtp_users("sync", 1) + lmtp_users("perf", 1)
        for r in range(args.rounds):
            for wi, (_, k) in enumerate(workloads):
                users += lmtp_users(f"r{r}w{wi}", k)
        for n in names:
            if n == "Loft":
                daemons = {"lmtp": args.lmtpd if do_lmtp else "", "pop3": args.pop3d if do_pop3 else ""}
                s = bl.LoftDaemons(work, {k: v for k, v in daemons.items() if v},
                                   ("--threads", str(args.threads)) if args.threads else ())
            else:
                s = bl.Dovecot(work, (pw.pw_uid, pw.pw_gid), ("lmtp", "pop3"))
            s.write_users(users)
            s.start()
            servers[n] = s
            settings[n] = loft_settings(args.threads) if n == "Loft" else dovecot_settings(s)

        if do_lmtp:
            for n, s in servers.items():  # warm-up: Dovecot forks its lmtp processes here
                bl.smtp_source(s, lmtp_users("warm", 1), args.sessions * 20, args.sessions, args.size)
                headers[n] = check_delivered_file(s, lmtp_users("warm", 1)[0], args.size)
                remove_homes(s, lmtp_users("warm", 1))
            for r in range(args.rounds):
                for wi, (w, k) in enumerate(workloads):
                    for n, s in servers.items():
                        us = lmtp_users(f"r{r}w{wi}", k)
                        t, cpu = bl.smtp_source(s, us, args.messages, args.sessions, args.size)
                        lmtp_times[(n, w)].append(t)
                        lmtp_cpu[(n, w)].append(cpu)
                        print(f"lmtp round {r + 1} {w} {n}: {t:.2f} s, {args.messages / t:.0f} messages/s, "
                              f"server CPU {cpu:.2f} s", flush=True)
                        remove_homes(s, us)
            for n, s in servers.items():  # unmeasured: sync calls per message
                trace = work / f"strace-{n}.txt"
                a = bl.Attached("strace", trace_pids(s, "lmtp"), trace)
                bl.smtp_source(s, lmtp_users("sync", 1), args.sample, args.sessions, args.size)
                a.finish()
                syncs[n] = bl.strace_syncs(trace)
                remove_homes(s, lmtp_users("sync", 1))
            if args.perf and "Loft" in servers:
                s = servers["Loft"]
                data = work / "perf-lmtp.data"
                a = bl.Attached("perf", trace_pids(s, "lmtp"), data)
                bl.smtp_source(s, lmtp_users("perf", 1), args.messages, args.sessions, args.size)
                a.finish()
                profiles["loft-lmtpd"] = bl.perf_top(data)
                remove_homes(s, lmtp_users("perf", 1))

        if do_pop3:
            user = f"pop@{DOMAIN}"
            answers = {}
            for r in range(args.rounds):
                for s in servers.values():
                    bl.link_maildir(src, s.home(user) / "Maildir", s.owner)
                for kind in ("cold", "warm"):
                    for n, s in servers.items():
                        cpu0 = s.cpu()
                        res = pop3_session(args.client, s.ports["pop3"], user, args.pop3_messages,
                                           checksum=(kind == "cold"))
                        time.sleep(0.2)  # let Dovecot's master reap the session's pop3 process
                        res["server_cpu"] = s.cpu() - cpu0
                        pop3[(n, kind)].append(res)
                        if kind == "cold":
                            answers.setdefault(n, res)
                        print(f"pop3 round {r + 1} {kind} {n}: {res['seconds']:.2f} s, "
                              f"{args.pop3_messages / res['seconds']:.0f} messages/s, "
                              f"{res['octets'] / res['seconds'] / 1e6:.1f} MB/s, server CPU {res['server_cpu']:.2f} s, "
                              f"client CPU {res['cpu']:.2f} s",
                              flush=True)
            if args.perf and "Loft" in servers:
                s = servers["Loft"]
                data = work / "perf-pop3.data"
                a = bl.Attached("perf", trace_pids(s, "pop3"), data)
                pop3_session(args.client, s.ports["pop3"], user, args.pop3_messages, checksum=False)
                a.finish()
                profiles["loft-pop3d"] = bl.perf_top(data)
    finally:
        for s in servers.values():
            s.stop()
        bl.remove_bench_user(created_user)

    # -----------------------------------------------------------------------
    med = bl.median
    out = bl.report_head("LMTP and POP3 benchmark", cache, load_before) + [
        "Made by `make bench-lmtp-pop3` (bench/lmtp_pop3/run_bench.py); arguments: "
        f"`{' '.join(sys.argv[1:])}`. {args.rounds} interleaved rounds (Loft, Dovecot, Loft, ...); "
        "medians, min–max over the rounds. Both servers: mail_fsync = optimized, "
        "mail_location = maildir:~/Maildir, the same passwd-file passdb/userdb, hostname, on loopback.",
        "",
    ]
    def ms(xs: list[float], per: int) -> str:
        return f"{med(xs) * 1000 / per:.2f}" if xs else "–"

    def ratio(a: list[float], b: list[float]) -> str:
        return f"{med(b) / med(a):.2f}" if a and b and med(a) else "–"  # a tiny run may use no CPU tick

    def rounds(xs: list[float]) -> str:
        return ", ".join(f"{x:.2f}" for x in xs) or "–"

    if do_lmtp:
        out += [
            f"## LMTP delivery: {args.messages:,} messages, {args.sessions} parallel sessions",
            "",
            f"`smtp-source -L -d -s {args.sessions} -m {args.messages} -l {args.size}` (Postfix's; `-d` keeps "
            "each session's connection for its next message as Postfix's LMTP connection cache does; a body "
            f"of {args.size} bytes after smtp-source's five header lines). \"{args.users} users\": one "
            f"smtp-source per user, {max(1, args.sessions // max(1, args.users))} session(s) and "
            f"{args.messages // args.users} messages each, all at once. Every round delivers into new empty "
            "homes; after every run each Maildir held exactly the messages sent to it (counted in new/ and "
            "cur/). Time: from starting smtp-source to its exit. Server CPU: user + system time of the "
            "server's processes during the run (Dovecot: the master and every process below it, exited ones "
            "included; Loft: loft-lmtpd and loft-pop3d, which idles meanwhile), per message: less sensitive to the other load on the machine than "
            "the wall time.",
            "",
        ]
        rows = []
        for w, _ in workloads:
            lt, dt = lmtp_times.get(("Loft", w), []), lmtp_times.get(("Dovecot", w), [])
            lc, dc = lmtp_cpu.get(("Loft", w), []), lmtp_cpu.get(("Dovecot", w), [])
            lr = f"{args.messages / med(lt):.0f}" if lt else "–"
            dr = f"{args.messages / med(dt):.0f}" if dt else "–"
            rows.append([w, lr, dr, ratio(lt, dt), rounds(lt), rounds(dt), ms(lc, args.messages),
                         ms(dc, args.messages), ratio(lc, dc)])
        out += bl.table(["workload", "Loft messages/s", "Dovecot messages/s", "Loft / Dovecot", "Loft rounds (s)",
                         "Dovecot rounds (s)", "Loft CPU ms/message", "Dovecot CPU ms/message",
                         "Dovecot / Loft CPU"], rows, right={1, 2, 3, 6, 7, 8})
        out += ["", f"Sync calls per delivered message (an unmeasured run of {args.sample} messages to one "
                f"user over {args.sessions} sessions under `strace -f -c -e trace=fsync,fdatasync,syncfs` "
                "attached to the server: Dovecot's master and all its processes, following new ones; "
                "every thread of loft-lmtpd):", ""]
        out += bl.table(["server", "fsync", "fdatasync", "syncfs", "total per message"],
                        [[n] + [f"{c[k] / args.sample:.2f}" for k in bl.SYNC_CALLS] +
                         [f"{sum(c.values()) / args.sample:.2f}"] for n, c in syncs.items()])
        out.append("")
        for n, h in headers.items():
            out += [f"Headers of a message {n} delivered:", "", "```", h.replace("\r\n", "\n"), "```", ""]
    if do_pop3:
        total = pop3[(names[0], "cold")][0]["octets"]
        out += [
            f"## POP3 download: {args.pop3_messages:,} messages, {total / 1e6:.1f} MB",
            "",
            "One session: connect, USER/PASS, STAT, LIST, UIDL, RETR of every message one at a time, QUIT, "
            "timed from connect to the QUIT reply. \"cold\": the first login on a fresh copy of the Maildir "
            "(the uidlist, no index); \"warm\": the next session. MB/s counts the message octets RETR sent "
            "(10^6 bytes). Server CPU as for LMTP (Loft: loft-pop3d, and the idle loft-lmtpd; Dovecot: every process, the session's "
            "pop3 and pop3-login included).",
            "",
        ]
        rows = []
        for kind in ("cold", "warm"):
            secs = {n: [x["seconds"] for x in pop3.get((n, kind), [])] for n in ("Loft", "Dovecot")}
            scpu = {n: [x["server_cpu"] for x in pop3.get((n, kind), [])] for n in ("Loft", "Dovecot")}
            cells = []
            for n in ("Loft", "Dovecot"):
                m = med(secs[n]) if secs[n] else 0
                cells += [f"{args.pop3_messages / m:.0f}", f"{total / m / 1e6:.1f}"] if m else ["–", "–"]
            per1000 = {n: f"{med(scpu[n]) * 1e6 / args.pop3_messages:.0f}" if scpu[n] else "–"
                       for n in ("Loft", "Dovecot")}
            cpu_med = " / ".join(f"{med([x['cpu'] for x in pop3[(n, kind)]]):.2f}" if pop3.get((n, kind)) else "–"
                                 for n in ("Loft", "Dovecot"))
            rows.append([kind, *cells, ratio(secs["Loft"], secs["Dovecot"]), rounds(secs["Loft"]),
                         rounds(secs["Dovecot"]), per1000["Loft"], per1000["Dovecot"],
                         ratio(scpu["Loft"], scpu["Dovecot"]), cpu_med])
        out += bl.table(["session", "Loft messages/s", "Loft MB/s", "Dovecot messages/s", "Dovecot MB/s",
                         "Loft / Dovecot", "Loft rounds (s)", "Dovecot rounds (s)", "Loft CPU ms/1000 messages",
                         "Dovecot CPU ms/1000 messages", "Dovecot / Loft CPU", "client CPU Loft / Dovecot (s)"],
                        rows, right={1, 2, 3, 4, 5, 8, 9, 10})
        out.append("")
        checks = []
        for n in names:
            rs = pop3[(n, "cold")] + pop3[(n, "warm")]
            bad = sum(x["bad_sizes"] for x in rs)
            checks.append(f"{n}: STAT {rs[0]['stat_octets']:,} octets, RETR sent {rs[0]['octets']:,}, "
                          f"{bad} RETR(s) differing from their LIST size, data CRC-32 {rs[0]['crc']}")
        if len(names) == 2:
            same_uidl = pop3[("Loft", "cold")][0]["uidl_crc"] == pop3[("Dovecot", "cold")][0]["uidl_crc"]
            same_crc = pop3[("Loft", "cold")][0]["crc"] == pop3[("Dovecot", "cold")][0]["crc"]
            checks.append(f"UIDL lists identical: {'yes' if same_uidl else 'NO'}; "
                          f"retrieved bytes identical: {'yes' if same_crc else 'NO'}")
        out += ["Checks: " + "; ".join(checks) + ".", "",
                "The client (bench/lmtp_pop3/pop3_load.cpp: one blocking socket, reads of up to 256 KB, "
                "memmem for the terminator) used the CPU time in the last column per session; the rest of "
                "the wall time is the server and the loopback round trips, one per command.", ""]
    out += ["## Settings", ""]
    for n, text in settings.items():
        out.append(f"- {n}: {text}")
    out.append("")
    for name, rows in profiles.items():
        out += [f"## Profile of {name} (`perf record -g`, one extra run, self time, top symbols)", "", "```"]
        out += rows
        out += ["```", ""]
    bl.write_report(out, args.markdown)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
