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
   build, on its own, and Debian's Dovecot (dovecot -F, a temporary config, a
   passwd-file user, mail owned by the system user `loftbench`, created here
   if missing, because Dovecot refuses to access mail as root). Both
   configurations come from bench/common/benchlib.py.
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
import random
import socket
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "common"))
import benchlib as bl  # noqa: E402

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


def sort_files(count: int, seed: int):
    """(file name, bytes, mtime) of each message of the mailbox."""
    rnd = random.Random(seed)
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc).timestamp()
    threads = []  # [subject, [message-ids]]
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
        yield f"{int(t)}.M{n}P1.bench,S={len(data)}:2,S", data, t


def generate(maildir: pathlib.Path, count: int, seed: int) -> None:
    bl.generate_maildir(maildir, sort_files(count, seed), uidvalidity=1700000000, guid=seed)


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
    work = bl.work_dir(cache)
    src = cache / f"maildir-{args.messages}-{args.seed}"
    if not (src / "dovecot-uidlist").exists():
        print(f"generating {args.messages} messages into {src} ...", flush=True)
        generate(src, args.messages, args.seed)

    pw, created_user = bl.ensure_bench_user()
    load_before = os.getloadavg()
    user = "bench"
    started: list[bl.Server] = []
    try:
        for server in (bl.LoftDaemons(work, {"imap": args.imapd}),
                       bl.Dovecot(work, (pw.pw_uid, pw.pw_gid), ("imap",))):
            server.write_users([user])
            bl.link_maildir(src, server.home(user) / "Maildir", server.owner)
            server.start()
            started.append(server)
        servers = {sv.name: Conn(sv.ports["imap"], user, bl.PASSWORD) for sv in started}
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
        for server in started:
            server.stop()
        bl.remove_bench_user(created_user)

    med = bl.median
    out = bl.report_head("SORT and THREAD benchmark", cache, load_before) + [
        "Made by `make bench-sort-thread` (bench/imap_sort/run_bench.py); "
        f"{args.messages:,} messages (seed {args.seed}), warm: each command ran twice on each server before "
        f"timing, then {args.rounds} interleaved rounds (Loft, Dovecot, Loft, ...). Times are from sending the "
        "command to the tagged OK, one connection per server, on loopback. Dovecot with its defaults "
        "(mail_fsync = optimized on both; nothing here writes mail).",
        "",
    ]
    rows = []
    for label, _ in COMMANDS:
        lt, dt = times[("Loft", label)], times[("Dovecot", label)]
        same = "yes" if answers[("Loft", label)] == answers[("Dovecot", label)] else "no"
        rows.append([label, f"{med(lt) * 1000:.1f}", f"{med(dt) * 1000:.1f}", f"{med(lt) / med(dt):.2f}",
                     bl.spread([x * 1000 for x in lt], "{:.1f}"), bl.spread([x * 1000 for x in dt], "{:.1f}"), same])
    out += bl.table(["command", "Loft median ms", "Dovecot median ms", "Loft / Dovecot time", "Loft min–max",
                     "Dovecot min–max", "same answer"], rows, right={1, 2, 3})
    out.append("")
    out.append(f"First SELECT (index built from the uidlist): Loft {select['Loft'] * 1000:.0f} ms, "
               f"Dovecot {select['Dovecot'] * 1000:.0f} ms.")
    bl.write_report(out, args.markdown)


if __name__ == "__main__":
    main()
