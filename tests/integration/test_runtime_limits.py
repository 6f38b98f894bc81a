"""Limits in the network runtime, through loft-echod: the per-IP connection
cap, the line length bound (and bounded memory), idle timeouts, client_limit,
and the admin socket's WHO / KICK."""
import socket
import threading

from echod_util import WAIT, LineClient, echod, wait_for  # noqa: F401


def test_per_ip_cap_refuses_the_next_connection_with_a_clear_message(echod):
    e = echod("login_max_connections_per_ip = 2\n")
    e.wait_idle()
    first, second = e.connect(), e.connect()
    assert first.readline() == "* OK echo ready"
    assert second.readline() == "* OK echo ready"
    third = e.connect()
    assert third.readline() == "* BYE Too many connections from your IP"
    assert third.closed_by_server()
    third.close()
    assert "too many connections from this IP" in e.log()
    # A slot frees when a connection ends.
    assert first.cmd("QUIT") == "OK bye"
    first.close()

    def fourth_gets_in():
        c = e.connect()
        line = c.readline()
        c.close()
        return line == "* OK echo ready"
    wait_for(fourth_gets_in, "a connection after one closed")
    second.close()


def test_a_10mb_line_is_cut_off_without_memory_growth(echod):
    e = echod(args=["--max-line", "8192"])
    # Warm up: one normal session so allocator pools exist before measuring.
    c = e.connect()
    assert c.readline() == "* OK echo ready"
    assert c.cmd("ECHO " + "x" * 8000) == "* " + "x" * 8000
    c.close()
    hwm_before = e.vm_status("VmHWM")

    c = e.connect()
    assert c.readline() == "* OK echo ready"
    got = []

    def reader():
        try:
            while True:
                line = c.readline()
                got.append(line)
                if not line:
                    break
        except OSError:
            got.append("")
    t = threading.Thread(target=reader)
    t.start()
    chunk = b"A" * 65536
    try:
        for _ in range(160):  # 10 MB, no newline
            c.sock.sendall(chunk)
    except OSError:
        pass  # the server closed on us, as it should
    t.join(WAIT)
    c.close()
    assert got and got[0] == "BAD line too long"
    hwm_after = e.vm_status("VmHWM")
    # Generous: the point is that 10 MB were not buffered.
    assert hwm_after - hwm_before < 4 * 1024, (hwm_before, hwm_after)
    # The server is fine afterwards.
    c = e.connect()
    assert c.readline() == "* OK echo ready"
    assert c.cmd("ECHO ok") == "* ok"
    c.close()


def test_idle_clients_are_disconnected(echod):
    e = echod(args=["--idle-timeout", "1"])
    c = e.connect()
    assert c.readline() == "* OK echo ready"
    assert c.readline() == "* BYE idle timeout"
    assert c.closed_by_server()
    c.close()


def test_client_limit_stops_accepting_until_a_slot_frees(echod):
    e = echod(start=False)
    e.listeners["echo"] = {}
    e.settings += ""
    text = e.config_path.read_text().replace("service echo {", "service echo {\n  client_limit = 1")
    e.config_path.write_text(text)
    e.start()
    a = e.connect()
    assert a.readline() == "* OK echo ready"
    # The kernel accepts the TCP connection into the backlog, but the server
    # does not take it (no greeting) while it is full.
    b = e.connect()
    b.sock.settimeout(0.5)
    try:
        early = b.sock.recv(100)
    except socket.timeout:
        early = None
    assert early is None
    b.sock.settimeout(WAIT)
    assert a.cmd("QUIT") == "OK bye"
    a.close()
    assert b.readline() == "* OK echo ready"
    b.close()


def test_admin_socket_who_and_kick(echod):
    e = echod()
    alice = e.connect()
    assert alice.readline() == "* OK echo ready"
    assert alice.cmd("LOGIN alice") == "OK logged in"
    anon = e.connect()
    assert anon.readline() == "* OK echo ready"

    hello, (who,) = e.admin("WHO")
    assert hello == "VERSION\tloft-admin\t1\t0"
    assert who[-1] == "OK"
    rows = [line.split("\t") for line in who[:-1]]
    users = {r[2]: r for r in rows}
    assert "alice" in users and users["alice"][1] == "127.0.0.1" and users["alice"][3] == "logged-in"
    assert "" in users and users[""][3] == "pre-login"

    _, (kick, bad) = e.admin("KICK\talice", "FROB")
    assert kick[-1] == "OK" and len(kick) == 2
    assert bad[0].startswith("ERROR\t")
    assert alice.readline() == "* BYE kicked by admin"
    assert alice.closed_by_server()
    assert anon.cmd("ECHO still") == "* still"
    alice.close()
    anon.close()


def test_per_ip_count_is_shared_between_worker_processes(build_dir, tmp_path):
    """Two workers serve one inherited listening socket (LISTEN_FDS, as loftd
    passes it). Worker A holds one connection and is full (client_limit 1),
    so the next ones go to worker B, which must count A's connection too."""
    import os
    import subprocess
    from echod_util import Echod, free_port

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    base = tmp_path / "run"
    exe = str(build_dir / "tests" / "support" / "loft-echod")
    procs = []

    def start_worker(name, client_limit):
        conf = tmp_path / f"{name}.conf"
        conf.write_text(f"base_dir = {base}\nlog_path = {tmp_path / (name + '.log')}\n"
                        "login_max_connections_per_ip = 2\n"
                        f"service echo {{\n  client_limit = {client_limit}\n"
                        f"  inet_listener echo {{\n    address = 127.0.0.1\n    port = {free_port()}\n  }}\n}}\n")
        fd = listener.fileno()

        def as_fd3():
            os.dup2(fd, 3)
        # LISTEN_PID must be the worker's own pid: set it in a shell that then execs.
        p = subprocess.Popen(["/bin/sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=echo/echo exec "$@"',
                              "sh", exe, "-c", str(conf)], preexec_fn=as_fd3, pass_fds=(3, fd))
        procs.append(p)
        wait_for(lambda: "Listening on" in (tmp_path / (name + ".log")).read_text()
                 if (tmp_path / (name + ".log")).exists() else False, f"worker {name} to start")
        return p

    try:
        start_worker("a", 1)
        c1 = LineClient.connect(port)
        assert c1.readline() == "* OK echo ready"  # served by A, which is now full
        start_worker("b", 5)
        c2 = LineClient.connect(port)
        assert c2.readline() == "* OK echo ready"  # B: one in A + this one = 2
        c3 = LineClient.connect(port)
        assert c3.readline() == "* BYE Too many connections from your IP"
        assert "too many connections" in (tmp_path / "b.log").read_text()
        for c in (c1, c2, c3):
            c.close()
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=WAIT)
        listener.close()


def test_unix_listener(echod):
    e = echod(start=False)
    text = e.config_path.read_text().replace("service echo {",
                                             "service echo {\n  unix_listener echo-socket {\n    mode = 0660\n  }")
    e.config_path.write_text(text)
    e.start()
    path = e.base_dir / "echo-socket"
    wait_for(path.exists, "the unix socket")
    assert oct(path.stat().st_mode & 0o777) == "0o660"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(path))
    c = LineClient(s)
    assert c.readline() == "* OK echo ready"
    assert c.cmd("WHOAMI").startswith("* WHOAMI ip= ")
    c.close()


def test_the_protocols_max_line_length_setting_decides_the_cut_off_and_reload_changes_it(echod):
    import signal
    e = echod("imap_max_line_length = 200\n", args=["--protocol", "imap"])
    c = e.connect()
    assert c.readline() == "* OK echo ready"
    assert c.cmd("ECHO " + "a" * 100) == "* " + "a" * 100
    assert c.cmd("ECHO " + "b" * 400) == "BAD line too long"
    assert c.closed_by_server()
    c.close()
    # A setting of another protocol does not apply.
    old = e.connect()
    assert old.readline() == "* OK echo ready"
    e.settings = "imap_max_line_length = 1k\nmanagesieve_max_line_length = 100\n"
    e.write_config()
    e.signal(signal.SIGHUP)
    wait_for(lambda: "Configuration reloaded" in e.log(), "the reload")
    # New connections get the new limit ...
    c = e.connect()
    assert c.readline() == "* OK echo ready"
    assert c.cmd("ECHO " + "c" * 400) == "* " + "c" * 400
    c.close()
    # ... the open one keeps the limit it started with.
    assert old.cmd("ECHO " + "d" * 400) == "BAD line too long"
    old.close()


def test_login_inactivity_timeout_from_the_config_disconnects_idle_clients(echod):
    e = echod("login_inactivity_timeout = 1s\n")
    c = e.connect()
    assert c.readline() == "* OK echo ready"
    assert c.readline() == "* BYE idle timeout"
    assert c.closed_by_server()
    c.close()


def test_client_limit_reached_is_logged_once_per_episode(echod):
    e = echod("default_client_limit = 1\n")
    a = e.connect()
    assert a.readline() == "* OK echo ready"
    waiting = [e.connect() for _ in range(3)]
    line = "service echo: client_limit (1) reached, new connections wait; raise client_limit or process_limit"
    wait_for(lambda: line in e.log(), "the client_limit warning")
    # The waiting clients get in one by one, without a warning each time.
    assert a.cmd("QUIT") == "OK bye"
    a.close()
    for c in waiting:
        assert c.readline() == "* OK echo ready"
        assert c.cmd("QUIT") == "OK bye"
        c.close()
    assert e.log().count("client_limit (1) reached") == 1
    # Once the worker is idle, the next saturation is a new episode.
    wait_for(lambda: e.admin("WHO")[1][0] == ["OK"], "all connections to end")
    b = e.connect()
    assert b.readline() == "* OK echo ready"
    c = e.connect()
    wait_for(lambda: e.log().count("client_limit (1) reached") == 2, "the second episode's warning")
    b.close()
    assert c.readline() == "* OK echo ready"
    c.close()
