"""Running loftd in tests: a temporary directory and config, a process whose
output is collected in the background, its worker processes, and a client for
the echo protocol of loft-echod (the stand-in protocol daemon).

Everything started here is killed by LoftdProcess.kill_all(), which the
fixtures in test_loftd.py call as finalizers.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

DEFAULT_TIMEOUT = 20.0

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_shared_tempdir(prefix: str = "loftd-test-") -> pathlib.Path:
    """A temporary directory the mail user (nobody) can enter, so workers that
    dropped root can reach base_dir (their resolved config, sockets, tables)
    under it. pytest's tmp_path lives under a 0700 directory, which they could
    not enter."""
    path = pathlib.Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


def echod_binary(build_dir: pathlib.Path, workdir: pathlib.Path | None = None) -> str:
    """tests/support/loft-echod: a line protocol on the network runtime that
    adopts loftd's sockets (LISTEN_FDS), reloads on SIGHUP and stops
    gracefully on SIGTERM, like every protocol daemon."""
    built = build_dir / "tests" / "support" / "loft-echod"
    if not built.exists():
        raise AssertionError(f"{built} is not built (meson compile -C {build_dir})")
    return str(built)


def echo_config(workdir: pathlib.Path, echod: str, port: int, *, process_limit: int = 1,
                mail_uid: str | None = "nobody", protocols: str = "imap", extra: str = "",
                extra_services: str = "", listener_extra: str = "") -> str:
    lines = [
        f"protocols = {protocols}",
        "listen = 127.0.0.1",
        f"base_dir = {workdir}/run",
        "log_path = /dev/stderr",
    ]
    if mail_uid is not None and os.geteuid() == 0:
        lines.append(f"mail_uid = {mail_uid}")
    lines.append(extra)
    # process_min_avail is the exact number of workers (process_limit only
    # caps one per core). imaps is one of Dovecot's built-in listeners (port
    # 993); the tests serve one port only.
    lines.append(f"""service imap-login {{
  executable = {echod}
  process_min_avail = {process_limit}
  inet_listener imap {{
    port = {port}
    {listener_extra}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
{extra_services}""")
    return "\n".join(lines) + "\n"


def child_pids(parent: int) -> list[int]:
    """Direct children of `parent`, from /proc."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces.
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == parent and fields[0] != "Z":
            out.append(int(entry))
    return sorted(out)


def wait_until(predicate, timeout: float = DEFAULT_TIMEOUT, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class LoftdProcess:
    """A running loftd with its stdout and stderr collected."""

    def __init__(self, build_dir: pathlib.Path, cwd: pathlib.Path, args: list[str],
                 env: dict[str, str] | None = None):
        self.loftd = str(build_dir / "daemons" / "loftd" / "loftd")
        self.cwd = cwd
        full_env = dict(os.environ)
        full_env.pop("LOFT_CONFIG", None)
        full_env.pop("LISTEN_FDS", None)
        full_env.pop("LISTEN_PID", None)
        if env:
            full_env.update(env)
        self.env = full_env
        self.proc = subprocess.Popen([self.loftd, *args], cwd=cwd, env=full_env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self._stdout: list[bytes] = []
        self._stderr: list[bytes] = []
        self._lock = threading.Lock()
        self._seen_workers: set[int] = set()
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self._stdout), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self._stderr), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _pump(self, stream, sink):
        for chunk in iter(lambda: stream.read1(4096), b""):
            with self._lock:
                sink.append(chunk)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def stdout(self) -> str:
        with self._lock:
            return b"".join(self._stdout).decode(errors="replace")

    @property
    def stderr(self) -> str:
        with self._lock:
            return b"".join(self._stderr).decode(errors="replace")

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def wait_for_output(self, pattern: str, timeout: float = DEFAULT_TIMEOUT) -> re.Match | None:
        rx = re.compile(pattern)
        return wait_until(lambda: rx.search(self.output), timeout)

    def workers(self) -> list[int]:
        pids = child_pids(self.pid)
        self._seen_workers.update(pids)
        return pids

    def wait_workers(self, count: int, timeout: float = DEFAULT_TIMEOUT) -> list[int]:
        pids = wait_until(lambda: (lambda p: p if len(p) == count else None)(self.workers()), timeout)
        if not pids:
            raise AssertionError(f"expected {count} worker(s), have {self.workers()}\n{self.output}")
        return pids

    def wait_exit(self, timeout: float = DEFAULT_TIMEOUT) -> int | None:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        # Let the readers catch up with what loftd wrote before it exited
        # (EOF comes once every worker sharing the pipes is gone too).
        for t in self._threads:
            t.join(5)
        return code

    def run_command(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Another loftd invocation (stop, reload, a second start) in the same cwd."""
        return subprocess.run([self.loftd, *args], cwd=self.cwd, env=self.env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def kill_all(self):
        """Finalizer: loftd and every worker it ever had, whatever state they are in."""
        self.workers()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait_exit(10) is None:
                self.proc.kill()
                self.proc.wait(10)
        for pid in self._seen_workers:
            for target in (-pid, pid):
                try:
                    os.kill(target, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        for t in self._threads:
            t.join(5)


class EchoClient:
    """A client of the echo line protocol."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = DEFAULT_TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rwb", buffering=0)
        self.greeting = self.readline()

    def readline(self) -> str:
        return self.file.readline().decode(errors="replace").rstrip("\r\n")

    def echo(self, text: str) -> str:
        self.file.write(f"ECHO {text}\r\n".encode())
        return self.readline()

    def close(self):
        # The file from makefile() holds the socket open too.
        for thing in (self.file, self.sock):
            try:
                thing.close()
            except (OSError, AttributeError):
                pass


def echo_once(port: int, text: str = "hello", timeout: float = 5.0) -> str | None:
    """One connection, one ECHO; None when nothing answers (yet)."""
    try:
        c = EchoClient(port, timeout=timeout)
    except OSError:
        return None
    try:
        if not c.greeting.startswith("* OK"):
            return None
        return c.echo(text)
    except OSError:
        return None
    finally:
        c.close()


def remove_tree(path: pathlib.Path):
    shutil.rmtree(path, ignore_errors=True)


def make_key_pair(cert: pathlib.Path, key: pathlib.Path, cn: str):
    """A self-signed EC certificate for CN at `cert` and its key at `key`
    (mode 0600), each replaced atomically if it exists."""
    tmp_cert, tmp_key = cert.with_name(cert.name + ".new"), key.with_name(key.name + ".new")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(tmp_key), "-out", str(tmp_cert), "-days", "2",
                    "-subj", f"/CN={cn}"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   timeout=30)
    tmp_key.chmod(0o600)
    os.replace(tmp_key, key)
    os.replace(tmp_cert, cert)


def pem_to_der(pem_path: pathlib.Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem_path.read_text())


class TlsEchoClient(EchoClient):
    """The echo protocol over implicit TLS; `peer_cert` is the server's
    certificate (DER)."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = DEFAULT_TIMEOUT):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection((host, port), timeout=timeout)
        try:
            self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        except (OSError, ssl.SSLError):
            raw.close()
            raise
        self.peer_cert = self.sock.getpeercert(binary_form=True)
        self.file = self.sock.makefile("rwb", buffering=0)
        self.greeting = self.readline()


def tls_echo_once(port: int, text: str = "hello", timeout: float = 5.0) -> tuple[bytes, str] | None:
    """One TLS connection, one ECHO: (server certificate, reply); None when
    nothing answers (yet)."""
    try:
        c = TlsEchoClient(port, timeout=timeout)
    except (OSError, ssl.SSLError):
        return None
    try:
        if not c.greeting.startswith("* OK"):
            return None
        return c.peer_cert, c.echo(text)
    except (OSError, ssl.SSLError):
        return None
    finally:
        c.close()


def built_with_asan(build_dir: pathlib.Path) -> bool:
    """Whether the build uses AddressSanitizer (loftd applies no vsz_limit then)."""
    try:
        options = json.loads((build_dir / "meson-info" / "intro-buildoptions.json").read_text())
    except (OSError, ValueError):
        return False
    for option in options:
        if option.get("name") == "b_sanitize":
            return "address" in str(option.get("value", ""))
    return False


def address_space_limit(pid: int) -> str:
    """The soft "Max address space" of a process as /proc shows it: a number
    of bytes or "unlimited"."""
    for line in pathlib.Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max address space"):
            return line.split()[3]
    raise AssertionError(f"no address space line in /proc/{pid}/limits")


def worker_config(pid: int) -> tuple[str, os.stat_result]:
    """The configuration a worker was started with (`-c /proc/self/fd/N`,
    the memfd loftd hands it) as the worker would read it now, and its stat."""
    fd_dir = pathlib.Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("/memfd:loft-resolved.conf"):
            return fd.read_text(), os.stat(fd)
    raise AssertionError(f"worker {pid} has no loft-resolved.conf memfd: "
                         f"{[os.readlink(f) for f in fd_dir.iterdir()]}")


def files_containing(root: pathlib.Path, needle: bytes) -> list[pathlib.Path]:
    """Regular files under `root` whose content contains `needle`."""
    found = []
    for path in root.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink() and needle in path.read_bytes():
                found.append(path)
        except OSError:
            pass
    return found


# Fixtures shared by the loftd test modules (they import them by name).
import pytest  # noqa: E402


@pytest.fixture
def workdir():
    path = make_shared_tempdir()
    yield path
    remove_tree(path)


@pytest.fixture
def start_loftd(build_dir, workdir):
    """start_loftd(config_text=None, args=(), cwd=workdir) -> LoftdProcess;
    a None config runs the built-in default."""
    started: list[LoftdProcess] = []

    def start(config_text: str | None = None, args: tuple[str, ...] = (), cwd: pathlib.Path | None = None,
              name: str = "loft.conf", env: dict[str, str] | None = None) -> LoftdProcess:
        cmd = list(args)
        if config_text is not None:
            conf = workdir / name
            conf.write_text(config_text)
            conf.chmod(0o644)
            cmd = ["-c", str(conf), *cmd]
        proc = LoftdProcess(build_dir, cwd or workdir, cmd, env=env)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill_all()
