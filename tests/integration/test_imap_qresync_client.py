"""A QRESYNC client doing what Thunderbird does (RFC 7162 §3.2.5, §4):

first session: ENABLE QRESYNC, SELECT, fetch (UID FLAGS MODSEQ) of everything,
remember UIDVALIDITY / HIGHESTMODSEQ / the UIDs and their flags; meanwhile
other clients change flags, expunge and append; second session: SELECT INBOX
(QRESYNC (uidvalidity modseq known-uids)), apply VANISHED (EARLIER) and the
FETCH responses to the local cache, UID FETCH the new messages. The cache
must then equal the server's state exactly, also when the server lost its
expunge history in between (index files deleted) and when the resync uses
UID FETCH (CHANGEDSINCE n VANISHED) on an already selected mailbox."""
import random
import re
import socket

from imap_raw import connect, message, srv  # noqa: F401
from imapd_util import wait_for

FETCH = re.compile(r"\* (\d+) FETCH \((.*)\)$", re.S)


def compress(uids):
    """A sorted UID list in IMAP sequence-set form."""
    out, run = [], []
    for u in sorted(uids):
        if run and u == run[-1] + 1:
            run.append(u)
            continue
        if run:
            out.append(f"{run[0]}:{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [u]
    if run:
        out.append(f"{run[0]}:{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(out)


def expand(text):
    uids = set()
    for part in text.split(","):
        a, _, b = part.partition(":")
        lo, hi = sorted((int(a), int(b or a)))
        uids.update(range(lo, hi + 1))
    return uids


def fetch_items(body):
    uid = re.search(r"\bUID (\d+)", body)
    flags = re.search(r"\bFLAGS \(([^)]*)\)", body)
    modseq = re.search(r"\bMODSEQ \((\d+)\)", body)
    return (int(uid.group(1)) if uid else None,
            None if flags is None else frozenset(f for f in flags.group(1).split() if f != "\\Recent"),
            int(modseq.group(1)) if modseq else None)


class Cache:
    """The client's local copy of one mailbox."""

    def __init__(self):
        self.uidvalidity = 0
        self.highestmodseq = 0
        self.flags = {}  # uid -> frozenset of flags

    def apply(self, untagged):
        """Applies what the server said: VANISHED, FETCH, HIGHESTMODSEQ."""
        for line in untagged:
            m = re.match(r"\* VANISHED (?:\(EARLIER\) )?(\S+)$", line)
            if m:
                for uid in expand(m.group(1)):
                    self.flags.pop(uid, None)
                continue
            m = re.match(r"\* OK \[HIGHESTMODSEQ (\d+)\]", line)
            if m:
                self.highestmodseq = max(self.highestmodseq, int(m.group(1)))
                continue
            m = re.match(r"\* OK \[UIDVALIDITY (\d+)\]", line)
            if m:
                self.uidvalidity = int(m.group(1))
                continue
            m = FETCH.match(line)
            if m:
                uid, flags, modseq = fetch_items(m.group(2))
                assert uid is not None, f"a FETCH without UID under QRESYNC: {line}"
                if flags is not None:
                    self.flags[uid] = flags
                if modseq is not None:
                    self.highestmodseq = max(self.highestmodseq, modseq)


def first_sync(w, cache):
    w.ok("ENABLE QRESYNC")
    cache.apply(w.ok("SELECT INBOX"))
    cache.apply(w.ok("UID FETCH 1:* (UID FLAGS MODSEQ)"))
    assert cache.uidvalidity and cache.highestmodseq


def resync(w, cache):
    """Thunderbird's reconnect: SELECT with QRESYNC, then the new messages."""
    w.ok("ENABLE QRESYNC")
    known = compress(cache.flags)
    params = f"{cache.uidvalidity} {cache.highestmodseq}" + (f" {known}" if known else "")
    untagged = w.ok(f"SELECT INBOX (QRESYNC ({params}))")
    assert any(re.match(rf"\* OK \[UIDVALIDITY {cache.uidvalidity}\]", x) for x in untagged), untagged
    top = max(cache.flags, default=0)
    cache.apply(untagged)
    cache.apply(w.ok(f"UID FETCH {top + 1}:* (UID FLAGS MODSEQ)"))
    # "n:*" names the last message even when n is above it (RFC 3501 §6.4.8).
    # The cache may not keep a message it never had the flags of.
    return untagged


def server_state(connect):
    w = connect("alice")
    w.ok("EXAMINE INBOX")
    state = {}
    for line in w.ok("UID FETCH 1:* (UID FLAGS)"):
        m = FETCH.match(line)
        if m:
            uid, flags, _ = fetch_items(m.group(2))
            state[uid] = flags
    w.ok("LOGOUT")
    return state


def other_client_changes(connect, rng, rounds=3):
    """Flag changes, expunges and appends by someone else, in several
    sessions (a phone, a webmail)."""
    for _ in range(rounds):
        o = connect("alice")
        untagged = o.ok("SELECT INBOX")
        count = next(int(x.split()[1]) for x in untagged if x.endswith(" EXISTS"))
        for _ in range(4):
            if count:
                seq = rng.randint(1, count)
                flag = rng.choice([r"\Seen", r"\Flagged", r"\Answered", "$Label1", "$Junk"])
                o.ok(f"STORE {seq} {rng.choice('+-')}FLAGS.SILENT ({flag})")
        if count > 2:
            doomed = sorted(rng.sample(range(1, count + 1), 2))
            o.ok(f"STORE {doomed[0]},{doomed[1]} +FLAGS.SILENT (\\Deleted)")
            o.ok("EXPUNGE")
        for n in range(rng.randint(0, 2)):
            assert " OK " in o.append("INBOX", message(f"new {n}"), flags=rng.choice(["", r"\Seen"]))
        o.ok("LOGOUT")


def can_connect(srv):
    try:
        socket.create_connection((srv.host, srv.port), timeout=1).close()
        return True
    except OSError:
        return False


def fill(connect, count):
    w = connect("alice")
    for n in range(count):
        assert " OK " in w.append("INBOX", message(f"m{n}"), flags=r"\Seen" if n % 3 == 0 else "")
    w.ok("LOGOUT")


def test_resync_reproduces_the_server_state(connect):
    rng = random.Random(7162)
    fill(connect, 12)
    cache = Cache()
    first = connect("alice")
    first_sync(first, cache)
    first.ok("LOGOUT")
    other_client_changes(connect, rng)
    second = connect("alice")
    untagged = resync(second, cache)
    assert any(x.startswith("* VANISHED (EARLIER) ") for x in untagged), untagged
    assert cache.flags == server_state(connect)
    # And again, from the state the client has now.
    other_client_changes(connect, rng, rounds=2)
    third = connect("alice")
    resync(third, cache)
    assert cache.flags == server_state(connect)


def test_resync_after_the_server_lost_its_expunge_history(srv, connect):
    rng = random.Random(4551)
    fill(connect, 10)
    cache = Cache()
    first = connect("alice")
    first_sync(first, cache)
    first.ok("LOGOUT")
    other_client_changes(connect, rng)
    # The index files are a cache: without them the history is gone, but
    # HIGHESTMODSEQ must not go back and no expunge may be missed.
    srv.stop()
    for p in srv.maildir("alice").iterdir():
        if p.name.startswith("loft.index"):
            p.unlink()
    srv.start()
    wait_for(lambda: can_connect(srv), "the restarted loft-imapd to accept connections")
    second = connect("alice")
    resync(second, cache)
    assert cache.flags == server_state(connect)


def test_resync_while_selected_with_uid_fetch_vanished(connect):
    rng = random.Random(5162)
    fill(connect, 8)
    cache = Cache()
    w = connect("alice")
    first_sync(w, cache)
    # Thunderbird keeps the mailbox selected and asks for what changed.
    other_client_changes(connect, rng, rounds=2)
    cache.apply(w.ok("NOOP"))  # VANISHED and FETCH (UID MODSEQ FLAGS) as they come
    top = max(cache.flags, default=0)
    cache.apply(w.ok(f"UID FETCH 1:{max(top, 1)} (UID FLAGS) (CHANGEDSINCE {cache.highestmodseq} VANISHED)"))
    cache.apply(w.ok(f"UID FETCH {top + 1}:* (UID FLAGS MODSEQ)"))
    assert cache.flags == server_state(connect)
