"""Helpers shared by the corpus writers (handmade.py, generate.py,
malformed.py): deterministic payloads, encoders and file output.

Everything here is deterministic: the same script run twice writes the same
bytes, so the checked-in messages can be regenerated and compared."""
import base64
import io
import os
import pathlib
import quopri
import random
import zipfile

CORPUS = pathlib.Path(__file__).resolve().parents[1]
MESSAGES = CORPUS / "messages"


def write(subdir, name, data, crlf=False):
    """Writes one message. `data` is str (encoded as UTF-8 unless already
    bytes) with LF line ends; crlf=True turns every LF into CRLF."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if crlf:
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    path = MESSAGES / subdir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def clean(subdir):
    """Removes the messages a writer made before, so renamed ones vanish."""
    d = MESSAGES / subdir
    if d.exists():
        for p in sorted(d.rglob("*.eml")):
            p.unlink()


def b64(data, width=76):
    """Base64 in lines of `width` characters (RFC 2045 §6.8: at most 76)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    s = base64.b64encode(data).decode("ascii")
    return "\n".join(s[i:i + width] for i in range(0, len(s), width)) + "\n"


def qp(data):
    """Quoted-printable (RFC 2045 §6.7) of bytes, LF line ends."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return quopri.encodestring(data).decode("ascii")


def qword(text, charset="utf-8"):
    """An RFC 2047 Q encoded word of `text` in `charset`."""
    raw = text.encode(charset)
    out = []
    for b in raw:
        c = chr(b)
        if c == " ":
            out.append("_")
        elif c.isalnum() and b < 128:
            out.append(c)
        else:
            out.append("=%02X" % b)
    return "=?%s?Q?%s?=" % (charset.upper() if charset != "utf-8" else "UTF-8", "".join(out))


def bword(text, charset="utf-8"):
    """An RFC 2047 B encoded word of `text` in `charset`."""
    name = "UTF-8" if charset == "utf-8" else charset
    return "=?%s?B?%s?=" % (name, base64.b64encode(text.encode(charset)).decode("ascii"))


def pseudo_bytes(seed, n):
    """n reproducible pseudo-random bytes."""
    r = random.Random(seed)
    return bytes(r.getrandbits(8) for _ in range(n))


def fake_pdf(title="Report", pages=1):
    """A small, well-formed-looking PDF (text objects, xref skeleton)."""
    objs = ["%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    objs.append("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
    objs.append("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count %d >>\nendobj\n" % pages)
    stream = "BT /F1 24 Tf 72 720 Td (%s) Tj ET" % title
    objs.append("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                "/Contents 4 0 R >>\nendobj\n")
    objs.append("4 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(stream), stream))
    objs.append("trailer\n<< /Root 1 0 R >>\n%%EOF\n")
    return "".join(objs).encode("latin-1") + pseudo_bytes(title, 300)


def fake_png(seed, n=200):
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + pseudo_bytes(seed, n)


def fake_jpeg(seed, n=400):
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + pseudo_bytes(seed, n) + b"\xff\xd9"


def fake_zip(files):
    """A real zip archive with fixed timestamps (deterministic)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files:
            info = zipfile.ZipInfo(name, date_time=(2023, 5, 17, 10, 30, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, content)
    return buf.getvalue()


def relpath_messages():
    return sorted(p.relative_to(MESSAGES).as_posix()
                  for p in MESSAGES.rglob("*") if p.is_file())


def ensure_dir(p):
    os.makedirs(p, exist_ok=True)
