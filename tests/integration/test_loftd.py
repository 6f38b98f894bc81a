"""loftd: starting, supervising, reloading and stopping worker processes, the
pid file, privilege drop, and the built-in default.

loft-echod (tests/support) stands in for a protocol daemon: loftd starts it
for `service imap-login` through `executable = ...`.
"""
from __future__ import annotations

import os
import pathlib
import pwd
import re
import signal
import socket
import subprocess

import pytest

from loftd_util import (DEFAULT_TIMEOUT, EchoClient, LoftdProcess, TlsEchoClient, address_space_limit,
                        built_with_asan, echo_config, echo_once, echod_binary, files_containing, free_port, make_key_pair,
                        make_shared_tempdir, pem_to_der, remove_tree, start_loftd, tls_echo_once, wait_until,  # noqa: F401
                        worker_config, workdir)

IS_ROOT = os.geteuid() == 0


@pytest.fixture
def echo_service(build_dir, workdir, start_loftd):
    """A loftd running one echo worker on a free port: (loftd, port, config path)."""
    def start(**kwargs) -> tuple[LoftdProcess, int]:
        port = free_port()
        loftd = start_loftd(echo_config(workdir, echod_binary(build_dir, workdir), port, **kwargs))
        assert loftd.wait_for_output(r"Loft \S+ is running"), loftd.output
        assert wait_until(lambda: echo_once(port) == "* hello"), f"no echo on {port}\n{loftd.output}"
        return loftd, port
    return start


def test_banner_pid_file_and_worker(echo_service, workdir):
    loftd, port = echo_service()
    assert f"127.0.0.1:{port}" in loftd.stdout
    assert "imap:" in loftd.stdout
    pid_file = workdir / "run" / "master.pid"
    assert pid_file.read_text().strip() == str(loftd.pid)
    assert len(loftd.wait_workers(1)) == 1


def test_refuses_to_start_twice(echo_service, workdir):
    loftd, _ = echo_service()
    second = loftd.run_command("-c", str(workdir / "loft.conf"), timeout=DEFAULT_TIMEOUT)
    assert second.returncode == 1
    assert f"loftd is already running (pid {loftd.pid})" in second.stderr
    # The first instance is untouched.
    assert loftd.proc.poll() is None
    assert (workdir / "run" / "master.pid").read_text().strip() == str(loftd.pid)


def test_stale_pid_file_is_replaced(build_dir, workdir, start_loftd):
    (workdir / "run").mkdir()
    (workdir / "run" / "master.pid").write_text("1\n")  # alive, but not a loftd holding the lock
    port = free_port()
    loftd = start_loftd(echo_config(workdir, echod_binary(build_dir, workdir), port))
    assert loftd.wait_for_output(r"Loft \S+ is running"), loftd.output
    assert (workdir / "run" / "master.pid").read_text().strip() == str(loftd.pid)


def test_stop_command_stops_and_removes_pid_file(echo_service, workdir):
    loftd, port = echo_service()
    workers = loftd.wait_workers(1)
    result = loftd.run_command("-c", str(workdir / "loft.conf"), "stop")
    assert result.returncode == 0, result.stderr
    assert f"loftd (pid {loftd.pid}) stopped" in result.stdout
    assert loftd.wait_exit() == 0
    assert not (workdir / "run" / "master.pid").exists()
    assert wait_until(lambda: not any(os.path.exists(f"/proc/{p}") for p in workers))
    assert echo_once(port, timeout=2) is None
    again = loftd.run_command("-c", str(workdir / "loft.conf"), "stop")
    assert again.returncode == 1
    assert "loftd is not running" in again.stderr


def test_killed_worker_is_restarted(echo_service):
    loftd, port = echo_service()
    [old] = loftd.wait_workers(1)
    os.kill(old, signal.SIGKILL)
    assert loftd.wait_for_output(rf"worker {old} killed by signal 9 \(SIGKILL\) unexpectedly; restarting it in"), \
        loftd.output
    new = wait_until(lambda: [p for p in loftd.workers() if p != old])
    assert new, loftd.output
    assert wait_until(lambda: echo_once(port) == "* hello"), loftd.output


def test_reload_keeps_open_connection(echo_service, workdir):
    loftd, port = echo_service()
    [worker] = loftd.wait_workers(1)
    client = EchoClient(port)
    try:
        assert client.echo("before") == "* before"
        result = loftd.run_command("-c", str(workdir / "loft.conf"), "reload")
        assert result.returncode == 0, result.stderr
        assert loftd.wait_for_output(r"configuration reloaded"), loftd.output
        assert client.echo("after") == "* after"
        assert loftd.workers() == [worker]  # same program and sockets: reloaded in place
        assert echo_once(port) == "* hello"
    finally:
        client.close()


def test_bad_config_on_reload_keeps_the_old_one(echo_service, workdir):
    loftd, port = echo_service()
    conf = workdir / "loft.conf"
    good = conf.read_text()
    conf.write_text(good + "no_such_setting_anywhere = 1\n")
    os.kill(loftd.pid, signal.SIGHUP)
    assert loftd.wait_for_output(r"reload failed, keeping the running configuration: .*loft\.conf:\d+"), \
        loftd.output
    assert loftd.proc.poll() is None
    assert echo_once(port) == "* hello"


def test_reload_changes_process_count(echo_service, workdir):
    loftd, port = echo_service()
    loftd.wait_workers(1)
    conf = workdir / "loft.conf"
    conf.write_text(conf.read_text().replace("process_min_avail = 1", "process_min_avail = 2"))
    os.kill(loftd.pid, signal.SIGHUP)
    assert loftd.wait_for_output(r"configuration reloaded"), loftd.output
    loftd.wait_workers(2)
    assert echo_once(port) == "* hello"


def test_reload_moves_a_listener_to_a_new_port(echo_service, workdir):
    loftd, port = echo_service()
    [old_worker] = loftd.wait_workers(1)
    new_port = free_port()
    conf = workdir / "loft.conf"
    conf.write_text(conf.read_text().replace(f"port = {port}", f"port = {new_port}"))
    os.kill(loftd.pid, signal.SIGHUP)
    assert loftd.wait_for_output(r"service imap-login: configuration changed; replacing its workers"), loftd.output
    assert wait_until(lambda: echo_once(new_port) == "* hello"), loftd.output
    # The old generation was asked to finish and is gone; its port is closed.
    assert wait_until(lambda: old_worker not in loftd.workers()), loftd.output
    assert wait_until(lambda: echo_once(port, timeout=1) is None)


def test_reload_starts_and_stops_services(build_dir, echo_service, workdir):
    loftd, port = echo_service()
    pop3_port = free_port()
    conf = workdir / "loft.conf"
    base = conf.read_text()
    echod = echod_binary(build_dir, workdir)
    conf.write_text(base.replace("protocols = imap", "protocols = imap pop3") + f"""
service pop3-login {{
  executable = {echod}
  process_limit = 1
  inet_listener pop3 {{
    port = {pop3_port}
  }}
}}
""")
    os.kill(loftd.pid, signal.SIGHUP)
    assert wait_until(lambda: echo_once(pop3_port) == "* hello"), loftd.output
    loftd.wait_workers(2)
    conf.write_text(base)
    os.kill(loftd.pid, signal.SIGHUP)
    assert loftd.wait_for_output(r"service pop3-login: no longer configured; its workers finish their connections and exit"), loftd.output
    loftd.wait_workers(1)
    assert wait_until(lambda: echo_once(pop3_port, timeout=1) is None)
    assert echo_once(port) == "* hello"


def test_sigusr1_is_forwarded_and_harmless(echo_service):
    loftd, port = echo_service()
    [worker] = loftd.wait_workers(1)
    os.kill(loftd.pid, signal.SIGUSR1)
    assert echo_once(port) == "* hello"
    assert loftd.proc.poll() is None
    assert loftd.workers() == [worker]


def test_sigterm_with_connected_client_is_graceful(echo_service, workdir):
    loftd, port = echo_service()
    workers = loftd.wait_workers(1)
    client = EchoClient(port)
    try:
        assert client.echo("x") == "* x"
        os.kill(loftd.pid, signal.SIGTERM)
        assert loftd.wait_exit() == 0, loftd.output
        # The worker was told to stop and the client's connection ended
        # (with or without a goodbye line), not left hanging.
        rest = client.sock.recv(4096)
        while rest and not rest.endswith(b"\n"):
            more = client.sock.recv(4096)
            if not more:
                break
            rest += more
        assert rest == b"" or rest.startswith(b"*")
    except (ConnectionResetError, socket.timeout) as exc:
        pytest.fail(f"connection not closed cleanly: {exc!r}\n{loftd.output}")
    finally:
        client.close()
    assert not (workdir / "run" / "master.pid").exists()
    assert wait_until(lambda: not any(os.path.exists(f"/proc/{p}") for p in workers))
    assert "master: Info: stopped" in loftd.stderr


def test_process_limit_two_workers_share_the_listener(echo_service):
    loftd, port = echo_service(process_limit=2)
    pids = loftd.wait_workers(2)
    sockets = {os.readlink(f"/proc/{pid}/fd/3") for pid in pids}
    assert len(sockets) == 1 and next(iter(sockets)).startswith("socket:"), sockets
    for _ in range(4):
        assert echo_once(port) == "* hello"


def test_worker_open_files_limit_fits_client_limit(echo_service):
    import resource
    loftd, _ = echo_service(extra="default_client_limit = 3000")
    [worker] = loftd.wait_workers(1)
    line = next(l for l in pathlib.Path(f"/proc/{worker}/limits").read_text().splitlines()
                if l.startswith("Max open files"))
    soft = int(line.split()[3])
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    wanted = 3000 * 2 + 128
    assert soft >= (wanted if IS_ROOT or hard == resource.RLIM_INFINITY else min(wanted, hard))


@pytest.mark.skipif(not IS_ROOT, reason="privilege drop needs root")
def test_workers_run_as_mail_uid(echo_service):
    loftd, _ = echo_service(mail_uid="nobody")
    nobody = pwd.getpwnam("nobody")
    [worker] = loftd.wait_workers(1)
    status = pathlib.Path(f"/proc/{worker}/status").read_text()
    uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    assert uid_line.split()[1:] == [str(nobody.pw_uid)] * 4
    gid_line = next(line for line in status.splitlines() if line.startswith("Gid:"))
    assert "0" not in gid_line.split()[1:]
    assert "as nobody" in loftd.stdout
    # loftd prepared base_dir for workers that are not root: no worker
    # complains that it cannot create its files there.
    assert loftd.wait_for_output(r"Listening on"), loftd.output
    assert "cannot map the table" not in loftd.output
    assert "admin socket disabled" not in loftd.output


@pytest.mark.skipif(not IS_ROOT, reason="privilege drop needs root")
def test_root_mail_uid_is_refused(build_dir, workdir, start_loftd):
    port = free_port()
    loftd = start_loftd(echo_config(workdir, echod_binary(build_dir, workdir), port, mail_uid="root"))
    assert loftd.wait_exit() == 1
    assert "refusing to run workers as root" in loftd.stderr
    assert "mail_uid = root" in loftd.stderr


@pytest.mark.skipif(not IS_ROOT, reason="privilege drop needs root")
def test_worker_that_cannot_exec_is_reported_and_retried(build_dir, workdir, start_loftd):
    private = workdir / "private"
    private.mkdir(mode=0o700)
    program = private / "echod"
    program.symlink_to(echod_binary(build_dir))
    port = free_port()
    loftd = start_loftd(echo_config(workdir, str(program), port))
    # Root can see the program, the worker user cannot: the exec error comes
    # back from the child with its cause, and loftd keeps trying.
    assert loftd.wait_for_output(r"cannot start .*/private/echod as nobody \(uid \d+, gid \d+\): exec: "
                                 r"Permission denied; trying again in 1s"), loftd.output
    assert loftd.wait_for_output(r"trying again in 2s"), loftd.output
    assert loftd.proc.poll() is None


@pytest.mark.skipif(not IS_ROOT, reason="privilege drop needs root")
def test_missing_user_is_refused(build_dir, workdir, start_loftd):
    port = free_port()
    loftd = start_loftd(echo_config(workdir, echod_binary(build_dir, workdir), port, mail_uid=None))
    assert loftd.wait_exit() == 1
    assert "no user to run its workers as" in loftd.stderr


def test_root_only_tls_key_reaches_workers_and_reload_replaces_it(build_dir, workdir, start_loftd):
    """A stock Dovecot setup: the key, and the included file that names it,
    are root's (0600, in a directory only root can enter) and the workers run
    as nobody. loftd reads them as root and hands them over in the resolved
    config; a reload after the key and certificate were replaced serves the
    new certificate."""
    if not IS_ROOT:
        pytest.skip("needs root: a root-only key and workers that drop root")
    private = workdir / "private"
    private.mkdir(mode=0o700)
    cert, key = private / "cert.pem", private / "key.pem"
    make_key_pair(cert, key, "first.example")
    ssl_conf = private / "10-ssl.conf"
    ssl_conf.write_text("ssl = yes\nssl_cert = <cert.pem\nssl_key = <key.pem\n")  # relative to private/
    ssl_conf.chmod(0o600)
    for path in (key, ssl_conf):
        assert subprocess.run(["cat", str(path)], user="nobody", capture_output=True,
                              timeout=10).returncode != 0
    port = free_port()
    conf = workdir / "loft.conf"
    loftd = start_loftd(echo_config(workdir, echod_binary(build_dir), port, mail_uid="nobody",
                                    extra=f"!include {ssl_conf}", listener_extra="ssl = yes"))
    assert loftd.wait_for_output(r"Loft \S+ is running"), loftd.output
    first = wait_until(lambda: tls_echo_once(port))
    assert first, loftd.output
    assert first == (pem_to_der(cert), "* hello")

    # The worker is nobody, reading the memfd loftd made for its group; the
    # key is on no file under base_dir.
    nobody = pwd.getpwnam("nobody")
    [worker] = loftd.wait_workers(1)
    status = pathlib.Path(f"/proc/{worker}/status").read_text()
    assert next(l for l in status.splitlines() if l.startswith("Uid:")).split()[1:] == [str(nobody.pw_uid)] * 4
    text, st = worker_config(worker)
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (0, nobody.pw_gid, 0o440)
    assert "BEGIN PRIVATE KEY" in text
    assert files_containing(workdir / "run", b"PRIVATE KEY") == []
    assert f"# from {ssl_conf}:3 (<key.pem)\nssl_key = " in text
    assert not re.search(r"^\s*!include|= <", text, re.M)

    old_cert = pem_to_der(cert)
    client = TlsEchoClient(port)
    try:
        assert client.echo("before") == "* before"
        make_key_pair(cert, key, "second.example")
        new_cert = pem_to_der(cert)
        assert new_cert != old_cert
        result = loftd.run_command("-c", str(conf), "reload")
        assert result.returncode == 0, result.stderr
        assert loftd.wait_for_output(r"configuration reloaded"), loftd.output
        # The worker reloads in place (same program, user and sockets) and
        # new connections get the new certificate.
        assert wait_until(lambda: (tls_echo_once(port) or (None,))[0] == new_cert), loftd.output
        assert tls_echo_once(port) == (new_cert, "* hello")
        assert loftd.workers() == [worker]
        assert "CN=second.example" not in text
        assert pem_to_der(cert) == new_cert
        assert worker_config(worker)[0] != text  # rewritten in place
        assert client.peer_cert == old_cert
        assert client.echo("after") == "* after"
    finally:
        client.close()


def test_config_that_cannot_be_handed_to_workers_fails_at_start(build_dir, workdir, start_loftd):
    (workdir / "binary.der").write_bytes(b"\x30\x82\x00\x01")
    port = free_port()
    loftd = start_loftd(echo_config(workdir, echod_binary(build_dir), port, extra="ssl_ca = <binary.der"))
    assert loftd.wait_exit() == 1
    assert re.search(r"loft\.conf:\d+: the value of 'ssl_ca' contains a NUL byte", loftd.stderr), loftd.output


def test_resolved_config_is_private_to_workers(echo_service, workdir):
    """The resolved config reaches the worker as a memfd (`-c /proc/self/fd/N`),
    never as a file under base_dir; a leftover file of an older loftd is
    removed at start and nothing is left after stop."""
    (workdir / "run").mkdir()
    (workdir / "run" / "loft-resolved.conf").write_text("ssl_key = old\n")
    loftd, _ = echo_service()
    [worker] = loftd.wait_workers(1)
    text, st = worker_config(worker)
    if IS_ROOT:
        assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (0, pwd.getpwnam("nobody").pw_gid, 0o440)
    else:
        assert (st.st_uid, st.st_mode & 0o777) == (os.geteuid(), 0o400)
    # It is the admin's config, resolved, with where each line came from.
    assert f"# from {workdir / 'loft.conf'}:1\nprotocols = imap\n" in text
    assert not list((workdir / "run").glob("loft-resolved*"))
    result = loftd.run_command("-c", str(workdir / "loft.conf"), "stop")
    assert result.returncode == 0, result.stderr
    assert loftd.wait_exit() == 0
    assert not list((workdir / "run").glob("loft-resolved*"))


def test_vsz_limit_is_the_workers_address_space_limit(echo_service, workdir):
    loftd, port = echo_service(extra="default_vsz_limit = 300M")
    [worker] = loftd.wait_workers(1)
    asan = built_with_asan(loftd_build_dir(loftd))
    assert address_space_limit(worker) == ("unlimited" if asan else str(300 * 1024 * 1024))

    # A service's own vsz_limit wins; changing it starts new workers.
    conf = workdir / "loft.conf"
    conf.write_text(conf.read_text() + "service imap-login {\n  vsz_limit = 200M\n}\n")
    os.kill(loftd.pid, signal.SIGHUP)
    assert loftd.wait_for_output(r"service imap-login: configuration changed; replacing its workers"), loftd.output
    assert wait_until(lambda: worker not in loftd.workers()), loftd.output
    [new_worker] = loftd.wait_workers(1)
    assert address_space_limit(new_worker) == ("unlimited" if asan else str(200 * 1024 * 1024))
    assert echo_once(port) == "* hello"

    conf.write_text(conf.read_text().replace("vsz_limit = 200M", "vsz_limit = unlimited"))
    os.kill(loftd.pid, signal.SIGHUP)
    assert wait_until(lambda: new_worker not in loftd.workers()), loftd.output
    [third] = loftd.wait_workers(1)
    assert address_space_limit(third) == "unlimited"
    assert echo_once(port) == "* hello"


def loftd_build_dir(loftd: LoftdProcess) -> pathlib.Path:
    return pathlib.Path(loftd.loftd).parents[2]


def test_missing_protocol_binary_is_reported(echo_service):
    pop3_port = free_port()
    missing = f"""service pop3-login {{
  executable = /nonexistent/loft-pop3d
  inet_listener pop3 {{
    port = {pop3_port}
  }}
}}"""
    loftd, port = echo_service(protocols="imap pop3", extra_services=missing)
    assert "pop3:  /nonexistent/loft-pop3d is not installed; POP3 is not served" in loftd.stdout
    assert loftd.proc.poll() is None
    assert echo_once(port) == "* hello"
    # Not bound: the banner only claims what is served.
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", pop3_port)) != 0


def test_reload_starts_a_daemon_built_after_start(build_dir, echo_service, workdir):
    pop3_port = free_port()
    later = workdir / "bin" / "loft-pop3d"
    service = f"""service pop3-login {{
  executable = {later}
  process_limit = 1
  inet_listener pop3 {{
    port = {pop3_port}
  }}
}}"""
    loftd, _ = echo_service(protocols="imap pop3", extra_services=service)
    assert f"pop3:  {later} is not installed; POP3 is not served" in loftd.stdout
    later.parent.mkdir()
    later.symlink_to(echod_binary(build_dir))
    result = loftd.run_command("-c", str(workdir / "loft.conf"), "reload")
    assert result.returncode == 0, result.stderr
    assert wait_until(lambda: echo_once(pop3_port) == "* hello"), loftd.output


def test_bad_config_fails_fast_with_file_and_line(build_dir, workdir, start_loftd):
    loftd = start_loftd("protocols = imap\nbase_dir = " + str(workdir / "run") + "\nbogus_setting = 1\n")
    assert loftd.wait_exit() == 1
    assert "loft.conf:3" in loftd.stderr
    assert "bogus_setting" in loftd.stderr


def test_two_listeners_on_one_port_are_refused(build_dir, workdir, start_loftd):
    port = free_port()
    echod = echod_binary(build_dir, workdir)
    clash = f"""service pop3-login {{
  executable = {echod}
  inet_listener pop3 {{
    port = {port}
  }}
}}"""
    loftd = start_loftd(echo_config(workdir, echod, port, protocols="imap pop3", extra_services=clash))
    assert loftd.wait_exit() == 1
    assert f"127.0.0.1 {port} is also used by listener imap-login/imap" in loftd.stderr


def test_missing_config_file_fails(build_dir, workdir, start_loftd):
    loftd = start_loftd(None, args=("-c", str(workdir / "nonexistent.conf")))
    assert loftd.wait_exit() == 1
    assert "nonexistent.conf" in loftd.stderr


def test_config_from_environment(build_dir, workdir, start_loftd):
    port = free_port()
    conf = workdir / "from-env.conf"
    conf.write_text(echo_config(workdir, echod_binary(build_dir), port))
    conf.chmod(0o644)
    loftd = start_loftd(None, env={"LOFT_CONFIG": str(conf)})
    assert loftd.wait_for_output(rf"is running \(config {re.escape(str(conf))}\)"), loftd.output
    assert wait_until(lambda: echo_once(port) == "* hello"), loftd.output
    # stop finds the instance through the same variable.
    stop = loftd.run_command("stop")
    assert stop.returncode == 0, stop.stderr
    assert loftd.wait_exit() == 0


def test_version(build_dir):
    out = subprocess.run([str(build_dir / "daemons" / "loftd" / "loftd"), "--version"], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode == 0
    assert out.stdout.startswith("loftd ")


# --- the built-in default ---------------------------------------------------

BUILTIN_PORTS = (10143, 10993, 10110, 10995, 10024, 14190)


def builtin_ports_free() -> bool:
    for port in BUILTIN_PORTS:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def system_config(build_dir) -> pathlib.Path | None:
    """LOFT_SYSCONFDIR/loft.conf of this build, which would win over the built-in default."""
    header = (build_dir / "loft_build_config.hpp").read_text()
    m = re.search(r'#define LOFT_SYSCONFDIR "([^"]*)"', header)
    return pathlib.Path(m.group(1)) / "loft.conf" if m else None


def test_builtin_default_first_and_second_start(build_dir, workdir, start_loftd):
    conf = system_config(build_dir)
    if conf and conf.exists():
        pytest.skip(f"{conf} exists and would be used instead of the built-in default")
    if not builtin_ports_free():
        pytest.skip("a built-in default port is in use (is `make run` running?)")
    loftd = start_loftd(None)
    m = loftd.wait_for_output(r"Demo login: demo / (\S+)")
    assert m, loftd.output
    password = m.group(1)
    var = workdir / "var"
    assert f"is running on its built-in default (data in {var})" in loftd.stdout
    # Every protocol is either served on a loopback address (or a unix
    # socket under the data directory) or reported missing.
    for proto in ("imap", "pop3", "lmtp", "sieve", "auth"):
        assert f"  {proto}:" in loftd.stdout
    for line in loftd.stdout.splitlines():
        if " on " in line and ":" in line:
            where = line.split(" on ", 1)[1]
            assert "127.0.0.1:" in line or "[::1]:" in line or where.startswith(f"{var}/"), line
    assert (var / "demo-password").read_text().strip() == password
    assert (var / "demo-password").stat().st_mode & 0o777 == 0o600
    users = (var / "users").read_text()
    assert users.startswith("demo:{SHA512-CRYPT}$6$")
    assert (var / "tls" / "key.pem").stat().st_mode & 0o777 == 0o600
    cert = var / "tls" / "cert.pem"
    x509 = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-subject", "-ext", "subjectAltName"],
                          capture_output=True, text=True, timeout=10)
    assert x509.returncode == 0, x509.stderr
    assert "CN = localhost" in x509.stdout
    assert "DNS:localhost" in x509.stdout
    assert "IP Address:127.0.0.1" in x509.stdout
    assert "IP Address:0:0:0:0:0:0:0:1" in x509.stdout
    assert (var / "run" / "loft-builtin.conf").read_text().startswith("# Loft built-in default")
    # The workers get the resolved config (with the key) in memory: no file
    # under base_dir holds the key.
    assert files_containing(var / "run", b"PRIVATE KEY") == []
    cert_before = cert.read_bytes()

    stop = loftd.run_command("stop")
    assert stop.returncode == 0, stop.stderr
    assert loftd.wait_exit() == 0

    second = start_loftd(None)
    m2 = second.wait_for_output(r"Demo login: demo / (\S+)")
    assert m2, second.output
    assert m2.group(1) == password
    assert "from " + str(var / "demo-password") in second.stdout
    assert "Created a self-signed certificate" not in second.stdout
    assert cert.read_bytes() == cert_before
    assert (var / "users").read_text() == users
    stop = second.run_command("stop")
    assert stop.returncode == 0, stop.stderr
    assert second.wait_exit() == 0
