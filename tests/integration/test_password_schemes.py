"""Password schemes against Dovecot: every hash Loft writes (every scheme,
every encoding suffix, explicit rounds, credentials converted from
plaintext) verifies with Dovecot 2.3's `doveadm pw -t`, and every hash
`doveadm pw -s` writes verifies in Loft. Loft's side runs through
loft-pw-tool (tests/support/pw_tool.cpp), which calls libmailstore's
hash_password_rounds, verify_password and credentials_for."""
import shutil
import subprocess

import pytest

DOVEADM = shutil.which("doveadm")
USER = "al ice@sub@example.org"
# Spaces, a colon, a dollar, quotes, non-ASCII: what a shell or a
# "user:realm:pass" join would get wrong.
PASSWORD = "p4ss w:rd$ 'x\" \u00e4\u20ac"

SCHEMES = ["PLAIN", "CLEARTEXT", "CLEAR", "CRYPT", "DES-CRYPT", "MD5-CRYPT", "MD5", "SHA256-CRYPT",
           "SHA512-CRYPT", "BLF-CRYPT", "PLAIN-MD5", "LDAP-MD5", "SMD5", "SHA", "SHA1", "SSHA", "SHA256",
           "SSHA256", "SHA512", "SSHA512", "CRAM-MD5", "HMAC-MD5", "DIGEST-MD5", "SCRAM-SHA-1",
           "SCRAM-SHA-256", "PBKDF2", "ARGON2I", "ARGON2ID"]
SUFFIXES = ["", ".HEX", ".B64", ".BASE64"]

pytestmark = pytest.mark.skipif(DOVEADM is None, reason="doveadm (dovecot-core) is not installed")


@pytest.fixture(scope="module")
def tool(build_dir):
    exe = build_dir / "tests" / "support" / "loft-pw-tool"
    if not exe.exists():
        pytest.fail(f"{exe} not built")
    return str(exe)


def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def doveadm_verifies(stored, password=PASSWORD):
    out = run([DOVEADM, "pw", "-t", stored, "-p", password, "-u", USER])
    return out.returncode == 0 and out.stdout == stored + " (verified)\n", out.stderr


def test_the_tool_lists_every_scheme_loft_knows(tool):
    # hash with an unknown scheme fails; all of SCHEMES are accepted (below).
    out = run([tool, "hash", "NOPE", "x"])
    assert (out.returncode, out.stdout, out.stderr) == (2, "", "unknown password scheme NOPE\n")
    out = run([tool, "hash", "x"])
    assert out.returncode == 64


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_loft_hash_verifies_in_dovecot(tool, scheme, suffix):
    name = scheme + suffix
    made = run([tool, "hash", name.lower(), PASSWORD, USER])
    assert made.returncode == 0, made.stderr
    stored = made.stdout.rstrip("\n")
    assert made.stdout == stored + "\n"
    assert stored.startswith("{" + name + "}")
    ok, err = doveadm_verifies(stored)
    assert ok, (stored, err)
    wrong = run([DOVEADM, "pw", "-t", stored, "-p", PASSWORD + "x", "-u", USER])
    if scheme != "DES-CRYPT":  # DES reads the first 8 characters only
        assert wrong.returncode != 0
    assert run([tool, "verify", stored, PASSWORD, USER]).stdout == "match\n"


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_dovecot_hash_verifies_in_loft(tool, scheme, suffix):
    name = scheme + suffix
    made = run([DOVEADM, "pw", "-s", name, "-p", PASSWORD, "-u", USER])
    assert made.returncode == 0, made.stderr
    stored = made.stdout.rstrip("\n")
    out = run([tool, "verify", stored, PASSWORD, USER])
    assert (out.returncode, out.stdout, out.stderr) == (0, "match\n", ""), stored
    if scheme != "DES-CRYPT":
        out = run([tool, "verify", stored, PASSWORD[:-1], USER])
        assert (out.returncode, out.stdout) == (1, "mismatch\n"), stored


@pytest.mark.parametrize("scheme,rounds,prefix", [
    ("SHA512-CRYPT", 6000, "{SHA512-CRYPT}$6$rounds=6000$"),
    ("SHA256-CRYPT", 1000, "{SHA256-CRYPT}$5$rounds=1000$"),
    ("BLF-CRYPT", 4, "{BLF-CRYPT}$2y$04$"),
    ("CRYPT", 6, "{CRYPT}$2y$06$"),
    ("PBKDF2", 1234, "{PBKDF2}$1$"),
])
def test_explicit_rounds_verify_in_dovecot(tool, scheme, rounds, prefix):
    made = run([tool, "hash", scheme, PASSWORD, USER, str(rounds)])
    assert made.returncode == 0, made.stderr
    stored = made.stdout.rstrip("\n")
    assert stored.startswith(prefix)
    ok, err = doveadm_verifies(stored)
    assert ok, (stored, err)


@pytest.mark.parametrize("scheme,rounds", [("SHA512-CRYPT", 7000), ("PBKDF2", 777), ("BLF-CRYPT", 5)])
def test_dovecot_rounds_verify_in_loft(tool, scheme, rounds):
    made = run([DOVEADM, "pw", "-s", scheme, "-r", str(rounds), "-p", PASSWORD])
    stored = made.stdout.rstrip("\n")
    assert run([tool, "verify", stored, PASSWORD]).stdout == "match\n"


@pytest.mark.parametrize("wanted", ["CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN"])
@pytest.mark.parametrize("stored", ["{PLAIN}" + PASSWORD, "{PLAIN.B64}cDRzcyB3OnJkJCAneCIgw6Tigqw="])
def test_credentials_from_plaintext_verify_in_dovecot(tool, stored, wanted):
    out = run([tool, "credentials", stored, wanted, USER])
    assert out.returncode == 0, out.stderr
    data = out.stdout.rstrip("\n")
    ok, err = doveadm_verifies("{" + wanted + "}" + data)
    assert ok, (data, err)


def test_credentials_refused_for_a_hash(tool):
    made = run([DOVEADM, "pw", "-s", "SHA512-CRYPT", "-p", PASSWORD])
    out = run([tool, "credentials", made.stdout.rstrip("\n"), "CRAM-MD5"])
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == "SHA512-CRYPT password cannot be used for CRAM-MD5\n"


@pytest.mark.parametrize("stored,message", [
    ("{SHA512-CRYPT}$6$rounds=999999999$abcdefgh$2r3bh53yLb.qDlfrFUkXNu5hu4Dxp0dhqf9TY5JZ9W6DdZWkht6EQZ7yDeZK24ly",
     "malformed SHA512-CRYPT hash: rounds missing or above 1000000"),
    ("{BLF-CRYPT}$2y$31$abcdefghijklmnopqrstuuoD8yw7MmybLKVooaTGGZAt3HXugv2.a",
     "malformed BLF-CRYPT hash: bcrypt cost missing or above 13"),
    ("{ARGON2ID}$argon2id$v=19$m=4194304,t=3,p=1$wpkR3IiuEWTeVtMarrtXPQ$vrSvfMd4+Vozafw17hHF1a9F/c76xiwFOFYuYrsD/pY",
     "malformed ARGON2ID hash: memory cost missing or above 256 MiB"),
    # Ran `loftadm auth test` for over 60 s with the earlier bounds.
    ("{ARGON2ID}$argon2id$v=19$m=1048576,t=32,p=16$wpkR3IiuEWTeVtMarrtXPQ$vrSvfMd4+Vozafw17hHF1a9F/c76xiwFOFYuYrsD/pY",
     "malformed ARGON2ID hash: memory cost missing or above 256 MiB"),
    ("{ARGON2ID}$argon2id$v=19$m=262144,t=10,p=8$wpkR3IiuEWTeVtMarrtXPQ$vrSvfMd4+Vozafw17hHF1a9F/c76xiwFOFYuYrsD/pY",
     "malformed ARGON2ID hash: memory cost times time cost above 256 MiB"),
    ("{SSHA256}zzz", "malformed SSHA256 hash: invalid base64"),
    ("{XYZ}abc", "unknown password scheme XYZ"),
])
def test_hostile_or_broken_values_fail_fast_with_a_reason(tool, stored, message):
    # The 120 s subprocess timeout is the only clock here: each of these
    # would run for minutes (or allocate 4 GiB) if the bound were missing.
    out = run([tool, "verify", stored, "test"])
    assert (out.returncode, out.stdout, out.stderr) == (2, "", message + "\n")


@pytest.mark.parametrize("cost", [14, 15])
def test_dovecot_bcrypt_above_the_bound_is_refused(tool, cost):
    # doveadm writes these; Loft refuses them (0.9 s and 2.3 s per check here).
    made = run([DOVEADM, "pw", "-s", "BLF-CRYPT", "-r", str(cost), "-p", PASSWORD])
    stored = made.stdout.rstrip("\n")
    assert stored.startswith("{BLF-CRYPT}$2y$%d$" % cost)
    out = run([tool, "verify", stored, PASSWORD])
    assert (out.returncode, out.stdout, out.stderr) == (
        2, "", "malformed BLF-CRYPT hash: bcrypt cost missing or above 13\n")
    bad = run([tool, "hash", "BLF-CRYPT", PASSWORD, "", str(cost)])
    assert (bad.returncode, bad.stdout, bad.stderr) == (2, "", "BLF-CRYPT cost must be at most 13\n")


def test_bcrypt_at_the_bound_verifies_both_ways(tool):
    made = run([tool, "hash", "BLF-CRYPT", PASSWORD, "", "13"])
    assert made.returncode == 0, made.stderr
    stored = made.stdout.rstrip("\n")
    assert stored.startswith("{BLF-CRYPT}$2y$13$")
    ok, err = doveadm_verifies(stored)
    assert ok, (stored, err)
    assert run([tool, "verify", stored, PASSWORD]).stdout == "match\n"


LOCKED_HASH = "$6$rounds=1000$abcdefgh$2r3bh53yLb.qDlfrFUkXNu5hu4Dxp0dhqf9TY5JZ9W6DdZWkht6EQZ7yDeZK24lyrAGTY4m16kRA04M8wzpUT/"


@pytest.mark.parametrize("value", ["*", "*LK*", "!", "!!", "!" + LOCKED_HASH, "x", ""])
@pytest.mark.parametrize("scheme", ["CRYPT", "SHA512-CRYPT", "MD5-CRYPT", "BLF-CRYPT", "DES-CRYPT"])
def test_locked_crypt_values_are_a_mismatch_as_in_dovecot(tool, scheme, value):
    # /etc/shadow's ways of locking an account: the same answer as a wrong
    # password (exit 1), not an error (exit 2, a temporary failure in auth).
    stored = "{%s}%s" % (scheme, value)
    for password in ["test", ""]:
        out = run([tool, "verify", stored, password])
        assert (out.returncode, out.stdout, out.stderr) == (1, "mismatch\n", ""), stored
    # doveadm never accepts them either; its BLF-CRYPT check words the refusal
    # of a non-empty one differently.
    dove = run([DOVEADM, "pw", "-t", stored, "-p", "test"])
    reason = "Password is not blowfish password" if scheme == "BLF-CRYPT" and value else "Password mismatch"
    assert (dove.returncode, dove.stderr) == (
        75, "Fatal: reverse password verification check failed: " + reason + "\n")


def test_locked_accounts_fail_like_unknown_users_in_auth_test(build_dir, tmp_path):
    # Through a real passdb (passwd-file with scheme=CRYPT, as /etc/shadow
    # lines look): a locked account fails exactly as an unknown user (exit
    # 77, "auth failed"), never as a temporary failure (exit 75), which
    # would tell an attacker the account exists. A broken hash still is one.
    loftadm = str(build_dir / "daemons" / "loftadm" / "loftadm")
    users = {"star": "*", "lk": "*LK*", "bang": "!", "bangbang": "!!", "usermod": "!" + LOCKED_HASH,
             "x": "x", "empty": "", "ok": LOCKED_HASH, "broken": "$6$rounds=12"}
    (tmp_path / "passwd").write_text("".join(f"{u}:{h}:1000:1000::/home/{u}::\n" for u, h in users.items()))
    conf = tmp_path / "loft.conf"
    conf.write_text(f"passdb {{\n  driver = passwd-file\n  args = scheme=CRYPT {tmp_path}/passwd\n}}\n"
                    f"userdb {{\n  driver = passwd-file\n  args = {tmp_path}/passwd\n}}\n")

    def auth_test(user, password):
        return subprocess.run([loftadm, "-c", str(conf), "auth", "test", user, password],
                              capture_output=True, text=True, timeout=60)

    for user in ["star", "lk", "bang", "bangbang", "usermod", "x", "empty", "nobody"]:
        out = auth_test(user, "test")
        assert (out.returncode, out.stdout) == (
            77, f"passdb: {user} auth failed\nextra fields:\n  user={user}\n"), (user, out.stderr)
    assert auth_test("ok", "test").returncode == 0
    out = auth_test("broken", "test")
    assert out.returncode == 75, out.stdout + out.stderr
