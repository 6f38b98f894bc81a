"""A POP3 session (loft-pop3d) and IMAP sessions (loft-imapd, the same
config) on one INBOX at once. RFC 1939 §5 numbers messages once per
session: mail that arrives meanwhile (written into new/ by another MDA, or
APPENDed over IMAP) stays invisible until the next login, and a message
expunged over IMAP answers -ERR without renumbering the others. LIST sizes
are the octets RETR sends (CRLF line ends, RFC 1939 §11) and IMAP's
RFC822.SIZE; a POP3 DELE+QUIT reaches IMAP as EXPUNGE; flags survive, RETR
sets \\Seen unless pop3_no_flag_updates."""
import imaplib
import re

import pytest

from imapd_util import WAIT
from pop3d_util import Pop3Server, crlf, message, undot

# Line-end variety: CRLF, bare LF, mixed, dot lines at every position.
ODD_MESSAGES = [
    message(1),
    b"Subject: bare lf\nMessage-ID: <lf@pop3.test>\n\nline one\n.dot\n..two dots\nend\n",
    b"Subject: mixed\r\nMessage-ID: <mixed@pop3.test>\n\r\nfirst\nsecond\r\n.\r\n.\nlast\n",
    b"Subject: empty body\r\nMessage-ID: <empty@pop3.test>\r\n\r\n",
]


@pytest.fixture
def srv(build_dir, tmp_path):
    with Pop3Server(build_dir, tmp_path, imap=True) as s:
        s.start_imapd()
        yield s


def imap_login(srv) -> imaplib.IMAP4:
    c = imaplib.IMAP4(srv.host, srv.imap_port, timeout=WAIT)
    c.login("alice", srv.password)
    return c


def pop_login(srv):
    c = srv.raw()
    c.greeting()
    c.login("alice", srv.password)
    return c


def message_ids(srv):
    return sorted(re.search(rb"Message-ID: <([^>]+)>", f.read_bytes()).group(1).decode() for f in srv.mail_files())


def test_new_mail_invisible_until_next_login(srv):
    srv.deliver("alice", message(1))
    srv.deliver("alice", message(2))
    pop = pop_login(srv)
    assert pop.multi("LIST") == ["+OK 2 messages:", f"1 {len(message(1))}", f"2 {len(message(2))}"]
    srv.deliver("alice", message(3))
    imap = imap_login(srv)
    typ, _ = imap.append("INBOX", None, None, message(4))
    assert typ == "OK"
    imap.select("INBOX")
    assert imap.search(None, "ALL")[1] == [b"1 2 3 4"]
    # The POP3 session still sees its snapshot.
    size = len(message(1)) + len(message(2))
    assert pop.cmd("STAT") == f"+OK 2 {size}"
    assert pop.multi("UIDL")[0] == "+OK" and len(pop.multi("UIDL")) == 3
    assert pop.cmd("RETR 3") == "-ERR There's no message 3."
    assert pop.cmd("QUIT") == "+OK Logging out."
    pop = pop_login(srv)
    assert pop.cmd("STAT").startswith("+OK 4 ")
    assert pop.cmd("QUIT") == "+OK Logging out."
    imap.logout()


def test_imap_expunge_is_not_renumbered(srv):
    for n in range(1, 4):
        srv.deliver("alice", message(n))
    pop = pop_login(srv)
    imap = imap_login(srv)
    imap.select("INBOX")
    imap.store("2", "+FLAGS", "\\Deleted")
    imap.expunge()
    assert pop.cmd("RETR 2") == "-ERR Message 2 expunged."
    pop.send_line("RETR 3")
    assert pop.line() == f"+OK {len(message(3))} octets"
    assert undot(pop.read_multi_raw()) == message(3)
    assert pop.multi("LIST") == ["+OK 3 messages:", f"1 {len(message(1))}", f"2 {len(message(2))}",
                                 f"3 {len(message(3))}"]
    # Deleting the expunged one too is no error; the others go at QUIT.
    assert pop.cmd("DELE 2") == "+OK Marked to be deleted."
    assert pop.cmd("DELE 3") == "+OK Marked to be deleted."
    assert pop.cmd("QUIT") == "+OK Logging out, messages deleted."
    assert message_ids(srv) == ["msg1@pop3.test"]
    imap.logout()


def test_list_sizes_are_retr_octets_and_rfc822_size(srv):
    for m in ODD_MESSAGES:
        srv.deliver("alice", m)
    pop = pop_login(srv)
    listing = pop.multi("LIST")
    assert listing[0] == f"+OK {len(ODD_MESSAGES)} messages:"
    sizes = [int(line.split()[1]) for line in listing[1:]]
    for n, m in enumerate(ODD_MESSAGES, 1):
        pop.send_line(f"RETR {n}")
        assert pop.line() == f"+OK {sizes[n - 1]} octets"
        body = undot(pop.read_multi_raw())
        assert body == crlf(m), n
        assert len(body) == sizes[n - 1], n
    assert pop.cmd("QUIT") == "+OK Logging out."
    imap = imap_login(srv)
    imap.select("INBOX")
    typ, data = imap.fetch("1:*", "(RFC822.SIZE)")
    assert [int(re.search(rb"RFC822\.SIZE (\d+)", d).group(1)) for d in data] == sizes
    imap.logout()


def test_pop3_dele_quit_is_an_imap_expunge(srv):
    for n in range(1, 4):
        srv.deliver("alice", message(n))
    imap = imap_login(srv)
    imap.select("INBOX")
    pop = pop_login(srv)
    assert pop.cmd("DELE 2") == "+OK Marked to be deleted."
    assert pop.cmd("QUIT") == "+OK Logging out, messages deleted."
    assert pop.closed_by_server()
    typ, _ = imap.noop()
    assert typ == "OK"
    assert imap.untagged_responses.get("EXPUNGE") == [b"2"]
    assert imap.search(None, "ALL")[1] == [b"1 2"]
    typ, data = imap.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    got = [re.search(rb"<([^>]+)>", d[1]).group(1) for d in data if isinstance(d, tuple)]
    assert got == [b"msg1@pop3.test", b"msg3@pop3.test"]
    imap.logout()


def flags_of(imap):
    typ, data = imap.fetch("1:*", "(FLAGS)")
    # imaplib returns the unsolicited FETCHes of an earlier NOOP first; the
    # last answer for each message is the current one. \Recent belongs to
    # whichever IMAP session saw the message first.
    flags = {}
    for d in data:
        m = re.match(rb"(\d+) .*FLAGS \(([^)]*)\)", d)
        flags[int(m.group(1))] = sorted(f for f in m.group(2).split() if f != b"\\Recent")
    return [flags[n] for n in sorted(flags)]


def test_flags_survive_and_retr_sets_seen(srv):
    for n in range(1, 4):
        srv.deliver("alice", message(n))
    imap = imap_login(srv)
    imap.select("INBOX")
    imap.store("1", "+FLAGS", "(\\Flagged $Work)")
    pop = pop_login(srv)
    pop.send_line("RETR 1")
    pop.line()
    pop.read_multi_raw()
    pop.send_line("TOP 2 0")
    pop.line()
    pop.read_multi_raw()
    assert pop.cmd("QUIT") == "+OK Logging out."
    assert pop.closed_by_server()
    imap.noop()
    # RETR set \Seen and kept the other flags; TOP sets nothing.
    assert flags_of(imap) == [[b"$Work", b"\\Flagged", b"\\Seen"], [], []]
    imap.logout()


def test_no_flag_updates(build_dir, tmp_path):
    with Pop3Server(build_dir, tmp_path, imap=True, extra_config="pop3_no_flag_updates = yes\n") as srv:
        srv.start_imapd()
        srv.deliver("alice", message(1))
        pop = pop_login(srv)
        pop.send_line("RETR 1")
        pop.line()
        pop.read_multi_raw()
        assert pop.cmd("QUIT") == "+OK Logging out."
        imap = imap_login(srv)
        imap.select("INBOX")
        assert flags_of(imap) == [[]]
        imap.logout()
