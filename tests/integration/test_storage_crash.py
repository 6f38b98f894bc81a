"""Crash safety and durability order (issue 5, "Done when").

1. A saver (loft-storage-tool save-many: one transaction per message, the
   "UID TOKEN" line written only after commit() returned) is SIGKILLed at
   random moments a few hundred times. After each kill a fresh process opens
   the mailbox: every UID printed is there once with its own, whole body; no
   torn message is visible (leftovers in tmp/ are allowed); UIDs are unique.
2. A kill keeps the page cache, so it cannot show a missing fsync. The order
   of the system calls of one save is checked under strace instead: with
   mail_fsync = optimized the new file's fdatasync (or fsync), its rename
   from tmp/ into new/ or cur/, and an fsync of that directory all come
   before the write of the line that reports the UID; with mail_fsync = never
   the same check must fail, which shows that it can.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import time

import pytest

from storage_util import Tool, make_message, temp_dir, tool_binary

KILL_BUDGET_SECONDS = 35
MAX_KILLS = 250
MIN_KILLS = 100


@pytest.fixture
def workdir():
    d = temp_dir("crash")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_sigkill_during_saves(build_dir, workdir):
    tool = Tool(tool_binary(build_dir), f"maildir:{workdir}/Maildir")
    rng = random.Random(20261128)
    printed: dict[int, str] = {}
    kills = 0
    deadline = time.monotonic() + KILL_BUDGET_SECONDS
    while kills < MAX_KILLS and time.monotonic() < deadline:
        prefix = f"r{kills}"
        argv = tool.argv("save-many", "INBOX", "1000000", "--prefix", prefix,
                         "--size", str(rng.choice([400, 3000, 20000])))
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.0, 0.12))
        p.send_signal(signal.SIGKILL)
        out, err = p.communicate(timeout=30)
        if p.returncode != -signal.SIGKILL:
            raise AssertionError(f"saver exited {p.returncode} before the kill: {err.decode(errors='replace')}")
        kills += 1
        # Only whole lines count: the kill may cut the last write short
        # (it is one write(2), so in practice it does not).
        text = out.decode()
        complete = text[: text.rfind("\n") + 1] if "\n" in text else ""
        for line in complete.splitlines():
            uid_text, token = line.split()
            uid = int(uid_text)
            assert uid not in printed, f"UID {uid} printed for {printed[uid]} and again for {token}"
            printed[uid] = token

        after = tool.fetch("INBOX", "--verify")
        assert after.uids == sorted(set(after.uids)), f"after kill {kills}: UIDs not unique/increasing"
        tokens = after.tokens()  # every visible message is whole
        assert len(set(tokens.values())) == len(tokens), f"after kill {kills}: a message is visible twice"
        for uid, token in printed.items():
            assert tokens.get(uid) == token, \
                f"after kill {kills}: UID {uid} ({token}) was reported saved but the mailbox has {tokens.get(uid)}"
        # A message whose commit finished but whose line the kill prevented
        # may be there too; it must be the next token of its round.
        for uid, token in tokens.items():
            if uid not in printed:
                assert re.fullmatch(r"r\d+-\d+", token), token
    assert kills >= MIN_KILLS, f"only {kills} kills in {KILL_BUDGET_SECONDS} s"
    assert printed, "no save ever completed before a kill: the kill points are all too early"


# ---- syscall order ---------------------------------------------------------

LINE = re.compile(r"^(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+)")
FD_PATH = re.compile(r"^(?:-?\d+|AT_FDCWD)<(.*)>$")


def split_args(args: str) -> list[str]:
    """Splits strace's argument text at top-level commas (strings may hold commas)."""
    out, cur, depth, in_str, esc = [], "", 0, False, False
    for c in args:
        if in_str:
            cur += c
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
            continue
        if c == '"':
            in_str = True
        elif c in "<[{(":
            depth += 1
        elif c in ">]})":
            depth -= 1
        if c == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
    if cur.strip():
        out.append(cur.strip())
    return out


def fd_path(arg: str) -> str | None:
    m = FD_PATH.match(arg)
    return m.group(1) if m else None


def unquote(arg: str) -> str:
    return arg[1:-1] if arg.startswith('"') else arg


def resolve(dir_arg: str, name_arg: str) -> str:
    name = unquote(name_arg)
    if name.startswith("/"):
        return os.path.normpath(name)
    base = fd_path(dir_arg) or ""
    return os.path.normpath(os.path.join(base, name))


def parse_trace(text: str) -> list[tuple[str, list[str], int]]:
    """(syscall, args, result) in order; <unfinished ...>/resumed pairs joined."""
    events = []
    pending: dict[str, str] = {}
    for raw in text.splitlines():
        m = re.match(r"^(\d+)\s+(.*)$", raw)
        if not m:
            continue
        pid, rest = m.groups()
        if rest.endswith("<unfinished ...>"):
            pending[pid] = rest[: -len("<unfinished ...>")].rstrip()
            continue
        r = re.match(r"^<\.\.\. (\w+) resumed>(.*)$", rest)
        if r and pid in pending:
            rest = pending.pop(pid) + r.group(2)
        lm = LINE.match(f"{pid} {rest}")
        if not lm:
            continue
        events.append((lm.group(2), split_args(lm.group(3)), int(lm.group(4))))
    return events


def check_save_order(events, maildir: str) -> list[str]:
    """Problems with the durability order of one save, [] when it is right."""
    tmp_dir = os.path.join(maildir, "tmp")
    synced_tmp: dict[str, int] = {}  # tmp path -> index of its data sync
    rename_at = None
    renamed_to = None
    dir_sync_at = None
    report_at = None
    for i, (call, args, res) in enumerate(events):
        if res < 0:
            continue
        if call in ("fdatasync", "fsync"):
            path = fd_path(args[0]) or ""
            if os.path.dirname(path) == tmp_dir:
                synced_tmp.setdefault(path, i)
            elif renamed_to and rename_at is not None and path == os.path.dirname(renamed_to) and dir_sync_at is None:
                dir_sync_at = i
        elif call in ("rename", "renameat", "renameat2", "link", "linkat"):
            if call in ("rename", "link"):
                src, dst = os.path.normpath(unquote(args[0])), os.path.normpath(unquote(args[1]))
            else:
                src, dst = resolve(args[0], args[1]), resolve(args[2], args[3])
            if os.path.dirname(src) == tmp_dir and os.path.dirname(dst) in (
                    os.path.join(maildir, "new"), os.path.join(maildir, "cur")) and rename_at is None:
                rename_at, renamed_to = i, dst
                tmp_source = src
        elif call == "write" and args and args[0].startswith("1<") and report_at is None:
            if re.fullmatch(r'"\d+\\n"', args[1]):
                report_at = i
    problems = []
    if report_at is None:
        return ["the UID line was never written to stdout"]
    if rename_at is None:
        return ["no rename (or link) of a file from tmp/ into new/ or cur/"]
    if rename_at > report_at:
        problems.append("the rename into new/ or cur/ comes after the commit was reported")
    data_sync = synced_tmp.get(tmp_source)
    if data_sync is None:
        problems.append(f"no fdatasync/fsync of {tmp_source} before its rename")
    elif data_sync > rename_at:
        problems.append(f"{tmp_source} is synced after its rename")
    if dir_sync_at is None:
        problems.append(f"no fsync of {os.path.dirname(renamed_to)} after the rename")
    elif dir_sync_at > report_at:
        problems.append(f"the fsync of {os.path.dirname(renamed_to)} comes after the commit was reported")
    return problems


# Under strace, LeakSanitizer (AddressSanitizer builds) cannot attach for its
# final check and fails the program; leaks are checked by the other tests.
NO_LEAK_CHECK = dict(os.environ, ASAN_OPTIONS=":".join(
    filter(None, [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"])))


def traced_save(tool: Tool, workdir, mode: str) -> tuple[list, str]:
    trace = workdir / f"strace-{mode}.txt"
    argv = ["strace", "-f", "-y", "-qq", "-e",
            "trace=openat,write,fdatasync,fsync,rename,renameat,renameat2,link,linkat,unlink",
            "-o", str(trace)] + tool.argv("save", "INBOX", settings={"mail_fsync": mode})
    p = subprocess.run(argv, input=make_message(f"traced-{mode}"), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60, env=NO_LEAK_CHECK)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    assert re.fullmatch(rb"\d+\n", p.stdout), p.stdout
    return parse_trace(trace.read_text()), trace.read_text()


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_save_syscall_order(build_dir, workdir):
    maildir = str(workdir / "Maildir")
    tool = Tool(tool_binary(build_dir), f"maildir:{maildir}")
    tool.save("INBOX", make_message("warm-up"))  # the mailbox and its index exist

    events, raw = traced_save(tool, workdir, "optimized")
    problems = check_save_order(events, maildir)
    assert problems == [], "mail_fsync=optimized: " + "; ".join(problems) + "\n" + raw[-6000:]

    events, raw = traced_save(tool, workdir, "never")
    problems = check_save_order(events, maildir)
    assert any("no fdatasync/fsync of" in p for p in problems), \
        f"mail_fsync=never passed the durability check ({problems}): the check cannot fail\n" + raw[-6000:]


def test_check_save_order_rejects_wrong_orders(workdir):
    """The order check itself, on hand-written traces: right, then wrong."""
    m = "/x/Maildir"
    good = f"""\
1 openat(AT_FDCWD</>, "{m}/tmp/123.M1P1.h", O_WRONLY|O_CREAT|O_EXCL, 0600) = 5<{m}/tmp/123.M1P1.h>
1 write(5<{m}/tmp/123.M1P1.h>, "Subject: x\\n", 11) = 11
1 fdatasync(5<{m}/tmp/123.M1P1.h>) = 0
1 renameat(AT_FDCWD</>, "{m}/tmp/123.M1P1.h", AT_FDCWD</>, "{m}/new/123.M1P1.h,S=11") = 0
1 openat(AT_FDCWD</>, "{m}/new", O_RDONLY|O_DIRECTORY) = 6<{m}/new>
1 fsync(6<{m}/new>) = 0
1 write(1<pipe:[9]>, "7\\n", 2) = 2
"""
    assert check_save_order(parse_trace(good), m) == []
    lines = good.splitlines()
    no_data_sync = "\n".join(l for l in lines if "fdatasync" not in l)
    assert any("no fdatasync" in p for p in check_save_order(parse_trace(no_data_sync), m))
    no_dir_sync = "\n".join(l for l in lines if "fsync(6" not in l)
    assert any("no fsync of" in p for p in check_save_order(parse_trace(no_dir_sync), m))
    late_dir_sync = "\n".join(lines[:5] + [lines[6], lines[5]])
    assert any("after the commit was reported" in p for p in check_save_order(parse_trace(late_dir_sync), m))
    sync_after_rename = "\n".join(lines[:2] + [lines[3], lines[2]] + lines[4:])
    assert any("synced after its rename" in p for p in check_save_order(parse_trace(sync_after_rename), m))


def check_batch_order(events, maildir: str) -> list[str]:
    """Problems with the durability order of one transaction of several saves,
    [] when it is right: every file's data is synced (its own fdatasync/fsync,
    or a syncfs after its last write) and every data sync comes before the
    first rename into new/ or cur/; the directories are fsynced after the
    renames and before the "UID TOKEN" lines are written."""
    tmp_dir = os.path.join(maildir, "tmp")
    targets = (os.path.join(maildir, "new"), os.path.join(maildir, "cur"))
    last_write: dict[str, int] = {}
    own_sync: dict[str, int] = {}
    syncfs_at: list[int] = []
    renames: list[tuple[int, str, str]] = []  # index, source, destination
    dir_syncs: dict[str, int] = {}
    report_at = None
    for i, (call, args, res) in enumerate(events):
        if res < 0:
            continue
        if call == "write" and args:
            path = fd_path(args[0]) or ""
            if os.path.dirname(path) == tmp_dir:
                last_write[path] = i
            elif args[0].startswith("1<") and report_at is None and re.match(r'"\d+ ', args[1]):
                report_at = i
        elif call in ("fdatasync", "fsync"):
            path = fd_path(args[0]) or ""
            if os.path.dirname(path) == tmp_dir:
                own_sync[path] = i
            elif path in targets and renames:
                dir_syncs[path] = i
        elif call == "syncfs":
            syncfs_at.append(i)
        elif call in ("rename", "renameat", "renameat2"):
            if call == "rename":
                src, dst = os.path.normpath(unquote(args[0])), os.path.normpath(unquote(args[1]))
            else:
                src, dst = resolve(args[0], args[1]), resolve(args[2], args[3])
            if os.path.dirname(src) == tmp_dir and os.path.dirname(dst) in targets:
                renames.append((i, src, dst))
    if report_at is None:
        return ["the UID lines were never written to stdout"]
    if len(renames) < 2:
        return [f"{len(renames)} renames from tmp/ into new/ or cur/, expected one per message"]
    problems = []
    first_rename = min(i for i, _, _ in renames)
    data_syncs = list(own_sync.values()) + syncfs_at
    late = [i for i in data_syncs if i > first_rename]
    if late:
        problems.append(f"{len(late)} data syncs come after the first rename into new/ or cur/")
    for i, src, dst in renames:
        wrote = last_write.get(src, -1)
        covered = (src in own_sync and wrote < own_sync[src] < i) or any(wrote < s < i for s in syncfs_at)
        if not covered:
            problems.append(f"no fdatasync/fsync of {src} (nor a syncfs after its last write) before its rename")
        if i > report_at:
            problems.append(f"the rename of {src} comes after the commit was reported")
    for d in {os.path.dirname(dst) for _, _, dst in renames}:
        last = max(i for i, _, dst in renames if os.path.dirname(dst) == d)
        at = dir_syncs.get(d)
        if at is None or at < last:
            problems.append(f"no fsync of {d} after the last rename into it")
        elif at > report_at:
            problems.append(f"the fsync of {d} comes after the commit was reported")
    return problems


def traced_batch(tool: Tool, workdir, mode: str, count: int) -> tuple[list, str]:
    trace = workdir / f"strace-batch-{mode}.txt"
    argv = ["strace", "-f", "-y", "-qq", "-e",
            "trace=openat,write,fdatasync,fsync,syncfs,rename,renameat,renameat2,link,linkat,unlink",
            "-o", str(trace)] + tool.argv("save-many", "INBOX", str(count), "--batch", str(count),
                                          "--prefix", f"batch-{mode}", settings={"mail_fsync": mode})
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, env=NO_LEAK_CHECK)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    assert len(p.stdout.decode().splitlines()) == count, p.stdout
    return parse_trace(trace.read_text()), trace.read_text()


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_batch_save_syscall_order(build_dir, workdir):
    """A transaction of 20 saves: the files' data is durable before any of
    them is renamed (the later ones by one syncfs at commit), the directory
    fsync before the commit is reported; mail_fsync = never fails the check."""
    maildir = str(workdir / "Maildir")
    tool = Tool(tool_binary(build_dir), f"maildir:{maildir}")
    tool.save("INBOX", make_message("warm-up"))

    events, raw = traced_batch(tool, workdir, "optimized", 20)
    problems = check_batch_order(events, maildir)
    assert problems == [], "mail_fsync=optimized: " + "; ".join(problems) + "\n" + raw[-6000:]
    # The batch costs fewer data syncs than files (one syncfs for the later ones).
    tmp_syncs = sum(1 for call, args, res in events
                    if call in ("fdatasync", "fsync") and os.path.dirname(fd_path(args[0]) or "") ==
                    os.path.join(maildir, "tmp"))
    assert tmp_syncs < 20, raw[-6000:]

    events, raw = traced_batch(tool, workdir, "never", 20)
    problems = check_batch_order(events, maildir)
    assert any("no fdatasync/fsync of" in p for p in problems), \
        f"mail_fsync=never passed the batch durability check ({problems}): the check cannot fail\n" + raw[-6000:]


def test_check_batch_order_rejects_wrong_orders(workdir):
    """The batch order check on hand-written traces: right, then wrong."""
    m = "/x/Maildir"
    good = f"""\
1 openat(AT_FDCWD</>, "{m}/tmp/1.M1P1.h", O_WRONLY|O_CREAT|O_EXCL, 0600) = 5<{m}/tmp/1.M1P1.h>
1 write(5<{m}/tmp/1.M1P1.h>, "Subject: x\\n", 11) = 11
1 fdatasync(5<{m}/tmp/1.M1P1.h>) = 0
1 openat(AT_FDCWD</>, "{m}/tmp/2.M1P1.h", O_WRONLY|O_CREAT|O_EXCL, 0600) = 5<{m}/tmp/2.M1P1.h>
1 write(5<{m}/tmp/2.M1P1.h>, "Subject: y\\n", 11) = 11
1 syncfs(6<{m}/tmp>) = 0
1 renameat(AT_FDCWD</>, "{m}/tmp/1.M1P1.h", AT_FDCWD</>, "{m}/new/1.M1P1.h,S=11") = 0
1 renameat(AT_FDCWD</>, "{m}/tmp/2.M1P1.h", AT_FDCWD</>, "{m}/new/2.M1P1.h,S=11") = 0
1 openat(AT_FDCWD</>, "{m}/new", O_RDONLY|O_DIRECTORY) = 6<{m}/new>
1 fsync(6<{m}/new>) = 0
1 write(1<pipe:[9]>, "7 tok-0\\n8 tok-1\\n", 16) = 16
"""
    assert check_batch_order(parse_trace(good), m) == []
    lines = good.splitlines()
    no_syncfs = "\n".join(l for l in lines if "syncfs" not in l)
    assert any("no fdatasync/fsync of" in p and "2.M1P1" in p for p in check_batch_order(parse_trace(no_syncfs), m))
    syncfs_late = "\n".join(lines[:5] + [lines[6], lines[5]] + lines[7:])
    problems = check_batch_order(parse_trace(syncfs_late), m)
    assert any("after the first rename" in p for p in problems), problems
    no_dir_sync = "\n".join(l for l in lines if "fsync(6" not in l)
    assert any("no fsync of" in p for p in check_batch_order(parse_trace(no_dir_sync), m))
    late_dir_sync = "\n".join(lines[:9] + [lines[10], lines[9]])
    assert any("after the commit was reported" in p for p in check_batch_order(parse_trace(late_dir_sync), m))
