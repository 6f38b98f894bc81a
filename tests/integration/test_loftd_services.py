"""loftd with configs shaped like real Dovecot installs: built-in listener
ports, bad ports, worker logs under a privilege drop, reloads that replace
workers without dropping connections, a static userdb's uid, process limits."""
from __future__ import annotations

import os
import pathlib
import pwd
import re
import signal
import socket

import pytest

from loftd_util import (DEFAULT_TIMEOUT, EchoClient, LoftdProcess, echo_config, echo_once, echod_binary, free_port,
                        make_key_pair, make_shared_tempdir, remove_tree, start_loftd, tls_echo_once, wait_until,  # noqa: F401
                        workdir)

IS_ROOT = os.geteuid() == 0


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def uid_of(pid: int) -> int:
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(next(l for l in status.splitlines() if l.startswith("Uid:")).split()[1])


def test_stock_dovecot_listeners_get_their_builtin_ports(build_dir, workdir, start_loftd):
    """Debian's 10-master.conf lists imap and imaps with their ports
    commented out: Dovecot listens on 143 and 993, and so does Loft."""
    if not IS_ROOT:
        pytest.skip("ports 143 and 993 need root")
    for port in (143, 993):
        if not port_is_free(port):
            pytest.skip(f"port {port} is in use on this machine")
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    make_key_pair(cert, key, "mail.example")
    loftd = start_loftd(f"""protocols = imap
listen = 127.0.0.1
base_dir = {workdir}/run
log_path = /dev/stderr
mail_uid = nobody
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
service imap-login {{
  executable = {echod_binary(build_dir)}
  inet_listener imap {{
    #port = 143
  }}
  inet_listener imaps {{
    #port = 993
    #ssl = yes
  }}
}}
""")
    assert loftd.wait_for_output(r"Loft \S+ is running"), loftd.output
    assert "imap on 127.0.0.1:143" in loftd.stdout, loftd.output
    assert "imaps (TLS) on 127.0.0.1:993" in loftd.stdout, loftd.output
    assert wait_until(lambda: echo_once(143) == "* hello"), loftd.output
    assert wait_until(lambda: (tls_echo_once(993) or (None, None))[1] == "* hello"), loftd.output


def test_port_above_65535_is_refused_with_file_and_line(build_dir, workdir, start_loftd):
    loftd = start_loftd(echo_config(workdir, echod_binary(build_dir), 99999))
    assert loftd.wait_exit() == 1
    assert re.search(rf"{re.escape(str(workdir / 'loft.conf'))}:\d+: .*99999", loftd.stderr), loftd.output
    assert "34463" not in loftd.output


def test_listen_hostname_binds_each_of_its_addresses(build_dir, workdir, start_loftd):
    port = free_port()
    config = echo_config(workdir, echod_binary(build_dir), port).replace("listen = 127.0.0.1",
                                                                         "listen = localhost, 127.0.0.1")
    loftd = start_loftd(config)
    assert loftd.wait_for_output(r"Loft \S+ is running"), loftd.output
    expected = sorted({info[4][0] for info in socket.getaddrinfo("localhost", port, type=socket.SOCK_STREAM)}
                      | {"127.0.0.1"})
    line = next(l for l in loftd.stdout.splitlines() if " imap on " in l)
    shown = sorted(re.findall(r"(?:\[([^\]]+)\]|(\d+\.\d+\.\d+\.\d+)):" + str(port), line))
    assert sorted(a or b for a, b in shown) == expected, loftd.output  # each address once
    assert wait_until(lambda: echo_once(port) == "* hello"), loftd.output


def test_worker_logs_reach_a_root_owned_log_file_and_sigusr1_reopens_it(build_dir, workdir, start_loftd):
    """Workers that dropped root cannot open loftd's log file; they write
    their lines to a pipe and loftd writes them, with their prefix."""
    if not IS_ROOT:
        pytest.skip("needs root: workers that drop root")
    logs = workdir / "logs"
    logs.mkdir(mode=0o700)
    log = logs / "loft.log"
    port = free_port()
    config = echo_config(workdir, echod_binary(build_dir), port, mail_uid="nobody")
    config = config.replace("log_path = /dev/stderr", f"log_path = {log}")
    loftd = start_loftd(config)
    assert loftd.wait_for_output(r"Loft \S+ is running"), loftd.output
    assert wait_until(lambda: echo_once(port) == "* hello"), loftd.output
    [worker] = loftd.wait_workers(1)
    assert uid_of(worker) == pwd.getpwnam("nobody").pw_uid

    connect = re.compile(rf"echo<{worker}><[^>]+>: Info: Connect from 127\.0\.0\.1")
    assert wait_until(lambda: log.exists() and connect.search(log.read_text())), \
        (log.read_text() if log.exists() else "no log file") + loftd.output
    text = log.read_text()
    assert "\x01" not in text  # the framing is gone
    assert "unexpectedly" not in text  # no crash loop
    assert loftd.workers() == [worker]

    # logrotate: rename, SIGUSR1, new lines go to a new file.
    rotated = logs / "loft.log.1"
    log.rename(rotated)
    os.kill(loftd.pid, signal.SIGUSR1)
    assert wait_until(lambda: echo_once(port, "again") == "* again" and log.exists()
                      and connect.search(log.read_text())), loftd.output
    assert loftd.workers() == [worker]


def test_reload_that_replaces_workers_keeps_idle_connections(build_dir, workdir, start_loftd):
    """A reload with a new listener starts a new generation of workers; the
    old one closes its listeners but keeps serving the connection it has."""
    port, extra_port = free_port(), free_port()
    conf = workdir / "loft.conf"
    loftd = start_loftd(echo_config(workdir, echod_binary(build_dir), port))
    assert loftd.wait_for_output(r"Loft \S+ is running"), loftd.output
    assert wait_until(lambda: echo_once(port) == "* hello"), loftd.output
    [old] = loftd.wait_workers(1)
    client = EchoClient(port)
    try:
        assert client.echo("before") == "* before"
        conf.write_text(conf.read_text().replace("  inet_listener imaps {",
                                                 f"  inet_listener extra {{\n    port = {extra_port}\n  }}\n"
                                                 "  inet_listener imaps {"))
        result = loftd.run_command("-c", str(conf), "reload")
        assert result.returncode == 0, result.stderr
        assert loftd.wait_for_output(r"service imap-login: configuration changed; replacing its workers"), \
            loftd.output
        assert wait_until(lambda: echo_once(extra_port) == "* hello"), loftd.output
        assert echo_once(port) == "* hello"
        # The idle client was not sent away: same worker, still answering.
        assert client.echo("after") == "* after"
        assert old in loftd.workers()
        assert "BYE" not in client.echo("still")
    finally:
        client.close()
    # With its last connection gone the old worker exits and is not restarted.
    assert wait_until(lambda: old not in loftd.workers()), loftd.output
    assert len(loftd.wait_workers(1)) == 1
    assert not re.search(rf"worker {old} .*unexpectedly", loftd.output), loftd.output
    assert echo_once(extra_port) == "* hello"


def test_stop_ends_retired_workers_too(build_dir, workdir, start_loftd):
    port, extra_port = free_port(), free_port()
    conf = workdir / "loft.conf"
    loftd = start_loftd(echo_config(workdir, echod_binary(build_dir), port))
    assert loftd.wait_for_output(r"Loft \S+ is running"), loftd.output
    assert wait_until(lambda: echo_once(port) == "* hello"), loftd.output
    [old] = loftd.wait_workers(1)
    client = EchoClient(port)
    try:
        conf.write_text(conf.read_text().replace(f"port = {port}", f"port = {extra_port}"))
        os.kill(loftd.pid, signal.SIGHUP)
        assert wait_until(lambda: echo_once(extra_port) == "* hello"), loftd.output
        assert old in loftd.workers()
        result = loftd.run_command("-c", str(conf), "stop")
        assert result.returncode == 0, result.stderr
        assert loftd.wait_exit() == 0
        assert wait_until(lambda: not os.path.exists(f"/proc/{old}")), loftd.output
    finally:
        client.close()


def test_static_userdb_uid_runs_the_workers(build_dir, workdir, start_loftd):
    if not IS_ROOT:
        pytest.skip("needs root: workers that drop root")
    port = free_port()
    config = echo_config(workdir, echod_binary(build_dir), port, mail_uid=None,
                         extra="userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=/var/vmail/%u\n}")
    loftd = start_loftd(config)
    assert loftd.wait_for_output(r"Loft \S+ is running"), loftd.output
    assert wait_until(lambda: echo_once(port) == "* hello"), loftd.output
    # The userdb makes loftd run loft-authd too (as root, for shadow/PAM).
    workers = loftd.wait_workers(2)
    [worker] = [w for w in workers if os.readlink(f"/proc/{w}/exe").endswith("/loft-echod")]
    assert uid_of(worker) == pwd.getpwnam("nobody").pw_uid


def test_process_limit_zero_with_default_zero_is_an_error(build_dir, workdir, start_loftd):
    port = free_port()
    config = echo_config(workdir, echod_binary(build_dir), port, extra="default_process_limit = 0")
    config = config.replace("process_min_avail = 1", "process_limit = 0")
    loftd = start_loftd(config)
    assert loftd.wait_exit() == 1
    assert re.search(rf"{re.escape(str(workdir / 'loft.conf'))}:\d+: service imap-login: process_limit = 0",
                     loftd.stderr), loftd.output


def test_migrated_process_limit_is_a_maximum(build_dir, workdir, start_loftd):
    """Dovecot's process_limit = 1024 caps processes; loftd starts one
    worker per core, not 1024."""
    port = free_port()
    config = echo_config(workdir, echod_binary(build_dir), port)
    config = config.replace("process_min_avail = 1", "process_limit = 1024")
    loftd = start_loftd(config)
    assert loftd.wait_for_output(r"Loft \S+ is running"), loftd.output
    assert wait_until(lambda: echo_once(port) == "* hello"), loftd.output
    cores = max(1, len(os.sched_getaffinity(0)))
    workers = loftd.wait_workers(min(cores, os.cpu_count() or 1))
    assert len(workers) <= max(cores, os.cpu_count() or 1)
