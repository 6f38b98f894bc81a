"""loftadm pw: every scheme's hashes verify in Dovecot (doveadm pw -t) and in
Loft, doveadm's hashes verify in Loft, and failures look like doveadm's."""
import shutil
import subprocess

import pytest

DOVEADM = shutil.which("doveadm")
USER = "alice@example.org"


@pytest.fixture(scope="module")
def loftadm(build_dir):
    exe = build_dir / "daemons" / "loftadm" / "loftadm"
    if not exe.exists():
        pytest.fail(f"{exe} not built")
    return str(exe)


def run(args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=120)


def schemes(loftadm):
    out = run([loftadm, "pw", "-l"])
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def user_args(scheme):
    # DIGEST-MD5 hashes "user:realm:password", so it needs the user.
    return ["-u", USER] if scheme.startswith("DIGEST-MD5") else []


def test_list_names_the_required_schemes(loftadm):
    listed = schemes(loftadm)
    assert listed == sorted(listed)
    for required in ["PLAIN", "CLEARTEXT", "CRYPT", "MD5-CRYPT", "SHA256-CRYPT", "SHA512-CRYPT",
                     "BLF-CRYPT", "PLAIN-MD5", "LDAP-MD5", "SMD5", "SHA", "SSHA", "SHA256", "SSHA256",
                     "SHA512", "SSHA512", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256",
                     "PBKDF2", "ARGON2I", "ARGON2ID"]:
        assert required in listed


def pytest_generate_tests(metafunc):
    if "scheme" in metafunc.fixturenames:
        # The scheme list comes from the binary at run time; parametrize over
        # the names the issue requires and check in the test that -l lists them.
        metafunc.parametrize("scheme", [
            "PLAIN", "CLEARTEXT", "CRYPT", "MD5-CRYPT", "SHA256-CRYPT", "SHA512-CRYPT", "BLF-CRYPT",
            "PLAIN-MD5", "LDAP-MD5", "SMD5", "SHA", "SSHA", "SHA256", "SSHA256", "SHA512", "SSHA512",
            "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "PBKDF2", "ARGON2I", "ARGON2ID",
            "SHA256.HEX", "SSHA.HEX", "PLAIN.B64", "PLAIN-MD5.B64"])


def test_every_listed_scheme_is_covered(loftadm):
    # A scheme added to password_schemes() without a run here would go
    # untested against doveadm: run them all.
    for scheme in schemes(loftadm):
        out = run([loftadm, "pw", "-s", scheme, "-p", "secret"] + user_args(scheme))
        assert out.returncode == 0, (scheme, out.stderr)
        hash_ = out.stdout.rstrip("\n")
        assert hash_.startswith("{" + scheme + "}"), hash_
        if DOVEADM:
            check = run([DOVEADM, "pw", "-t", hash_, "-p", "secret"] + user_args(scheme))
            assert check.returncode == 0, (scheme, hash_, check.stderr)
            assert check.stdout == hash_ + " (verified)\n"


def test_loft_hash_verifies_in_dovecot_and_loft(loftadm, scheme):
    out = run([loftadm, "pw", "-s", scheme.lower(), "-p", "secret"] + user_args(scheme))
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    hash_ = out.stdout.rstrip("\n")
    assert out.stdout == hash_ + "\n"
    assert hash_.startswith("{" + scheme + "}")

    mine = run([loftadm, "pw", "-t", hash_, "-p", "secret"] + user_args(scheme))
    assert (mine.returncode, mine.stdout) == (0, hash_ + " (verified)\n"), mine.stderr

    if DOVEADM is None:
        pytest.skip("doveadm (dovecot-core) is not installed")
    theirs = run([DOVEADM, "pw", "-t", hash_, "-p", "secret"] + user_args(scheme))
    assert (theirs.returncode, theirs.stdout) == (0, hash_ + " (verified)\n"), theirs.stderr


def test_dovecot_hash_verifies_in_loft(loftadm, scheme):
    if DOVEADM is None:
        pytest.skip("doveadm (dovecot-core) is not installed")
    made = run([DOVEADM, "pw", "-s", scheme, "-p", "secret"] + user_args(scheme))
    assert made.returncode == 0, made.stderr
    hash_ = made.stdout.rstrip("\n")
    out = run([loftadm, "pw", "-t", hash_, "-p", "secret"] + user_args(scheme))
    assert (out.returncode, out.stdout, out.stderr) == (0, hash_ + " (verified)\n", "")

    wrong = run([loftadm, "pw", "-t", hash_, "-p", "Secret"] + user_args(scheme))
    assert wrong.returncode == 75
    assert wrong.stdout == ""
    assert wrong.stderr == "Fatal: reverse password verification check failed: Password mismatch\n"


def test_known_vectors(loftadm):
    # sha256("secret"), base64 and hex (the book prints these garbled).
    out = run([loftadm, "pw", "-s", "sha256", "-p", "secret"])
    assert out.stdout == "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=\n"
    out = run([loftadm, "pw", "-s", "sha256.hex", "-p", "secret"])
    assert out.stdout == "{SHA256.HEX}2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b\n"
    out = run([loftadm, "pw", "-s", "PLAIN", "-p", "secret"])
    assert out.stdout == "{PLAIN}secret\n"
    # DES crypt('test', '4Z'): the book's CRYPT example.
    out = run([loftadm, "pw", "-t", "{CRYPT}4ZtRq3xJ6dR1s", "-p", "test"])
    assert (out.returncode, out.stdout) == (0, "{CRYPT}4ZtRq3xJ6dR1s (verified)\n")


def test_default_scheme_is_doveadms(loftadm):
    out = run([loftadm, "pw", "-p", "secret"])
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("{CRYPT}")
    if DOVEADM:
        made = run([DOVEADM, "pw", "-p", "secret"])
        assert made.stdout.startswith("{CRYPT}")
        check = run([DOVEADM, "pw", "-t", out.stdout.strip(), "-p", "secret"])
        assert check.returncode == 0, check.stderr


def test_reverse_verify_flag(loftadm):
    out = run([loftadm, "pw", "-s", "SHA256", "-p", "secret", "-V"])
    assert out.stdout == "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols= (verified)\n"


def test_password_from_stdin(loftadm):
    # Not a terminal: the first line of stdin, no prompt.
    out = run([loftadm, "pw", "-s", "PLAIN"], stdin="from stdin\nignored\n")
    assert (out.returncode, out.stdout, out.stderr) == (0, "{PLAIN}from stdin\n", "")
    out = run([loftadm, "pw", "-t", "{PLAIN}abc"], stdin="abc\r\n")
    assert (out.returncode, out.stdout) == (0, "{PLAIN}abc (verified)\n")
    out = run([loftadm, "pw", "-s", "PLAIN"], stdin="")
    assert (out.returncode, out.stdout) == (75, "")
    assert out.stderr == "Fatal: Empty passwords are not allowed\n"
    out = run([loftadm, "pw", "-s", "PLAIN"], stdin="\n")
    assert out.returncode == 75
    out = run([loftadm, "pw", "-s", "PLAIN"], stdin="x" * 5000 + "\n")
    assert (out.returncode, out.stdout) == (75, "")


def test_rounds(loftadm):
    out = run([loftadm, "pw", "-s", "SHA512-CRYPT", "-r", "12345", "-p", "secret"])
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("{SHA512-CRYPT}$6$rounds=12345$")
    out2 = run([loftadm, "pw", "-s", "SHA256-CRYPT", "-r", "6000", "-p", "secret"])
    assert out2.stdout.startswith("{SHA256-CRYPT}$5$rounds=6000$")
    out3 = run([loftadm, "pw", "-s", "BLF-CRYPT", "-r", "6", "-p", "secret"])
    assert out3.stdout.startswith("{BLF-CRYPT}$2y$06$")
    out4 = run([loftadm, "pw", "-s", "PBKDF2", "-r", "1500", "-p", "secret"])
    assert out4.stdout.startswith("{PBKDF2}$1$")
    assert out4.stdout.split("$")[3] == "1500"
    for o in (out, out2, out3, out4):
        h = o.stdout.strip()
        assert run([loftadm, "pw", "-t", h, "-p", "secret"]).returncode == 0
        if DOVEADM:
            check = run([DOVEADM, "pw", "-t", h, "-p", "secret"])
            assert check.returncode == 0, (h, check.stderr)
    bad = run([loftadm, "pw", "-s", "SHA256", "-r", "5", "-p", "secret"])
    assert (bad.returncode, bad.stdout) == (75, "")
    assert bad.stderr == "Fatal: scheme SHA256 has no rounds\n"


def test_rounds_bounds_are_the_librarys(loftadm, build_dir):
    """-r goes to hash_password_rounds as given: loftadm accepts and refuses
    exactly what the library does, with the library's message (loft-pw-tool
    calls the same function), so there is one source of truth for the
    bounds."""
    pw_tool = str(build_dir / "tests" / "support" / "loft-pw-tool")
    for scheme, rounds in (("BLF-CRYPT", "3"), ("BLF-CRYPT", "16"), ("BLF-CRYPT", "31"), ("BLF-CRYPT", "32"),
                           ("BLF-CRYPT", "4000000000"), ("CRYPT", "16"), ("SHA512-CRYPT", "1000001"),
                           ("SHA256-CRYPT", "999999999"), ("SHA512-CRYPT", "1000000000"),
                           ("SHA512-CRYPT", "4294967295"), ("PBKDF2", "1000001"), ("PBKDF2", "4000000000"),
                           ("SSHA256", "5"), ("PLAIN", "1")):
        lib = run([pw_tool, "hash", scheme, "secret", "", rounds])
        out = run([loftadm, "pw", "-s", scheme, "-r", rounds, "-p", "secret"])
        if lib.returncode == 0:
            assert (out.returncode, out.stderr) == (0, ""), (scheme, rounds)
            assert out.stdout.startswith("{" + scheme + "}"), (scheme, rounds)
        else:
            assert lib.returncode == 2 and lib.stderr.endswith("\n") and len(lib.stderr) > 1, (scheme, rounds)
            assert (out.returncode, out.stdout, out.stderr) == (75, "", "Fatal: " + lib.stderr), (scheme, rounds)
    # -r 0 is the scheme's default, as with doveadm (bcrypt cost 5).
    out = run([loftadm, "pw", "-s", "BLF-CRYPT", "-r", "0", "-p", "secret"])
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("{BLF-CRYPT}$2y$05$")
    # Not a number that fits: a usage error, before any hashing.
    for rounds in ("-1", "4294967296", "ten"):
        out = run([loftadm, "pw", "-s", "SHA512-CRYPT", "-r", rounds, "-p", "secret"])
        assert (out.returncode, out.stdout) == (64, ""), rounds


def test_unknown_scheme(loftadm):
    out = run([loftadm, "pw", "-s", "NOPE", "-p", "x"])
    assert (out.returncode, out.stdout, out.stderr) == (75, "", "Fatal: Unknown scheme: NOPE\n")
    out = run([loftadm, "pw", "-t", "{NOPE}abc", "-p", "x"])
    assert (out.returncode, out.stdout, out.stderr) == (75, "", "Fatal: Unknown scheme: NOPE\n")


def test_malformed_hashes(loftadm):
    out = run([loftadm, "pw", "-t", "nobrace", "-p", "x"])
    assert (out.returncode, out.stdout, out.stderr) == (75, "", "Fatal: Missing {scheme} prefix from hash\n")
    out = run([loftadm, "pw", "-t", "{SSHA256}zzz", "-p", "x"])
    assert (out.returncode, out.stdout) == (75, "")
    assert out.stderr.startswith("Fatal: reverse decode check failed: ")


def test_digest_md5_needs_user(loftadm):
    out = run([loftadm, "pw", "-s", "DIGEST-MD5", "-p", "x"])
    assert (out.returncode, out.stdout) == (75, "")
    assert out.stderr == "Fatal: DIGEST-MD5 needs the user name (-u USER)\n"


def test_usage_errors(loftadm):
    out = run([loftadm])
    assert out.returncode == 64
    out = run([loftadm, "pw", "--no-such-option"])
    assert out.returncode == 64
    out = run([loftadm, "frobnicate"])
    assert out.returncode == 64
