"""Index rebuild (issue 5, "Done when"): the loft.index* files are a cache.

A 10,000-message mailbox with flags on many messages and 70 keyword names
(more than Dovecot's 26 keyword letters and more than 64 index bits):
- its loft.index* files deleted, it reopens with the same UIDs, flags and
  keywords and a HIGHESTMODSEQ no lower than before;
- with random bytes written over its index files, the same, plus a log line
  that names a corrupt file;
- with dovecot-uidlist deleted as well, it gets a new UIDVALIDITY and every
  message is still there exactly once, with its system flags.
"""
from __future__ import annotations

import pathlib
import random
import shutil

import pytest

from storage_util import Fetch, Tool, temp_dir, tool_binary

MESSAGES = 10_000
KEYWORD_NAMES = 70


@pytest.fixture(scope="module")
def mailbox(build_dir):
    d = temp_dir("rebuild")
    # Durability is test_storage_crash.py's subject; without fsyncs the
    # 10,000 saves take seconds instead of a minute.
    tool = Tool(tool_binary(build_dir), f"maildir:{d}/Maildir", settings={"mail_fsync": "never"})
    tool("save-many", "INBOX", str(MESSAGES), "--prefix", "rb", "--size", "600", "--batch", "500",
         "--flag-pattern", "--keyword-count", str(KEYWORD_NAMES))
    # Flag changes after the saves raise modseqs above the save modseqs.
    tool("flags", "INBOX", "1:2000", "+", "\\Seen", "kw69")
    tool("flags", "INBOX", "5000:5100", "-", "\\Seen", "kw1", "kw68")
    tool("expunge", "INBOX", "7000:7010")
    yield d, tool
    shutil.rmtree(d, ignore_errors=True)


def index_files(maildir: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in maildir.iterdir() if p.name.startswith("loft.index"))


def comparable(fetch):
    return [(r["uid"], r["flags"], r["keywords"]) for r in fetch.rows]


def test_rebuild_after_losing_the_index(mailbox):
    d, tool = mailbox
    maildir = d / "Maildir"
    before = tool.fetch("INBOX", "--verify")
    assert len(before.rows) == MESSAGES - 11
    used = set().union(*(r["keywords"] for r in before.rows))
    assert len(used) == KEYWORD_NAMES, f"only {len(used)} keyword names in use"
    assert before.flag_map()[1][0] >= {"\\Seen"} and "kw69" in before.flag_map()[1][1]
    tokens_before = before.tokens()

    # 1. Index files deleted.
    files = index_files(maildir)
    assert files, f"no loft.index* files in {maildir}: {sorted(p.name for p in maildir.iterdir())}"
    for f in files:
        f.unlink()
    after = tool.fetch("INBOX", "--verify")
    assert after.uidvalidity == before.uidvalidity
    assert after.uidnext == before.uidnext
    assert comparable(after) == comparable(before)
    assert after.highestmodseq >= before.highestmodseq, \
        f"HIGHESTMODSEQ went back from {before.highestmodseq} to {after.highestmodseq} after a rebuild"
    assert after.tokens() == tokens_before
    assert index_files(maildir), "the reopen did not write a new index"

    # 2. Index files overwritten with random bytes.
    rng = random.Random(5)
    corrupted = index_files(maildir)
    for f in corrupted:
        size = max(f.stat().st_size, 64)
        f.write_bytes(bytes(rng.getrandbits(8) for _ in range(size)))
    p = tool("fetch", "INBOX")
    err = p.stderr.decode(errors="replace")
    assert any(str(f) in err or f.name in err for f in corrupted), \
        f"no log line names a corrupt index file ({[f.name for f in corrupted]}); stderr: {err[:2000]!r}"
    again = Fetch(p.stdout.decode())
    assert again.uidvalidity == before.uidvalidity
    assert comparable(again) == comparable(before)
    assert again.highestmodseq >= after.highestmodseq

    # 3. The uidlist deleted as well: a new UIDVALIDITY, every message once.
    for f in index_files(maildir):
        f.unlink()
    (maildir / "dovecot-uidlist").unlink()
    fresh = tool.fetch("INBOX", "--verify")
    assert fresh.uidvalidity != before.uidvalidity, "UIDVALIDITY kept although the UIDs were lost"
    fresh_tokens = fresh.tokens()
    assert len(fresh_tokens) == len(tokens_before)
    assert sorted(fresh_tokens.values()) == sorted(tokens_before.values())
    by_token_before = {tokens_before[r["uid"]]: r["flags"] for r in before.rows}
    for r in fresh.rows:
        assert r["flags"] == by_token_before[fresh_tokens[r["uid"]]], f"flags of {fresh_tokens[r['uid']]} changed"
    assert fresh.uids == sorted(set(fresh.uids))
    assert fresh.highestmodseq >= before.highestmodseq
