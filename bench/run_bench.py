#!/usr/bin/python3
"""make bench: every workload against Loft and Dovecot, side by side (issue 9).

Both servers run on loopback ports under a work directory in --cache-dir,
configured alike by bench/common/benchlib.py (maildir:~/Maildir, mail_fsync =
optimized, one passwd-file, plaintext auth, the same hostname; the mail
belongs to the system user `loftbench`): Loft the way an admin runs it,
`loftd -c loft.conf` starting loft-imapd, loft-pop3d, loft-lmtpd and
loft-authd; Dovecot 2.3 from Debian with `dovecot -F -c dovecot.conf`, tuned
as a production admin would for the load (service limits for 10,000 IDLE
connections, imap hibernation, high-performance login processes; the
report lists what was set and what each server ran with).

Corpora are generated once into --cache-dir with loft-bench-corpus
(deterministic by seed): the 100 accounts' mailboxes of `mixed`, the big
mailbox (100,000 messages), the POP3 mailbox. Each workload runs against both
servers interleaved (Loft, Dovecot, Loft, Dovecot ...; --rounds, 3 by
default, 1 with --quick); workloads that change mail get fresh copies of
their mailboxes (hard links to the cached message files, a copy of the
uidlist, no index) before every run.

  mixed       loft-loadgen mixed: --clients webmail-like clients over the
              accounts for --mixed-duration seconds; ops/s, p50/p99 per command.
  bigmailbox  loft-loadgen bigmailbox on the big mailbox: an unmeasured first
              run builds both servers' indexes; then per round "cold" (the
              server restarted, `sync; echo 3 > /proc/sys/vm/drop_caches`,
              one run of each operation) and "warm" (--big-repeat runs, the
              median).
  logins      loft-loadgen logins: LOGIN+LOGOUT on new connections per second.
  idle        loft-loadgen idle: --idle-connections IDLE connections; memory
              per connection = (sum of PSS of the server's processes with them
              - the same before, on a server restarted for the round) / N, measured between its READY and our GO
              (after Dovecot has hibernated them); then --idle-deliveries LMTP
              deliveries and the latency to every connection's EXISTS.
  lmtp        Postfix's smtp-source -L: --lmtp-messages messages over
              --lmtp-sessions sessions to one user, and spread over 10 users;
              every Maildir must hold what was sent. Plus an unmeasured run
              under strace -c: fsync/fdatasync calls per delivered message.
  pop3        loft-loadgen pop3: download --pop3-messages messages, on a fresh
              copy with the page cache dropped (cold index and files) and
              again (warm).

Any unexpected answer (loft-loadgen exits 1, a Maildir missing mail, a
server that dies) fails that workload: the report marks it FAILED with the
reason, the other workloads still run, and the runner exits 1. A missing
binary stops the run before anything starts. The report (--markdown) gives
per workload the medians, Loft's advantage (rates Loft/Dovecot, times and
memory Dovecot/Loft: above 1 means Loft is better), the spread over the
rounds, the issue's target and whether it was met, both servers' settings,
sync calls per message, the machine and its load. Nothing here is a test:
`make test` never times anything.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import select
import shutil
import signal
import subprocess
import sys
import time
import traceback

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "common"))
import benchlib as bl  # noqa: E402

WORKLOADS = ("mixed", "bigmailbox", "logins", "idle", "lmtp", "pop3")
# The targets: Loft's advantage (see the docstring) at least this.
TARGETS = {"mixed": 2.0, "bigmailbox warm": 2.0, "bigmailbox cold": 1.5, "logins": 2.0, "idle": 20.0,
           "lmtp": 1.5, "pop3": 1.5}
BIG_OPS = ("SELECT", "FETCH_UID_FLAGS", "FETCH_ENVELOPE", "FETCH_BODYSTRUCTURE", "SEARCH_FROM", "SEARCH_SUBJECT",
           "SEARCH_BODY", "SORT_DATE", "THREAD_REFERENCES", "STATUS")

# Processes started here that must not outlive the runner (Ctrl-C, errors).
CHILDREN: list[subprocess.Popen] = []


class WorkloadFailed(Exception):
    pass


def run_tool(cmd: list[str], what: str, timeout: float) -> None:
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    CHILDREN.append(p)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise WorkloadFailed(f"{what}: no result within {timeout:.0f} s: {err.strip()[-1500:]}")
    finally:
        CHILDREN.remove(p)
    if p.returncode != 0:
        raise WorkloadFailed(f"{what} exited {p.returncode}: {(err.strip() or out.strip())[-1500:]}")


class Bench:
    def __init__(self, args):
        self.args = args
        self.cache = pathlib.Path(args.cache_dir)
        self.work = self.cache / "work"
        self.servers: dict[str, bl.Server] = {}
        self.results: dict[str, dict] = {}  # workload -> what the report needs
        self.failures: dict[str, str] = {}
        self.sizes = {}
        self.inotify_before = self.inotify_now = 0

    # -- setup ------------------------------------------------------------
    def users(self) -> dict[str, list[str]]:
        a = self.args
        u = {
            "mixed": [f"mix{i:03d}@{bl.DOMAIN}" for i in range(a.accounts)],
            "idle": [f"idle{i:03d}@{bl.DOMAIN}" for i in range(a.idle_users)],
            "big": [f"big@{bl.DOMAIN}"],
            "pop3": [f"pop@{bl.DOMAIN}"],
            "lmtp": [],
        }
        for r in range(a.rounds):
            u["lmtp"] += self.lmtp_users(f"r{r}one", 1) + self.lmtp_users(f"r{r}ten", 10)
        u["lmtp"] += self.lmtp_users("warm", 1) + self.lmtp_users("sync", 1)
        return u

    @staticmethod
    def lmtp_users(tag: str, n: int) -> list[str]:
        return [f"{tag}u{k}@{bl.DOMAIN}" for k in range(n)]

    def users_file(self, kind: str) -> pathlib.Path:
        path = self.work / f"users-{kind}.txt"
        path.write_text("".join(f"{u}:{bl.PASSWORD}\n" for u in self.users()[kind]))
        return path

    def corpus(self, name: str, count: int, seed: int, max_size: int = 0) -> pathlib.Path:
        """A cached Maildir of `count` messages from loft-bench-corpus."""
        out = self.cache / "corpus" / (f"{name}-{count}-s{seed}" + (f"-max{max_size}" if max_size else ""))
        if (out / "dovecot-uidlist").exists():
            return out
        tmp = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        cmd = [self.args.corpus, f"--seed={seed}", f"--count={count}", f"--maildir={tmp}"]
        if max_size:
            cmd.append(f"--max-size={max_size}")
        print(f"generating {name}: {count} messages into {out} ...", flush=True)
        t0 = time.monotonic()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0 or not (tmp / "dovecot-uidlist").exists():
            bl.fail(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()[-800:]}")
        tmp.rename(out)
        print(f"  done in {time.monotonic() - t0:.0f} s", flush=True)
        return out

    def tuning(self) -> dict[str, str]:
        """Per-server settings for the load: Dovecot as a production admin
        tunes it for 10,000 IDLE clients and many logins; Loft's limits that
        would otherwise refuse the same load. Settings both have are equal."""
        a = self.args
        conns = max(1000, a.idle_connections + 256)
        both = (f"default_vsz_limit = {a.vsz_limit}\n"
                # Every IDLE connection of a user comes from 127.0.0.1.
                f"mail_max_userip_connections = {conns}\n")
        dovecot = both + (
            # Idle IMAP connections move to imap-hibernate after this long in
            # IDLE and their imap process exits: Dovecot's answer to many
            # mostly idle clients (30s as its documentation suggests).
            f"imap_hibernate_timeout = {a.hibernate_timeout}s\n"
            # High-performance login processes: one per core, each serving many
            # connections, instead of a new process per connection.
            "service imap-login {\n  service_count = 0\n  process_min_avail = 2\n"
            f"  client_limit = {conns}\n}}\n"
            "service pop3-login {\n  service_count = 0\n  process_min_avail = 2\n}\n"
            # One imap process per logged-in client until it hibernates.
            # The sockets of hibernation, as Dovecot's documentation sets them:
            # imap processes (in the internal group) hand connections to
            # imap-hibernate, which (as the internal user) hands them back
            # through imap-master when a client wakes up.
            f"service imap {{\n  process_limit = {conns}\n"
            "  unix_listener imap-master {\n    user = $default_internal_user\n  }\n}\n"
            "service imap-hibernate {\n"
            f"  client_limit = {conns}\n"
            "  unix_listener imap-hibernate {\n    mode = 0660\n    group = $default_internal_group\n  }\n}\n"
            # Every imap process keeps a connection to anvil, stats and (for
            # its userdb lookup) auth.
            f"service anvil {{\n  client_limit = {conns + 1000}\n}}\n"
            f"service stats {{\n  client_limit = {conns + 1000}\n}}\n"
            f"service auth {{\n  client_limit = {conns + 1000}\n}}\n")
        loft = both + (
            # Each loft-imapd worker (one per core) serves up to this many
            # connections; Loft counts pre-login connections per IP (Dovecot
            # has no such limit), which a load generator on one address hits.
            f"service imap-login {{\n  client_limit = {conns}\n}}\n"
            "login_max_connections_per_ip = 0\n")
        return {"Dovecot": dovecot, "Loft": loft}

    def raise_inotify_limit(self) -> None:
        """Dovecot's imap processes each need an inotify instance to learn of
        new mail in IDLE (else they poll every mailbox_idle_check_interval, 30 s)
        and all run as loftbench; the kernel's default of 128 instances per
        user is what a production admin raises for many IDLE clients, as
        Dovecot's warning says. Left raised: it is a cap, not a resource, and
        another run may rely on it."""
        path = pathlib.Path("/proc/sys/fs/inotify/max_user_instances")
        want = self.args.idle_connections + 2048
        self.inotify_before = int(path.read_text())
        if self.inotify_before < want:
            path.write_text(f"{want}\n")
        self.inotify_now = int(path.read_text())

    def start_servers(self) -> None:
        self.raise_inotify_limit()
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        self.work.chmod(0o755)
        owner = (self.pw.pw_uid, self.pw.pw_gid)
        all_users = [u for us in self.users().values() for u in us]
        tuning = self.tuning()
        for name in self.args.servers:
            if name == "Loft":
                s = bl.Loft(self.work, owner, ("imap", "pop3", "lmtp"), self.args.loftd)
            else:
                s = bl.Dovecot(self.work, owner, ("imap", "pop3", "lmtp"))
            s.tuning = tuning[name]
            s.write_users(all_users)
            s.start()
            self.servers[name] = s
            print(f"{name}: imap {s.ports['imap']}, pop3 {s.ports['pop3']}, lmtp {s.ports['lmtp']} "
                  f"(pid {s.pid()}, {s.dir})", flush=True)

    def stop_servers(self) -> None:
        for s in self.servers.values():
            s.stop()

    def check_alive(self) -> None:
        for n, s in self.servers.items():
            if s.master is None or s.master.poll() is not None:
                raise WorkloadFailed(f"{n} is not running any more:\n{s.log_tail()}")

    # -- loft-loadgen -------------------------------------------------------
    def loadgen(self, workload: str, server: bl.Server, users: str, opts: list[str], tag: str,
                timeout: float) -> dict:
        out = self.work / f"{workload}-{server.name}-{tag}.json"
        out.unlink(missing_ok=True)
        cmd = [self.args.loadgen, workload, "--host=127.0.0.1", f"--imap-port={server.ports['imap']}",
               f"--pop3-port={server.ports['pop3']}", f"--lmtp=127.0.0.1:{server.ports['lmtp']}",
               f"--users-file={self.users_file(users)}", f"--seed={self.args.seed}",
               f"--server-label={server.name}", f"--json={out}"] + opts
        run_tool(cmd, f"{server.name}: loft-loadgen {workload}", timeout)
        return self.read_json(out, f"{server.name}: loft-loadgen {workload}")

    @staticmethod
    def read_json(path: pathlib.Path, what: str) -> dict:
        try:
            res = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise WorkloadFailed(f"{what}: no JSON result ({e})")
        if res.get("errors", 0):
            raise WorkloadFailed(f"{what}: {res['errors']} error(s) reported")
        return res

    def fresh_mailboxes(self, kind: str, src_for, server: bl.Server) -> None:
        for i, u in enumerate(self.users()[kind]):
            bl.link_maildir(src_for(i), server.home(u) / "Maildir", server.owner)

    # -- workloads ------------------------------------------------------------
    def run_mixed(self) -> None:
        a = self.args
        sources = [self.corpus("account", a.account_messages, a.seed * 1000 + i, a.account_max_size)
                   for i in range(a.account_corpora)]
        res = {n: [] for n in self.servers}
        for r in range(a.rounds):
            for n, s in self.servers.items():
                self.fresh_mailboxes("mixed", lambda i: sources[i % len(sources)], s)
                cpu0 = s.cpu()
                j = self.loadgen("mixed", s, "mixed", [f"--clients={a.clients}", f"--duration={a.mixed_duration}"],
                                 f"r{r}", a.mixed_duration * 4 + 120)
                j["server_cpu"] = s.cpu() - cpu0
                res[n].append(j)
                print(f"mixed round {r + 1} {n}: {j['ops_per_s']:.0f} ops/s, server CPU {j['server_cpu']:.1f} s",
                      flush=True)
        self.results["mixed"] = res

    def run_bigmailbox(self) -> None:
        a = self.args
        src = self.corpus("big", a.big_messages, a.seed + 7, a.big_max_size)
        for s in self.servers.values():
            self.fresh_mailboxes("big", lambda i: src, s)
        res = {(n, k): [] for n in self.servers for k in ("cold", "warm")}
        for n, s in self.servers.items():  # unmeasured: both build their index and cache
            self.loadgen("bigmailbox", s, "big", ["--repeat=1"], "first", a.big_timeout)
            print(f"bigmailbox {n}: first run done (index built)", flush=True)
        for r in range(a.rounds):
            for n, s in self.servers.items():
                # Cold: the server restarted and nothing of the mailbox in the
                # page cache (the message files are hard links shared by both
                # servers, so the cache is dropped right before each run).
                s.restart()
                bl.drop_caches()
                res[(n, "cold")].append(self.loadgen("bigmailbox", s, "big", ["--repeat=1"], f"cold{r}",
                                                     a.big_timeout))
                print(f"bigmailbox round {r + 1} cold {n}: done", flush=True)
            for n, s in self.servers.items():
                res[(n, "warm")].append(self.loadgen("bigmailbox", s, "big", [f"--repeat={a.big_repeat}"],
                                                     f"warm{r}", a.big_timeout * a.big_repeat))
                print(f"bigmailbox round {r + 1} warm {n}: done", flush=True)
        self.results["bigmailbox"] = res

    def run_logins(self) -> None:
        a = self.args
        res = {n: [] for n in self.servers}
        for r in range(a.rounds):
            for n, s in self.servers.items():
                cpu0 = s.cpu()
                opts = [f"--duration={a.logins_duration}"]
                if a.logins_clients:
                    opts.append(f"--clients={a.logins_clients}")
                j = self.loadgen("logins", s, "mixed", opts, f"r{r}", a.logins_duration * 4 + 60)
                j["server_cpu"] = s.cpu() - cpu0
                res[n].append(j)
                print(f"logins round {r + 1} {n}: {j['ops_per_s']:.0f} logins/s", flush=True)
        self.results["logins"] = res

    def run_idle(self) -> None:
        a = self.args
        res = {n: [] for n in self.servers}
        for r in range(a.rounds):
            for n, s in self.servers.items():
                res[n].append(self.idle_once(s, r))
        self.results["idle"] = res

    def idle_once(self, s: bl.Server, r: int) -> dict:
        a = self.args
        for u in self.users()["idle"]:  # empty INBOXes each run (existing, as after a first delivery)
            md = s.home(u) / "Maildir"
            shutil.rmtree(md, ignore_errors=True)
            for d in ("cur", "new", "tmp"):
                (md / d).mkdir(parents=True)
            bl.chown_tree(md, s.owner)
        # A fresh server for every round: memory freed by an earlier workload
        # or round stays in the server's heap and would absorb the
        # connections' allocations, making them look free.
        s.restart()
        time.sleep(3)
        base_kb, base_n = s.pss_kb()
        out = self.work / f"idle-{s.name}-r{r}.json"
        out.unlink(missing_ok=True)
        cmd = [a.loadgen, "idle", "--host=127.0.0.1", f"--imap-port={s.ports['imap']}",
               f"--lmtp=127.0.0.1:{s.ports['lmtp']}", f"--users-file={self.users_file('idle')}",
               f"--connections={a.idle_connections}", f"--deliveries={a.idle_deliveries}",
               f"--seed={a.seed}", f"--server-label={s.name}", f"--json={out}"]
        errlog = open(self.work / f"idle-{s.name}-r{r}.stderr", "w+")
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errlog, text=True,
                             preexec_fn=bl.raise_nofile)
        CHILDREN.append(p)
        try:
            line = self.read_line(p, a.idle_connections / 50 + 120, errlog)
            if line.strip() != f"READY {a.idle_connections}":
                p.wait(timeout=60)
                errlog.seek(0)
                raise WorkloadFailed(f"{s.name}: loft-loadgen idle said {line!r} instead of READY "
                                     f"(exit {p.returncode}): {errlog.read()[-1500:]}")
            t_ready = time.monotonic()
            ready_kb, _ = s.pss_kb()
            ready_imap = self.count_comm(s, "imap")
            # Dovecot moves a connection to imap-hibernate after
            # imap_hibernate_timeout in IDLE; measure once that settled (and no
            # earlier than a few seconds after READY for either server).
            deadline = t_ready + (a.hibernate_timeout + 30 if s.name == "Dovecot" else 3)
            while time.monotonic() < deadline:
                if s.name == "Dovecot" and self.count_comm(s, "imap") <= a.idle_connections // 100 and \
                        time.monotonic() > t_ready + a.hibernate_timeout + 2:
                    break
                if p.poll() is not None:
                    raise WorkloadFailed(f"{s.name}: loft-loadgen idle exited {p.returncode} before GO")
                time.sleep(1)
            kb, procs = s.pss_kb()
            imap_procs = self.count_comm(s, "imap")
            p.stdin.write("GO\n")
            p.stdin.flush()
            line = self.read_line(p, a.idle_deliveries * 31 + 60, errlog)
            if line.strip() != "DONE":
                raise WorkloadFailed(f"{s.name}: loft-loadgen idle said {line!r} instead of DONE")
            p.stdin.close()
            p.wait(timeout=120)
            if p.returncode != 0:
                errlog.seek(0)
                raise WorkloadFailed(f"{s.name}: loft-loadgen idle exited {p.returncode}: {errlog.read()[-1500:]}")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            CHILDREN.remove(p)
        j = self.read_json(out, f"{s.name}: loft-loadgen idle")
        extra = j.get("extra", {})
        if extra.get("missed", 0):
            raise WorkloadFailed(f"{s.name}: {extra['missed']} EXISTS notification(s) missed")
        j["pss_kb"], j["base_kb"], j["procs"], j["base_procs"], j["imap_procs"] = kb, base_kb, procs, base_n, imap_procs
        j["per_conn_kb"] = (kb - base_kb) / a.idle_connections
        j["ready_per_conn_kb"], j["ready_imap"] = (ready_kb - base_kb) / a.idle_connections, ready_imap
        print(f"idle round {r + 1} {s.name}: {j['per_conn_kb']:.1f} kB per connection "
              f"(PSS {base_kb} kB in {base_n} processes -> {kb} kB in {procs}), EXISTS latency p50 "
              f"{extra.get('exists_latency_p50_us', 0) / 1000:.1f} ms p99 {extra.get('exists_latency_p99_us', 0) / 1000:.1f} ms",
              flush=True)
        return j

    @staticmethod
    def count_comm(s: bl.Server, comm: str) -> int:
        n = 0
        for p in s.pids():
            try:
                n += pathlib.Path(f"/proc/{p}/comm").read_text().strip() == comm
            except OSError:
                pass
        return n

    @staticmethod
    def read_line(p: subprocess.Popen, timeout: float, errlog) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([p.stdout], [], [], 1.0)
            if ready:
                line = p.stdout.readline()
                if line:
                    return line
                break
            if p.poll() is not None:
                break
        errlog.flush()
        errlog.seek(0)
        err = errlog.read()[-1500:]
        if p.poll() is None:
            raise WorkloadFailed(f"loft-loadgen idle: nothing on stdout within {timeout:.0f} s: {err}")
        raise WorkloadFailed(f"loft-loadgen idle exited {p.returncode}: {err}")

    def run_lmtp(self) -> None:
        a = self.args
        shapes = [("one user", "one", 1), ("10 users", "ten", 10)]
        res = {(n, w): [] for n in self.servers for w, _, _ in shapes}
        for n, s in self.servers.items():  # warm-up: Dovecot forks its lmtp processes
            bl.smtp_source(s, self.lmtp_users("warm", 1), a.lmtp_sessions * 20, a.lmtp_sessions, a.lmtp_size)
            self.remove_homes(s, self.lmtp_users("warm", 1))
        for r in range(a.rounds):
            for w, tag, k in shapes:
                for n, s in self.servers.items():
                    us = self.lmtp_users(f"r{r}{tag}", k)
                    t, cpu = bl.smtp_source(s, us, a.lmtp_messages, a.lmtp_sessions, a.lmtp_size)
                    res[(n, w)].append({"seconds": t, "server_cpu": cpu})
                    print(f"lmtp round {r + 1} {w} {n}: {a.lmtp_messages / t:.0f} messages/s, "
                          f"server CPU {cpu:.1f} s", flush=True)
                    self.remove_homes(s, us)
        syncs = {}
        for n, s in self.servers.items():  # unmeasured: sync calls per delivered message
            trace = self.work / f"strace-{n}.txt"
            att = bl.Attached("strace", s.pids(), trace)
            try:
                bl.smtp_source(s, self.lmtp_users("sync", 1), a.sync_sample, a.lmtp_sessions, a.lmtp_size)
            finally:
                att.finish()
            syncs[n] = bl.strace_syncs(trace)
            self.remove_homes(s, self.lmtp_users("sync", 1))
        self.results["lmtp"] = {"runs": res, "shapes": [w for w, _, _ in shapes], "syncs": syncs}

    @staticmethod
    def remove_homes(s: bl.Server, users: list[str]) -> None:
        for u in users:
            shutil.rmtree(s.home(u) / "Maildir", ignore_errors=True)

    def run_pop3(self) -> None:
        a = self.args
        src = self.corpus("pop3", a.pop3_messages, a.seed + 3, a.pop3_max_size)
        res = {(n, k): [] for n in self.servers for k in ("cold", "warm")}
        for r in range(a.rounds):
            for s in self.servers.values():
                self.fresh_mailboxes("pop3", lambda i: src, s)
            for kind in ("cold", "warm"):
                for n, s in self.servers.items():
                    if kind == "cold":
                        # Both servers' copies hard-link the same message files:
                        # without this the second server would read what the
                        # first one's cold session brought into the page cache.
                        bl.drop_caches()
                    cpu0 = s.cpu()
                    j = self.loadgen("pop3", s, "pop3", [f"--messages={a.pop3_messages}"], f"{kind}{r}",
                                     a.pop3_messages / 20 + 120)
                    time.sleep(0.2)  # let Dovecot's master reap the session's pop3 process
                    j["server_cpu"] = s.cpu() - cpu0
                    res[(n, kind)].append(j)
                    print(f"pop3 round {r + 1} {kind} {n}: {j['ops_per_s']:.0f} ops/s in {j['duration_s']:.2f} s",
                          flush=True)
        self.results["pop3"] = res

    # -- the run --------------------------------------------------------------
    def run(self) -> int:
        a = self.args
        self.pw, created = bl.ensure_bench_user()
        import grp
        self.owner_group = grp.getgrgid(self.pw.pw_gid).gr_name
        self.load_before = os.getloadavg()
        self.started = bl.utc_now()
        self.settings: dict[str, list[str]] = {}
        try:
            self.start_servers()
            for w in a.only:
                print(f"== {w}", flush=True)
                t0 = time.monotonic()
                try:
                    self.check_alive()
                    getattr(self, f"run_{w}")()
                    self.check_alive()
                except (WorkloadFailed, bl.BenchError) as e:
                    self.failures[w] = str(e)
                    print(f"{w}: FAILED: {e}", file=sys.stderr, flush=True)
                    for s in self.servers.values():  # a dead or wedged server gets a new start
                        if s.master is None or s.master.poll() is not None:
                            s.start()
                self.sizes[w] = time.monotonic() - t0
            for n, s in self.servers.items():
                self.settings[n] = s.settings(("imap-login", "imap", "imap-hibernate", "pop3-login", "lmtp")
                                              if n == "Dovecot" else ())
        finally:
            self.stop_servers()
            bl.remove_bench_user(created)
        self.load_after = os.getloadavg()
        text = "\n".join(self.report())
        print(text)
        if a.markdown:
            pathlib.Path(a.markdown).parent.mkdir(parents=True, exist_ok=True)
            pathlib.Path(a.markdown).write_text(text)
            print(f"written to {a.markdown}")
        if not a.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        return 1 if self.failures else 0

    # -- the report -----------------------------------------------------------
    def report(self) -> list[str]:
        a = self.args
        med, spread = bl.median, bl.spread
        out = [f"# make bench{' QUICK=1' if a.quick else ''}: Loft and Dovecot side by side, {self.started}", "",
               bl.machine_header(self.cache, self.load_before, self.load_after), "",
               f"Made by `make bench` (bench/run_bench.py), arguments `{' '.join(sys.argv[1:])}`; "
               f"{a.rounds} interleaved round(s) per workload (Loft, Dovecot, Loft, ...). "
               "\"Loft ×\" is Loft's advantage: for rates Loft / Dovecot, for times and memory Dovecot / Loft; "
               "above 1 Loft is better. Values are medians over the rounds, spread is min–max. "
               "Both servers: maildir:~/Maildir, mail_fsync = optimized, one passwd-file, plaintext auth "
               "on 127.0.0.1, the same hostname, mail owned by `loftbench`.", ""]
        if a.quick:
            out += ["QUICK: one round with small sizes, a smoke run of every workload; its ratios are not a "
                    "result (a full `make bench` is).", ""]
        summary = []

        def row(w, metric, unit, lv, dv, adv, target_key, lspread, dspread):
            t = TARGETS.get(target_key)
            summary.append([w, metric, f"{lv} {unit}" if "nan" not in lv else "–",
                            f"{dv} {unit}" if "nan" not in dv else "–", f"{adv:.2f}" if adv == adv else "–",
                            f"≥ {t:g}" if t else "–", bl.verdict(adv, t) if t else "–", lspread, dspread])

        sections = []
        for w in a.only:
            if w in self.failures:
                summary.append([w, "**FAILED**", "", "", "", "", "", "", ""])
                sections += [f"## {w}: FAILED", "", "```", self.failures[w], "```", ""]
                continue
            r = self.results.get(w)
            if r is None:
                continue
            if w in ("mixed", "logins"):
                rates = {n: [j["ops_per_s"] for j in r[n]] for n in r}
                lv, dv = med(rates.get("Loft", [])), med(rates.get("Dovecot", []))
                row(w, "ops/s" if w == "mixed" else "logins/s", "/s", f"{lv:.0f}", f"{dv:.0f}", bl.ratio(lv, dv), w,
                    spread(rates.get("Loft", [])), spread(rates.get("Dovecot", [])))
                sections += self.section_commands(w, r)
            elif w == "bigmailbox":
                sections += self.section_big(r, row)
            elif w == "idle":
                per = {n: [j["per_conn_kb"] for j in r[n]] for n in r}
                lv, dv = med(per.get("Loft", [])), med(per.get("Dovecot", []))
                row(w, "memory per IDLE connection", "kB", f"{lv:.1f}", f"{dv:.1f}", bl.ratio(dv, lv), w,
                    spread(per.get("Loft", []), "{:.1f}"), spread(per.get("Dovecot", []), "{:.1f}"))
                sections += self.section_idle(r)
            elif w == "lmtp":
                for shape in r["shapes"]:
                    rates = {n: [a.lmtp_messages / x["seconds"] for x in r["runs"][(n, shape)]] for n in self.servers}
                    lv, dv = med(rates.get("Loft", [])), med(rates.get("Dovecot", []))
                    row(w, f"messages/s, {shape}", "/s", f"{lv:.0f}", f"{dv:.0f}", bl.ratio(lv, dv), w,
                        spread(rates.get("Loft", [])), spread(rates.get("Dovecot", [])))
                sections += self.section_lmtp(r)
            elif w == "pop3":
                for kind in ("cold", "warm"):
                    rates = {n: [a.pop3_messages / j["duration_s"] for j in r[(n, kind)]] for n in self.servers}
                    lv, dv = med(rates.get("Loft", [])), med(rates.get("Dovecot", []))
                    row(w, f"messages/s downloaded, {kind}", "/s", f"{lv:.0f}", f"{dv:.0f}", bl.ratio(lv, dv), w,
                        spread(rates.get("Loft", [])), spread(rates.get("Dovecot", [])))
                sections += self.section_pop3(r)
        out += ["## Summary", ""]
        out += bl.table(["workload", "measure", "Loft", "Dovecot", "Loft ×", "target", "", "Loft spread",
                         "Dovecot spread"], summary, right={2, 3, 4, 5})
        out += ["", "Run time per workload: " + ", ".join(f"{w} {s:.0f} s" for w, s in self.sizes.items()) + ".", ""]
        out += sections
        out += ["## Settings", "", "Identical in both configurations (bench/common/benchlib.py, "
                "bench/run_bench.py `tuning`):", "", "```"]
        for n, s in self.servers.items():
            out += [s.common_config().replace(str(s.dir), "$WORK"), "```", "", "Added for the load:", ""]
            break
        for n, s in self.servers.items():
            out += [f"- {n}:", "", "```", s.tuning.rstrip(), "```", ""]
        for n, lines in self.settings.items():
            out += [f"{n} as it ran:", ""] + [f"- {x}" for x in lines] + [""]
        out += [f"fs.inotify.max_user_instances: {self.inotify_now} during the run ({self.inotify_before} before; "
                "Dovecot's imap processes, all of user loftbench, need one each to see new mail in IDLE).", ""]
        out += ["Both servers were started with an open-files limit of "
                f"{bl.NOFILE} (ulimit -n); Dovecot's master and loftd set their processes' limits from the "
                "client limits themselves.", ""]
        return out

    def section_commands(self, w: str, r: dict) -> list[str]:
        out = [f"## {w}", ""]
        if w == "mixed":
            out += [f"loft-loadgen mixed: {self.args.clients} clients over {self.args.accounts} accounts, "
                    f"{self.args.mixed_duration} s per run; each run on fresh copies of the accounts' mailboxes.", ""]
        else:
            out += [f"loft-loadgen logins: LOGIN + LOGOUT on a new connection each, {self.args.logins_duration} s "
                    "per run.", ""]
        names = sorted({c for n in r for j in r[n] for c in j.get("commands", {})})
        rows = []
        for c in names:
            cells = [c]
            for n in ("Loft", "Dovecot"):
                js = [j["commands"][c] for j in r.get(n, []) if c in j.get("commands", {})]
                cells += [f"{bl.median([x['p50_us'] for x in js]) / 1000:.2f}" if js else "–",
                          f"{bl.median([x['p99_us'] for x in js]) / 1000:.2f}" if js else "–",
                          f"{bl.median([x['count'] for x in js]):.0f}" if js else "–"]
            rows.append(cells)
        out += bl.table(["command", "Loft p50 ms", "Loft p99 ms", "Loft count", "Dovecot p50 ms", "Dovecot p99 ms",
                         "Dovecot count"], rows)
        cpu = {n: [j["server_cpu"] / max(1, j["ops"]) * 1e6 for j in r[n]] for n in r}
        out += ["", "Server CPU per operation (µs, median): " +
                ", ".join(f"{n} {bl.median(cpu[n]):.0f}" for n in cpu) + ".", ""]
        return out

    def section_big(self, r: dict, row) -> list[str]:
        a = self.args
        out = ["## bigmailbox", "",
               f"loft-loadgen bigmailbox on one mailbox of {a.big_messages:,} messages; times in ms (median). "
               f"Cold: the server restarted and the page cache dropped, one run; warm: {a.big_repeat} runs.", ""]
        rows = []
        advs: dict[str, list[float]] = {}
        totals: dict[tuple[str, str], list[float]] = {}
        for kind in ("cold", "warm"):
            for op in BIG_OPS:
                t = {n: [j["commands"][op]["p50_us"] / 1000 for j in r[(n, kind)] if op in j.get("commands", {})]
                     for n in self.servers}
                if not any(t.values()):
                    continue
                lv, dv = bl.median(t.get("Loft", [])), bl.median(t.get("Dovecot", []))
                adv = bl.ratio(dv, lv)
                tk = f"bigmailbox {kind}"
                rows.append([kind, op, f"{lv:.1f}", f"{dv:.1f}", f"{adv:.2f}", f"≥ {TARGETS[tk]:g}",
                             bl.verdict(adv, TARGETS[tk]), bl.spread(t.get("Loft", []), "{:.1f}"),
                             bl.spread(t.get("Dovecot", []), "{:.1f}")])
                advs.setdefault(kind, []).append(adv)
                totals.setdefault((kind, "Loft"), []).append(lv)
                totals.setdefault((kind, "Dovecot"), []).append(dv)
        for kind, xs in advs.items():
            met = sum(1 for x in xs if x >= TARGETS[f"bigmailbox {kind}"])
            geo = math.exp(sum(math.log(x) for x in xs if x > 0) / max(1, len(xs)))
            # The target is for every operation: Loft × here is the smallest.
            row("bigmailbox", f"{kind}: all {len(xs)} operations (time: their sum; Loft ×: the smallest, "
                f"{met} of {len(xs)} meet the target, geometric mean {geo:.2f})",
                "ms", f"{sum(totals[(kind, 'Loft')]):.0f}", f"{sum(totals[(kind, 'Dovecot')]):.0f}", min(xs),
                f"bigmailbox {kind}", "–", "–")
        out += bl.table(["", "operation", "Loft ms", "Dovecot ms", "Loft ×", "target", "", "Loft spread",
                         "Dovecot spread"], rows, right={2, 3, 4})
        return out + [""]

    def section_idle(self, r: dict) -> list[str]:
        a = self.args
        out = ["## idle", "",
               f"loft-loadgen idle: {a.idle_connections:,} connections over {a.idle_users} users, each logged in, "
               "INBOX selected, in IDLE. Memory per connection = (sum of PSS of every process of the server "
               "— Dovecot: the master and all below it; Loft: loftd and its workers — with the connections − the "
               "same just before, on a server restarted for the round) / connections, measured after READY (Dovecot: once its imap processes had "
               f"hibernated, imap_hibernate_timeout = {a.hibernate_timeout}s). Then {a.idle_deliveries} LMTP "
               "deliveries, one at a time, and the time from each final 250 to `* n EXISTS` on every connection "
               "of that user. \"At READY\": the same sum right when the last connection was in IDLE, before Dovecot "
               "hibernated the rest (what an imap process per connection costs).", ""]
        rows = []
        for n in self.servers:
            js = r.get(n, [])
            if not js:
                continue
            ex = [j.get("extra", {}) for j in js]
            rows.append([n, f"{bl.median([j['per_conn_kb'] for j in js]):.1f}",
                         f"{bl.median([j['base_kb'] for j in js]) / 1024:.0f} MB in "
                         f"{bl.median([j['base_procs'] for j in js]):.0f}",
                         f"{bl.median([j['pss_kb'] for j in js]) / 1024:.0f} MB in "
                         f"{bl.median([j['procs'] for j in js]):.0f}",
                         f"{bl.median([j['imap_procs'] for j in js]):.0f}",
                         f"{bl.median([j['ready_per_conn_kb'] for j in js]):.1f} "
                         f"({bl.median([j['ready_imap'] for j in js]):.0f})",
                         f"{bl.median([e.get('exists_latency_p50_us', 0) for e in ex]) / 1000:.1f}",
                         f"{bl.median([e.get('exists_latency_p99_us', 0) for e in ex]) / 1000:.1f}",
                         f"{sum(e.get('missed', 0) for e in ex)}"])
        out += bl.table(["server", "kB per connection", "PSS before (processes)", "PSS with connections (processes)",
                         "`imap` processes left", "kB per connection at READY (`imap` processes)", "EXISTS p50 ms", "EXISTS p99 ms", "missed"], rows)
        return out + [""]

    def section_lmtp(self, r: dict) -> list[str]:
        a = self.args
        out = ["## lmtp", "",
               f"`smtp-source -L -d -s {a.lmtp_sessions} -m {a.lmtp_messages} -l {a.lmtp_size}` (Postfix's; -d keeps "
               "each session's connection as Postfix's LMTP connection cache does); \"10 users\": one smtp-source "
               f"per user, {a.lmtp_sessions // 10 or 1} session(s) each. Every run delivers into new empty homes and "
               "afterwards each Maildir held exactly the messages sent to it.", ""]
        rows = []
        for shape in r["shapes"]:
            for n in self.servers:
                xs = r["runs"][(n, shape)]
                rows.append([shape, n, f"{a.lmtp_messages / bl.median([x['seconds'] for x in xs]):.0f}",
                             bl.spread([a.lmtp_messages / x["seconds"] for x in xs]),
                             f"{bl.median([x['server_cpu'] for x in xs]) * 1000 / a.lmtp_messages:.2f}"])
        out += bl.table(["workload", "server", "messages/s", "spread", "server CPU ms/message"], rows)
        out += ["", f"Sync calls per delivered message (an unmeasured run of {a.sync_sample} messages to one user "
                "under `strace -f -c -e trace=fsync,fdatasync,syncfs` attached to every process of the server):", ""]
        rows = [[n, f"{c['fsync'] / a.sync_sample:.2f}", f"{c['fdatasync'] / a.sync_sample:.2f}",
                 f"{c['syncfs'] / a.sync_sample:.2f}", f"{sum(c.values()) / a.sync_sample:.2f}"]
                for n, c in r["syncs"].items()]
        out += bl.table(["server", "fsync", "fdatasync", "syncfs", "total per message"], rows)
        return out + [""]

    def section_pop3(self, r: dict) -> list[str]:
        a = self.args
        out = ["## pop3", "",
               f"loft-loadgen pop3: one session downloading {a.pop3_messages:,} messages; \"cold\": the first session "
               "on a fresh copy of the Maildir (uidlist, no index) with the page cache dropped just before each "
               "server's session (the copies share the message files), \"warm\": the next one.", ""]
        rows = []
        for kind in ("cold", "warm"):
            for n in self.servers:
                js = r[(n, kind)]
                rows.append([kind, n, f"{a.pop3_messages / bl.median([j['duration_s'] for j in js]):.0f}",
                             bl.spread([a.pop3_messages / j["duration_s"] for j in js]),
                             f"{bl.median([j['server_cpu'] for j in js]) * 1e6 / a.pop3_messages:.0f}"])
        out += bl.table(["session", "server", "messages/s", "spread", "server CPU µs/message"], rows)
        return out + [""]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--loftd", required=True)
    ap.add_argument("--loadgen", required=True, help="bench/loadgen/loft-loadgen")
    ap.add_argument("--corpus", required=True, help="bench/corpus/loft-bench-corpus")
    ap.add_argument("--cache-dir", default="/var/tmp/loft-bench")
    ap.add_argument("--markdown", default="")
    ap.add_argument("--quick", action="store_true", help="1 round and small sizes (about 2 minutes)")
    ap.add_argument("--rounds", type=int, default=0, help="interleaved rounds (default 3, --quick 1)")
    ap.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads, in this order")
    ap.add_argument("--servers", default="Loft,Dovecot")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, JSON)")
    ap.add_argument("--vsz-limit", default="2G", help="default_vsz_limit of both servers")
    ap.add_argument("--hibernate-timeout", type=int, default=30, help="Dovecot's imap_hibernate_timeout (s)")
    sizes = {  # option: (full, quick)
        "accounts": (100, 100), "account-messages": (200, 50), "account-corpora": (10, 4),
        "account-max-size": (1_000_000, 300_000), "clients": (50, 50), "mixed-duration": (30, 10),
        "big-messages": (100_000, 5_000), "big-max-size": (200_000, 200_000), "big-repeat": (3, 2),
        "big-timeout": (1800, 300), "logins-duration": (20, 5), "logins-clients": (0, 0),
        "idle-connections": (10_000, 1_000), "idle-users": (100, 100), "idle-deliveries": (100, 20),
        "lmtp-messages": (10_000, 1_000), "lmtp-sessions": (10, 10), "lmtp-size": (4096, 4096),
        "sync-sample": (1000, 200), "pop3-messages": (10_000, 1_000), "pop3-max-size": (0, 0),
    }
    for opt in sizes:
        ap.add_argument(f"--{opt}", type=int, default=None)
    a = ap.parse_args()
    for opt, (full, quick) in sizes.items():
        key = opt.replace("-", "_")
        if getattr(a, key) is None:
            setattr(a, key, quick if a.quick else full)
    a.rounds = a.rounds or (1 if a.quick else 3)
    a.only = [w.strip() for w in a.only.split(",") if w.strip()]
    a.servers = [s.strip() for s in a.servers.split(",") if s.strip()]
    if not set(a.only) <= set(WORKLOADS) or not a.only:
        bl.fail(f"--only takes {', '.join(WORKLOADS)}")
    if not set(a.servers) <= {"Loft", "Dovecot"} or not a.servers:
        bl.fail("--servers takes Loft and/or Dovecot")
    if os.geteuid() != 0:
        bl.fail("run as root: the mail belongs to the user loftbench, loftd binds and drops privileges, "
                "and the cold runs drop the page cache")
    needs = [("loftd", a.loftd, "Loft" in a.servers)]
    needs.append(("loft-loadgen", a.loadgen, any(w != "lmtp" for w in a.only)))
    needs.append(("loft-bench-corpus", a.corpus, any(w in ("mixed", "bigmailbox", "pop3") for w in a.only)))
    for what, path, needed in needs:
        if needed and not os.access(path, os.X_OK):
            bl.fail(f"{what} is missing ({path}): build it first (make bench builds everything)")
    for tool in ("dovecot", "doveconf", "smtp-source", "strace"):
        if not shutil.which(tool):
            bl.fail(f"{tool} is not installed (make bench installs scripts/bench-packages.txt)")
    if a.lmtp_messages % 10 or a.lmtp_sessions % 10:
        bl.fail("--lmtp-messages and --lmtp-sessions must split over 10 users")

    def on_term(signum, frame):
        raise KeyboardInterrupt

    # Also SIGINT: a shell starting us in the background leaves it ignored.
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    bench = Bench(a)
    try:
        return bench.run()
    except KeyboardInterrupt:
        print("run_bench: interrupted; servers stopped", file=sys.stderr)
        return 130
    finally:
        for p in list(CHILDREN):
            if p.poll() is None:
                p.kill()
                p.wait()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except bl.BenchError:
        raise
    except Exception:
        traceback.print_exc()
        sys.exit(1)
