"""Process lifecycle of a runtime-based daemon, through loft-echod: graceful
shutdown with a command in flight, idle clients told goodbye, SIGUSR1 log
reopening, repeated SIGTERMs, SIGUSR2 retiring."""
import os
import signal
import time

from echod_util import echod, wait_for  # noqa: F401


def test_sigterm_lets_the_in_flight_command_finish_then_exits_0(echod):
    e = echod()
    busy = e.connect()
    idle = e.connect()
    assert busy.readline() == "* OK echo ready"
    assert idle.readline() == "* OK echo ready"
    busy.send("SLEEP 1500\r\n")
    # Wait until the command is running in the blocking pool.
    wait_for(lambda: any(line.split("\t")[3] == "SLEEP" for line in e.admin("WHO")[1][0][:-1]),
             "the SLEEP command to be in flight")
    e.signal(signal.SIGTERM)
    # The idle client is told at once; the busy one gets its reply first.
    assert idle.readline() == "* BYE server shutting down"
    assert busy.readline() == "OK slept"
    assert busy.readline() == "* BYE server shutting down"
    assert busy.closed_by_server()
    assert e.wait_exit() == 0
    busy.close()
    idle.close()
    assert "Shutdown complete" in e.log()
    # The admin socket is removed on exit.
    assert not list((e.base_dir / "admin").glob("*.sock"))


def test_no_new_connections_after_shutdown_began(echod):
    e = echod()
    c = e.connect()
    assert c.readline() == "* OK echo ready"
    c.send("SLEEP 1000\r\n")
    wait_for(lambda: "SLEEP" in "".join(e.admin("WHO")[1][0]), "the SLEEP command to be in flight")
    e.signal(signal.SIGTERM)
    assert c.readline() == "OK slept"

    def refused():
        try:
            x = e.connect()
        except ConnectionRefusedError:
            return True
        x.close()
        return False
    wait_for(refused, "the listener to close")
    assert e.wait_exit() == 0
    c.close()


def test_sigusr1_reopens_the_log_file(echod):
    e = echod()
    c = e.connect()
    assert c.readline() == "* OK echo ready"
    c.close()
    wait_for(lambda: "Connect from" in e.log(), "the first log lines")
    rotated = e.log_path.with_suffix(".log.1")
    os.rename(e.log_path, rotated)
    e.signal(signal.SIGUSR1)
    wait_for(lambda: e.log_path.exists() and "Log files reopened" in e.log(), "a new log file")
    c = e.connect()
    assert c.readline() == "* OK echo ready"
    assert c.cmd("LOGIN bob") == "OK logged in"
    c.close()
    wait_for(lambda: "Login: user=<bob>" in e.log(), "new lines in the new file")
    assert "Login: user=<bob>" not in rotated.read_text()
    assert "Listening on" in rotated.read_text()
    # Session lines carry the Dovecot-style prefix: echo(bob)<pid><session>.
    assert f"echo(bob)<{e.proc.pid}><" in e.log()


def test_two_sigterms_in_quick_succession_still_exit_0(echod):
    # A supervisor that signals the worker and then its process group sends
    # SIGTERM twice; the second may land at any point of the shutdown.
    # A fraction of a millisecond apart is the case that used to hang (or
    # die of the second signal) most often.
    delays = [0.0, 0.0001, 0.0002, 0.0003, 0.0005] * 3 + [0.001, 0.005, 0.02, 0.05]
    for i, delay in enumerate(delays):
        e = echod()
        if i % 2:
            c = e.connect()
            assert c.readline() == "* OK echo ready"
        else:
            c = None
        os.kill(e.proc.pid, signal.SIGTERM)
        time.sleep(delay)
        try:
            os.kill(e.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        assert e.wait_exit() == 0, f"round {i}: {e.log()}"
        if c:
            c.close()


def test_sigterm_after_shutdown_complete_is_harmless(echod):
    e = echod()
    e.signal(signal.SIGTERM)
    for _ in range(20):
        if e.proc.poll() is not None:
            break
        e.signal(signal.SIGTERM)
        time.sleep(0.002)
    assert e.wait_exit() == 0


def test_sigusr2_retires_listeners_and_finishes_open_connections(echod):
    e = echod()
    held = e.connect()
    assert held.readline() == "* OK echo ready"
    e.signal(signal.SIGUSR2)
    wait_for(lambda: "Retiring" in e.log(), "the retire to begin")

    def refused():
        try:
            x = e.connect()
        except ConnectionRefusedError:
            return True
        x.close()
        return False
    wait_for(refused, "the listener to close")
    # The idle client was not dropped and is still served.
    assert held.cmd("ECHO still here") == "* still here"
    assert e.proc.poll() is None
    assert held.cmd("QUIT") == "OK bye"
    assert held.closed_by_server()
    held.close()
    assert e.wait_exit() == 0
    assert "Shutdown complete" in e.log()


def test_sigterm_during_retire_shuts_down_the_remaining_connections(echod):
    e = echod()
    held = e.connect()
    assert held.readline() == "* OK echo ready"
    e.signal(signal.SIGUSR2)
    wait_for(lambda: "Retiring" in e.log(), "the retire to begin")
    assert held.cmd("ECHO x") == "* x"
    e.signal(signal.SIGTERM)
    assert held.readline() == "* BYE server shutting down"
    assert e.wait_exit() == 0
    held.close()


def test_sigusr2_with_no_connections_exits_at_once(echod):
    e = echod()
    e.signal(signal.SIGUSR2)
    assert e.wait_exit() == 0
    assert "Retired" in e.log() or "Shutdown complete" in e.log()


def test_log_pipe_mode_writes_framed_records_to_stderr_and_opens_no_file(echod, tmp_path):
    # As under loftd after dropping root: log_path names a file the worker
    # cannot open, and LOFT_LOG_PIPE=1 says stderr is loftd's pipe.
    e = echod(f"log_path = {tmp_path}/no-such-dir/root-only.log\n", start=False, env={"LOFT_LOG_PIPE": "1"})
    e.log_path = tmp_path / "no-such-dir" / "root-only.log"
    e.write_config()
    e.start()
    c = e.connect()
    assert c.readline() == "* OK echo ready"
    assert c.cmd("LOGIN eve\x1b[31m") == "OK logged in"
    c.close()
    wait_for(lambda: "Login: user=<" in e.log(), "the login line on stderr")
    e.signal(signal.SIGUSR1)  # nothing to reopen; must not disturb anything
    e.signal(signal.SIGTERM)
    assert e.wait_exit() == 0
    raw = (e.dir / "echod.stderr").read_bytes()
    lines = raw.split(b"\n")
    assert lines[-1] == b""
    for line in lines[:-1]:
        assert line[:1] == b"\x01" and line[1:2] in b"DIWEF", line
        assert b"\x1b" not in line and b"\r" not in line
    assert b"\x01Iecho: Info: Listening on 127.0.0.1" in raw
    assert b"\x01Iecho: Info: Shutdown complete" in raw
    assert b"Login: user=<eve\\x1b[31m>" in raw
    assert not e.log_path.parent.exists()


def _cmdline(pid):
    return open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")


def test_verbose_proctitle_shows_the_connection_count_in_ps(echod):
    e = echod(settings="verbose_proctitle = yes")
    c = e.connect()
    assert c.readline() == "* OK echo ready"
    wait_for(lambda: "[1 connections]" in _cmdline(e.proc.pid), "the title to count one connection")
    c.send("QUIT\r\n")
    c.close()
    wait_for(lambda: "[0 connections]" in _cmdline(e.proc.pid), "the title to count no connection")


def test_without_verbose_proctitle_the_title_names_only_the_service(echod):
    # Like Dovecot's "dovecot/imap": ps shows which service, not its load.
    e = echod()
    c = e.connect()
    assert c.readline() == "* OK echo ready"
    c.send("ECHO x\r\n")
    assert c.readline() == "* x"
    assert _cmdline(e.proc.pid).split() == ["loft/echo"]
    c.close()
