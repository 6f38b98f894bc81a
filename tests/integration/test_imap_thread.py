"""THREAD and UID THREAD (RFC 5256 §3, ORDEREDSUBJECT, REFERENCES and
Dovecot's REFS) through real sockets with Python imaplib's thread() on a
mailbox of threaded messages: mailing-list discussions with full,
truncated and broken References, replies by In-Reply-To only, missing
parents, duplicate and missing Message-IDs, loops, subject-only replies,
time zones, missing dates and date ties. Each case group carries an
X-Case header, so a search narrows the threading to it; the expected trees
are written out here. Every algorithm and several searches are answered
identically by Debian's Dovecot 2.3 on a copy of the same Maildir (a
throwaway Dovecot imap process reading the commands on stdin; skipped only
when Dovecot is not installed).
"""
import imaplib
import pathlib
import random
import re

import pytest

from dovecot_imap import DOVECOT_IMAP, DovecotImap, write_maildir
from imapd_util import ImapServer

BASE_TIME = 1600000000  # arrival (file mtime) of message 0
ALGORITHMS = ["REFERENCES", "REFS", "ORDEREDSUBJECT"]
DAY = 86400


def date_text(t: int, zone_minutes: int = 0) -> str:
    import time
    local = t + zone_minutes * 60
    tm = time.gmtime(local)
    sign = "+" if zone_minutes >= 0 else "-"
    z = abs(zone_minutes)
    return time.strftime("%a, %d %b %Y %H:%M:%S ", tm) + f"{sign}{z // 60:02d}{z % 60:02d}"


class Builder:
    def __init__(self):
        self.messages: list[bytes] = []
        self.arrivals: list[int] = []

    def add(self, case: str, subject: str, *, mid: str | None = None, refs: str | None = None,
            irt: str | None = None, date: int | None = None, zone: int = 0, raw_date: str | None = None,
            arrival: int | None = None) -> int:
        """Adds a message; returns its sequence number."""
        i = len(self.messages)
        h = [f"X-Thread-Test: {i}", f"X-Case: {case}", "From: Someone <someone@example.com>",
             "To: list@example.com"]
        if mid is not None:
            h.append(f"Message-ID: {mid}")
        if refs is not None:
            h.append(f"References: {refs}")
        if irt is not None:
            h.append(f"In-Reply-To: {irt}")
        h.append(f"Subject: {subject}")
        if raw_date is not None:
            h.append(f"Date: {raw_date}")
        elif date is not None:
            h.append(f"Date: {date_text(date, zone)}")
        body = f"message {i} of case {case}\r\n"
        self.messages.append(("\r\n".join(h) + "\r\n\r\n" + body).encode())
        self.arrivals.append(arrival if arrival is not None else BASE_TIME + i * 3600)
        return i + 1


def build() -> tuple[Builder, dict]:
    b = Builder()
    t0 = BASE_TIME
    seqs = {}
    # A discussion with full References chains, out of order in the mailbox.
    r = b.add("chain", "Release plan", mid="<plan@list>", date=t0)
    c = b.add("chain", "Re: Release plan", mid="<p2@list>", refs="<plan@list>", irt="<plan@list>", date=t0 + 300)
    d = b.add("chain", "Re: Release plan", mid="<p4@list>", refs="<plan@list> <p2@list> <p3@list>", date=t0 + 900)
    e = b.add("chain", "Re: Release plan", mid="<p3@list>", refs="<plan@list> <p2@list>", date=t0 + 600)
    f = b.add("chain", "Re: Release plan", mid="<p5@list>", refs="<plan@list>", date=t0 + 200)
    seqs["chain"] = (r, c, d, e, f)
    # A parent that is missing: two replies under a dummy, one alone promoted.
    g = b.add("missing", "Re: Lost thread", mid="<m1@list>", refs="<gone@list>", date=t0 + 50)
    h = b.add("missing", "Re: Lost thread", mid="<m2@list>", refs="<gone@list> <gone2@list>", date=t0 + 40)
    k = b.add("missing", "Re: Orphan", mid="<m3@list>", refs="<gone3@list>", date=t0 + 30)
    seqs["missing"] = (g, h, k)
    # Duplicate Message-IDs: the first keeps it, the reply hangs there.
    a1 = b.add("dup", "Duplicated", mid="<dup@list>", date=t0 + 10)
    a2 = b.add("dup", "Duplicated copy", mid="<dup@list>", date=t0 + 20)
    a3 = b.add("dup", "Re: Duplicated", mid="<dup-r@list>", refs="<dup@list>", date=t0 + 30)
    seqs["dup"] = (a1, a2, a3)
    # In-Reply-To only, and a References header without valid ids.
    i1 = b.add("irt", "Question", mid="<q@list>", date=t0 + 100)
    i2 = b.add("irt", "Re: Question", mid="<q2@list>", irt="<q@list> (Someone's message)", date=t0 + 200)
    i3 = b.add("irt", "Re: Question", mid="<q3@list>", refs="not an id", irt="<q2@list>", date=t0 + 300)
    seqs["irt"] = (i1, i2, i3)
    # Loops and a self reference.
    l1 = b.add("loop", "Loop one", mid="<l1@list>", refs="<l2@list>", date=t0 + 10)
    l2 = b.add("loop", "Loop two", mid="<l2@list>", refs="<l1@list>", date=t0 + 20)
    l3 = b.add("loop", "Self", mid="<l3@list>", refs="<l3@list>", date=t0 + 30)
    seqs["loop"] = (l1, l2, l3)
    # Subject-only threading: a reply without references, two originals.
    s1 = b.add("subject", "Lunch on Friday", mid="<s1@list>", date=t0 + 10)
    s2 = b.add("subject", "RE: lunch on friday", mid="<s2@list>", date=t0 + 20)
    s3 = b.add("subject", "Lunch on Friday", mid="<s3@list>", date=t0 + 30)
    s4 = b.add("subject", "[team] Fwd: Lunch on Friday", date=t0 + 5)
    seqs["subject"] = (s1, s2, s3, s4)
    # Dates: time zones, a missing Date (arrival used), ties by sequence.
    z1 = b.add("dates", "Zone east", mid="<z1@list>", date=t0 + 3600, zone=120)
    z2 = b.add("dates", "Zone west", mid="<z2@list>", date=t0 + 1800, zone=-300)
    z3 = b.add("dates", "No date", mid="<z3@list>", arrival=t0 + 2700)
    z4 = b.add("dates", "Tie", mid="<z4@list>", date=t0 + 1800)
    z5 = b.add("dates", "Garbage date", mid="<z5@list>", raw_date="sometime soon", arrival=t0 + 1800)
    seqs["dates"] = (z1, z2, z3, z4, z5)
    # A realistic list archive, seeded: threads with replies quoting parents
    # by References (sometimes truncated to the last ids), In-Reply-To only,
    # or nothing but "Re:".
    rng = random.Random(5256)
    for topic in range(40):
        subject = rng.choice(["Build failure on", "Proposal:", "[dev] Question about", "Patch for", "Meeting"]) + \
            f" item {topic % 25}"
        ids = []
        start = t0 + rng.randrange(0, 30 * DAY)
        for n in range(rng.randrange(1, 9)):
            mid = f"<t{topic}.{n}@list>" if rng.random() > 0.05 else None
            when = start + n * rng.randrange(60, 7200)
            zone = rng.choice([0, 60, -300, 330, 0])
            if not ids:
                b.add("archive", subject, mid=mid, date=when, zone=zone)
            else:
                parent = rng.randrange(len(ids))
                chain = ids[:parent + 1]
                kind = rng.random()
                prefix = rng.choice(["Re: ", "RE: ", "Re: Re: ", "Fwd: ", "Re:[dev] "])
                if kind < 0.6:
                    refs = " ".join(x for x in chain if x)
                    if rng.random() < 0.3:
                        refs = " ".join(x for x in chain[-2:] if x)
                    b.add("archive", prefix + subject, mid=mid, refs=refs or None, date=when, zone=zone)
                elif kind < 0.8:
                    b.add("archive", prefix + subject, mid=mid, irt=chain[-1], date=when, zone=zone)
                elif kind < 0.9:
                    b.add("archive", prefix + subject, mid=mid, date=when, zone=zone)
                else:
                    b.add("archive", prefix + subject, mid=mid, refs=f"<gone{topic}@list>", date=when, zone=zone)
            ids.append(mid)
    return b, seqs


def fill_maildir(maildir: pathlib.Path, b: Builder) -> None:
    write_maildir(maildir, b.messages, BASE_TIME, "threadtest", b.arrivals)


class Dovecot(DovecotImap):
    """Dovecot's imap binary on its own copy of the Maildir, one process per
    command."""

    def __init__(self, b: Builder):
        super().__init__(lambda maildir: fill_maildir(maildir, b), "loft-thread-dovecot-")

    def thread(self, command: str) -> str:
        out = self.session([command], timeout=60).decode("utf-8", "replace")
        assert re.search(r"^X0 OK ", out, re.M), out
        lines = [line for line in out.split("\r\n") if line.startswith("* THREAD")]
        assert len(lines) == 1, out
        return lines[0]

    def ids(self) -> dict[int, int]:
        out = self.session(["FETCH 1:* (BODY.PEEK[HEADER.FIELDS (X-Thread-Test)])"], timeout=60)
        pairs = re.findall(rb"\* (\d+) FETCH .*?X-Thread-Test: (\d+)", out, re.S | re.I)
        return {int(seq): int(ident) for seq, ident in pairs}


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mailbox():
    return build()


@pytest.fixture(scope="module")
def server(build_dir, tmp_path_factory, mailbox):
    tmp = tmp_path_factory.mktemp("imap-thread")
    srv = ImapServer(build_dir, tmp, tls=False)
    fill_maildir(srv.maildir("alice"), mailbox[0])
    fill_maildir(srv.maildir("bob"), mailbox[0])  # test_uid_thread expunges there
    yield srv
    srv.stop()


@pytest.fixture()
def imap(server):
    c = server.login("alice")
    typ, _ = c.select("INBOX")
    assert typ == "OK"
    yield c
    c.logout()


@pytest.fixture(scope="module")
def dovecot(mailbox):
    if not DOVECOT_IMAP.exists():
        pytest.skip("Dovecot (dovecot-imapd) is not installed")
    d = Dovecot(mailbox[0])
    yield d
    d.close()


def thread_text(data) -> str:
    assert len(data) == 1, data
    return (data[0] or b"").decode()


def case(imap, algorithm: str, name: str) -> str:
    typ, data = imap.thread(algorithm, "UTF-8", "HEADER", "X-Case", name)
    assert typ == "OK"
    return thread_text(data)


def fmt(text: str, **seqs) -> str:
    return text.format(**seqs)


# --- Loft alone -----------------------------------------------------------------------------------


def test_capabilities(imap):
    typ, data = imap.capability()
    assert typ == "OK"
    caps = data[0].decode().split()
    for cap in ("THREAD=REFERENCES", "THREAD=REFS", "THREAD=ORDEREDSUBJECT"):
        assert cap in caps, caps


def test_full_and_truncated_references_chain(imap, mailbox):
    r, c, d, e, f = mailbox[1]["chain"]
    # <p4> lists <p3> as its parent although <p3> arrived after it; <p5>
    # (a reply to the root written earlier) sorts first among the children.
    assert case(imap, "REFERENCES", "chain") == f"({r} ({f})({c} {e} {d}))"
    assert case(imap, "REFS", "chain") == f"({r} ({f})({c} {e} {d}))"
    assert case(imap, "ORDEREDSUBJECT", "chain") == f"({r} ({f})({c})({e})({d}))"


def test_missing_parents(imap, mailbox):
    g, h, k = mailbox[1]["missing"]
    # Two replies to one missing message stay siblings under a dummy; the
    # lone reply to another missing one is promoted (RFC 5256 §3 step 3).
    assert case(imap, "REFERENCES", "missing") == f"({k})(({h})({g}))"
    assert case(imap, "ORDEREDSUBJECT", "missing") == f"({k})({h} {g})"


def test_duplicate_message_ids(imap, mailbox):
    a1, a2, a3 = mailbox[1]["dup"]
    # REFERENCES: the copy is a message of its own (no subject merge: its
    # base subject differs); the reply goes to the first one.
    assert case(imap, "REFERENCES", "dup") == f"({a1} {a3})({a2})"
    assert case(imap, "REFS", "dup") == f"({a2})({a1} {a3})"


def test_in_reply_to_only(imap, mailbox):
    i1, i2, i3 = mailbox[1]["irt"]
    assert case(imap, "REFERENCES", "irt") == f"({i1} {i2} {i3})"


def test_loops_and_self_reference(imap, mailbox):
    l1, l2, l3 = mailbox[1]["loop"]
    assert case(imap, "REFERENCES", "loop") == f"({l2} {l1})({l3})"


def test_subject_only_threading(imap, mailbox):
    s1, s2, s3, s4 = mailbox[1]["subject"]
    # Step 5: the forward (s4, earliest) is in the subject table first, the
    # original s1 replaces it (a reply loses to a non-reply); the forward
    # and the reply s2 become children of s1; s1 and s3 are both originals:
    # a new dummy holds them.
    assert case(imap, "REFERENCES", "subject") == f"(({s1} ({s4})({s2}))({s3}))"
    assert case(imap, "REFS", "subject") == f"({s4})({s1})({s2})({s3})"
    assert case(imap, "ORDEREDSUBJECT", "subject") == f"({s4} ({s1})({s2})({s3}))"


def test_sent_dates(imap, mailbox):
    z1, z2, z3, z4, z5 = mailbox[1]["dates"]
    # RFC 5256 §2.2: z2 (-0500) and z4 (+0000) are the same instant, and
    # z5's unreadable date falls back to its arrival, that instant again:
    # sequence order. z3 has no Date (arrival, 15 minutes later); z1
    # (+0200, written as a later wall-clock time) is the latest.
    assert case(imap, "REFERENCES", "dates") == f"({z2})({z4})({z5})({z3})({z1})"


def test_uid_thread(server, mailbox):
    imap = server.login("bob")
    imap.select("INBOX")
    r, c, d, e, f = mailbox[1]["chain"]
    # Expunge the duplicate copy: UIDs and sequence numbers differ after it.
    a2 = mailbox[1]["dup"][1]
    typ, _ = imap.store(str(a2), "+FLAGS", "(\\Deleted)")
    assert typ == "OK"
    imap.expunge()
    typ, data = imap.uid("THREAD", "REFERENCES", "UTF-8", "HEADER", "X-Case", "chain")
    assert typ == "OK"
    uid = {s: s for s in range(1, a2)}  # before the expunged one, UID = seq
    assert thread_text(data) == f"({uid[r]} ({uid[f]})({uid[c]} {uid[e]} {uid[d]}))"
    typ, data = imap.uid("THREAD", "REFERENCES", "UTF-8", "HEADER", "X-Case", "dup")
    a1, _, a3 = mailbox[1]["dup"]
    assert thread_text(data) == f"({a1} {a3})"
    typ, data = imap.thread("REFERENCES", "UTF-8", "HEADER", "X-Case", "dup")
    assert thread_text(data) == f"({a1} {a3 - 1})"
    imap.logout()


def test_errors(imap):
    with pytest.raises(imaplib.IMAP4.error, match="Unknown thread algorithm"):
        imap.thread("X-NONE", "UTF-8", "ALL")
    with pytest.raises(imaplib.IMAP4.error, match="Missing search parameters"):
        imap.thread("REFERENCES", "UTF-8")
    typ, data = imap._simple_command("THREAD", "REFERENCES", "X-NO-SUCH-CHARSET", "ALL")
    assert typ == "NO"
    assert data[0].startswith(b"[BADCHARSET (") and b"UTF-8" in data[0], data
    typ, data = imap.thread("REFERENCES", "UTF-8", "SUBJECT", "no-such-subject-anywhere")
    assert typ == "OK" and data in ([None], [b""])


# --- the same answers as Dovecot --------------------------------------------------------------------


def loft_thread(imap, command: str) -> str:
    tag = imap._new_tag().decode()
    imap.send(f"{tag} {command}\r\n".encode())
    out = []
    while True:
        line = imap.readline().decode("utf-8", "replace").rstrip("\r\n")
        if line.startswith(tag + " "):
            assert line.startswith(tag + " OK"), line
            break
        out.append(line)
    lines = [x for x in out if x.startswith("* THREAD")]
    assert len(lines) == 1, out
    return lines[0]


def relabel(line: str, mapping) -> str:
    return re.sub(r"\d+", lambda m: str(mapping(int(m.group(0)))), line)


SEARCHES = ["ALL", "HEADER X-Case archive", "NOT HEADER X-Case archive", "1:60", "OR HEADER X-Case subject "
            "HEADER X-Case missing", "SUBJECT \"item 1\"", "SUBJECT no-such-subject-anywhere"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_same_answers_as_dovecot(imap, dovecot, algorithm):
    ids = dovecot.ids()
    typ, data = imap.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (X-Thread-Test)])")
    raw = b"".join(part[0] + part[1] if isinstance(part, tuple) else part for part in data)
    ours = {int(s): int(i) for s, i in re.findall(rb"(\d+) \(.*?X-Thread-Test: (\d+)", raw, re.S | re.I)}
    mismatches = []
    for search in SEARCHES:
        for prefix in ("", "UID "):
            command = f"{prefix}THREAD {algorithm} UTF-8 {search}"
            mine = loft_thread(imap, command)
            theirs = dovecot.thread(command)
            # RFC 5256 §5 thread-data = "THREAD" [SP 1*thread-list]: Dovecot
            # sends "* THREAD " with a trailing space when nothing matched;
            # Loft sends none. Only that difference is left out.
            if theirs == "* THREAD ":
                theirs = "* THREAD"
            if prefix:  # UIDs: both servers give the same UIDs to the file-name order
                if mine != theirs:
                    mismatches.append((command, mine, theirs))
                continue
            if relabel(mine, lambda s: ours[s]) != relabel(theirs, lambda s: ids[s]):
                mismatches.append((command, mine, theirs))
    assert not mismatches, "\n".join(f"{c}\n  loft:    {m}\n  dovecot: {t}" for c, m, t in mismatches)
