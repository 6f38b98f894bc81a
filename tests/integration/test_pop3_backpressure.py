"""loft-pop3d's output to slow and fast readers (docs/pop3d.md, "Limits").

A logged-in plaintext session writes its answers from the blocking-pool
thread that ran the command and reads the next command there too
(daemons/common/direct_io.hpp). These tests hold that path to the daemon's
promises: a client that stops reading never makes the server hold more than
the session's output_high_water (256 KiB) of the message, the bytes are
intact however the reader paces itself, and pipelined commands are answered
in order, each completely before the next.
"""
import socket
import subprocess
import time

import pytest

from pop3d_util import Pop3Server, RawPop, crlf, message, undot


@pytest.fixture
def srv(build_dir, tmp_path):
    with Pop3Server(build_dir, tmp_path, tls=False) as s:
        yield s


@pytest.fixture
def login(srv):
    """login(rcvbuf=None): a session logged in as alice. `rcvbuf` sets the
    client's receive buffer before it connects (the window the server is
    offered), so that the server's socket fills after a few kilobytes."""
    def open_session(rcvbuf: int | None = None) -> RawPop:
        if rcvbuf is None:
            c = srv.raw()
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.settimeout(30)
            sock.connect((srv.host, srv.port))
            c = RawPop(sock)
        c.greeting()
        c.login("alice", "secret")
        return c
    return open_session


@pytest.fixture
def kick(srv):
    """kick(user): `loftadm kick USER`, which must succeed; its output."""
    exe = srv.build_dir / "daemons" / "loftadm" / "loftadm"
    if not exe.exists():
        pytest.skip("loftadm is not built")

    def run(user: str) -> str:
        out = subprocess.run([str(exe), "-c", str(srv.config_path), "kick", user], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout
    return run


def rss_anon_kib(pid: int) -> int:
    """Anonymous resident memory of the process (heap and stacks: where
    buffered output would live; mapped mail files do not count)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise AssertionError("no RssAnon in /proc/PID/status")


def big_message(lines: int) -> bytes:
    # Bare LF line ends and lines starting with "." (stuffed on the wire).
    body = b"".join(b"." * (i % 3) + f"line {i:08d} ".encode() + b"y" * 200 + b"\n" for i in range(lines))
    return b"Subject: big\nMessage-ID: <big@pop3.test>\n\n" + body


def test_a_reader_that_stops_holds_the_server_output_bounded(srv, login):
    big = big_message(160_000)  # about 34 MB
    assert len(big) > 32 * 1024 * 1024
    srv.deliver("alice", big)
    # A small receive window: the server's socket fills after a few hundred
    # kilobytes and the rest must wait in the mail file, not in memory.
    c = login(rcvbuf=4096)
    assert c.cmd("STAT") == f"+OK 1 {len(crlf(big))}"
    before = rss_anon_kib(srv.pid)
    c.send_line("RETR 1")
    # Not reading: watch the server's memory while it has nowhere to write.
    peak = before
    for _ in range(10):
        time.sleep(0.1)
        peak = max(peak, rss_anon_kib(srv.pid))
    # 256 KiB of session output plus buffers and stacks; the whole message
    # (33 MB) buffered would exceed this many times over.
    assert peak - before < 8 * 1024, f"RssAnon grew by {peak - before} KiB while the client did not read"
    # Now read, slowly at first (each pause fills the socket again), then
    # at full speed: every byte arrives, in order, stuffed and CRLF.
    assert c.line() == f"+OK {len(crlf(big))} octets"
    for _ in range(5):
        c.buf += c.sock.recv(65536)
        time.sleep(0.05)
    wire = c.read_multi_raw()
    assert undot(wire) == crlf(big)
    assert c.cmd("NOOP") == "+OK"
    assert c.cmd("QUIT") == "+OK Logging out."
    assert c.closed_by_server()
    log = srv.wait_log("Logged out")
    assert f"retr=1/{len(f'+OK {len(crlf(big))} octets') + 2 + len(wire)}, " in log


def test_pipelined_commands_are_answered_in_order(srv, login):
    small = [message(n, body_lines=n) for n in range(1, 6)]
    big = big_message(3_000)  # more than one 256 KiB piece
    for m in small[:2] + [big] + small[2:]:
        srv.deliver("alice", m)
    msgs = small[:2] + [big] + small[2:]
    c = login()
    # One write: every command arrives before the first answer goes out.
    c.send(b"".join(f"RETR {i}\r\n".encode() for i in range(1, 7)) + b"LIST 3\r\nRETR 9\r\nNOOP\r\n")
    for i, m in enumerate(msgs, start=1):
        assert c.line() == f"+OK {len(crlf(m))} octets", f"RETR {i}"
        assert undot(c.read_multi_raw()) == crlf(m), f"RETR {i}"
    assert c.line() == f"+OK 3 {len(crlf(big))}"
    assert c.line() == "-ERR There's no message 9."
    assert c.line() == "+OK"
    assert c.cmd("QUIT") == "+OK Logging out."
    assert c.closed_by_server()


def test_a_client_that_drops_mid_retr_deletes_nothing(srv, login):
    big = big_message(20_000)
    srv.deliver("alice", big)
    srv.deliver("alice", message(2))
    c = login()
    assert c.cmd("DELE 2") == "+OK Marked to be deleted."
    c.send_line("RETR 1")
    assert c.line() == f"+OK {len(crlf(big))} octets"
    c.sock.recv(65536)
    c.close()  # RFC 1939 §6: no QUIT, no UPDATE state
    srv.wait_log("Disconnected: Connection closed")
    assert len(srv.mail_files("alice")) == 2
    again = login()
    assert again.cmd("STAT") == f"+OK 2 {len(crlf(big)) + len(crlf(message(2)))}"


def test_more_sessions_than_pool_threads_all_complete(build_dir, tmp_path):
    """Six sessions on a pool of two threads. A thread that waits (lingers)
    for its session's next command gives itself up as soon as another
    session's command is queued (BlockingPool::wake_fd), so every session
    progresses and every answer is intact. Latencies are printed (run with
    -s), never asserted: without the wake-up, a queued command waited for
    a whole linger (2 ms) behind each lingering thread."""
    import statistics
    import threading

    srv = Pop3Server(build_dir, tmp_path, users=[f"u{i}" for i in range(6)], tls=False, start=False)
    srv.daemon_args = ("--threads", "2")
    with srv:
        srv.start()
        msgs = [message(n, body_lines=200 + 37 * n) for n in range(1, 5)]
        for u in srv.users:
            for m in msgs:
                srv.deliver(u, m)
        rounds = 40
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(len(srv.users))

        def session(user: str) -> None:
            try:
                c = RawPop.connect(srv.host, srv.port)
                c.greeting()
                c.login(user, "secret")
                start.wait(timeout=30)
                mine = []
                for r in range(rounds):
                    i = r % len(msgs)
                    t0 = time.perf_counter()
                    c.send_line(f"RETR {i + 1}")
                    head = c.line()
                    body = undot(c.read_multi_raw())
                    mine.append(time.perf_counter() - t0)
                    assert head == f"+OK {len(crlf(msgs[i]))} octets", head
                    assert body == crlf(msgs[i]), f"{user} RETR {i + 1}"
                assert c.cmd("QUIT") == "+OK Logging out."
                assert c.closed_by_server()
                with lock:
                    latencies.extend(mine)
            except Exception as e:  # reported below, with the user
                with lock:
                    errors.append(f"{user}: {e!r}")

        threads = [threading.Thread(target=session, args=(u,)) for u in srv.users]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "a session did not finish"
        assert errors == []
        assert len(latencies) == rounds * len(srv.users)
        assert srv.log_text().count("Disconnected: Logged out") == len(srv.users)
        ms = sorted(x * 1000 for x in latencies)
        print(f"\nRETR latency over {len(ms)} commands, 6 sessions on 2 pool threads: "
              f"p50 {statistics.median(ms):.2f} ms, p90 {ms[len(ms) * 9 // 10]:.2f} ms, max {ms[-1]:.2f} ms")


def test_a_kick_ends_a_long_retr_to_a_slow_reader(srv, login, kick):
    """loftadm kick while a big RETR goes out to a client that reads slowly:
    the job that writes it sees the kick between pieces and the connection
    ends (no line can be added inside a multi-line answer), long before the
    message is through; not QUIT, so nothing is deleted (RFC 1939 §6)."""
    big = big_message(160_000)  # about 34 MB
    srv.deliver("alice", big)
    srv.deliver("alice", message(2))
    c = login(rcvbuf=65536)
    assert c.cmd("DELE 2") == "+OK Marked to be deleted."
    c.send_line("RETR 1")
    assert c.line() == f"+OK {len(crlf(big))} octets"
    got = 0
    for _ in range(5):  # the answer is under way, paced by the reader
        got += len(c.sock.recv(65536))
        time.sleep(0.02)
    assert kick("alice") == "kicked connections from the following users:\nalice (1 connection)\n"
    # Keep reading slowly: at 64 KiB per 30 ms the message would take about
    # sixteen seconds; the server must close well before it is through.
    deadline = time.monotonic() + 10
    closed = False
    while time.monotonic() < deadline:
        chunk = c.sock.recv(65536)
        if not chunk:
            closed = True
            break
        got += len(chunk)
        time.sleep(0.03)
    assert closed, f"still sending after the kick ({got} bytes read)"
    assert got < len(crlf(big))
    log = srv.wait_log("Disconnected by administrator top=")
    assert ", del=0/" in log.split("Disconnected by administrator top=")[1].splitlines()[0]
    assert len(srv.mail_files("alice")) == 2


def test_a_kick_ends_a_long_retr_to_a_reader_that_stopped(srv, login, kick):
    """The same kick while the client reads nothing at all: the server's
    pending write is given up, not held until the idle timeout."""
    big = big_message(160_000)
    srv.deliver("alice", big)
    c = login(rcvbuf=4096)
    c.send_line("RETR 1")
    time.sleep(0.5)  # the socket fills; the server waits for room
    kick("alice")
    srv.wait_log("Disconnected by administrator top=", timeout=10)
    got = len(c.buf)
    while chunk := c.sock.recv(65536):
        got += len(chunk)
    assert got < len(crlf(big))
    assert len(srv.mail_files("alice")) == 1
