"""mutt against loft-imapd, in batch: mutt has no non-interactive IMAP mode
(it needs a terminal for its index even when every key comes from `push`),
so it runs under a pseudo-terminal that nobody types into. The muttrc pushes
the keys: limit the index to one message, display it, pipe it to a file,
quit. Checked: the file holds the message as stored, and the read message is
\\Seen on the server afterwards (mutt syncs the flag when it quits)."""
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import termios
import time

import pytest

from imap_raw import connect, fetches, message, srv  # noqa: F401

MUTT = shutil.which("mutt") or shutil.which("neomutt")
pytestmark = pytest.mark.skipif(MUTT is None, reason="mutt (or neomutt) is not installed")

TARGET = message("Read me in mutt", "This is the one.\r\nSecond line.\r\n", message_id="<mutt-target@example.org>")
OTHER = message("Some other mail", "Not this one.\r\n", message_id="<mutt-other@example.org>")


def run_in_pty(argv: list[str], env: dict[str, str], timeout: float = 60.0) -> tuple[int, bytes]:
    """Run argv on a fresh 24x80 pseudo-terminal until it exits; its screen
    output is drained (and returned) so it never blocks writing."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    screen += os.read(master, 65536)
                except OSError:  # EIO once the child has closed the terminal
                    break
        code = proc.wait(max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise AssertionError(f"mutt did not finish; screen: {screen[-2000:]!r}")
    finally:
        os.close(master)
    return code, screen


def test_mutt_reads_a_message(connect, srv, tmp_path):
    w = connect()
    assert " OK " in w.append("INBOX", OTHER)
    assert " OK " in w.append("INBOX", TARGET)
    assert " OK " in w.append("INBOX", message("Third", "More.\r\n"))
    out = tmp_path / "piped.eml"
    home = tmp_path / "home"
    # ~/Mail must exist, or mutt asks whether to create it and the first
    # pushed keys answer that question.
    (home / "Mail").mkdir(parents=True)
    muttrc = tmp_path / "muttrc"
    # Plain IMAP on loopback: no STARTTLS (its certificate prompt would need
    # a person). pipe_decode=no pipes the message as the server sent it.
    muttrc.write_text(f"""set imap_user = alice
set imap_pass = secret
set ssl_starttls = no
set ssl_force_tls = no
set move = no
set quit = yes
set wait_key = no
set pipe_decode = no
set mail_check = 600
set timeout = 0
set header_cache = ""
set message_cachedir = ""
push "<limit>~s 'Read me'<enter><display-message><exit><pipe-message>cat > {out}<enter><quit>"
""")
    env = {"HOME": str(home), "TERM": "vt100", "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    code, screen = run_in_pty([MUTT, "-n", "-F", str(muttrc), "-f", f"imap://{srv.host}:{srv.port}/INBOX"], env)
    assert code == 0, screen[-2000:]
    assert out.exists(), screen[-2000:]
    assert out.read_bytes().replace(b"\r\n", b"\n") == TARGET.replace(b"\r\n", b"\n")
    # Displaying it marked it \Seen, and mutt stored that on the server.
    w.ok("EXAMINE INBOX")
    flags = {int(v["UID"]): set(v["FLAGS"]) for v in fetches(w.ok("FETCH 1:* (UID FLAGS)")).values()}
    assert r"\Seen" in flags[2] and r"\Seen" not in flags[1] and r"\Seen" not in flags[3], flags
