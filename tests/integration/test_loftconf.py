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
                 "  imap_max_line_length = 128k\n"
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
        "  imap_max_line_length = 128k",
        "}",
    ]


def test_explicit_defaults_are_shown_by_capital_n(loftconf, tmp_path):
    conf = write(tmp_path / "loft.conf",
                 "ssl = required\n"
                 "log_path = syslog\n"           # the default, but written: -N shows it
                 "imap_max_line_length = 64 k\n"
                 "service imap-login {\n  inet_listener imap {\n    port = 1143\n  }\n"
                 "  inet_listener unused {\n  }\n}\n")
    r = run(loftconf, "-c", conf, "-N")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1:] == [
        "imap_max_line_length = 64 k",
        "log_path = syslog",
        "ssl = required",
        "service imap-login {",
        "  inet_listener imap {",
        "    port = 1143",
        "  }",
        "}",
    ]
    n = run(loftconf, "-c", conf, "-n")
    assert n.stdout.splitlines()[1:] == ["ssl = required", "service imap-login {",
                                         "  inet_listener imap {", "    port = 1143", "  }", "}"]


def test_default_dump_lists_every_implemented_setting(loftconf, tmp_path):
    conf = write(tmp_path / "loft.conf", "ssl = no\nmail_plugins = quota\n")
    r = run(loftconf, "-c", conf)
    assert r.returncode == 0
    assert "ssl = no" in r.stdout.splitlines()
    assert "imap_max_line_length = 64k" in r.stdout.splitlines()
    assert "mail_plugins = quota" in r.stdout.splitlines()  # set, though not implemented
    assert "quota_full_tempfail" not in r.stdout           # unset and not implemented
    assert r.stderr == (f"loftconf: Warning: {conf}:2: setting 'mail_plugins' is not "
                        "implemented by Loft yet; ignored\n")
    everything = run(loftconf, "-c", conf, "-a")
    assert everything.returncode == 0
    assert "quota_full_tempfail = no" in everything.stdout.splitlines()


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
     "section 'service imap-login' starting here is not closed (missing '}')"),
    ("service imap-login {\n  inet_listener imap {\n    port = 143\n", 2,
     "section 'inet_listener imap' starting here is not closed (missing '}')"),
    ("service imap-login {\n  inet_listener imap {\n    port = 99999\n  }\n}\n", 3,
     "invalid value '99999' for setting 'port': expected an integer from 0 to 65535"),
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
    assert (f"loftconf: Warning: {DATA}/conf.d/10-mail.conf:13: setting 'mmap_disable' is not "
            "implemented by Loft yet; ignored") in warnings
    # Namespaces and the storage settings the mail user reads load silently.
    assert not [w for w in warnings if "'separator'" in w or "'mail_fsync'" in w or "'mail_location'" in w]
    # Authentication is implemented: its settings and passdb/userdb blocks load silently.
    assert not [w for w in warnings if "10-auth.conf" in w or "auth-passwdfile" in w]
    # One warning per setting, naming the first place: mail_plugins is set three times.
    assert [w for w in warnings if "'mail_plugins'" in w] == [
        f"loftconf: Warning: {DATA}/dovecot-like.conf:14: setting 'mail_plugins' is not "
        "implemented by Loft yet; ignored (used in 3 places; this is the first)"]
    assert len(warnings) == len(set(w.split(": ", 3)[3] for w in warnings))
    # Settings registered but read by nothing yet warn too.
    assert (f"loftconf: Warning: {DATA}/conf.d/10-master.conf:15: setting 'service_count' in "
            "'service' section is not implemented by Loft yet; ignored") in warnings
    out = r.stdout.splitlines()
    assert "ssl = required" in out
    assert "first_valid_uid = 5000" in out
    # A relative <file is printed absolute, so the output reads the same file anywhere.
    assert f"ssl_cert = <{DATA}/tls/cert.pem" in out
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
    assert r.stdout == f"ssl_key = <{DATA}/tls/key.pem\n"


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


def test_negated_protocol_block_does_not_hide_the_global_value(loftconf, tmp_path):
    conf = write(tmp_path / "loft.conf",
                 "auth_verbose = yes\nprotocol !pop3 {\n  auth_verbose = no\n}\n")
    # Without -f: the global value, as doveconf shows it.
    assert run(loftconf, "-c", conf, "auth_verbose").stdout == "auth_verbose = yes\n"
    assert run(loftconf, "-c", conf, "-f", "protocol=imap", "-h",
               "auth_verbose").stdout == "no\n"
    assert run(loftconf, "-c", conf, "-f", "protocol=pop3", "-h",
               "auth_verbose").stdout == "yes\n"
    r = run(loftconf, "-c", conf, "-n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1:] == [
        "auth_verbose = yes", "protocol !pop3 {", "  auth_verbose = no", "}"]


def test_filters_select_what_a_connection_sees(loftconf, tmp_path):
    conf = write(tmp_path / "loft.conf",
                 "ssl_cipher_suites = global\n"
                 "local 10.0.0.1 {\n  ssl_cipher_suites = local\n}\n"
                 "local_name mail.example.com {\n  ssl_cipher_suites = sni\n}\n"
                 "remote 2001:db8::/32 {\n  protocol imap {\n    ssl_cipher_suites = v6 imap\n"
                 "  }\n}\n")
    def value(*filters):
        args = [a for f in filters for a in ("-f", f)]
        r = run(loftconf, "-c", conf, *args, "-h", "ssl_cipher_suites")
        assert r.returncode == 0, r.stderr
        return r.stdout
    assert value() == "global\n"
    assert value("local=10.0.0.1") == "local\n"
    assert value("lip=10.0.0.2") == "global\n"
    assert value("local_name=mail.example.com") == "sni\n"
    assert value("lname=mail.example.com", "local=10.0.0.1") == "local\n"
    assert value("remote=2001:db8::7") == "global\n"
    assert value("remote=2001:db8::7", "protocol=imap") == "v6 imap\n"
    # A whole dump as that connection sees it.
    r = run(loftconf, "-c", conf, "-f", "local_name=mail.example.com")
    assert "ssl_cipher_suites = sni" in r.stdout.splitlines()
    for bad, why in [("remote=mail", "'mail' is not an IP address"),
                     ("colour=red", "unknown filter 'colour': expected protocol, local, remote "
                                    "or local_name"),
                     ("protocol", "expected NAME=VALUE with NAME protocol, local, remote or "
                                  "local_name")]:
        r = run(loftconf, "-c", conf, "-f", bad, "ssl")
        assert r.returncode == 1
        assert r.stderr == f"loftconf: Error: bad filter '{bad}': {why}\n"


# Every lookup context the round-trip test compares: each protocol and
# negation in the configs, networks inside and outside their blocks, SNI names.
CONTEXTS = [
    [f for f in (p, r, l, n) if f]
    for p in ("", "protocol=imap", "protocol=pop3", "protocol=lmtp", "protocol=indexer-worker",
              "protocol=sieve")
    for r in ("", "remote=192.168.7.7", "remote=10.9.9.9")
    for l in ("", "local=10.0.0.1")
    for n in ("", "local_name=mail.example.org", "local_name=other.example.org")
]


def effective_values(loftconf, conf, context):
    """Every global setting as `context` sees it, then every block with its
    defaults filled in, minus what cannot matter: override blocks that set
    nothing and disabled (port 0) inet_listeners."""
    args = [a for f in context for a in ("-f", f)]
    r = run(loftconf, "-c", conf, "-P", "-a", *args)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()[1:]  # not the "# Loft VERSION: PATH" line
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        indent = line[:len(line) - len(line.lstrip())]
        words = line.split()
        if line.endswith(" {") and words[0] in ("protocol", "local", "remote", "local_name"):
            if lines[i + 1] == indent + "}":
                i += 2
                continue
        if line.endswith(" {") and words[0] == "inet_listener":
            end = lines.index(indent + "}", i)
            if indent + "  port = 0" in lines[i:end]:
                i = end + 1
                continue
        out.append(line)
        i += 1
    return out


@pytest.mark.parametrize("source", ["dovecot-like", "negated-protocol", "tricky"])
def test_non_default_output_means_the_same_in_every_context(loftconf, tmp_path, source):
    if source == "dovecot-like":
        conf = DATA / "dovecot-like.conf"
    elif source == "negated-protocol":
        conf = write(tmp_path / "src" / "loft.conf",
                     "auth_verbose = yes\nprotocol !pop3 {\n  auth_verbose = no\n}\n")
    else:
        write(tmp_path / "src" / "conf.d" / "key.pem", "not really a key\n")
        write(tmp_path / "src" / "conf.d" / "10-ssl.conf",
              "ssl_key = <key.pem\nlocal_name mail.example.org {\n  ssl_dh = <../dh.pem\n}\n")
        write(tmp_path / "src" / "dh.pem", "dh params\n")
        conf = write(tmp_path / "src" / "loft.conf",
                     "auth_debug = no\n"                      # default, overridden below
                     "protocol imap {\n  auth_debug = yes\n}\n"
                     "protocol !imap {\n  mail_debug = yes\n  remote 10.0.0.0/8 {\n"
                     "    mail_debug = no\n  }\n}\n"
                     "log_timestamp = \"%H:%M $x \"\n"
                     "!include conf.d/*.conf\n")
    first = run(loftconf, "-c", conf, "-n", "-P")
    assert first.returncode == 0, first.stderr
    # Saved somewhere else entirely: <file paths must not depend on where.
    again = write(tmp_path / "elsewhere" / "again.conf",
                  "".join(first.stdout.splitlines(keepends=True)[1:]))
    second = run(loftconf, "-c", again, "-n", "-P")
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines()[1:] == first.stdout.splitlines()[1:]
    for context in CONTEXTS:
        assert (effective_values(loftconf, again, context) ==
                effective_values(loftconf, conf, context)), context
