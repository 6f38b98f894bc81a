"""Header SEARCH keys (FROM, TO, CC, BCC, SUBJECT, HEADER) answered from the
index cache: through real sockets, on the corpus messages
(tests/corpus/messages) plus messages whose headers hold comments, groups,
encoded words and odd spacing. The first search on a field reads the
headers and caches their decoded values; every later answer — the same
session, a new one, a restarted server (the index cache alone), a removed or
damaged cache file — must be the very same. SUBJECT and HEADER answers are
also those of Debian's Dovecot 2.3 on a copy of the Maildir (skipped only
when Dovecot is not installed). The address keys are not compared with
Dovecot: Loft matches the decoded field text (comments, group syntax and
all, as RFC 3501 words it), Dovecot a normalised form of the parsed
addresses, so "FROM \"the boss\"" finds a comment only in Loft; caching
changes neither. Nor are needles with runs of spaces, which Loft matches
as written.
"""
import pathlib
import re

import pytest

from dovecot_imap import DOVECOT_IMAP, DovecotImap, write_maildir
from imapd_util import ImapServer

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "corpus" / "messages"
BASE_TIME = 1700000000

EXTRA = [
    b'From: "Carol Q. Smith" (the boss) <carol@example.com>\r\nTo: team: ann@x.org, bob@y.org;\r\n'
    b"Subject: Quarterly   report\r\n",
    b"From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>\r\nTo: undisclosed-recipients:;\r\n"
    b"Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus =?UTF-8?B?S8O2bG4=?=\r\n",
    b"From: bob@example.com (=?UTF-8?Q?B=C3=B6b?=)\r\nCc: carol@example.com\r\nCc: dave@example.com\r\n"
    b"Subject: re: QUARTERLY\r\n numbers\r\n",
    b"From: <weird@example.com>\r\nSubject:\r\nX-Tag: one\r\nX-Tag: two\r\n",
    b"From: \xc3\x89milie <emilie@example.fr>\r\nSubject: Stra\xc3\x9fe\r\nBcc: hidden@example.com\r\n",
]

# (key, needle): needles in UTF-8, sent as literals with CHARSET UTF-8.
SEARCHES = [
    ("FROM", "carol"), ("FROM", "the boss"), ("FROM", "JÜRGEN"), ("FROM", "=?UTF-8?"), ("FROM", "böb"),
    ("FROM", "<weird"), ("FROM", "émilie"), ("FROM", '"carol'), ("FROM", "example.com"), ("FROM", ""),
    ("FROM", "@"), ("TO", "team:"), ("TO", "bob@y.org;"), ("TO", "undisclosed"), ("TO", ""), ("CC", "dave"),
    ("BCC", "hidden"), ("SUBJECT", "quarterly"), ("SUBJECT", "report"), ("SUBJECT", "   "),
    ("SUBJECT", "grüße"), ("SUBJECT", "KÖLN"), ("SUBJECT", "STRAßE"), ("SUBJECT", "re:"), ("SUBJECT", ""),
    ("SUBJECT", "the"), ("SUBJECT", "quarterly numbers"), ("HEADER X-Tag", "two"), ("HEADER x-tag", ""),
    ("HEADER Message-ID", "@"), ("HEADER Content-Type", "multipart"),
]


def all_messages() -> list[bytes]:
    """Corpus and extra messages with CRLF line ends, each opened by an
    X-Search-Test header naming it (to match sequence numbers between
    the two servers)."""
    files = sorted((CORPUS / "handmade").glob("*.eml")) + sorted((CORPUS / "generated").glob("*.eml"))
    bodies = [p.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for p in files]
    bodies += [m + b"\r\nbody\r\n" for m in EXTRA]
    return [b"X-Search-Test: %d\r\n" % i + data for i, data in enumerate(bodies)]


def fill_maildir(maildir: pathlib.Path, messages: list[bytes]) -> None:
    write_maildir(maildir, messages, BASE_TIME, "searchtest")


def command(key: str, needle: str) -> bytes:
    """UID-free SEARCH with the needle as a non-synchronizing literal."""
    raw = needle.encode()
    return f"SEARCH CHARSET UTF-8 {key} {{{len(raw)}+}}\r\n".encode() + raw


def ids_of(output: bytes) -> dict[int, int]:
    pairs = re.findall(rb"\* (\d+) FETCH .*?X-Search-Test: (\d+)", output, re.S | re.I)
    return {int(seq): int(ident) for seq, ident in pairs}


def found_ids(output: bytes, ids: dict[int, int]) -> list[set[int]]:
    """The messages (by X-Search-Test id) of each "* SEARCH" line, in order."""
    return [{ids[int(n)] for n in line.split()[2:]}
            for line in output.decode("utf-8", "replace").split("\r\n") if line.startswith("* SEARCH")]


class Dovecot(DovecotImap):
    """Dovecot's imap binary on its own copy of the Maildir, fed on stdin."""

    def __init__(self, messages: list[bytes]):
        super().__init__(lambda maildir: fill_maildir(maildir, messages), "loft-search-dovecot-")

    def run(self, commands: list[bytes]) -> bytes:
        return self.session(commands, tag="c")


ID_FETCH = b"FETCH 1:* (BODY.PEEK[HEADER.FIELDS (X-Search-Test)])"


def loft_run(server: ImapServer, commands: list[bytes]) -> bytes:
    """The commands in one session after SELECT INBOX; every one must be OK."""
    c = server.raw()
    c.send(b"a LOGIN alice secret\r\ns SELECT INBOX\r\n" +
           b"".join(b"c%d %s\r\n" % (i, cmd) for i, cmd in enumerate(commands)) + b"z LOGOUT\r\n")
    c.read_greeting()
    out = "\r\n".join(c.read_until_tagged("z")).encode()
    c.close()
    for i in range(len(commands)):
        assert re.search(rb"^c%d OK " % i, out, re.M), (commands[i], out[-2000:])
    return out


def answers(output: bytes) -> list[set[int]]:
    ids = ids_of(output)
    return found_ids(output, ids)


COMMANDS = [ID_FETCH] + [command(k, n) for k, n in SEARCHES]


@pytest.fixture(scope="module")
def messages():
    return all_messages()


@pytest.fixture(scope="module")
def server(build_dir, tmp_path_factory, messages):
    tmp = tmp_path_factory.mktemp("imap-search-cache")
    srv = ImapServer(build_dir, tmp, tls=False)
    fill_maildir(srv.maildir("alice"), messages)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def first(server):
    """The answers of the first searches (the headers read, values cached)."""
    return answers(loft_run(server, COMMANDS))


def restart(server: ImapServer, between=None) -> None:
    """Stops the server, runs `between`, starts it and waits until it listens."""
    server.stop()
    if between:
        between()
    listening = server.log_text().count("Listening on")
    server.start()
    server.wait_log("Listening on", listening + 1)


def cache_files(server: ImapServer) -> list[pathlib.Path]:
    return [p for p in server.maildir("alice").rglob("loft.index.cache*") if p.is_file()]


def test_answers_do_not_change_once_cached(server, first):
    assert len(first) == len(SEARCHES)
    assert any(first) and not all(first)
    # The same session's process again (values from the memo or the cache).
    assert answers(loft_run(server, COMMANDS)) == first
    assert cache_files(server), "the searches left no index cache"
    # A new process: the index cache alone.
    restart(server)
    assert answers(loft_run(server, COMMANDS)) == first


def test_cache_removed_or_damaged(server, first):
    def damage():
        for path in cache_files(server):
            data = bytearray(path.read_bytes())
            for i in range(24, len(data)):
                data[i] ^= 0x5A
            path.write_bytes(bytes(data))

    restart(server, damage)
    assert answers(loft_run(server, COMMANDS)) == first
    restart(server, lambda: [p.unlink() for p in cache_files(server)])
    assert answers(loft_run(server, COMMANDS)) == first
    assert answers(loft_run(server, COMMANDS)) == first


def test_expected_matches(first):
    got = dict(zip(SEARCHES, first))
    n = len(all_messages())
    extra = {name: n - len(EXTRA) + i for i, name in enumerate(["carol", "jurgen", "bob", "weird", "emilie"])}
    assert extra["carol"] in got[("FROM", "the boss")]  # a comment
    assert extra["jurgen"] in got[("FROM", "JÜRGEN")]  # an encoded word, other case
    assert extra["jurgen"] not in got[("FROM", "=?UTF-8?")]
    assert extra["bob"] in got[("FROM", "böb")]  # an encoded word in a comment
    assert extra["carol"] in got[("TO", "team:")]  # a group
    assert extra["carol"] in got[("SUBJECT", "   ")]  # spacing kept
    assert extra["jurgen"] in got[("SUBJECT", "KÖLN")]
    assert extra["emilie"] in got[("SUBJECT", "STRAßE")]  # ß casemaps to ss
    assert extra["bob"] in got[("SUBJECT", "quarterly numbers")]  # unfolded
    assert extra["weird"] in got[("HEADER x-tag", "")] and extra["weird"] in got[("HEADER X-Tag", "two")]
    assert extra["weird"] in got[("SUBJECT", "")]  # present though empty


def test_subject_and_header_answers_as_dovecot(messages, first):
    if not DOVECOT_IMAP.exists():
        pytest.skip("Dovecot (dovecot-imapd) is not installed")
    d = Dovecot(messages)
    try:
        theirs = answers(d.run(COMMANDS))
    finally:
        d.close()
    assert len(theirs) == len(SEARCHES)
    diffs = [(key, needle, sorted(ours - dovecots), sorted(dovecots - ours))
             for (key, needle), ours, dovecots in zip(SEARCHES, first, theirs)
             if key.split()[0] in ("SUBJECT", "HEADER") and needle.strip() == needle and ours != dovecots]
    assert not diffs
