#!/usr/bin/python3
"""Writes tests/corpus/messages/generated/: a couple of hundred messages
combining MIME structure x transfer encoding x charset x header oddities x
line endings, from a fixed seed (same output on every run).

    generate.py [COUNT]       (default 220: gen000..; plus 120 hdr000.. with
                              header-only variety for ENVELOPE; plus 120 mime000..
                              with varied multipart framing)

Every choice is drawn from one random.Random(SEED) in a fixed order, so
changing the code below changes the messages: regenerate the goldens
(make-golden) after editing."""
import random
import sys

from corpuslib import b64, bword, clean, fake_jpeg, fake_pdf, fake_png, pseudo_bytes, qp, qword, write

SEED = 20231128
SUB = "generated"
HEADER_COUNT = 120
MIME_COUNT = 120

WORDS = ("mail message server parse header body part boundary charset encoding quoted printable "
         "base sixty four alternative related mixed digest report attachment inline envelope "
         "structure the a of and to in is it that for on with as was").split()

TEXTS = {
    "us-ascii": "Plain ASCII text with some punctuation: (a), [b], {c}; \"quoted\" & <angle>.",
    "utf-8": "UTF-8: Grüße, café, naïve, Ελληνικά, русский, 日本語, 中文, 한국어, emoji \U0001F600.",
    "iso-8859-1": "Latin-1: déjà vu, garçon, Führer, ñandú, ¿qué?, ¡olé!",
    "iso-8859-2": "Latin-2: Zażółć gęślą jaźń, Příliš žluťoučký kůň.",
    "iso-8859-15": "Latin-9: 100 € für Œuvre und Šibenik.",
    "windows-1252": "CP1252: “curly” ‘quotes’ – dashes — and … ellipsis, €.",
    "windows-1251": "CP1251: Съешь же ещё этих мягких французских булок.",
    "koi8-r": "KOI8-R: В чащах юга жил бы цитрус? Да, но фальшивый экземпляр!",
    "shift_jis": "Shift_JIS: いろはにほへと ちりぬるを カタカナ 漢字",
    "euc-jp": "EUC-JP: 日本語のテキストです。",
    "iso-2022-jp": "ISO-2022-JP: こんにちは、世界。",
    "gb2312": "GB2312: 我能吞下玻璃而不伤身体。",
    "gb18030": "GB18030: 我能吞下玻璃而不伤身体 𠀀。",
    "big5": "Big5: 我能吞下玻璃而不傷身體。",
    "euc-kr": "EUC-KR: 나는 유리를 먹을 수 있어요.",
}

CHARSET_LABELS = {  # how the charset is written in the header (some aliases)
    "us-ascii": ["us-ascii", "US-ASCII", "\"us-ascii\""],
    "utf-8": ["utf-8", "UTF-8", "\"UTF-8\"", "utf8", "UTF8"],
    "iso-8859-1": ["iso-8859-1", "ISO-8859-1", "latin1", "\"iso-8859-1\""],
    "iso-8859-2": ["iso-8859-2", "ISO_8859-2"],
    "iso-8859-15": ["iso-8859-15", "ISO-8859-15"],
    "windows-1252": ["windows-1252", "Windows-1252", "cp1252"],
    "windows-1251": ["windows-1251", "\"windows-1251\""],
    "koi8-r": ["koi8-r", "KOI8-R"],
    "shift_jis": ["shift_jis", "Shift_JIS", "sjis", "x-sjis"],
    "euc-jp": ["euc-jp", "EUC-JP"],
    "iso-2022-jp": ["iso-2022-jp", "ISO-2022-JP"],
    "gb2312": ["gb2312", "GB2312"],
    "gb18030": ["gb18030", "GB18030"],
    "big5": ["big5", "Big5"],
    "euc-kr": ["euc-kr", "EUC-KR", "ks_c_5601-1987"],
}

CTES = ["7bit", "8bit", "quoted-printable", "base64", None, "Base64", "QUOTED-PRINTABLE", "binary", "x-uuencode"]


class Gen:
    def __init__(self, rnd, idx):
        self.r = rnd
        self.idx = idx
        self.nb = 0
        self.notes = []

    def choice(self, seq):
        return seq[self.r.randrange(len(seq))]

    def chance(self, p):
        return self.r.random() < p

    def sentence(self, n=None):
        n = n or self.r.randint(3, 14)
        return " ".join(self.choice(WORDS) for _ in range(n)).capitalize() + "."

    def boundary(self):
        self.nb += 1
        style = self.r.randrange(6)
        if style == 0:
            return "----=_NextPart_%03d_%04X_%08X.%08X" % (self.nb, self.r.getrandbits(16), self.r.getrandbits(32), self.r.getrandbits(32))
        if style == 1:
            return "Apple-Mail=_%08X-%04X-%04X" % (self.r.getrandbits(32), self.r.getrandbits(16), self.r.getrandbits(16))
        if style == 2:
            return "%028x" % self.r.getrandbits(112)
        if style == 3:
            return "b%d_%d" % (self.idx, self.nb)
        if style == 4:
            return "=_%s_=" % "".join(self.choice("abcdefghijklmnopqrstuvwxyz0123456789'()+_,-./:=?") for _ in range(20))
        return "------------%s" % "".join(self.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(24))

    def ct_header(self, typ, sub, params):
        """A Content-Type field with some of the oddities seen in the wild."""
        t = "%s/%s" % (typ, sub)
        if self.chance(0.1):
            t = t.upper()
        elif self.chance(0.1):
            t = t.capitalize()
        if self.chance(0.05):
            t = "%s (comment here)" % t
        out = "Content-Type: " + t
        for name, value, force_quote in params:
            quoted = force_quote or self.chance(0.5) or any(c in value for c in " ()<>@,;:\\\"/[]?=")
            v = '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"') if quoted else value
            sep = self.choice([";\n\t", "; ", ";\n ", ";", " ; "])
            out += sep + "%s=%s" % (name if not self.chance(0.1) else name.upper(), v)
        if self.chance(0.05):
            out += ";"
        return out + "\n"

    def encode_body(self, raw, cte):
        if cte and cte.lower() == "base64":
            return b64(raw, self.choice([76, 76, 64, 72]))
        if cte and cte.lower() == "quoted-printable":
            return qp(raw)
        if isinstance(raw, bytes):
            return raw.decode("latin-1")  # written back as latin-1 (bytes kept)
        return raw

    def text_leaf(self, sub="plain"):
        cs = self.choice(list(TEXTS))
        label = self.choice(CHARSET_LABELS[cs])
        txt = "\n".join([TEXTS[cs]] + [self.sentence() for _ in range(self.r.randint(0, 6))])
        if sub == "html":
            txt = "<html><body><p>%s</p></body></html>" % txt.replace("\n", "</p>\n<p>")
        if self.chance(0.1):
            txt += " " + "x" * self.r.randint(100, 1200)  # long line
        if not self.chance(0.15):
            txt += "\n"
        raw = txt.encode(cs)
        if cs == "iso-2022-jp" or (cs == "us-ascii"):
            cte = self.choice(["7bit", None, "quoted-printable", "base64"])
        else:
            cte = self.choice(CTES[:7])
        params = []
        if not self.chance(0.1):
            params.append(("charset", label.strip('"'), label.startswith('"')))
        if self.chance(0.15):
            params.append(("format", "flowed", False))
        if self.chance(0.05):
            params.append(("delsp", "yes", False))
        hdr = self.ct_header("text", sub, params) if not self.chance(0.05) else ""
        if cte:
            hdr += "Content-Transfer-Encoding: %s\n" % cte
        hdr += self.extra_fields(False)
        return hdr, self.encode_body(raw, cte)

    def binary_leaf(self):
        kind = self.r.randrange(5)
        if kind == 0:
            typ, sub, data, name = "application", "pdf", fake_pdf("gen%d" % self.idx), "doc%d.pdf" % self.idx
        elif kind == 1:
            typ, sub, data, name = "image", "png", fake_png("g%d" % self.idx, self.r.randint(50, 3000)), "pic.png"
        elif kind == 2:
            typ, sub, data, name = "image", "jpeg", fake_jpeg("g%d" % self.idx, self.r.randint(50, 3000)), "photo.jpg"
        elif kind == 3:
            typ, sub, data, name = "application", "octet-stream", pseudo_bytes("o%d" % self.idx, self.r.randint(0, 2000)), "data.bin"
        else:
            typ, sub, data, name = "application", "zip", b"PK\x03\x04" + pseudo_bytes("z%d" % self.idx, 700), "archive.zip"
        nstyle = self.r.randrange(5)
        params = []
        if nstyle == 1:
            params.append(("name", name, True))
        elif nstyle == 2:
            params.append(("name", bword("Dätei " + name), True))
        elif nstyle == 3:
            params.append(("name*", "utf-8''%C3%BCber%20" + name, False))
        elif nstyle == 4:
            params.append(("name*0", "a-long-" * 5, True))
            params.append(("name*1", name, True))
        hdr = self.ct_header(typ, sub, params)
        cte = self.choice(["base64", "base64", "base64", "BASE64", "quoted-printable"])
        hdr += "Content-Transfer-Encoding: %s\n" % cte
        if self.chance(0.7):
            disp = self.choice(["attachment", "inline", "Attachment", "attachment "])
            d = "Content-Disposition: " + disp
            if self.chance(0.8):
                fn = self.choice(['filename="%s"' % name, "filename=%s" % name,
                                  "filename*=UTF-8''%%E2%%82%%AC%s" % name,
                                  'filename="%s"; size=%d' % (name, len(data)),
                                  'filename="%s";\n modification-date="Wed, 12 Feb 1997 16:29:51 -0500"' % name])
                d += "; " + fn
            hdr += d + "\n"
        hdr += self.extra_fields(True)
        return hdr, self.encode_body(data, cte)

    def extra_fields(self, binary):
        out = ""
        if self.chance(0.15):
            out += "Content-ID: <%08x.%d@gen.example>\n" % (self.r.getrandbits(32), self.idx)
        if self.chance(0.1):
            out += "Content-Description: %s\n" % self.choice(["A description", qword("Beschreibung für Teil"),
                                                              "\"quoted desc\"", ""])
        if self.chance(0.07):
            out += "Content-Language: %s\n" % self.choice(["en", "de-DE, en-US", "(comment) fr", "x-klingon"])
        if self.chance(0.05):
            out += "Content-Location: %s\n" % self.choice(["http://example.com/a b.html", "file.txt",
                                                           "\"http://example.com/q\""])
        if self.chance(0.05):
            out += "Content-MD5: %s\n" % b64(pseudo_bytes("md5%d" % self.idx, 16)).strip()
        return out

    def leaf(self):
        k = self.r.randrange(10)
        if k < 5:
            return self.text_leaf("plain")
        if k < 7:
            return self.text_leaf("html")
        return self.binary_leaf()

    def multipart(self, sub, depth, children=None):
        b = self.boundary()
        hdr = self.ct_header("multipart", sub, [("boundary", b, False)] +
                             ([("type", "text/html", True)] if sub == "related" and self.chance(0.5) else []))
        body = ""
        if self.chance(0.3):
            body += "This is a multi-part message in MIME format.\n"
        if self.chance(0.5):
            body += "\n"
        kids = children if children is not None else [self.node(depth + 1) for _ in range(self.r.randint(1, 4))]
        for h, bd in kids:
            body += "--%s%s\n%s\n%s" % (b, self.choice(["", "", "", " ", "\t"]), h, bd)
            if not bd.endswith("\n"):
                body += "\n"
            elif self.chance(0.3):
                body += "\n"
        close = self.r.randrange(10)
        if close == 0:
            pass  # missing final boundary
        else:
            body += "--%s--%s" % (b, self.choice(["\n", "\n", "", "\n\n", "\nepilogue text\n"]))
        return hdr, body

    def node(self, depth):
        if depth >= 4:
            return self.leaf()
        k = self.r.randrange(14)
        if k < 6:
            return self.leaf()
        if k == 6:
            return self.multipart("alternative", depth, [self.text_leaf("plain"), self.text_leaf("html")])
        if k == 7:
            return self.multipart("related", depth, [self.text_leaf("html"), self.binary_leaf()])
        if k == 8:
            return self.rfc822(depth)
        if k == 9:
            return self.multipart(self.choice(["mixed", "parallel", "x-unknown"]), depth)
        if k == 10:
            return self.digest(depth)
        if k == 11:
            return self.multipart("mixed", depth)
        if k == 12:
            return self.multipart("signed", depth, [self.leaf(), (
                "Content-Type: application/pgp-signature\n", b64(pseudo_bytes("s%d" % self.idx, 100)))])
        return self.multipart("alternative", depth)

    def rfc822(self, depth):
        inner_hdr, inner_body = self.node(depth + 1)
        msg = self.top_headers(inner=True) + inner_hdr + "\n" + inner_body
        sub = "rfc822" if not self.chance(0.1) else "global"
        hdr = self.ct_header("message", sub, [("name", "fwd.eml", True)] if self.chance(0.2) else [])
        if self.chance(0.1):
            hdr += "Content-Transfer-Encoding: 7bit\n"
        return hdr, msg

    def digest(self, depth):
        kids = []
        for _ in range(self.r.randint(1, 3)):
            h, bd = self.leaf()
            kids.append(("" if self.chance(0.8) else "Content-Type: message/rfc822\n",
                         self.top_headers(inner=True) + h + "\n" + bd))
        if self.chance(0.3):
            kids.append(("Content-Type: text/plain\n", "digest footer\n"))
        return self.multipart("digest", depth, kids)

    def address(self):
        k = self.r.randrange(12)
        user = self.choice(["alice", "bob", "carol", "d.e", "first.last", "x+tag", "o'neil"])
        host = self.choice(["example.com", "example.org", "sub.example.net", "[192.0.2.1]"])
        if k == 0:
            return "%s@%s" % (user, host)
        if k == 1:
            return "<%s@%s>" % (user, host)
        if k == 2:
            return "%s <%s@%s>" % (user.capitalize(), user, host)
        if k == 3:
            return "\"%s, %s\" <%s@%s>" % ("Last", user, user, host)
        if k == 4:
            return "%s <%s@%s>" % (qword("Jörg " + user), user, host)
        if k == 5:
            return "%s <%s@%s>" % (bword("山田 " + user), user, host)
        if k == 6:
            return "%s@%s (%s)" % (user, host, "Comment Name")
        if k == 7:
            return "\"quoted \\\"name\\\"\" <%s@%s>" % (user, host)
        if k == 8:
            return "Team: %s@%s, other@%s;" % (user, host, host)
        if k == 9:
            return "\"%s\"@%s" % ("odd local", host)
        if k == 10:
            return "%s@%s, %s <x@%s>" % (user, host, "Second", host)
        # RFC 6532 raw UTF-8 (the message text is bytes-as-latin-1, see main()).
        return "Ünïcode Nämé".encode("utf-8").decode("latin-1") + " <%s@%s>" % (user, host)

    def top_headers(self, inner=False):
        fields = []
        fields.append("From: %s\n" % self.address())
        if self.chance(0.9):
            fields.append("To: %s\n" % ", ".join(self.address() for _ in range(self.r.randint(1, 3))))
        if self.chance(0.3):
            fields.append("Cc: %s\n" % self.address())
        if self.chance(0.1):
            fields.append("Reply-To: %s\n" % self.address())
        if self.chance(0.1):
            fields.append("Sender: %s\n" % self.address())
        subj = self.choice([self.sentence(), qword(self.sentence(4) + " ü"), bword("Тема " + self.sentence(3)),
                            "", "  leading and trailing spaces  ", "Re: " + self.sentence(5),
                            "folded\n subject " + self.sentence(3), "a \"quoted\" \\ back"])
        if self.chance(0.95):
            fields.append("Subject:%s%s\n" % (self.choice([" ", " ", "\t", "", "  "]), subj))
        if self.chance(0.9):
            fields.append("Date: %s\n" % self.choice([
                "Mon, %d Jan 2024 %02d:%02d:%02d +0000" % (self.r.randint(1, 28), self.r.randint(0, 23),
                                                           self.r.randint(0, 59), self.r.randint(0, 59)),
                "%d Feb 2024 10:00 -0800" % self.r.randint(1, 28), "Tue, 2 Apr 24 10:00:00 GMT",
                "Wed, 3 Apr 2024 10:00:00 +0200 (CEST)", "garbage date"]))
        if self.chance(0.8):
            fields.append("Message-ID: <%016x.%d@gen.example>\n" % (self.r.getrandbits(64), self.idx))
        if self.chance(0.2):
            fields.append("In-Reply-To: <%08x@gen.example>\n" % self.r.getrandbits(32))
        if self.chance(0.2):
            fields.append("X-Generated: %d\n" % self.idx)
        if not inner or self.chance(0.5):
            if self.chance(0.9):
                fields.append(self.choice(["MIME-Version: 1.0\n", "Mime-Version: 1.0\n", "MIME-Version: 1.0 (Generated)\n"]))
        self.r.shuffle(fields)
        return "".join(fields)

    def message(self):
        structure = self.r.randrange(8)
        if structure == 0:
            h, b = self.leaf()
        elif structure == 1:
            h, b = self.multipart("alternative", 1, [self.text_leaf("plain"), self.text_leaf("html")])
        elif structure == 2:
            alt = self.multipart("alternative", 2, [self.text_leaf("plain"), self.text_leaf("html")])
            h, b = self.multipart("mixed", 1, [alt] + [self.binary_leaf() for _ in range(self.r.randint(1, 3))])
        elif structure == 3:
            h, b = self.multipart("related", 1, [self.text_leaf("html")] + [self.binary_leaf() for _ in range(self.r.randint(1, 2))])
        elif structure == 4:
            h, b = self.rfc822(1)
        elif structure == 5:
            h, b = self.digest(1)
        else:
            h, b = self.node(0)
        return self.top_headers() + h + "\n" + b


class HeaderGen:
    """Header-only variety for ENVELOPE: address lists, subjects, dates and
    message ids assembled from valid, obsolete and broken pieces (RFC 5322
    §3.4, §4.4; RFC 2047), each message small."""

    def __init__(self, rnd):
        self.r = rnd

    def choice(self, seq):
        return seq[self.r.randrange(len(seq))]

    def chance(self, p):
        return self.r.random() < p

    def ws(self):
        return self.choice(["", " ", " ", "  ", "\t", "\n ", " (c) ", "(c)", "\n\t"])

    def word(self):
        k = self.r.randrange(10)
        if k < 4:
            return self.choice(["John", "Doe", "Mary", "O'Neil", "J.", "x_y", "Zoë".encode().decode("latin-1"), "a=b"])
        if k < 6:
            return '"%s"' % self.choice(["Doe, John", "quoted \\\" escape", "", "a@b", "(not comment)",
                                          "tab\there", "utf8 Jürgen".encode().decode("latin-1"), "ends with \\\\"])
        if k < 8:
            return self.choice([qword("Jörg Ünal"), bword("山田"), "=?iso-8859-1?Q?Andr=E9?=", "=?utf-8?B?bad!?=",
                                "=?x-unknown?Q?who?=", "=?utf-8?Q?a_b?==?utf-8?Q?c?=", "=?UTF-8?Q?split_=C3?=",
                                "=?utf-8*en?Q?lang?=", "=?us-ascii?Q?=22quoted=22?="])
        if k == 8:
            return "(%s)" % self.choice(["comment", "nested (deep)", "unclosed", "esc \\) paren", ""])
        return self.choice(["<", ">", ":", ";", "@", ",", "\\", "[", "]", "."])

    def local(self):
        return self.choice(["user", "first.last", "a..b", ".dot", "dot.", '"quoted local"', '"q\\"x"',
                            "u+tag", "", "o'neil", "user(c)", "UPPER", "über".encode().decode("latin-1")])

    def domain(self):
        return self.choice(["example.com", "sub.example.org", "[192.0.2.1]", "[IPv6:2001:db8::1]", "",
                            "example .com", "example.com.", "localhost", "ex(comment)ample.com", "例え.jp".encode().decode("latin-1")])

    def addr_spec(self):
        k = self.r.randrange(8)
        if k == 0:
            return self.local()
        if k == 1:
            return "@" + self.domain()
        return self.local() + self.ws().replace("\n", "") + "@" + self.ws().replace("\n", "") + self.domain()

    def mailbox(self):
        k = self.r.randrange(8)
        if k < 3:
            return self.addr_spec()
        name = " ".join(self.word() for _ in range(self.r.randint(0, 3)))
        route = ""
        if self.chance(0.1):
            route = self.choice(["@relay.example:", "@a.example,@b.example:", "@:", "@a,,@b:", ":"])
        close = ">" if not self.chance(0.08) else ""
        return "%s%s<%s%s%s" % (name, self.ws(), route, self.addr_spec() if not self.chance(0.05) else "", close)

    def address(self):
        if self.chance(0.15):
            members = (", " if self.chance(0.8) else " ").join(self.mailbox() for _ in range(self.r.randint(0, 3)))
            end = self.choice([";", ";", "", ";;", "; trailing"])
            return "%s:%s%s%s" % (self.choice(["Group", "\"quoted group\"", "", "undisclosed-recipients",
                                               qword("Grüppe")]), self.ws(), members, end)
        return self.mailbox()

    def address_list(self):
        n = self.r.randint(0, 4)
        seps = [",", ", ", ",\n ", " ,", ",,", " ", ";"]
        out = ""
        for i in range(n):
            if i:
                out += self.choice(seps) if self.chance(0.9) else self.choice(seps[:3])
            out += self.address()
        return out

    def subject(self):
        parts = []
        for _ in range(self.r.randint(0, 4)):
            parts.append(self.choice(["Re:", "Fwd:", "[list]", self.word(), qword("Grüße"), bword("件名"),
                                      "=?utf-8?q?a?= =?utf-8?q?b?=", "=?utf-8?Q?x?=\n =?utf-8?Q?y?=",
                                      "\"quotes\"", "back\\slash", "tab\tinside", "trailing  "]))
        return self.ws().replace("\n ", " ").join(parts) if parts else self.choice(["", " ", "\t"])

    def date(self):
        return self.choice(["Mon, 1 Jan 2024 10:00:00 +0000", "1 Jan 2024 10:00 +0100", "Thu, 13 Feb 69 23:32 -0330",
                            "Tue, 1 Jul 2003 10:52:37 +0200 (CEST)", "Fri, 21 Nov 1997 09:55:06 -0600",
                            "Sun, 31 Dec 23 23:59:60 UT", "Wed, 17 Jul 1996 02:23:25 EDT", "26 Aug 76 14:29 EDT",
                            "Mon, 32 Jan 2024 25:61:61 +9999", "yesterday", "", "Mon,\n 1 Jan 2024 10:00:00 Z",
                            "Tue, 2 Jan 2024 10:00:00 +0000 (UTC) (more)", "2024-01-03T10:00:00Z"])

    def msgid(self):
        return self.choice(["<%08x@example.com>" % self.r.getrandbits(32), "<a@b> <c@d>", "no-angle@example.com",
                            "<>", "<local@[192.0.2.1]>", "<with space@example.com>", "(c) <id@x> (c)",
                            "<unclosed@example.com", "<\"quoted\"@example.com>", "<%s@x>" % ("l" * 300), ""])

    def message(self, i):
        fields = []
        for name in ["From", "Sender", "Reply-To", "To", "Cc", "Bcc"]:
            if self.chance(0.6 if name not in ("From", "To") else 0.95):
                fields.append("%s:%s%s\n" % (self.choice([name, name.lower(), name.upper()]),
                                             self.choice([" ", "", "\t", "  "]), self.address_list()))
        if self.chance(0.9):
            fields.append("Subject: %s\n" % self.subject())
        if self.chance(0.8):
            fields.append("Date: %s\n" % self.date())
        if self.chance(0.7):
            fields.append("Message-ID: %s\n" % self.msgid())
        if self.chance(0.4):
            fields.append("In-Reply-To: %s\n" % self.msgid())
        if self.chance(0.1):
            fields.append(self.choice(fields) if fields else "")
        self.r.shuffle(fields)
        return "".join(fields) + "\n" + "header variety %d\n" % i


class MimeGen:
    """Small messages whose MIME framing is varied at random: boundary
    lines with trailing junk or whitespace, missing blank lines, parts
    without headers, missing or doubled closing boundaries, preambles and
    epilogues with boundary-like lines, message/rfc822 without a header,
    mixed and bare-CR line ends, no final newline (RFC 2046 §5.1.1 and what
    is made of its violations). Bodies are short: the point is offsets,
    sizes and line counts."""

    def __init__(self, rnd):
        self.r = rnd
        self.n = 0

    def choice(self, seq):
        return seq[self.r.randrange(len(seq))]

    def chance(self, p):
        return self.r.random() < p

    def text(self):
        return self.choice(["", "x", "one line\n", "two\nlines\n", "no newline", "\n", "\n\n", "trailing space \n",
                            "-- \nsig\n", "--not-a-boundary\n", "line\r\nwith crlf\r\n", "bare\rcr\n",
                            "=?utf-8?Q?x?=\n", "a" * 100 + "\n", "\tindented\n"])

    def part_header(self, kind):
        if kind == "text":
            return self.choice(["", "Content-Type: text/plain\n", "Content-Type: text/html; charset=utf-8\n",
                                "content-type: TEXT/PLAIN\n", "Content-Type: text/plain;\n charset=us-ascii\n",
                                "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n",
                                "Content-Disposition: inline\n", "X-Other: 1\n", "Content-Type:\n",
                                "Content-Type: text/plain\nContent-Type: text/html\n"])
        return ""

    def node(self, depth, in_digest=False):
        k = self.r.randrange(10)
        if depth >= 4 or k < 4:
            if in_digest and self.chance(0.6):
                return "", "Subject: digest entry\n\n" + self.text()
            return self.part_header("text"), self.text()
        if k < 8:
            return self.multipart(depth)
        inner_h, inner_b = self.node(depth + 1)
        body = self.choice(["Subject: inner\n", "", "From: a@b.example\nSubject: inner\n"])
        if body or self.chance(0.5):
            body += inner_h + "\n"
        return "Content-Type: message/rfc822\n", body + inner_b

    def multipart(self, depth):
        self.n += 1
        b = self.choice(["b%d" % self.n, "=_%d_" % self.n, "----=_Part_%d" % self.n, "b%d x" % self.n])
        sub = self.choice(["mixed", "alternative", "related", "digest", "report"])
        hdr = "Content-Type: multipart/%s; boundary=\"%s\"\n" % (sub, b)
        if self.chance(0.05):
            hdr = "Content-Type: multipart/%s\n" % sub  # no boundary parameter
        body = self.choice(["", "", "preamble\n", "\n", "--%s-not\n" % b, "preamble without newline"])
        for _ in range(self.r.randint(0, 4)):
            h, bd = self.node(depth + 1, in_digest=(sub == "digest"))
            delim = "--" + b + self.choice(["", "", "", " ", "\t", "  junk"])
            sep = self.choice(["\n", "\n", "\n", ""]) if h else self.choice(["\n", "\n", ""])
            if body and not body.endswith("\n"):
                body += "\n"
            body += delim + "\n" + h + sep + bd
        close = self.r.randrange(8)
        if close < 5:
            if body and not body.endswith("\n"):
                body += "\n"
            body += "--%s--%s" % (b, self.choice(["\n", "", "\n\n", "\nepilogue\n", " \n", "\n--%s\n" % b]))
        elif close == 5:
            body += "\n--%s--\n--%s--\n" % (b, b)
        # else: no closing boundary
        return hdr, body

    def message(self, i):
        h, b = self.multipart(0) if self.chance(0.85) else self.node(0)
        text = "From: a@example.com\nSubject: mime variety %d\nMIME-Version: 1.0\n" % i + h + "\n" + b
        style = self.r.randrange(10)
        if style < 5:
            return text.encode("latin-1")
        if style < 8:
            return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("latin-1")
        # Mixed line ends: each line end picked at random.
        out = []
        for line in text.split("\n"):
            out.append(line + self.choice(["\n", "\r\n"]))
        return "".join(out)[:-1 if not text.endswith("\n") else None].encode("latin-1")


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 220
    rnd = random.Random(SEED)
    clean(SUB)
    for i in range(count):
        g = Gen(rnd, i)
        text = g.message()
        crlf = rnd.random() < 0.35
        if rnd.random() < 0.05 and text.endswith("\n"):
            text = text[:-1]
        # The text is bytes held as latin-1 characters (bodies come encoded in
        # their charset, raw UTF-8 headers pre-encoded), so latin-1 gives the bytes back.
        data = text.encode("latin-1")
        write(SUB, "gen%03d.eml" % i, data, crlf=crlf)
    # A separate generator, so changing it leaves the gen*.eml above alone.
    hrnd = random.Random(SEED + 1)
    hg = HeaderGen(hrnd)
    for i in range(HEADER_COUNT):
        write(SUB, "hdr%03d.eml" % i, hg.message(i).encode("latin-1"), crlf=hrnd.random() < 0.3)
    mrnd = random.Random(SEED + 2)
    mg = MimeGen(mrnd)
    for i in range(MIME_COUNT):
        write(SUB, "mime%03d.eml" % i, mg.message(i))
    print("wrote %d + %d + %d messages" % (count, HEADER_COUNT, MIME_COUNT), file=sys.stderr)


if __name__ == "__main__":
    main()
