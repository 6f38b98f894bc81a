"""Loft's FETCH RFC822.SIZE, ENVELOPE, BODY and BODYSTRUCTURE for every
message in tests/corpus/messages/ must equal Dovecot's answer in
tests/corpus/golden/ byte for byte, except for the items listed in
tests/corpus/DIFFERENCES.md (where Dovecot contradicts an RFC).

loft-mime-dump (tests/support/mime_dump.cpp) prints Loft's answers for many
files per run; one test case per message, so each failure is named."""
import ast
import gzip
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
MESSAGES = CORPUS / "messages"
GOLDEN = CORPUS / "golden"
ITEMS = ["RFC822.SIZE", "ENVELOPE", "BODY", "BODYSTRUCTURE"]
CHUNK = 200          # files per loft-mime-dump run
TIMEOUT = 300        # seconds per run; a hang is reported on the file it hung on
SHOW = 400           # bytes of expected/got shown in a failure


def read_golden(message):
    """Dovecot's answer for a message: golden/<message>.fetch, or
    .fetch.gz for the big ones."""
    path = GOLDEN / (message + ".fetch")
    if path.exists():
        return path.read_bytes()
    return gzip.decompress((GOLDEN / (message + ".fetch.gz")).read_bytes())


def corpus_messages():
    return sorted(p.relative_to(MESSAGES).as_posix() for p in MESSAGES.rglob("*")
                  if p.is_file() and not p.name.startswith("."))


MESSAGE_LIST = corpus_messages()


def parse_items(data, pos=0, stop_at_file=False):
    """Parses "NAME LEN\\n<bytes>\\n" items from data[pos:]. Returns
    (list of (name, value), new pos, complete?) where complete is False when
    the data ends inside an item."""
    items = []
    while pos < len(data):
        if stop_at_file and data.startswith(b"== ", pos):
            break
        eol = data.find(b"\n", pos)
        if eol < 0:
            return items, pos, False
        m = re.fullmatch(rb"(\S+) (\d+)", data[pos:eol])
        if not m:
            raise ValueError("bad item line %r" % data[pos:eol][:100])
        start = eol + 1
        end = start + int(m.group(2))
        if end + 1 > len(data):
            return items, pos, False
        if data[end:end + 1] != b"\n":
            raise ValueError("item %s not followed by a newline" % m.group(1).decode())
        items.append((m.group(1).decode(), data[start:end]))
        pos = end + 1
    return items, pos, True


def parse_dump(data):
    """loft-mime-dump output -> ({file: items or error text}, last file seen
    complete?). The last file is dropped when its output is cut short."""
    results = {}
    pos = 0
    complete = True
    while pos < len(data):
        eol = data.find(b"\n", pos)
        if not data.startswith(b"== ", pos) or eol < 0:
            raise ValueError("expected '== FILE' at byte %d" % pos)
        name = data[pos + 3:eol].decode("utf-8", "surrogateescape")
        pos = eol + 1
        if data.startswith(b"ERROR", pos):
            eol = data.find(b"\n", pos)
            if eol < 0:
                complete = False
                break
            results[name] = data[pos:eol].decode("utf-8", "replace")
            pos = eol + 1
            continue
        items, pos, ok = parse_items(data, pos, stop_at_file=True)
        if not ok or len(items) < len(ITEMS):
            complete = False
            break
        results[name] = items
    return results, complete


def run_dump(binary, files):
    """Runs loft-mime-dump over files; a crash or hang is charged to the
    file after the last complete answer, and the rest are run again."""
    results = {}
    pending = list(files)
    while pending:
        crash = None
        try:
            proc = subprocess.run([str(pathlib.Path(binary).resolve()), *pending], cwd=MESSAGES,
                                  capture_output=True, timeout=TIMEOUT)
            out, rc = proc.stdout, proc.returncode
            if rc < 0:
                crash = "crashed with signal %d" % -rc
        except subprocess.TimeoutExpired as e:
            out, crash = e.stdout or b"", "no answer within %d s" % TIMEOUT
        got, _ = parse_dump(out)
        results.update(got)
        done = [f for f in pending if f in got]
        rest = [f for f in pending if f not in got]
        if not rest:
            break
        if crash is None and not done:
            # Not a crash but no answers at all (e.g. the program cannot start).
            err = "ERROR no output (exit status %d): %s" % (rc, proc.stderr[-300:].decode("utf-8", "replace"))
            results.update((f, err) for f in rest)
            break
        if crash is None:
            crash = "no output for this file"
        # Files are answered in order: the first unanswered one is the culprit.
        results[rest[0]] = "ERROR " + crash
        pending = rest[1:]
    return results


def read_differences():
    """The table in DIFFERENCES.md: {(message, item): expected bytes}."""
    text = (CORPUS / "DIFFERENCES.md").read_text(encoding="utf-8")
    m = re.search(r"^```differences\n(.*?)^```", text, re.S | re.M)
    table = {}
    if not m:
        return table
    for lineno, line in enumerate(m.group(1).splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise ValueError("DIFFERENCES.md table row %d: want 3 tab-separated fields" % lineno)
        message, item, expected = fields
        value = ast.literal_eval(expected.strip())
        if not isinstance(value, bytes):
            raise ValueError("DIFFERENCES.md table row %d: expected must be a bytes literal" % lineno)
        table[(message.strip(), item.strip())] = value
    return table


@pytest.fixture(scope="session")
def mime_dump(build_dir):
    binary = build_dir / "tests" / "support" / "loft-mime-dump"
    if not binary.exists():
        pytest.fail("%s is not built" % binary)
    results = {}
    for i in range(0, len(MESSAGE_LIST), CHUNK):
        results.update(run_dump(binary, MESSAGE_LIST[i:i + CHUNK]))
    return results


@pytest.fixture(scope="session")
def differences():
    return read_differences()


def show(value):
    if len(value) <= SHOW:
        return repr(value)
    return "%r... (%d bytes)" % (value[:SHOW], len(value))


def describe(item, expected, got):
    if len(expected) <= SHOW and len(got) <= SHOW:
        return "%s:\n  expected %r\n  got      %r" % (item, expected, got)
    n = next((i for i in range(min(len(expected), len(got))) if expected[i] != got[i]),
             min(len(expected), len(got)))
    lo = max(0, n - 80)
    return ("%s differs at byte %d:\n  expected ...%r\n  got      ...%r\n  expected: %s\n  got:      %s"
            % (item, n, expected[lo:n + 80], got[lo:n + 80], show(expected), show(got)))


def test_every_message_has_a_golden():
    goldens = sorted(re.sub(r"\.fetch(\.gz)?$", "", p.relative_to(GOLDEN).as_posix())
                     for p in GOLDEN.rglob("*.fetch*"))
    assert goldens == MESSAGE_LIST, ("messages without golden: %s; goldens without message: %s" %
                                     (sorted(set(MESSAGE_LIST) - set(goldens))[:10],
                                      sorted(set(goldens) - set(MESSAGE_LIST))[:10]))


def test_differences_table_names_real_items(differences):
    for message, item in differences:
        assert message in MESSAGE_LIST, "DIFFERENCES.md names unknown message %s" % message
        assert item in ITEMS, "DIFFERENCES.md names unknown item %s" % item


@pytest.mark.parametrize("message", MESSAGE_LIST)
def test_message(message, mime_dump, differences):
    golden, pos, ok = parse_items(read_golden(message))
    assert ok and [n for n, _ in golden] == ITEMS, "golden file for %s is damaged" % message
    got = mime_dump.get(message)
    if got is None:
        pytest.fail("loft-mime-dump gave no answer for %s" % message)
    if isinstance(got, str):
        pytest.fail("loft-mime-dump: %s" % got)
    got = dict(got)
    failures = []
    for item, dovecot in golden:
        expected = differences.get((message, item), dovecot)
        value = got.get(item)
        if value is None:
            failures.append("%s missing from loft-mime-dump's output" % item)
        elif value != expected:
            failures.append(describe(item, expected, value))
    if failures:
        pytest.fail("%s:\n%s" % (message, "\n".join(failures)), pytrace=False)
