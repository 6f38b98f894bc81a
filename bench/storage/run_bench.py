#!/usr/bin/python3
"""The storage benchmark of issue 5 (make bench-storage): Loft against Dovecot.

1. Open a 100,000-message Maildir with a warm index and read every UID and
   its flags (bench_storage open; the mailbox is made once and cached under
   --cache-dir). Target: median under 20 ms.
2. Save 10,000 messages of 4 KB with mail_fsync = optimized:
   - Loft, one transaction per message (what LMTP delivery does: every
     message durable before its commit returns);
   - Loft, all 10,000 in one transaction;
   - Dovecot 2.3, `doveadm import` of an mbox holding the same 10,000
     messages into a fresh Maildir (one doveadm process; `doveadm save` takes
     one message per process, so 10,000 of them would time process start-up
     and config parsing, not storage; its cost per invocation is measured on
     a sample and reported separately).
   Interleaved A B C, A B C, ... for --rounds rounds; medians and ratios.
   Then one more run of each, 500 messages, under `strace -f -c` to count the
   fsync, fdatasync and syncfs calls per message.

Dovecot refuses to access mail as root, so its side runs as a temporary
system user (useradd here, userdel at the end) on the same file system. The
report goes to --markdown (bench/results/storage-DATE.md) and stdout.
"""
from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import platform
import pwd
import re
import shutil
import statistics
import subprocess
import sys
import time


def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if p.returncode != 0:
        sys.exit(f"run_bench: {' '.join(map(str, cmd))} exited {p.returncode}:\n{p.stderr.decode(errors='replace')}")
    return p.stdout.decode()


class Dovecot:
    def __init__(self, work: pathlib.Path):
        self.name = "loftbench"
        subprocess.run(["userdel", self.name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.work = work
        self.home = work / "dovecot-home"
        run(["useradd", "-r", "-M", "-d", str(self.home), "-s", "/usr/sbin/nologin", self.name])
        pw = pwd.getpwnam(self.name)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.conf = work / "dovecot.conf"
        self.conf.write_text(
            "mail_location = maildir:~/Maildir\n"
            f"mail_uid = {self.name}\nmail_gid = {self.name}\n"
            "first_valid_uid = 1\nfirst_valid_gid = 1\n"
            f"base_dir = {work}/run\nlog_path = /dev/stderr\nssl = no\n"
            "mail_fsync = optimized\n"
        )
        self.conf.chmod(0o644)
        self.env = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups",
                    "env", f"USER={self.name}", f"HOME={self.home}"]

    def fresh_home(self):
        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir()
        os.chown(self.home, self.uid, self.gid)

    def doveadm(self, *args, prefix=(), input=None):
        return subprocess.run(list(prefix) + self.env + ["doveadm", "-c", str(self.conf)] + list(args),
                              input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def import_mbox(self, mbox_dir: pathlib.Path, prefix=()):
        p = self.doveadm("import", f"mbox:{mbox_dir}:INBOX={mbox_dir}/inbox", "", "all", prefix=prefix)
        if p.returncode != 0:
            sys.exit(f"run_bench: doveadm import failed: {p.stderr.decode(errors='replace')}")

    def count(self) -> int:
        p = self.doveadm("mailbox", "status", "messages", "INBOX")
        m = re.search(r"messages=(\d+)", p.stdout.decode())
        return int(m.group(1)) if m else -1

    def close(self):
        subprocess.run(["userdel", self.name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def strace_syncs(trace: pathlib.Path) -> int:
    """Calls of fsync + fdatasync + syncfs in an `strace -c` summary."""
    total = 0
    for line in trace.read_text().splitlines():
        f = line.split()
        if len(f) >= 5 and f[-1] in ("fsync", "fdatasync", "syncfs"):
            total += int(f[3])
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True, help="the bench_storage program")
    ap.add_argument("--cache-dir", default="/var/tmp/loft-bench-storage")
    ap.add_argument("--markdown", default="")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--open-messages", type=int, default=100000)
    ap.add_argument("--open-runs", type=int, default=21)
    ap.add_argument("--sample", type=int, default=500, help="messages of the strace fsync count")
    args = ap.parse_args()

    cache = pathlib.Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o755)
    work = cache / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    work.chmod(0o755)
    load_before = os.getloadavg()

    # 1. Open + list.
    out = run([args.bench, "open", f"--maildir={cache}/open{args.open_messages}/Maildir",
               f"--messages={args.open_messages}", f"--runs={args.open_runs}"])
    open_ms = [float(x) for x in re.search(r"^open_ms (.*)$", out, re.M).group(1).split()]
    open_count = int(re.search(r"^messages (\d+)", out, re.M).group(1))

    # 2. Saves.
    dv = Dovecot(work)
    try:
        mbox_dir = work / "mbox"
        mbox_dir.mkdir()
        run([args.bench, "mbox", f"--out={mbox_dir}/inbox", f"--count={args.count}", f"--size={args.size}"])
        sample_dir = work / "mbox-sample"
        sample_dir.mkdir()
        run([args.bench, "mbox", f"--out={sample_dir}/inbox", f"--count={args.sample}", f"--size={args.size}"])
        for d in (mbox_dir, sample_dir):
            for p in [d, *d.iterdir()]:
                os.chown(p, dv.uid, dv.gid)

        loft_each, loft_batch, dovecot = [], [], []
        loft_dir = work / "loft" / "Maildir"
        for _ in range(args.rounds):
            out = run([args.bench, "save", f"--maildir={loft_dir}", f"--count={args.count}",
                       f"--size={args.size}", "--fsync=optimized", "--batch=1"])
            loft_each.append(float(re.search(r"^save_s (\S+)", out, re.M).group(1)))
            out = run([args.bench, "save", f"--maildir={loft_dir}", f"--count={args.count}",
                       f"--size={args.size}", "--fsync=optimized", f"--batch={args.count}"])
            loft_batch.append(float(re.search(r"^save_s (\S+)", out, re.M).group(1)))
            dv.fresh_home()
            subprocess.run(["sync"])
            t0 = time.monotonic()
            dv.import_mbox(mbox_dir)
            dovecot.append(time.monotonic() - t0)
            got = dv.count()
            if got != args.count:
                sys.exit(f"run_bench: doveadm import stored {got} messages, not {args.count}")

        # Per-invocation cost of `doveadm save` (one message per process).
        dv.fresh_home()
        msg = (mbox_dir / "inbox").read_bytes().split(b"\n", 1)[1][: args.size]
        n_save = 50
        t0 = time.monotonic()
        for _ in range(n_save):
            p = dv.doveadm("save", "-m", "INBOX", input=msg)
            if p.returncode != 0:
                sys.exit(f"run_bench: doveadm save failed: {p.stderr.decode(errors='replace')}")
        doveadm_save_ms = (time.monotonic() - t0) * 1000 / n_save

        # fsync/fdatasync/syncfs calls per message.
        syncs = {}
        trace = work / "strace-loft-each.txt"
        run(["strace", "-f", "-c", "-e", "trace=fsync,fdatasync,syncfs", "-o", str(trace), args.bench, "save",
             f"--maildir={loft_dir}", f"--count={args.sample}", f"--size={args.size}", "--batch=1"])
        syncs["loft_each"] = strace_syncs(trace) / args.sample
        trace = work / "strace-loft-batch.txt"
        run(["strace", "-f", "-c", "-e", "trace=fsync,fdatasync,syncfs", "-o", str(trace), args.bench, "save",
             f"--maildir={loft_dir}", f"--count={args.sample}", f"--size={args.size}", f"--batch={args.sample}"])
        syncs["loft_batch"] = strace_syncs(trace) / args.sample
        dv.fresh_home()
        trace = work / "strace-dovecot.txt"
        dv.import_mbox(sample_dir, prefix=["strace", "-f", "-c", "-e", "trace=fsync,fdatasync,syncfs", "-o", str(trace)])
        syncs["dovecot"] = strace_syncs(trace) / args.sample
    finally:
        dv.close()
        shutil.rmtree(work, ignore_errors=True)

    med = statistics.median
    rate = lambda s: args.count / s  # noqa: E731
    load_after = os.getloadavg()
    fs = subprocess.run(["stat", "-f", "-c", "%T", str(cache)], stdout=subprocess.PIPE).stdout.decode().strip()
    lines = [
        f"# Storage benchmark, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Linux {platform.release()}, "
        f"file system {fs} ({cache}); load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
        "(the machine is shared: absolute times vary between runs, the interleaved ratios less).",
        "Made by `make bench-storage` (bench/storage/run_bench.py, bench/storage/bench_storage.cpp); "
        f"arguments: `{' '.join(sys.argv[1:])}`.",
        "",
        "## Open a mailbox and list every UID and flags",
        "",
        f"{open_count} messages (1 KB each, made once and cached), index warm: `Mailbox::open(INBOX)` "
        f"read-only plus `View::uid`/`View::flags` of every message, {len(open_ms)} runs in one process.",
        "",
        "| median | min | max | target |",
        "|---|---|---|---|",
        f"| {med(open_ms):.2f} ms | {min(open_ms):.2f} ms | {max(open_ms):.2f} ms | < 20 ms "
        f"({'met' if med(open_ms) < 20 else 'NOT met'}) |",
        "",
        f"## Save {args.count} messages of {args.size} bytes, mail_fsync = optimized",
        "",
        f"{args.rounds} rounds, interleaved (Loft per message, Loft one transaction, Dovecot), each into a "
        "new Maildir. Dovecot: `doveadm import` of an mbox of the same messages, one process "
        "(`doveadm save` stores one message per process; it is not a storage figure but is shown "
        "below for reference).",
        "",
        "| | median | messages/s | rounds (s) | fsync+fdatasync+syncfs per message |",
        "|---|---|---|---|---|",
        f"| Loft, one commit per message | {med(loft_each):.2f} s | {rate(med(loft_each)):.0f} | "
        f"{', '.join(f'{x:.2f}' for x in loft_each)} | {syncs['loft_each']:.2f} |",
        f"| Loft, one transaction | {med(loft_batch):.2f} s | {rate(med(loft_batch)):.0f} | "
        f"{', '.join(f'{x:.2f}' for x in loft_batch)} | {syncs['loft_batch']:.2f} |",
        f"| Dovecot 2.3 doveadm import | {med(dovecot):.2f} s | {rate(med(dovecot)):.0f} | "
        f"{', '.join(f'{x:.2f}' for x in dovecot)} | {syncs['dovecot']:.2f} |",
        "",
        f"Ratio (Dovecot time / Loft time): one commit per message {med(dovecot) / med(loft_each):.2f}x, "
        f"one transaction {med(dovecot) / med(loft_batch):.2f}x (target >= 2x).",
        "",
        f"`doveadm save`, one message per process: {doveadm_save_ms:.1f} ms per message "
        f"(mean of 50), i.e. {args.count * doveadm_save_ms / 1000:.0f} s for {args.count}.",
        "",
        f"sync counts: `strace -f -c -e trace=fsync,fdatasync,syncfs` over {args.sample} messages of each "
        "(a syncfs flushes the whole file system once: Loft makes a large transaction durable with one "
        "before renaming its files into place, see docs/durability.md).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        pathlib.Path(args.markdown).write_text(text)


if __name__ == "__main__":
    main()
