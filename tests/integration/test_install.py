"""`meson install` as a user gets it, checked from outside the build tree.

The build is installed with `meson install --destdir` into a temporary
directory (the build's own prefix, staged under it; nothing is rebuilt).
Then: every library has a versioned SONAME, only public headers are
installed, the pkg-config files work, and a C++ program compiled with
`pkg-config --cflags --libs mailstore` against the staged tree opens a
Maildir made here, lists its mailboxes and reads a message, and so does a C
program through the C API (same pkg-config line). The programs run
from the staged tree, their man pages list the options their --help prints,
the systemd unit is valid and starts the installed loftd, and the example
configuration parses with loftconf.
"""
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
import textwrap
import threading

import pytest

SRC = pathlib.Path(__file__).resolve().parents[2]

# Libraries and the public header directories they install.
LIBRARIES = {
    "mailstore": SRC / "libmailstore" / "include" / "mailstore",
    "imapproto": SRC / "libimapproto" / "include" / "imapproto",
    "pop3proto": SRC / "libpop3proto" / "include" / "pop3proto",
}
# The C API (bindings/c): libmailstore-c with <loft/mailstore.h>, covered by
# mailstore.pc. Checked when this tree builds it.
C_API_HEADERS = SRC / "bindings" / "c" / "include" / "loft"


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 300)
    return subprocess.run(cmd, **kw)


class Staged:
    """The build installed under a temporary DESTDIR."""

    def __init__(self, build_dir: pathlib.Path, destdir: pathlib.Path):
        self.build_dir = build_dir
        self.destdir = destdir
        options = json.loads(run(["meson", "introspect", "--buildoptions", str(build_dir)], check=True).stdout)
        self.options = {o["name"]: o["value"] for o in options}
        self.prefix = self.options["prefix"]
        self.installed = json.loads(run(["meson", "introspect", "--installed", str(build_dir)], check=True).stdout)

    def path(self, option: str, *more: str) -> pathlib.Path:
        """The staged path of a directory option (libdir, sysconfdir, ...)."""
        return self.staged(os.path.join(self.prefix, self.options[option], *more))

    def staged(self, installed_path: str) -> pathlib.Path:
        return pathlib.Path(str(self.destdir) + installed_path)

    def unstaged(self, staged_path: pathlib.Path) -> str:
        return "/" + str(staged_path.relative_to(self.destdir))

    def install(self):
        r = run(["meson", "install", "-C", str(self.build_dir), "--no-rebuild", "--destdir", str(self.destdir)])
        assert r.returncode == 0, r.stdout + r.stderr
        return r

    def env(self) -> dict:
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = str(self.path("libdir"))
        env["PKG_CONFIG_PATH"] = str(self.path("libdir", "pkgconfig"))
        env.pop("LOFT_CONFIG", None)
        return env

    def pkg_config(self, *args: str) -> subprocess.CompletedProcess:
        # The .pc files name the real prefix; point it at the staged one.
        return run(["pkg-config", f"--define-variable=prefix={self.staged(self.prefix)}", *args], env=self.env())

    def has_c_api(self) -> bool:
        return any(re.search(r"/libmailstore-c\.so[.\d]*$", dest) for dest in self.installed.values())


@pytest.fixture(scope="module")
def staged(build_dir) -> Staged:
    # Readable by all: loftd's workers run as the mail user (nobody when the
    # tests run as root) and load the staged programs and libraries.
    destdir = pathlib.Path(tempfile.mkdtemp(prefix="loft-install-", dir="/tmp"))
    destdir.chmod(0o755)
    try:
        s = Staged(build_dir, destdir)
        s.install()
        yield s
    finally:
        shutil.rmtree(destdir, ignore_errors=True)


# --- libraries, headers, pkg-config ----------------------------------------

def soname(path: pathlib.Path) -> str:
    out = run(["readelf", "-d", str(path)], check=True).stdout
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", out)
    assert m, f"{path} has no SONAME"
    return m.group(1)


def test_every_library_has_a_versioned_soname(staged):
    libdir = staged.path("libdir")
    names = list(LIBRARIES) + (["mailstore-c"] if staged.has_c_api() else [])
    for name in names:
        dev_link = libdir / f"lib{name}.so"
        assert dev_link.is_symlink(), f"{dev_link} missing"
        real = dev_link.resolve()
        assert re.fullmatch(rf"lib{re.escape(name)}\.so\.\d+\.\d+\.\d+", real.name), real.name
        so = soname(real)
        assert re.fullmatch(rf"lib{re.escape(name)}\.so\.\d+", so), so
        # The SONAME link a program loads at run time.
        assert (libdir / so).resolve() == real


def installed_headers(root: pathlib.Path) -> set:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_only_public_headers_are_installed(staged):
    include = staged.path("includedir")
    expected = set()
    for name, src in LIBRARIES.items():
        expected |= {f"{name}/{rel}" for rel in installed_headers(src)}
    if staged.has_c_api():
        expected |= {f"loft/{rel}" for rel in installed_headers(C_API_HEADERS)}
    # Exactly the public headers of the tree (so nothing from a library's
    # src/ or internal/), with the same bytes.
    assert installed_headers(include) == expected
    for rel in expected:
        top, rest = rel.split("/", 1)
        src = C_API_HEADERS / rest if top == "loft" else LIBRARIES[top] / rest
        assert (include / rel).read_bytes() == src.read_bytes(), rel


def test_pkg_config_files(staged):
    root = staged.staged(staged.prefix)
    for name in LIBRARIES:
        r = staged.pkg_config("--cflags", "--libs", name)
        assert r.returncode == 0, r.stderr
        assert f"-I{staged.path('includedir')}" in r.stdout.split()
        assert f"-L{staged.path('libdir')}" in r.stdout.split()
        assert f"-l{name}" in r.stdout.split()
        assert str(root) in r.stdout
    for name in ("imapproto", "pop3proto"):
        r = staged.pkg_config("--print-requires", name)
        assert "mailstore" in r.stdout.split(), r.stdout
    libs = staged.pkg_config("--libs", "mailstore").stdout.split()
    if staged.has_c_api():
        # The C API is part of mailstore.pc, before the library it uses.
        assert libs.index("-lmailstore-c") < libs.index("-lmailstore")
    r = staged.pkg_config("--modversion", "mailstore")
    project = json.loads(run(["meson", "introspect", "--projectinfo", str(staged.build_dir)], check=True).stdout)
    assert r.stdout.strip() == project["version"]


MAILDIR_PROGRAM = textwrap.dedent(r"""
    // Lists the mailboxes of the Maildir in argv[1] and prints the first
    // message of INBOX: what an embedding application does first.
    #include <mailstore/config.hpp>
    #include <mailstore/storage/mailbox.hpp>
    #include <mailstore/storage/user.hpp>

    #include <iostream>
    #include <string>

    namespace ms = mailstore::storage;

    int main(int argc, char** argv) {
        if (argc != 3) {
            std::cerr << "usage: prog MAILDIR HOME\n";
            return 2;
        }
        auto config = mailstore::config::Config::load_string(
            "mail_location = maildir:" + std::string(argv[1]) + "\n");
        if (!config) {
            std::cerr << "config: " << config.status().message() << "\n";
            return 1;
        }
        ms::UserSettings settings;
        settings.username = "reader";
        settings.home = argv[2];
        auto user = ms::User::open(*config, settings);
        if (!user) {
            std::cerr << "user: " << user.status().message() << "\n";
            return 1;
        }
        ms::ListQuery query;
        query.patterns = {"*"};
        auto boxes = user->list(query);
        if (!boxes) {
            std::cerr << "list: " << boxes.status().message() << "\n";
            return 1;
        }
        for (const auto& box : *boxes)
            std::cout << "mailbox " << box.name << "\n";

        ms::OpenOptions options;
        options.read_only = true;
        auto inbox = ms::Mailbox::open(*user, "INBOX", options);
        if (!inbox) {
            std::cerr << "open: " << inbox.status().message() << "\n";
            return 1;
        }
        std::cout << "messages " << inbox->view().count() << "\n";
        auto message = inbox->message(1);
        auto size = message.physical_size();
        auto data = message.open();
        if (!size || !data) {
            std::cerr << "read failed\n";
            return 1;
        }
        std::cout << "uid " << message.uid() << " size " << *size << "\n";
        std::cout << "--header--\n" << data->header() << "--body--\n" << data->body();
        return 0;
    }
""")

MESSAGE = (b"From: Alice <alice@example.org>\n"
           b"To: Bob <bob@example.org>\n"
           b"Subject: installed and read\n"
           b"Date: Sun, 29 Nov 2026 10:00:00 +0000\n"
           b"Message-ID: <install-test@example.org>\n"
           b"\n"
           b"Read through the installed library.\n")


def make_maildir(root: pathlib.Path):
    """A Maildir++ tree as an MTA or Dovecot leaves it: INBOX with two
    messages (one new, one seen in cur/) and the folders Sent, Archive and
    Archive.2026."""
    for folder in ("", ".Sent", ".Archive", ".Archive.2026"):
        for sub in ("new", "cur", "tmp"):
            (root / folder / sub).mkdir(parents=True, exist_ok=True)
    (root / "cur" / f"1764410400.M1P1.host,S={len(MESSAGE)}:2,S").write_bytes(MESSAGE)
    other = b"From: carol@example.org\nSubject: second\n\nsecond\n"
    (root / "new" / "1764410500.M2P1.host").write_bytes(other)


def test_out_of_tree_cpp_program_reads_a_maildir(staged, tmp_path):
    cflags_libs = staged.pkg_config("--cflags", "--libs", "mailstore")
    assert cflags_libs.returncode == 0, cflags_libs.stderr
    prog_src = tmp_path / "read_maildir.cpp"
    prog_src.write_text(MAILDIR_PROGRAM)
    prog = tmp_path / "read_maildir"
    cxx = os.environ.get("CXX", "c++")
    # A sanitizer build's libraries need the program linked with the same
    # sanitizer runtime (make asan-test).
    sanitize = staged.options.get("b_sanitize", "none")
    sanitize_flags = [f"-fsanitize={sanitize}"] if sanitize not in ("none", "") else []
    # Only the staged tree: no include path or library of the source or
    # build tree is on the command line.
    r = run([cxx, "-std=c++20", *sanitize_flags, str(prog_src), "-o", str(prog), *cflags_libs.stdout.split()],
            cwd=tmp_path, env=staged.env())
    assert r.returncode == 0, r.stderr
    assert str(SRC) not in cflags_libs.stdout
    needed = run(["readelf", "-d", str(prog)], check=True).stdout
    assert "[libmailstore.so.0]" in needed

    maildir = tmp_path / "home" / "Maildir"
    make_maildir(maildir)
    r = run([str(prog), str(maildir), str(tmp_path / "home")], env=staged.env())
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    boxes = {line.split(" ", 1)[1] for line in lines if line.startswith("mailbox ")}
    assert boxes == {"INBOX", "Sent", "Archive", "Archive.2026"}
    assert "messages 2" in lines
    assert f"uid 1 size {len(MESSAGE)}" in lines
    header, body = r.stdout.split("--header--\n", 1)[1].split("--body--\n")
    assert header.encode() == MESSAGE.split(b"\n\n")[0] + b"\n\n"
    assert body == "Read through the installed library.\n"
    # The program ran against the staged library, not the build tree's.
    ldd = run(["ldd", str(prog)], env=staged.env()).stdout
    assert str(staged.path("libdir") / "libmailstore.so.0") in ldd


C_PROGRAM = textwrap.dedent(r"""
    /* The same through the C API: a C compiler and mailstore.pc only. */
    #include <loft/mailstore.h>

    #include <stdio.h>

    int main(int argc, char **argv) {
        loft_user *user = NULL;
        loft_mailbox_list *list = NULL;
        loft_mailbox *inbox = NULL;
        loft_message *message = NULL;
        char *data = NULL;
        size_t size = 0;
        if (argc != 3 || loft_user_open(argv[1], argv[2], &user) != LOFT_OK) {
            fprintf(stderr, "open: %s\n", loft_last_error());
            return 1;
        }
        if (loft_mailbox_list_open(user, "*", &list) != LOFT_OK)
            return 1;
        for (size_t i = 0; i < loft_mailbox_list_count(list); i++)
            printf("mailbox %s\n", loft_mailbox_list_name(list, i));
        loft_mailbox_list_free(list);
        if (loft_mailbox_open(user, "INBOX", LOFT_OPEN_READONLY, &inbox) != LOFT_OK ||
            loft_message_get(inbox, 1, &message) != LOFT_OK ||
            loft_message_read(message, &data, &size) != LOFT_OK) {
            fprintf(stderr, "read: %s\n", loft_last_error());
            return 1;
        }
        printf("messages %u\n", (unsigned)loft_mailbox_message_count(inbox));
        printf("uid %u size %zu\n", (unsigned)loft_message_uid(message), size);
        fwrite(data, 1, size, stdout);
        loft_free(data);
        loft_message_free(message);
        loft_mailbox_close(inbox);
        loft_user_close(user);
        return 0;
    }
""")


def test_out_of_tree_c_program_reads_a_maildir(staged, tmp_path):
    if not staged.has_c_api():
        pytest.skip("this build has no C API (bindings/c)")
    cflags_libs = staged.pkg_config("--cflags", "--libs", "mailstore")
    prog_src = tmp_path / "read_maildir.c"
    prog_src.write_text(C_PROGRAM)
    prog = tmp_path / "read_maildir_c"
    sanitize = staged.options.get("b_sanitize", "none")
    sanitize_flags = [f"-fsanitize={sanitize}"] if sanitize not in ("none", "") else []
    r = run([os.environ.get("CC", "cc"), "-std=c11", *sanitize_flags, str(prog_src), "-o", str(prog),
             *cflags_libs.stdout.split()], cwd=tmp_path, env=staged.env())
    assert r.returncode == 0, r.stderr
    home = tmp_path / "home"
    make_maildir(home / "Maildir")
    r = run([str(prog), str(home), "maildir:~/Maildir"], env=staged.env())
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    boxes = {line.split(" ", 1)[1] for line in lines if line.startswith("mailbox ")}
    assert boxes == {"INBOX", "Sent", "Archive", "Archive.2026"}
    assert "messages 2" in lines
    assert f"uid 1 size {len(MESSAGE)}" in lines
    assert r.stdout.endswith(MESSAGE.decode())


# --- programs, man pages and --help ----------------------------------------

PROGRAMS = {
    # name: (option directory, man section)
    "loftd": ("sbindir", 8),
    "loftadm": ("bindir", 1),
    "loftconf": ("bindir", 1),
    "loft-lda": ("bindir", 1),
    "loft-imapd": ("libexecdir", 8),
    "loft-pop3d": ("libexecdir", 8),
    "loft-lmtpd": ("libexecdir", 8),
    "loft-authd": ("libexecdir", 8),
}


def program_path(staged, name):
    where, _ = PROGRAMS[name]
    if where == "libexecdir":
        return staged.path("libexecdir", "loft", name)
    return staged.path(where, name)


def test_programs_are_installed_where_loftd_and_users_look(staged):
    for name in PROGRAMS:
        path = program_path(staged, name)
        assert path.is_file() and os.access(path, os.X_OK), path
    for name in ("loftd", "loftadm", "loftconf"):
        r = run([str(program_path(staged, name)), "--version"], env=staged.env())
        assert r.returncode == 0, r.stderr
        assert re.search(r"\d+\.\d+\.\d+", r.stdout), r.stdout


OPTION_RE = re.compile(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*)")


def roff_text(line: str) -> str:
    line = re.sub(r"\\f[A-Z]|\\f\(..|\\f\[[^\]]*\]", "", line)
    line = line.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\")
    return re.sub(r"^\.(B|I|BI|BR|IR|RB|IB)\s+", "", line).replace('"', "")


def man_options(page: pathlib.Path) -> dict:
    """{command words (tuple, () for the program itself): set of options}
    from a man page: .TP tags under OPTIONS, and under each .SS of COMMANDS."""
    result = {}
    section, key = None, None
    lines = page.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith(".SH "):
            section = line[4:].strip().strip('"')
            key = () if section == "OPTIONS" else None
            if key is not None:
                result.setdefault(key, set())
        elif line.startswith(".SS ") and section == "COMMANDS":
            words = []
            for word in roff_text(line[4:]).split():
                if not re.fullmatch(r"[a-z][a-z0-9-]*", word):
                    break
                words.append(word)
            key = tuple(words)
            result.setdefault(key, set())
        elif line == ".TP" and key is not None and i + 1 < len(lines):
            result[key] |= set(OPTION_RE.findall(roff_text(lines[i + 1])))
    return result


def help_sections(text: str) -> dict:
    """CLI11 --help: {'Options': [...], 'Subcommands': [...]} first tokens."""
    sections, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^([A-Z][A-Za-z ]*):\s*$", line)
        if m:
            current = m.group(1)
            sections[current] = []
        elif current and re.match(r"^ {2}\S", line):
            sections[current].append(line.split()[0])
    return sections


def cli_help(staged, name, words) -> dict:
    r = run([str(program_path(staged, name)), *words, "--help"], env=staged.env())
    assert r.returncode == 0, f"{name} {' '.join(words)} --help: {r.stderr}"
    return help_sections(r.stdout)


def cli_commands(staged, name, words=()) -> dict:
    """{command words: options} for every leaf command of a CLI11 program."""
    sections = cli_help(staged, name, list(words))
    options = set()
    for token in sections.get("Options", []):
        options |= {o for o in token.split(",") if o.startswith("-")}
    subcommands = sections.get("Subcommands", [])
    if words and subcommands:
        result = {}
    else:
        result = {tuple(words): options}
    for sub in subcommands:
        result.update(cli_commands(staged, name, (*words, sub)))
    return result


@pytest.mark.parametrize("name", ["loftd", "loftadm", "loftconf", "loft-lda",
                                  "loft-imapd", "loft-pop3d", "loft-lmtpd", "loft-authd"])
def test_man_page_lists_the_options_help_prints(staged, name):
    _, section = PROGRAMS[name]
    page = staged.path("mandir", f"man{section}", f"{name}.{section}")
    assert page.is_file(), page
    documented = man_options(page)
    actual = cli_commands(staged, name)
    # Every command has a .SS of its own, and the program's options are
    # under OPTIONS; a command's own --help/-h is implied.
    assert set(documented) == set(actual)
    for words, options in actual.items():
        if words:
            options = options - {"-h", "--help"}
        assert documented[words] == options, f"{name} {' '.join(words)}"


@pytest.mark.parametrize("name", ["loft-imapd", "loft-pop3d", "loft-lmtpd", "loft-authd"])
def test_worker_refuses_a_bad_command_line_with_status_1(staged, name):
    path = str(program_path(staged, name))
    for argv in ([], ["-c"], ["-c", "x", "--threads", "0"], ["-c", "x", "--threads", "257"], ["-c", "x", "--bogus"]):
        r = run([path, *argv], env=staged.env())
        assert r.returncode == 1, (argv, r.stdout, r.stderr)
        assert "--help" in r.stderr and r.stdout == "", (argv, r.stderr)
    r = run([path, "--version"], env=staged.env())
    assert r.returncode == 0 and re.fullmatch(rf"{name} \d+\.\d+\.\d+\n", r.stdout), r.stdout


# --- systemd ---------------------------------------------------------------

def unit_file(staged) -> pathlib.Path:
    units = [staged.staged(dest) for dest in staged.installed.values() if dest.endswith("/loftd.service")]
    assert len(units) == 1, staged.installed
    return units[0]


def parse_unit(text: str) -> dict:
    sections, current = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, value = line.split("=", 1)
            current.setdefault(key, []).append(value)
    return sections


def test_systemd_unit_starts_the_installed_loftd(staged):
    unit = unit_file(staged)
    systemd_dir = unit.parent
    assert str(systemd_dir).endswith("/lib/systemd/system")
    keys = parse_unit(unit.read_text())
    service = keys["Service"]
    exec_start = service["ExecStart"][0].split()
    loftd = staged.unstaged(program_path(staged, "loftd"))
    config = staged.unstaged(staged.path("sysconfdir", "loft", "loft.conf"))
    assert exec_start == [loftd, "-c", config]
    # loftd neither forks nor speaks sd_notify; it reloads on SIGHUP.
    assert service["Type"] == ["simple"]
    assert service["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert service["KillMode"] == ["mixed"]
    assert "LimitNOFILE" in service
    assert "NoNewPrivileges" not in service
    assert keys["Install"]["WantedBy"] == ["multi-user.target"]
    # loftd cannot take sockets from systemd: no socket unit is installed.
    assert not list(systemd_dir.glob("loftd*.socket"))


def test_systemd_unit_verifies(staged, tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    # verify checks that ExecStart exists: point it at the staged loftd.
    unit = tmp_path / "loftd.service"
    loftd = program_path(staged, "loftd")
    unit.write_text(unit_file(staged).read_text().replace(staged.unstaged(loftd), str(loftd)))
    r = run(["systemd-analyze", "verify", "--man=no", str(unit)], timeout=60)
    if r.returncode != 0 and ("Failed to" in r.stderr and "bus" in r.stderr.lower()):
        pytest.skip(f"systemd-analyze cannot run here: {r.stderr.strip()}")
    assert r.returncode == 0, r.stderr
    # Unknown keys are only warned about: there must be none.
    assert r.stdout.strip() == "" and r.stderr.strip() == "", r.stderr


# --- the example configuration ----------------------------------------------

CONF_D = ["10-auth.conf", "10-logging.conf", "10-mail.conf", "10-master.conf", "10-ssl.conf",
          "15-lda.conf", "15-mailboxes.conf", "20-imap.conf", "20-lmtp.conf", "20-pop3.conf",
          "auth-passwdfile.conf.ext", "auth-sql.conf.ext", "auth-system.conf.ext"]


def test_example_config_tree_is_installed_and_parses(staged):
    confdir = staged.path("sysconfdir", "loft")
    assert sorted(p.name for p in (confdir / "conf.d").iterdir()) == CONF_D
    loft_conf = confdir / "loft.conf"
    assert loft_conf.read_text().rstrip().endswith("!include conf.d/*.conf")
    # A pristine copy for comparison after upgrades.
    docs = staged.path("datadir", "doc", "loft", "example-config")
    assert (docs / "loft.conf").read_bytes() == loft_conf.read_bytes()

    r = run([str(program_path(staged, "loftconf")), "-c", str(loft_conf), "-n"], env=staged.env())
    assert r.returncode == 0, r.stderr
    # Only implemented settings: no "not implemented" warnings.
    assert "arning" not in r.stderr, r.stderr
    out = r.stdout
    assert "mail_location = maildir:~/Maildir" in out
    assert "auth_mechanisms = plain login" in out
    assert re.search(r"passdb \{\s*driver = pam\s*\}", out), out
    assert re.search(r"userdb \{\s*driver = passwd\s*\}", out), out
    assert re.search(r'mailbox Trash \{\s*special_use = "\\\\Trash"\s*\}', out), out

    # The other auth includes parse too.
    text = (confdir / "conf.d" / "10-auth.conf").read_text()
    for ext in ("auth-passwdfile.conf.ext", "auth-sql.conf.ext"):
        variant = text.replace("!include auth-system.conf.ext", "#").replace(f"#!include {ext}", f"!include {ext}")
        (confdir / "conf.d" / "10-auth.conf").write_text(variant)
        try:
            r = run([str(program_path(staged, "loftconf")), "-c", str(loft_conf), "-n", "passdb"],
                    env=staged.env())
            assert r.returncode == 0, f"{ext}: {r.stderr}"
            assert ("passwd-file" if "passwd" in ext else "driver = sql") in r.stdout
        finally:
            (confdir / "conf.d" / "10-auth.conf").write_text(text)


def test_reinstall_keeps_an_edited_config(staged):
    loft_conf = staged.path("sysconfdir", "loft", "loft.conf")
    original = loft_conf.read_text()
    edited = original + "\n# edited by the admin\nlogin_greeting = Edited.\n"
    loft_conf.write_text(edited)
    removed = staged.path("sysconfdir", "loft", "conf.d", "20-pop3.conf")
    removed_text = removed.read_text()
    removed.unlink()
    try:
        staged.install()
        assert loft_conf.read_text() == edited
        # A file that is missing is installed again.
        assert removed.read_text() == removed_text
    finally:
        loft_conf.write_text(original)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_staged_loftd_runs_its_own_workers(staged):
    """loftd looks for its workers relative to itself (libexecdir/loft) before
    the configured prefix: the staged loftd plans the staged workers."""
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="loft-install-run-", dir="/tmp"))
    workdir.chmod(0o755)
    conf = workdir / "loft.conf"
    mail_uid = "mail_uid = nobody\n" if os.geteuid() == 0 else ""
    conf.write_text(textwrap.dedent(f"""\
        protocols = imap
        listen = 127.0.0.1
        base_dir = {workdir}/run
        log_path = /dev/stderr
        ssl = no
        mail_location = maildir:{workdir}/mail/%u
        passdb {{
          driver = static
          args = password=secret
        }}
        service imap-login {{
          inet_listener imap {{
            port = {free_port()}
          }}
        }}
        """) + mail_uid)
    loftd = subprocess.Popen([str(program_path(staged, "loftd")), "-c", str(conf)], env=staged.env(),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # A loftd that never finishes its banner fails the test instead of hanging it.
    watchdog = threading.Timer(60, loftd.kill)
    watchdog.start()
    try:
        out = ""
        for line in loftd.stdout:
            out += line
            if "Stop with" in line:
                break
        # The banner names the program of each service.
        assert f"of {program_path(staged, 'loft-imapd')}" in out, out
        assert f"of {program_path(staged, 'loft-authd')}" in out, out
    finally:
        watchdog.cancel()
        loftd.terminate()
        try:
            loftd.wait(timeout=60)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
