"""Concurrency stress (issue 5, "Done when"): 8 writer processes saving,
changing flags and expunging while 8 reader processes sync the same mailbox,
for a bounded time. The readers check view invariants themselves after every
sync (loft-storage-tool stress-reader: strictly increasing UIDs, no UID gone
without an expunge report, counts that add up, UIDVALIDITY/UIDNEXT/
HIGHESTMODSEQ never going back, whole message bodies) and exit non-zero on a
violation. Afterwards two fresh processes must see the same mailbox, and it
must hold exactly the messages the writers logged as saved and not expunged,
each once, under the UID the writer's commit returned.
"""
from __future__ import annotations

import shutil
import subprocess

import pytest

from storage_util import Tool, temp_dir, tool_binary

WRITERS = 8
READERS = 8
SECONDS = 12


@pytest.fixture
def workdir():
    d = temp_dir("stress")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_stress_writers_and_readers(build_dir, workdir):
    tool = Tool(tool_binary(build_dir), f"maildir:{workdir}/Maildir")
    tool("save-many", "INBOX", "20", "--prefix", "seed")  # the mailbox exists before the race starts
    procs = []
    for w in range(WRITERS):
        log = workdir / f"writer{w}.log"
        argv = tool.argv("stress-writer", "INBOX", "--seconds", str(SECONDS), "--seed", str(1000 + w),
                         "--log", str(log), "--id", str(w))
        procs.append(("writer", w, subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
    for r in range(READERS):
        argv = tool.argv("stress-reader", "INBOX", "--seconds", str(SECONDS), "--seed", str(2000 + r))
        procs.append(("reader", r, subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
    failures = []
    logged = []  # what the library logged (a rebuild, a new UIDVALIDITY): explains a failure
    for kind, n, p in procs:
        out, err = p.communicate(timeout=SECONDS + 120)
        text = err.decode(errors="replace")
        if p.returncode != 0:
            failures.append(f"{kind} {n} exited {p.returncode}: {text[-2000:]}")
        else:
            logged += [f"{kind} {n}: {line}" for line in text.splitlines()[-10:]]
            if kind == "reader":
                assert out.decode().startswith("reader ok"), out
    assert not failures, "\n".join(failures) + "\nlogged by the others:\n" + "\n".join(logged[-40:])

    saved: dict[int, str] = {}
    expunged: set[int] = set()
    actions = {"save": 0, "flags": 0, "expunge": 0}
    for w in range(WRITERS):
        for line in (workdir / f"writer{w}.log").read_text().splitlines():
            kind, rest = line.split(" ", 1)
            actions[kind] += 1
            if kind == "save":
                uid_text, token = rest.split()
                uid = int(uid_text)
                assert uid not in saved, f"UID {uid} returned to two saves: {saved[uid]} and {token}"
                saved[uid] = token
            elif kind == "expunge":
                for part in rest.split(","):
                    a, _, b = part.partition(":")
                    expunged.update(range(int(a), int(b or a) + 1))
    assert actions["save"] > 0 and actions["flags"] > 0 and actions["expunge"] > 0, actions

    first = tool.fetch("INBOX", "--verify")
    second = tool.fetch("INBOX", "--verify")
    assert first.rows == second.rows, "two fresh processes see different mailboxes"
    assert first.header == second.header
    assert first.uids == sorted(set(first.uids)), "UIDs not unique and increasing"
    tokens = first.tokens()  # asserts every body is whole

    seeds = {uid: tok for uid, tok in tokens.items() if tok.startswith("seed-")}
    assert seeds == {i + 1: f"seed-{i}" for i in range(20) if i + 1 not in expunged}
    expected = {uid: tok for uid, tok in saved.items() if uid not in expunged}
    got = {uid: tok for uid, tok in tokens.items() if uid not in seeds}
    missing = sorted(set(expected) - set(got))
    unexpected = sorted(set(got) - set(expected))
    if missing:
        # Say whether the mail itself is gone or only the view lost it.
        uidlist = (workdir / "Maildir" / "dovecot-uidlist").read_text().splitlines()
        listed = [line for line in uidlist[1:] if int(line.split(" ", 1)[0]) in set(missing[:20])]
        raise AssertionError(f"saved and never expunged, but missing from a fresh view: {missing[:20]}; "
                             f"their dovecot-uidlist lines: {listed}")
    assert not unexpected, f"present but expunged or never reported saved: {unexpected[:20]}"
    for uid, token in expected.items():
        assert got[uid] == token, f"UID {uid}: saved {token}, mailbox has {got[uid]}"
    assert len(set(tokens.values())) == len(tokens), "a message is present twice"
    assert all(uid < first.uidnext for uid in first.uids)
    assert max(saved) < first.uidnext
