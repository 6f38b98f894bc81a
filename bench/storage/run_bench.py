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

Dovecot refuses to access mail as root, so its side runs as the system user
`loftbench` (bench/common/benchlib.py: created here if missing, and removed
at the end only then) on the same file system. The report goes to
--markdown (bench/results/storage-DATE.md) and stdout.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "common"))
import benchlib as bl  # noqa: E402


def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if p.returncode != 0:
        sys.exit(f"run_bench: {' '.join(map(str, cmd))} exited {p.returncode}:\n{p.stderr.decode(errors='replace')}")
    return p.stdout.decode()


class Dovecot:
    """doveadm as the mail owner on a home of its own: no server runs."""

    def __init__(self, work: pathlib.Path, pw):
        self.name = pw.pw_name
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.home = work / "dovecot-home"
        self.conf = work / "dovecot.conf"
        self.conf.write_text(
            f"mail_location = maildir:{self.home}/Maildir\n"
            f"mail_uid = {self.uid}\nmail_gid = {self.gid}\n"
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


def syncs_per_message(trace: pathlib.Path, messages: int) -> float:
    """fsync + fdatasync + syncfs calls in an `strace -c` summary, per message."""
    return sum(bl.strace_syncs(trace).values()) / messages


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
    work = bl.work_dir(cache)
    load_before = os.getloadavg()

    # 1. Open + list.
    out = run([args.bench, "open", f"--maildir={cache}/open{args.open_messages}/Maildir",
               f"--messages={args.open_messages}", f"--runs={args.open_runs}"])
    open_ms = [float(x) for x in re.search(r"^open_ms (.*)$", out, re.M).group(1).split()]
    open_count = int(re.search(r"^messages (\d+)", out, re.M).group(1))

    # 2. Saves.
    pw, created_user = bl.ensure_bench_user()
    dv = Dovecot(work, pw)
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
        run(bl.strace_prefix(trace) + [args.bench, "save", f"--maildir={loft_dir}", f"--count={args.sample}",
                                       f"--size={args.size}", "--batch=1"])
        syncs["loft_each"] = syncs_per_message(trace, args.sample)
        trace = work / "strace-loft-batch.txt"
        run(bl.strace_prefix(trace) + [args.bench, "save", f"--maildir={loft_dir}", f"--count={args.sample}",
                                       f"--size={args.size}", f"--batch={args.sample}"])
        syncs["loft_batch"] = syncs_per_message(trace, args.sample)
        dv.fresh_home()
        trace = work / "strace-dovecot.txt"
        dv.import_mbox(sample_dir, prefix=bl.strace_prefix(trace))
        syncs["dovecot"] = syncs_per_message(trace, args.sample)
    finally:
        bl.remove_bench_user(created_user)
        shutil.rmtree(work, ignore_errors=True)

    med = bl.median
    rate = lambda s: args.count / s  # noqa: E731
    rounds = lambda xs: ", ".join(f"{x:.2f}" for x in xs)  # noqa: E731
    lines = bl.report_head("Storage benchmark", cache, load_before) + [
        "Made by `make bench-storage` (bench/storage/run_bench.py, bench/storage/bench_storage.cpp); "
        f"arguments: `{' '.join(sys.argv[1:])}`.",
        "",
        "## Open a mailbox and list every UID and flags",
        "",
        f"{open_count} messages (1 KB each, made once and cached), index warm: `Mailbox::open(INBOX)` "
        f"read-only plus `View::uid`/`View::flags` of every message, {len(open_ms)} runs in one process.",
        "",
        *bl.table(["median", "min", "max", "target"],
                  [[f"{med(open_ms):.2f} ms", f"{min(open_ms):.2f} ms", f"{max(open_ms):.2f} ms",
                    f"< 20 ms ({'met' if med(open_ms) < 20 else 'NOT met'})"]], right=set()),
        "",
        f"## Save {args.count} messages of {args.size} bytes, mail_fsync = optimized",
        "",
        f"{args.rounds} rounds, interleaved (Loft per message, Loft one transaction, Dovecot), each into a "
        "new Maildir. Dovecot: `doveadm import` of an mbox of the same messages, one process "
        "(`doveadm save` stores one message per process; it is not a storage figure but is shown "
        "below for reference).",
        "",
        *bl.table(["", "median", "messages/s", "rounds (s)", "fsync+fdatasync+syncfs per message"],
                  [[label, f"{med(xs):.2f} s", f"{rate(med(xs)):.0f}", rounds(xs), f"{syncs[key]:.2f}"]
                   for label, xs, key in (("Loft, one commit per message", loft_each, "loft_each"),
                                          ("Loft, one transaction", loft_batch, "loft_batch"),
                                          ("Dovecot 2.3 doveadm import", dovecot, "dovecot"))], right=set()),
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
    bl.write_report(lines, args.markdown)


if __name__ == "__main__":
    main()
