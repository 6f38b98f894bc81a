"""NOTIFY (RFC 5465) through loft-imapd: a client that sent NOTIFY SET and
then nothing else receives unsolicited STATUS, LIST and EXISTS/FETCH
responses for what a second client does (the test reads the socket with a
bounded wait and sends no command in between); NOTIFY NONE stops them;
BADEVENT and syntax errors; IDLE keeps working with NOTIFY in force."""
import re
import socket

import pytest

from imapd_util import ImapServer

MESSAGE = (b"From: bob@example.com\r\nTo: alice@example.com\r\nSubject: hello\r\n"
           b"Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m1@example.com>\r\n\r\nbody\r\n")

# Generous: only a failure waits this long.
PUSH_WAIT = 10.0
BADEVENT = "NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)]"


@pytest.fixture
def srv(build_dir, tmp_path):
    with ImapServer(build_dir, tmp_path, extra_config="imap_idle_notify_interval = 10 mins\n") as server:
        yield server


def login_raw(srv):
    r = srv.raw()
    assert r.read_greeting().startswith("* OK ")
    r.send_line("a LOGIN alice secret")
    assert r.read_until_tagged("a")[-1].startswith("a OK ")
    return r


def command(r, tag, line):
    r.send_line(f"{tag} {line}")
    return r.read_until_tagged(tag)


def read_pushed_until(r, predicate, wait=PUSH_WAIT):
    """Lines the server sends unprompted until one satisfies `predicate`
    (then returns them) or `wait` seconds pass (returns what came)."""
    r.sock.settimeout(wait)
    lines = []
    try:
        while True:
            line = r.read_line()
            if line == "" and not r.buf:
                break
            lines.append(line)
            if predicate(line):
                break
    except socket.timeout:
        pass
    finally:
        r.sock.settimeout(15)
    return lines


def nothing_pushed(r, wait=1.0):
    """True when no bytes arrive within `wait` seconds."""
    r.sock.settimeout(wait)
    try:
        data = r.sock.recv(65536)
        r.buf += data
        return not data and not r.buf
    except socket.timeout:
        return not r.buf
    finally:
        r.sock.settimeout(15)


def test_status_for_append_by_another_client_without_any_command(srv):
    other = srv.login("alice")
    assert other.create("Other")[0] == "OK"
    r = login_raw(srv)
    lines = command(r, "n", "NOTIFY SET STATUS (inboxes (MessageNew MessageExpunge)) (personal (MessageNew MessageExpunge))")
    assert lines[-1] == "n OK NOTIFY completed."
    assert any(line.startswith("* STATUS Other (MESSAGES 0 UIDNEXT 1 UIDVALIDITY ") and line.endswith(" UNSEEN 0)")
               for line in lines), lines
    assert any(line.startswith("* STATUS INBOX (MESSAGES 0 UIDNEXT 1 UIDVALIDITY ") for line in lines), lines

    assert other.append("Other", None, None, MESSAGE)[0] == "OK"
    pushed = read_pushed_until(r, lambda line: line.startswith("* STATUS Other"))
    assert pushed == ["* STATUS Other (MESSAGES 1 UIDNEXT 2 UNSEEN 1)"]

    assert other.append("INBOX", None, None, MESSAGE)[0] == "OK"
    pushed = read_pushed_until(r, lambda line: line.startswith("* STATUS INBOX"))
    assert pushed == ["* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UNSEEN 1)"]

    # NOTIFY NONE stops it: nothing comes, and the next NOOP has nothing either.
    assert command(r, "m", "NOTIFY NONE") == ["m OK NOTIFY completed."]
    assert other.append("Other", None, None, MESSAGE)[0] == "OK"
    assert nothing_pushed(r)
    assert command(r, "o", "NOOP") == ["o OK NOOP completed."]
    other.logout()
    r.close()


def test_list_for_create_rename_delete_and_subscriptions(srv):
    r = login_raw(srv)
    sep_line = command(r, "l", 'LIST "" ""')[0]
    sep = sep_line.split('"')[1]
    assert command(r, "n", "NOTIFY SET (personal (MailboxName SubscriptionChange))")[-1] == "n OK NOTIFY completed."
    other = srv.login("alice")

    assert other.create("Fresh")[0] == "OK"
    assert read_pushed_until(r, lambda line: "Fresh" in line) == [f'* LIST (\\HasNoChildren) "{sep}" Fresh']
    assert other.rename("Fresh", "Renamed")[0] == "OK"
    assert read_pushed_until(r, lambda line: "Renamed" in line) == [
        f'* LIST (\\HasNoChildren) "{sep}" Renamed ("OLDNAME" (Fresh))']
    assert other.subscribe("Renamed")[0] == "OK"
    assert read_pushed_until(r, lambda line: "Renamed" in line) == [
        f'* LIST (\\Subscribed \\HasNoChildren) "{sep}" Renamed']
    assert other.unsubscribe("Renamed")[0] == "OK"
    assert read_pushed_until(r, lambda line: "Renamed" in line) == [f'* LIST (\\HasNoChildren) "{sep}" Renamed']
    assert other.delete("Renamed")[0] == "OK"
    assert read_pushed_until(r, lambda line: "Renamed" in line) == [f'* LIST (\\NonExistent) "{sep}" Renamed']

    # The client's own CREATE is not reported back (RFC 5465 §5).
    (created,) = command(r, "c", "CREATE Mine")
    # RFC 8474 §4.1: Loft adds [MAILBOXID (...)] (test_imap_objectid.py).
    assert re.fullmatch(r"c OK (\[MAILBOXID \(F[0-9a-f]{32}\)\] )?Create completed\.", created), created
    assert nothing_pushed(r)
    other.logout()
    r.close()


def test_selected_message_new_with_fetch_att(srv):
    r = login_raw(srv)
    lines = command(r, "s", "SELECT INBOX")
    assert "* 0 EXISTS" in lines
    lines = command(r, "n", "NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) "
                            "MessageExpunge FlagChange))")
    assert lines[-1] == "n OK NOTIFY completed."
    other = srv.login("alice")
    assert other.append("INBOX", None, None, MESSAGE)[0] == "OK"
    pushed = read_pushed_until(r, lambda line: "FETCH" in line)
    assert pushed[0] == "* 1 EXISTS"
    assert "* 1 RECENT" in pushed
    # read_line gives the literal's first line; the rest follows.
    # Header field names come back upper-cased, as FETCH writes them.
    assert pushed[-1] == "* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {18}"
    assert r.read_line() == "Subject: hello"
    assert r.read_line() == ""
    assert r.read_line() == ")"

    # A flag change by the other client: FETCH with UID and FLAGS.
    other.select("INBOX")
    assert other.store("1", "+FLAGS.SILENT", "(\\Flagged)")[0] == "OK"
    assert read_pushed_until(r, lambda line: "FETCH" in line) == ["* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))"]
    other.logout()
    r.close()


def test_badevent_and_bad_syntax(srv):
    r = login_raw(srv)
    assert command(r, "a", "NOTIFY SET (personal (AnnotationChange MessageNew MessageExpunge))") == [
        "a " + BADEVENT + " Unsupported NOTIFY events."]
    assert command(r, "b", "NOTIFY SET (personal (MailboxMetadataChange))") == [
        "b " + BADEVENT + " Unsupported NOTIFY events."]
    assert command(r, "c", "NOTIFY SET (personal (MessageNew))") == [
        "c BAD Error in IMAP command NOTIFY: MessageNew and MessageExpunge must be given together, "
        "and with FlagChange"]
    assert command(r, "d", "NOTIFY SET") == ["d BAD Error in IMAP command NOTIFY: Invalid arguments"]
    assert command(r, "e", "NOTIFY SET (bogus (MessageNew MessageExpunge))") == [
        "e BAD Error in IMAP command NOTIFY: Invalid arguments"]
    caps = command(r, "f", "CAPABILITY")
    assert " NOTIFY" in caps[0]
    r.close()


def test_idle_with_notify(srv):
    other = srv.login("alice")
    assert other.create("Other")[0] == "OK"
    r = login_raw(srv)
    assert command(r, "s", "SELECT INBOX")[-1].startswith("s OK ")
    assert command(r, "n", "NOTIFY SET (selected (MessageNew MessageExpunge)) "
                           "(personal (MessageNew MessageExpunge))")[-1] == "n OK NOTIFY completed."
    r.send_line("i IDLE")
    assert r.read_line() == "+ idling"
    assert other.append("Other", None, None, MESSAGE)[0] == "OK"
    assert read_pushed_until(r, lambda line: line.startswith("* STATUS")) == [
        "* STATUS Other (MESSAGES 1 UIDNEXT 2 UNSEEN 1)"]
    assert other.append("INBOX", None, None, MESSAGE)[0] == "OK"
    pushed = read_pushed_until(r, lambda line: line.endswith(" EXISTS"))
    assert "* 1 EXISTS" in pushed
    r.send_line("DONE")
    assert r.read_until_tagged("i")[-1] == "i OK Idle completed."
    other.logout()
    r.close()


def test_flag_change_status_items_with_condstore(srv):
    """RFC 5465 §3.1: with FlagChange NOTIFY SET STATUS has HIGHESTMODSEQ
    (Loft supports CONDSTORE) even before ENABLE; §5.1: with CONDSTORE
    enabled, a flag change elsewhere brings UIDVALIDITY and HIGHESTMODSEQ."""
    other = srv.login("alice")
    assert other.create("Other")[0] == "OK"
    assert other.append("Other", None, None, MESSAGE)[0] == "OK"
    r = login_raw(srv)
    lines = command(r, "n", "NOTIFY SET STATUS (mailboxes Other (MessageNew MessageExpunge FlagChange))")
    assert lines[-1] == "n OK NOTIFY completed."
    assert len(lines) == 2 and lines[0].startswith("* STATUS Other (MESSAGES 1 UIDNEXT 2 UIDVALIDITY "), lines
    assert " UNSEEN 1 HIGHESTMODSEQ " in lines[0], lines
    assert command(r, "e", "ENABLE CONDSTORE") == ["* ENABLED CONDSTORE", "e OK Enabled."]
    assert other.select("Other")[0] == "OK"
    assert other.store("1", "+FLAGS.SILENT", "($Junk)")[0] == "OK"
    pushed = read_pushed_until(r, lambda line: line.startswith("* STATUS Other"))
    assert len(pushed) == 1 and pushed[0].startswith("* STATUS Other (MESSAGES 1 UIDNEXT 2 UIDVALIDITY "), pushed
    assert " UNSEEN 1 HIGHESTMODSEQ " in pushed[0], pushed
    other.logout()
    r.close()


def test_metadata_events_hide_urlauth_keys(build_dir, tmp_path):
    """Another client's GENURLAUTH and RESETKEY write the mailbox's URLAUTH
    key (an internal METADATA entry): no METADATA line names it; a visible
    entry set afterwards is the only one reported."""
    config = ("imap_metadata = yes\nmail_attribute_dict = file:%h/dovecot-attributes\n"
              "imap_urlauth_host = mail.example.org\nimap_idle_notify_interval = 10 mins\n")
    with ImapServer(build_dir, tmp_path, extra_config=config, tls=False) as server:
        setup = server.login("alice")
        assert setup.append("INBOX", None, None, MESSAGE)[0] == "OK"
        setup.logout()
        r = login_raw(server)
        assert command(r, "n", "NOTIFY SET (personal (MailboxMetadataChange ServerMetadataChange))") == [
            "n OK NOTIFY completed."]
        b = login_raw(server)
        rump = "imap://alice@mail.example.org/INBOX/;uid=1;urlauth=anonymous"
        assert command(b, "g", f'GENURLAUTH "{rump}" INTERNAL')[-1] == "g OK GENURLAUTH completed."
        assert command(b, "k", "RESETKEY INBOX") == ["k OK [URLMECH INTERNAL] Key reset."]
        assert command(b, "s", 'SETMETADATA INBOX (/private/comment "c")') == ["s OK Setmetadata completed."]
        pushed = read_pushed_until(r, lambda line: line.startswith("* METADATA"))
        assert pushed == ["* METADATA INBOX /private/comment"]
        assert command(b, "k2", "RESETKEY") == ["k2 OK All keys removed."]
        assert command(r, "x", "NOOP") == ["x OK NOOP completed."]
        b.close()
        r.close()
