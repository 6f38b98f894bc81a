"""loftconf on real files: dumps, single values, and the errors an admin sees.

Every error must fail fast with exit code 1 and a message that names file:line
and the bad token; Dovecot settings Loft does not implement only warn.
"""
import os
import pathlib
import subprocess

import pytest

DATA = pathlib.Path(__file__).resolve().parent / "data"
ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def loftconf(build_dir):
    exe = build_dir / "daemons" / "loftconf" / "loftconf"
    if not exe.exists():
        pytest.fail(f"{exe} is not built")
    return exe


def run(exe, *args, env=None, cwd=None):
    full_env = {k: v for k, v in os.environ.items() if k != "LOFT_CONFIG"}
    full_env.update(env or {})
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=60)


def write(path: pathlib.Path, text: str) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_non_default_shows_only_changed_settings_and_blocks(loftconf, tmp_path):
    conf = write(tmp_path / "loft.conf",
                 "ssl = required\n"
                 "log_path = syslog\n"           # the default: not shown
                 "imap_max_line_length = 64 k\n"  # the default written differently
                 "first_valid_uid = 1000\n"
                 "service imap-login {\n"
                 "  inet_listener imap {\n"
                 "    port = 1143\n"
                 "  }\n"
                 "  inet_listener unused {\n"
                 "  }\n"
                 "}\n"
                 "protocol imap {\n"
                 "  login_greeting = IMAP here\n"
                 "}\n")
    r = run(loftconf, "-c", conf, "-n")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0] == f"# Loft 0.1.0: {conf}"
    assert lines[1:] == [
        "first_valid_uid = 1000",
        "ssl = required",
        "service imap-login {",
        "  inet_listener imap {",
        "    port = 1143",
        "  }",
        "}",
        "protocol imap {",
        "  login_greeting = IMAP here",
        "}",
    ]


def test_default_dump_lists_every_implemented_setting(loftconf, tmp_path):
    conf = write(tmp_path / "loft.conf", "ssl = no\nmail_plugins = quota\n")
    r = run(loftconf, "-c", conf)
    assert r.returncode == 0
    assert "ssl = no" in r.stdout.splitlines()
    assert "imap_max_line_length = 64k" in r.stdout.splitlines()
    assert "mail_plugins = quota" in r.stdout.splitlines()  # set, though not implemented
    assert "pop3_uidl_format" not in r.stdout              # unset and not implemented
    assert r.stderr == (f"loftconf: Warning: {conf}:2: setting 'mail_plugins' is not "
                        "implemented by Loft yet; ignored\n")
    everything = run(loftconf, "-c", conf, "-a")
    assert everything.returncode == 0
    assert "pop3_uidl_format = %08Xu%08Xv" in everything.stdout.splitlines()


def test_all_fills_in_block_defaults(loftconf, tmp_path):
    conf = write(tmp_path / "loft.conf",
                 "service imap-login {\n  inet_listener imap {\n    port = 143\n  }\n}\n")
    r = run(loftconf, "-c", conf, "-a")
    assert r.returncode == 0
    out = r.stdout
    block = out[out.index("service imap-login {"):]
    assert "  process_limit = 0\n" in block
    assert "    port = 143\n" in block
    assert "    ssl = no\n" in block
    assert "    haproxy = no\n" in block


def test_single_values(loftconf, tmp_path):
    conf = write(tmp_path / "loft.conf",
                 "ssl = required\n"
                 "mail_plugins = quota\n"
                 "protocol imap {\n  mail_plugins = $mail_plugins imap_quota\n}\n"
                 "remote 10.0.0.0/8 {\n  login_greeting = hello LAN\n}\n")
    r = run(loftconf, "-c", conf, "ssl", "imap_max_line_length", "log_path")
    assert r.returncode == 0
    assert r.stdout == "ssl = required\nimap_max_line_length = 64k\nlog_path = syslog\n"
    r = run(loftconf, "-c", conf, "-h", "ssl")
    assert r.stdout == "required\n"
    r = run(loftconf, "-c", conf, "mail_plugins")
    assert r.stdout == "mail_plugins = quota\n"
    r = run(loftconf, "-c", conf, "-f", "protocol=imap", "mail_plugins")
    assert r.stdout == "mail_plugins = quota imap_quota\n"
    r = run(loftconf, "-c", conf, "-f", "remote=10.1.2.3", "-h", "login_greeting")
    assert r.stdout == "hello LAN\n"
    r = run(loftconf, "-c", conf, "-h", "login_greeting")
    assert r.stdout == "Loft ready.\n"
    r = run(loftconf, "-c", conf, "-h", "ssl_cert")
    assert r.stdout == "\n"


def test_unknown_name_on_the_command_line(loftconf, tmp_path):
    conf = write(tmp_path / "loft.conf", "ssl = no\n")
    r = run(loftconf, "-c", conf, "ssl", "no_such_thing")
    assert r.returncode == 1
    assert r.stdout == "ssl = no\n"
    assert r.stderr == "loftconf: Error: unknown setting 'no_such_thing'\n"


def test_block_type_prints_its_blocks(loftconf, tmp_path):
    conf = write(tmp_path / "loft.conf",
                 "plugin {\n  quota = maildir:User quota\n  quota_rule = *:storage=1G\n}\n")
    r = run(loftconf, "-c", conf, "plugin")
    assert r.returncode == 0
    assert r.stdout == "plugin {\n  quota = maildir:User quota\n  quota_rule = *:storage=1G\n}\n"


@pytest.mark.parametrize("text, line, message", [
    ("ssl = yes\n\nfoo_bar = 1\n", 3, "unknown setting 'foo_bar'"),
    ("default_vsz_limit = 12X\n", 1,
     "invalid value '12X' for setting 'default_vsz_limit': expected a size like 512, 64k, 10M, "
     "1G or 2T"),
    ("ssl = maybe\n", 1,
     "invalid value 'maybe' for setting 'ssl': expected one of no, yes, required"),
    ("ssl = no\nservice imap-login {\n  inet_listener imap {\n    port = 143\n  }\n", 2,
     "section 'service imap-login' is not closed (missing '}')"),
    ("ssl = no\n}\n", 2, "unexpected '}' (no section is open)"),
    ("login_greeting = \"unterminated\n", 1,
     "unterminated quote in value of 'login_greeting'"),
    ("service imap {\n  client_limit = many\n}\n", 2,
     "invalid value 'many' for setting 'client_limit': expected a non-negative integer"),
])
def test_bad_config_exits_1_naming_file_and_line(loftconf, tmp_path, text, line, message):
    conf = write(tmp_path / "loft.conf", text)
    r = run(loftconf, "-c", conf, "-n")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == f"loftconf: Error: {conf}:{line}: {message}\n"


def test_missing_include_exits_1(loftconf, tmp_path):
    conf = write(tmp_path / "loft.conf", "ssl = no\n!include conf.d/missing.conf\n")
    r = run(loftconf, "-c", conf)
    assert r.returncode == 1
    assert r.stderr == (f"loftconf: Error: {conf}:2: cannot read include file "
                        f"'{tmp_path}/conf.d/missing.conf': No such file or directory\n")
    # include_try of a missing file is fine, and so is a glob matching nothing.
    ok = write(tmp_path / "ok.conf", "!include_try local.conf\n!include conf.d/*.conf\n")
    r = run(loftconf, "-c", ok, "-n")
    assert r.returncode == 0, r.stderr


def test_error_in_included_file_names_that_file(loftconf, tmp_path):
    conf = write(tmp_path / "loft.conf", "!include conf.d/*.conf\n")
    write(tmp_path / "conf.d" / "10-ok.conf", "ssl = no\n")
    bad = write(tmp_path / "conf.d" / "20-bad.conf", "# size\n\ndefault_vsz_limit = 1 Q\n")
    r = run(loftconf, "-c", conf)
    assert r.returncode == 1
    assert r.stderr.startswith(f"loftconf: Error: {bad}:3: invalid value '1 Q'")


def test_include_loop_exits_1(loftconf, tmp_path):
    a = write(tmp_path / "a.conf", "!include b.conf\n")
    b = write(tmp_path / "b.conf", "!include a.conf\n")
    r = run(loftconf, "-c", a)
    assert r.returncode == 1
    assert r.stderr == (f"loftconf: Error: {b}:1: include loop: '{tmp_path}/a.conf' is "
                        "already being read\n")


def test_missing_config_file(loftconf, tmp_path):
    r = run(loftconf, "-c", tmp_path / "nope.conf")
    assert r.returncode == 1
    assert r.stderr == (f"loftconf: Error: {tmp_path}/nope.conf: cannot read config file: "
                        "No such file or directory\n")


def test_dovecot_like_config_loads_with_warnings_only(loftconf):
    conf = DATA / "dovecot-like.conf"
    r = run(loftconf, "-c", conf, "-n")
    assert r.returncode == 0, r.stderr
    warnings = r.stderr.splitlines()
    assert warnings, "unimplemented Dovecot settings must be reported"
    for w in warnings:
        assert w.startswith("loftconf: Warning: "), w
        assert "is not implemented by Loft yet; ignored" in w
    assert (f"loftconf: Warning: {DATA}/conf.d/10-auth.conf:2: setting 'auth_mechanisms' is not "
            "implemented by Loft yet; ignored") in warnings
    # One warning per use: mail_plugins is set three times.
    assert sum("'mail_plugins'" in w for w in warnings) == 3
    out = r.stdout.splitlines()
    assert "ssl = required" in out
    assert "first_valid_uid = 5000" in out
    assert "ssl_cert = <../tls/cert.pem" in out
    assert "service imap-login {" in out
    assert "  mailbox \"Sent Messages\" {" in out


def test_dovecot_like_config_values(loftconf):
    conf = DATA / "dovecot-like.conf"
    r = run(loftconf, "-c", conf, "-f", "protocol=imap", "mail_plugins", "default_vsz_limit",
            "log_timestamp", "mail_location")
    assert r.returncode == 0
    assert r.stdout.splitlines() == [
        "mail_plugins = quota imap_quota",
        "default_vsz_limit = 512 M",
        'log_timestamp = "%Y-%m-%d %H:%M:%S "',
        "mail_location = maildir:~/Maildir:LAYOUT=fs",
    ]
    r = run(loftconf, "-c", conf, "-f", "protocol=lmtp", "-h", "mail_plugins")
    assert r.stdout == "quota sieve\n"
    r = run(loftconf, "-c", conf, "-f", "remote=192.168.7.7", "-h", "login_greeting")
    assert r.stdout == "Internal mail server ready.\n"
    r = run(loftconf, "-c", conf, "-P", "-f", "local_name=mail.example.org", "ssl_key")
    assert r.stdout == "ssl_key = <../tls/key.pem\n"


def test_non_default_output_reads_back_the_same(loftconf, tmp_path):
    conf = write(tmp_path / "loft.conf",
                 "login_greeting = \"  padded # with hash  \"\n"
                 "log_timestamp = cost $5\n"
                 "instance_name = 'quoted'\n"
                 "ssl_cipher_list = HIGH:!aNULL\n"
                 "namespace inbox {\n  mailbox \"Sent Messages\" {\n    auto = subscribe\n  }\n}\n"
                 "plugin {\n  quota_rule = *:storage=1G\n}\n")
    first = run(loftconf, "-c", conf, "-n")
    assert first.returncode == 0
    body = "".join(first.stdout.splitlines(keepends=True)[1:])
    again_conf = write(tmp_path / "again.conf", body)
    second = run(loftconf, "-c", again_conf, "-n")
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines()[1:] == first.stdout.splitlines()[1:]
    assert 'login_greeting = "  padded # with hash  "' in first.stdout.splitlines()


def test_secrets_are_hidden_unless_asked(loftconf, tmp_path):
    conf = write(tmp_path / "loft.conf", "ssl_key_password = s3cret\n")
    r = run(loftconf, "-c", conf, "-n")
    assert "ssl_key_password = # hidden, use -P to show it" in r.stdout.splitlines()
    assert "s3cret" not in r.stdout
    r = run(loftconf, "-c", conf, "-P", "ssl_key_password")
    assert r.stdout == "ssl_key_password = s3cret\n"


def test_config_from_environment_and_defaults(loftconf, tmp_path):
    conf = write(tmp_path / "env.conf", "instance_name = from-env\n")
    r = run(loftconf, "-h", "instance_name", env={"LOFT_CONFIG": str(conf)})
    assert r.returncode == 0
    assert r.stdout == "from-env\n"
    # -c wins over the environment.
    other = write(tmp_path / "other.conf", "instance_name = from-c\n")
    r = run(loftconf, "-c", other, "-h", "instance_name", env={"LOFT_CONFIG": str(conf)})
    assert r.stdout == "from-c\n"
    # -d ignores every file.
    r = run(loftconf, "-d", "-h", "instance_name", env={"LOFT_CONFIG": str(conf)})
    assert r.stdout == "loft\n"
    r = run(loftconf, "-d", "-n")
    assert r.stdout == "# Loft 0.1.0: no config file, built-in defaults\n"


def test_settings_doc_matches_the_committed_reference(loftconf):
    r = run(loftconf, "--settings-doc")
    assert r.returncode == 0
    committed = (ROOT / "docs" / "settings.md").read_text()
    assert r.stdout == committed, "docs/settings.md is stale: regenerate it with loftconf --settings-doc"
    for name in ("ssl", "imap_max_line_length", "default_vsz_limit", "process_limit", "port",
                 "mail_plugins"):
        assert f"| `{name}` |" in r.stdout
