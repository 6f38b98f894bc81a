"""loft-imapd's direct I/O (docs/imapd.md, "Threads and I/O").

Once a plaintext session is logged in, the blocking-pool job that runs a
command also writes its answer and waits briefly for the next command on the
same thread (daemons/common/direct_io.hpp). These tests hold that path to
what clients rely on: with more sessions than pool threads every session
progresses and every answer is right; a session that stops half-way through
a command never holds the pool from the others; IDLE and pipelining behave
as before.
"""
import threading

from imapd_util import ImapServer, RawClient


def message(user: str, n: int) -> bytes:
    body = "".join(f"line {i} of message {n} for {user}\r\n" for i in range(20 + 7 * n))
    return (f"From: sender@example.org\r\nTo: {user}@example.org\r\nSubject: m{n}\r\n"
            f"Message-ID: <{user}.{n}@direct.test>\r\n\r\n{body}").encode()


def login(srv: ImapServer, user: str) -> RawClient:
    c = RawClient.connect(srv.host, srv.port)
    assert c.read_greeting().startswith("* OK")
    c.send_line(f"a LOGIN {user} secret")
    assert c.read_until_tagged("a")[-1].startswith("a OK")
    return c


def ok(c: RawClient, tag: str, command: str) -> list[str]:
    c.send_line(f"{tag} {command}")
    lines = c.read_until_tagged(tag)
    assert lines[-1].startswith(f"{tag} OK"), lines
    return lines


def append(c: RawClient, tag: str, data: bytes) -> str:
    c.send_line(f"{tag} APPEND INBOX {{{len(data)}}}")
    assert c.read_line().startswith("+ ")
    c.send(data + b"\r\n")
    lines = c.read_until_tagged(tag)
    assert lines[-1].startswith(f"{tag} OK [APPENDUID "), lines
    return lines[-1].split()[4].rstrip("]")


def test_more_sessions_than_pool_threads_all_complete(build_dir, tmp_path):
    """Six users' sessions on a pool of two threads, each appending,
    fetching, flagging and expunging in turn: each sees exactly its own
    messages, bytes and flags."""
    users = [f"u{i}" for i in range(6)]
    srv = ImapServer(build_dir, tmp_path, users=users, tls=False, start=False)
    srv.daemon_args = ("--threads", "2")
    errors: list[str] = []
    lock = threading.Lock()

    def session(user: str) -> None:
        try:
            c = login(srv, user)
            ok(c, "s", "SELECT INBOX")
            kept: dict[str, bytes] = {}
            for n in range(1, 13):
                data = message(user, n)
                uid = append(c, f"p{n}", data)
                kept[uid] = data
                lines = ok(c, f"f{n}", f"UID FETCH {uid} (UID BODY.PEEK[])")
                assert f"{{{len(data)}}}" in lines[0], lines[0]
                lines = ok(c, f"t{n}", f"UID STORE {uid} +FLAGS (\\Seen)")
                assert any("\\Seen" in line for line in lines), lines
                if n % 3 == 0:
                    ok(c, f"d{n}", f"UID STORE {uid} +FLAGS.SILENT (\\Deleted)")
                    ok(c, f"e{n}", f"UID EXPUNGE {uid}")
                    del kept[uid]
            lines = ok(c, "z", "UID FETCH 1:* (UID FLAGS)")
            seen = sorted(line.split("UID ")[1].split()[0] for line in lines[:-1])
            assert seen == sorted(kept), (seen, sorted(kept))
            assert all("\\Seen" in line for line in lines[:-1]), lines
            ok(c, "x", "LOGOUT")
            c.close()
        except Exception as e:  # reported below, with the user
            with lock:
                errors.append(f"{user}: {e!r}")

    with srv:
        srv.start()
        threads = [threading.Thread(target=session, args=(u,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        assert not any(t.is_alive() for t in threads), "a session did not finish"
        assert errors == []


def test_a_half_sent_command_does_not_hold_the_pool(build_dir, tmp_path):
    """With one pool thread: a session stops in the middle of an APPEND
    literal and in the middle of a command line; another user's commands
    are still answered, and the first session's command completes when the
    rest arrives."""
    srv = ImapServer(build_dir, tmp_path, tls=False, start=False)
    srv.daemon_args = ("--threads", "1")
    with srv:
        srv.start()
        stuck = login(srv, "alice")
        ok(stuck, "s", "SELECT INBOX")
        data = message("alice", 1)
        stuck.send_line(f"p APPEND INBOX {{{len(data)}}}")
        assert stuck.read_line().startswith("+ ")
        stuck.send(data[:100])

        other = login(srv, "bob")
        ok(other, "s", "SELECT INBOX")
        ok(other, "n", "NOOP")
        uid = append(other, "p", message("bob", 1))
        ok(other, "t", f"UID STORE {uid} +FLAGS (\\Flagged)")

        stuck.send(data[100:] + b"\r\n")
        lines = stuck.read_until_tagged("p")
        assert lines[-1].startswith("p OK [APPENDUID "), lines
        stuck.send(b"n NO")  # half a line
        ok(other, "n2", "NOOP")
        stuck.send(b"OP\r\n")
        assert stuck.read_until_tagged("n")[-1].startswith("n OK")
        lines = ok(stuck, "f", "FETCH 1 (BODY.PEEK[])")
        assert f"{{{len(data)}}}" in lines[0]
        ok(stuck, "x", "LOGOUT")
        ok(other, "x", "LOGOUT")


def test_idle_and_pipelining_after_direct_commands(build_dir, tmp_path):
    """A session that ran commands on the direct path still gets EXISTS in
    IDLE when another session appends, and a pipelined batch is answered in
    order."""
    srv = ImapServer(build_dir, tmp_path, tls=False, start=False)
    srv.daemon_args = ("--threads", "2")
    with srv:
        srv.start()
        idler = login(srv, "alice")
        ok(idler, "s", "SELECT INBOX")
        ok(idler, "n", "NOOP")
        idler.send_line("i IDLE")
        assert idler.read_line().startswith("+ ")
        writer = login(srv, "alice")
        append(writer, "p", message("alice", 1))
        updates = [idler.read_line() for _ in range(1)]
        while updates[-1] != "* 1 EXISTS" and len(updates) < 5:
            updates.append(idler.read_line())
        assert updates[-1] == "* 1 EXISTS", updates
        idler.send_line("DONE")
        assert idler.read_until_tagged("i")[-1].startswith("i OK")

        writer.send(b"".join(f"q{k} NOOP\r\n".encode() for k in range(20)) + b"q20 SELECT INBOX\r\n")
        for k in range(20):
            assert writer.read_until_tagged(f"q{k}")[-1].startswith(f"q{k} OK")
        assert writer.read_until_tagged("q20")[-1].startswith("q20 OK")
        ok(idler, "x", "LOGOUT")
        ok(writer, "x", "LOGOUT")
