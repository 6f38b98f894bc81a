#!/usr/bin/python3
"""Writes tests/corpus/messages/handmade/: messages shaped after what real
mailers send (list digests, newsletters, Outlook/Apple Mail/Thunderbird
MIME, national charsets, S/MIME, PGP/MIME, calendar invites, bounces).
Addresses, names and payloads are invented; payload bytes are fixed, so
running this again rewrites the same files."""
import sys

from corpuslib import (b64, bword, clean, fake_jpeg, fake_pdf, fake_png, fake_zip,
                       pseudo_bytes, qp, qword, write)

SUB = "handmade"
MSGS = []


def msg(name, crlf=False):
    """Decorator: registers a function returning the message text/bytes."""
    def reg(fn):
        MSGS.append((name, fn, crlf))
        return fn
    return reg


# ---------------------------------------------------------------- basics

@msg("plain_ascii.eml")
def _():
    return """Return-Path: <alice@example.org>
Received: from mx1.example.org (mx1.example.org [192.0.2.10])
\tby mail.example.net (Postfix) with ESMTPS id 4QH7Zk1x2Qz9sWq
\tfor <bob@example.net>; Tue, 14 Mar 2023 09:12:44 +0100 (CET)
Date: Tue, 14 Mar 2023 09:12:40 +0100
From: Alice Example <alice@example.org>
To: Bob <bob@example.net>
Subject: Lunch on Thursday?
Message-ID: <20230314081240.GA1234@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Disposition: inline

Hi Bob,

are you free for lunch on Thursday? The new place on Main Street
opened last week.

Alice
"""


@msg("plain_crlf.eml", crlf=True)
def _():
    return """Date: Wed, 01 Feb 2023 17:00:01 -0500
From: "Carol Q. Public" <carol@example.com>
To: dave@example.com, "Eve, Jr." <eve@example.com>
Cc: Frank <frank@example.com>
Subject: Re: budget numbers
In-Reply-To: <abc123@example.com>
References: <xyz789@example.com> <abc123@example.com>
Message-ID: <def456@example.com>

The numbers look fine to me.

> Please review the attached numbers.
"""


@msg("no_mime_version.eml")
def _():
    return """From: root@localhost (Cron Daemon)
To: root@localhost
Subject: Cron <root@host> /usr/local/bin/backup
Date: Sat, 3 Jun 2023 03:00:02 +0000 (UTC)

backup: 1432 files, 2.3 GB copied
"""


@msg("no_trailing_newline.eml")
def _():
    return """From: a@example.com
To: b@example.com
Subject: no final newline
Date: Mon, 5 Jun 2023 10:00:00 +0200

last line has no line end"""


@msg("addresses_various.eml")
def _():
    return """Date: 26 Aug 76 14:29 EDT
From: Jones@Registry.Org
Sender: "Joe Q. Public" <john.q.public@example.com>
Reply-To: "Mary Smith: Personal Account" <smith@home.example>
To: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;
Cc: Undisclosed recipients:;
Bcc: (comment only) "quoted.local part"@example.com (with comment),
 Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>
Subject: Address forms from RFC 5322 appendix A
Message-ID: <5678.21-Nov-1997@example.com>
In-Reply-To: <1234@local.machine.example> <3456@example.net>

Body.
"""


@msg("addresses_obsolete.eml")
def _():
    return """Date: Thu,
      13
        Feb
          1969
      23:32
               -0330 (Newfoundland Time)
From: John Doe <jdoe@machine.example>
To: Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example
Cc: "Joe Q. Public" <john.q.public@example.com>, Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>
Subject: Saying Hello
Message-ID: <1234   @   local(blah)  .machine .example>

This is a message just to say hello.
"""


@msg("subject_encoded_words.eml")
def _():
    return """From: =?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>
To: =?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>
CC: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>
Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=
 =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=
Date: Fri, 10 Mar 2023 12:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

Encoded words from RFC 2047 section 8.
"""


@msg("subject_long_folded.eml")
def _():
    return ("From: Notifications <noreply@tracker.example.com>\n"
            "To: dev-team@example.com\n"
            "Subject: [Tracker #48213] Regression: importing a CSV file with more than\n"
            " 65535 rows silently drops the remainder and reports success, affecting\n"
            "\tnightly reports since release 4.2.1 (was: import slow)\n"
            "Date: Thu, 16 Mar 2023 22:14:05 +0000\n"
            "Message-ID: <tracker-48213-7@tracker.example.com>\n"
            "X-Tracker-Ticket: 48213\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 8bit\n\n"
            "Status changed: New \u2192 Confirmed\n"
            "Priority: High\n")


@msg("content_fields_all.eml")
def _():
    return """From: a@example.com
To: b@example.com
Subject: every Content-* field IMAP reports
Date: Mon, 20 Mar 2023 08:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"; format=flowed; delsp=no
Content-Transfer-Encoding: 7bit
Content-ID: <part1.0001@example.com>
Content-Description: A plain text body
Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==
Content-Disposition: inline; filename="body.txt"; size=42;
 creation-date="Mon, 20 Mar 2023 08:00:00 +0000"
Content-Language: en-GB, fr-CA
Content-Location: http://www.example.com/body.txt

Some text here.
"""


@msg("utf8_8bit_emoji.eml")
def _():
    return ("From: =?UTF-8?B?8J+QpyBQZW5ndWluIENsdWI=?= <club@example.org>\n"
            "To: members@example.org\n"
            "Subject: =?UTF-8?Q?Sommerfest_=F0=9F=8E=89_am_Samstag?=\n"
            "Date: Tue, 11 Jul 2023 19:45:00 +0200\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=UTF-8\n"
            "Content-Transfer-Encoding: 8bit\n\n"
            "Hallo zusammen \U0001F44B\n\nDas Sommerfest findet am Samstag statt. "
            "Grüße, Jürgen \U0001F427\n")


@msg("utf8_raw_headers.eml")
def _():
    # RFC 6532: raw UTF-8 in header fields, including the local part.
    return ("From: Jürgen Müller <jürgen@münchen.example>\n"
            "To: 山田太郎 <taro@例え.jp>, Ελένη <eleni@example.gr>\n"
            "Cc: \"Дмитрий, Иванов\" <дмитрий@пример.рф>\n"
            "Subject: Grüße aus München — 東京からの返信\n"
            "Date: Wed, 12 Jul 2023 08:30:00 +0200\n"
            "Message-ID: <ünïcode-1@münchen.example>\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=UTF-8\n"
            "Content-Transfer-Encoding: 8bit\n\n"
            "Internationalised headers, RFC 6532.\n")


# ---------------------------------------------------------------- digests

def _digest_msg(i, subj, who, text):
    return ("From: %s <%s@lists.example.org>\n"
            "Date: Mon, %d Apr 2023 1%d:0%d:00 +0000\n"
            "Subject: %s\n"
            "Message-ID: <digest-item-%d@lists.example.org>\n\n%s\n"
            % (who, who.lower(), i + 3, i, i, subj, i, text))


@msg("digest_mime.eml")
def _():
    parts = [
        _digest_msg(1, "Re: build fails on arm64", "Anna", "Try updating the toolchain."),
        _digest_msg(2, "Release 2.1 schedule", "Ben", "Freeze is next Monday."),
        _digest_msg(3, "Re: Release 2.1 schedule", "Chen", "Can we slip a week?\n\n> Freeze is next Monday."),
    ]
    body = ("This is a multi-part message in MIME format.\n\n--DigestBoundary.42\n"
            "Content-Type: text/plain\n\nToday's Topics:\n\n"
            "  1. Re: build fails on arm64 (Anna)\n  2. Release 2.1 schedule (Ben)\n"
            "  3. Re: Release 2.1 schedule (Chen)\n\n--DigestBoundary.42\n"
            "Content-Type: multipart/digest; boundary=\"InnerDigest\"\n\n")
    for p in parts:
        body += "--InnerDigest\n\n" + p
    body += "--InnerDigest--\n\n--DigestBoundary.42\nContent-Type: text/plain; charset=\"us-ascii\"\n" \
            "Content-Transfer-Encoding: 7bit\nContent-Disposition: inline\n\n" \
            "_______________________________________________\ndevel mailing list\n" \
            "devel@lists.example.org\nhttps://lists.example.org/mailman/listinfo/devel\n" \
            "\n--DigestBoundary.42--\n"
    return ("From: devel-request@lists.example.org\n"
            "Subject: devel Digest, Vol 42, Issue 7\n"
            "To: devel@lists.example.org\n"
            "Reply-To: devel@lists.example.org\n"
            "Date: Fri, 7 Apr 2023 12:00:01 +0000\n"
            "Message-ID: <mailman.7.1680868801.1234.devel@lists.example.org>\n"
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"DigestBoundary.42\"\n"
            "Precedence: list\n"
            "List-Id: Development <devel.lists.example.org>\n"
            "List-Unsubscribe: <https://lists.example.org/mailman/options/devel>,\n"
            " <mailto:devel-request@lists.example.org?subject=unsubscribe>\n"
            "Errors-To: devel-bounces@lists.example.org\n\n" + body)


@msg("digest_plain_default_types.eml")
def _():
    # multipart/digest at top level; one part with an explicit text/plain,
    # one message/rfc822 that is itself multipart.
    inner = ("From: Dora <dora@example.net>\nSubject: with attachment\n"
             "Date: Sun, 9 Apr 2023 09:09:09 +0000\nMIME-Version: 1.0\n"
             "Content-Type: multipart/mixed; boundary=in1\n\n--in1\n\ntext\n--in1\n"
             "Content-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: base64\n\n"
             + b64(pseudo_bytes("dg", 90)) + "--in1--\n")
    return ("From: list@example.net\nTo: subscriber@example.com\nSubject: Digest\n"
            "Date: Sun, 9 Apr 2023 10:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/digest; boundary=\"---- next message ----\"\n\n"
            "------ next message ----\n\n"
            + _digest_msg(4, "first", "Eli", "one") +
            "\n------ next message ----\nContent-Type: message/rfc822\n\n" + inner +
            "\n------ next message ----\nContent-Type: text/plain\n\nEnd of digest\n"
            "\n------ next message ------\n")


@msg("digest_rfc1153.eml")
def _():
    body = """Info-Example Digest         Sat, 15 Apr 2023       Volume 12 : Issue 34

Today's Topics:
                       Hello world (2 messages)
                       Old hardware for sale

----------------------------------------------------------------------

Date: Fri, 14 Apr 2023 10:00:00 -0700
From: Gil <gil@example.edu>
Subject: Hello world

First post.

------------------------------

Date: Fri, 14 Apr 2023 11:30:00 -0700
From: Hana <hana@example.edu>
Subject: Re: Hello world

Welcome!

------------------------------

Date: Fri, 14 Apr 2023 12:45:00 -0700
From: Ivo <ivo@example.edu>
Subject: Old hardware for sale

VAX, barely used.

------------------------------

End of Info-Example Digest V12 #34
**********************************
"""
    return ("From: Info-Example Digest <info-example@example.edu>\n"
            "To: info-example-digest@example.edu\n"
            "Subject: Info-Example Digest V12 #34\n"
            "Date: Sat, 15 Apr 2023 00:00:00 -0700\n"
            "Reply-To: info-example@example.edu\n\n" + body)


# ---------------------------------------------------------------- newsletters

HTML_NEWS = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Weekly News</title>
<style>body { font-family: Arial, sans-serif; } .btn { background: #0066cc; color: #ffffff; }</style>
</head><body>
<table width="600" cellpadding="0" cellspacing="0" border="0" align="center">
<tr><td><img src="cid:logo@news.example.com" alt="Example News" width="200" height="60"></td></tr>
<tr><td><h1>This week at Example</h1>
<p>We shipped the new dashboard — faster, cleaner and with dark mode.</p>
<p><a class="btn" href="https://news.example.com/r?u=12345&amp;l=dashboard">Read more &rarr;</a></p>
<p style="font-size: 11px; color: #999999;">You receive this e-mail because you subscribed at example.com.
<a href="https://news.example.com/unsubscribe?u=12345">Unsubscribe</a></p>
</td></tr></table></body></html>
"""


@msg("newsletter_alternative.eml")
def _():
    text = ("This week at Example\n\nWe shipped the new dashboard \u2014 faster, cleaner and with "
            "dark mode.\n\nRead more: https://news.example.com/r?u=12345&l=dashboard\n\n"
            "Unsubscribe: https://news.example.com/unsubscribe?u=12345\n")
    return ("Return-Path: <bounce-12345@news.example.com>\n"
            "From: \"Example News\" <news@news.example.com>\n"
            "To: reader@example.net\n"
            "Subject: =?utf-8?Q?This_week_at_Example=3A_dark_mode_=E2=9C=A8?=\n"
            "Date: Thu, 20 Apr 2023 15:00:00 +0000\n"
            "Message-ID: <0100018799.abcdef@email.example.com>\n"
            "List-Unsubscribe: <https://news.example.com/unsubscribe?u=12345>\n"
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n"
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/alternative; \n boundary=\"----=_Part_1234567_890123456.1682002800000\"\n"
            "X-SES-Outgoing: 2023.04.20-54.240.1.1\n\n"
            "------=_Part_1234567_890123456.1682002800000\n"
            "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n"
            + qp(text) +
            "\n------=_Part_1234567_890123456.1682002800000\n"
            "Content-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n"
            + qp(HTML_NEWS) +
            "\n------=_Part_1234567_890123456.1682002800000--\n")


@msg("newsletter_related_images.eml")
def _():
    return ("From: Shop <offers@shop.example>\nTo: customer@example.com\n"
            "Subject: Spring sale: 30% off\nDate: Fri, 21 Apr 2023 06:00:00 +0000\n"
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/related; type=\"multipart/alternative\";\n"
            "\tboundary=\"rel-boundary-001\"; start=\"<alt@shop.example>\"\n\n"
            "--rel-boundary-001\n"
            "Content-Type: multipart/alternative; boundary=\"alt-boundary-001\"\n"
            "Content-ID: <alt@shop.example>\n\n"
            "--alt-boundary-001\nContent-Type: text/plain; charset=us-ascii\n\n"
            "Spring sale: 30% off everything until Sunday.\n"
            "--alt-boundary-001\nContent-Type: text/html; charset=utf-8\n"
            "Content-Transfer-Encoding: base64\n\n"
            + b64(HTML_NEWS.replace("logo@news.example.com", "banner@shop.example")) +
            "--alt-boundary-001--\n\n"
            "--rel-boundary-001\nContent-Type: image/png; name=\"banner.png\"\n"
            "Content-Transfer-Encoding: base64\nContent-ID: <banner@shop.example>\n"
            "Content-Disposition: inline; filename=\"banner.png\"\n\n"
            + b64(fake_png("banner", 1500)) +
            "--rel-boundary-001\nContent-Type: image/gif\n"
            "Content-Transfer-Encoding: base64\nContent-ID: <spacer@shop.example>\n\n"
            + b64(b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
                  b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;") +
            "--rel-boundary-001--\n")


@msg("mixed_alternative_related_pdf.eml")
def _():
    return ("From: Office <office@corp.example>\nTo: staff@corp.example\n"
            "Subject: Q2 report\nDate: Mon, 3 Jul 2023 09:00:00 +0200\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"b1_mixed\"\n\n"
            "This is a multi-part message in MIME format.\n"
            "--b1_mixed\nContent-Type: multipart/alternative; boundary=\"b2_alt\"\n\n"
            "--b2_alt\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
            + qp("Please find the Q2 report attached.\nRegards, the office team\n".encode("latin-1")) +
            "\n--b2_alt\nContent-Type: multipart/related; boundary=\"b3_rel\"; type=\"text/html\"\n\n"
            "--b3_rel\nContent-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: 7bit\n\n"
            "<html><body><p>Please find the Q2 report attached.</p><img src=\"cid:chart1\"><img src=\"cid:chart2\"></body></html>\n"
            "--b3_rel\nContent-Type: image/jpeg\nContent-ID: <chart1>\nContent-Transfer-Encoding: base64\n\n"
            + b64(fake_jpeg("chart1", 900)) +
            "--b3_rel\nContent-Type: image/jpeg\nContent-ID: <chart2>\nContent-Transfer-Encoding: base64\n\n"
            + b64(fake_jpeg("chart2", 700)) +
            "--b3_rel--\n--b2_alt--\n"
            "--b1_mixed\nContent-Type: application/pdf; name=\"Q2-report.pdf\"\n"
            "Content-Disposition: attachment; filename=\"Q2-report.pdf\"\nContent-Transfer-Encoding: base64\n\n"
            + b64(fake_pdf("Q2 report")) +
            "--b1_mixed--\n")


# ---------------------------------------------------------------- attachments

@msg("attach_pdf_zip.eml")
def _():
    z = fake_zip([("README.txt", "hello\n"), ("data/values.csv", "a,b\n1,2\n" * 50)])
    return ("From: Build Bot <ci@build.example>\nTo: dev@build.example\n"
            "Subject: Build artifacts #1881\nDate: Tue, 4 Jul 2023 01:02:03 +0000\n"
            "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"===============4412==\"\n\n"
            "--===============4412==\nContent-Type: text/plain; charset=\"us-ascii\"\n"
            "MIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\n\nBuild 1881 succeeded.\n\n"
            "--===============4412==\nContent-Type: application/pdf\nMIME-Version: 1.0\n"
            "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"coverage.pdf\"\n\n"
            + b64(fake_pdf("Coverage")) +
            "\n--===============4412==\nContent-Type: application/zip\nMIME-Version: 1.0\n"
            "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"artifacts.zip\"\n\n"
            + b64(z) + "\n--===============4412==--\n")


@msg("attach_rfc2231_filename.eml")
def _():
    return ("From: a@example.de\nTo: b@example.de\nSubject: Rechnung\n"
            "Date: Wed, 5 Jul 2023 10:00:00 +0200\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"xyz\"\n\n"
            "--xyz\nContent-Type: text/plain; charset=utf-8\n\nAnbei die Rechnung.\n"
            "--xyz\nContent-Type: application/pdf;\n name*=utf-8''Rechnung%20M%C3%A4rz%202023.pdf\n"
            "Content-Disposition: attachment;\n filename*=utf-8''Rechnung%20M%C3%A4rz%202023.pdf\n"
            "Content-Transfer-Encoding: base64\n\n"
            + b64(fake_pdf("Rechnung")) +
            "--xyz\nContent-Type: text/plain; charset=us-ascii;\n name*=iso-8859-1'de'Gr%FC%DFe.txt\n"
            "Content-Disposition: attachment; filename*=iso-8859-1'de'Gr%FC%DFe.txt\n\nGruesse\n"
            "--xyz--\n")


@msg("attach_rfc2231_continuations.eml")
def _():
    return ("From: a@example.com\nTo: b@example.com\nSubject: long names\n"
            "Date: Wed, 5 Jul 2023 11:00:00 +0200\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"cont\"\n\n"
            "--cont\nContent-Type: text/plain\n\nsee attachments\n"
            "--cont\nContent-Type: application/octet-stream;\n"
            "\tname*0=\"a very long file name that needs to be split across \";\n"
            "\tname*1=\"several parameter continuations because it is so long\";\n"
            "\tname*2=\".bin\"\n"
            "Content-Disposition: attachment;\n"
            "\tfilename*0*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E%E3%81%AE;\n"
            "\tfilename*1*=%E3%83%95%E3%82%A1%E3%82%A4%E3%83%AB;\n"
            "\tfilename*2=\".txt\"\n"
            "Content-Transfer-Encoding: base64\n\n"
            + b64(pseudo_bytes("cont", 120)) +
            "--cont\nContent-Type: text/plain; charset=us-ascii\n"
            "Content-Disposition: attachment; filename*1=\"second\"; filename*0=\"first-\"\n\n"
            "out of order continuations\n"
            "--cont--\n")


@msg("attach_rfc2047_filename.eml")
def _():
    n = bword("Präsentation für Kunden.pptx")
    return ("From: sales@example.de\nTo: team@example.de\nSubject: =?UTF-8?Q?Pr=C3=A4sentation?=\n"
            "Date: Thu, 6 Jul 2023 14:00:00 +0200\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"----=_Part_0_1\"\n\n"
            "------=_Part_0_1\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
            "Siehe Anhang.\n"
            "------=_Part_0_1\nContent-Type: application/vnd.openxmlformats-officedocument.presentationml.presentation;\n"
            " name=\"" + n + "\"\nContent-Transfer-Encoding: base64\n"
            "Content-Disposition: attachment; filename=\"" + n + "\"\n\n"
            + b64(fake_zip([("[Content_Types].xml", "<Types/>"), ("ppt/presentation.xml", "<p/>" * 40)])) +
            "------=_Part_0_1\nContent-Type: image/jpeg; name==?ISO-8859-1?Q?F=F6to_1.jpg?=\n"
            "Content-Disposition: attachment; filename==?ISO-8859-1?Q?F=F6to_1.jpg?=\n"
            "Content-Transfer-Encoding: base64\n\n" + b64(fake_jpeg("foto", 300)) +
            "------=_Part_0_1--\n")


@msg("attach_long_folded_params.eml")
def _():
    return ("From: scanner@printer.example\nTo: user@example.com\nSubject: Scanned document\n"
            "Date: Fri, 7 Jul 2023 08:15:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed;\n\tboundary=\"=_scan_boundary_7f3a9c2e1b4d5\"\n\n"
            "--=_scan_boundary_7f3a9c2e1b4d5\nContent-Type: text/plain;\n\tcharset=\"us-ascii\";\n"
            "\tformat=\"fixed\"\n\nScanned on device MFP-3F-East.\n"
            "--=_scan_boundary_7f3a9c2e1b4d5\n"
            "Content-Type: application/pdf;\n"
            "        name=\"Scan_2023-07-07_08-14-59_MFP-3F-East_Department-of-Very-Long-Names_Document_0001.pdf\";\n"
            "        x-mac-type=\"50444620\";\n        x-mac-creator=\"4341524F\"\n"
            "Content-Disposition: attachment;\n"
            "        filename=\"Scan_2023-07-07_08-14-59_MFP-3F-East_Department-of-Very-Long-Names_Document_0001.pdf\";\n"
            "        modification-date=\"Fri, 07 Jul 2023 08:14:59 GMT\";\n"
            "        size=1234\n"
            "Content-Transfer-Encoding: base64\n\n" + b64(fake_pdf("Scan")) +
            "--=_scan_boundary_7f3a9c2e1b4d5--\n")


@msg("attach_binary_types.eml")
def _():
    return ("From: media@example.com\nTo: u@example.com\nSubject: media types\n"
            "Date: Sat, 8 Jul 2023 12:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=media\n\n"
            "--media\nContent-Type: audio/mpeg; name=voice.mp3\nContent-Transfer-Encoding: base64\n"
            "Content-Disposition: attachment; filename=voice.mp3\n\n" + b64(b"ID3\x03" + pseudo_bytes("mp3", 500)) +
            "--media\nContent-Type: video/mp4\nContent-Transfer-Encoding: base64\n\n"
            + b64(b"\x00\x00\x00\x18ftypmp42" + pseudo_bytes("mp4", 300)) +
            "--media\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
            + b64(pseudo_bytes("oct", 77)) +
            "--media\nContent-Type: text/x-python; charset=utf-8; name=\"script.py\"\n"
            "Content-Disposition: attachment; filename=\"script.py\"\n\nprint('hi')\n"
            "--media\nContent-Type: model/gltf+json\n\n{\"asset\":{\"version\":\"2.0\"}}\n"
            "--media\nContent-Type: font/woff2\nContent-Transfer-Encoding: base64\n\n"
            + b64(b"wOF2" + pseudo_bytes("woff", 60)) +
            "--media--\n")


@msg("attach_uuencode_inline.eml")
def _():
    return ("From: old@example.edu\nTo: new@example.edu\nSubject: file (uuencoded)\n"
            "Date: Sun, 9 Jul 2023 12:00:00 +0000\n\nHere it is:\n\n"
            "begin 644 hello.txt\n,:&5L;&\\@=V]R;&0*\n`\nend\n\nbye\n")


@msg("transfer_encoding_binary.eml")
def _():
    return (b"From: a@example.com\nTo: b@example.com\nSubject: binary part\n"
            b"Date: Mon, 10 Jul 2023 12:00:00 +0000\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=bin\n\n--bin\n\ntext\n--bin\n"
            b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n"
            + bytes(range(1, 10)) + bytes(range(11, 13)) + bytes(range(14, 256)) + b"\n--bin\n"
            b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
            b"caf\xe9 cr\xe8me br\xfbl\xe9e\n--bin--\n")


# ---------------------------------------------------------------- forwarding

def _wrap_forward(inner, level):
    return ("From: User%d <user%d@example.com>\nTo: User%d <user%d@example.com>\n"
            "Subject: Fwd: %s\nDate: Tue, 1%d Jul 2023 1%d:00:00 +0000\n"
            "Message-ID: <fwd%d@example.com>\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"fwd-%d\"\n\n"
            "--fwd-%d\nContent-Type: text/plain; charset=us-ascii\n\n"
            "Forwarding this, see below (level %d).\n\n"
            "--fwd-%d\nContent-Type: message/rfc822\nContent-Disposition: inline\n\n%s\n"
            "--fwd-%d--\n" % (level, level, level + 1, level + 1, "x" * 0 + "original", level % 10, level % 10,
                             level, level, level, level, level, inner, level))


ORIGINAL = ("From: Origin <origin@example.org>\nTo: user0@example.com\nSubject: original\n"
            "Date: Mon, 10 Jul 2023 08:00:00 +0000\nMessage-ID: <orig@example.org>\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nThe original text.\n")


@msg("forward_one_level.eml")
def _():
    return _wrap_forward(ORIGINAL, 1)


@msg("forward_three_levels.eml")
def _():
    m = ORIGINAL
    for lvl in range(1, 4):
        m = _wrap_forward(m, lvl)
    return m


@msg("forward_six_levels.eml")
def _():
    m = ORIGINAL
    for lvl in range(1, 7):
        m = _wrap_forward(m, lvl)
    return m


@msg("forward_rfc822_direct_chain.eml")
def _():
    # message/rfc822 directly inside message/rfc822, no multipart between.
    m = ORIGINAL
    for lvl in range(1, 5):
        m = ("From: relay%d@example.net\nSubject: wrapped %d\nMIME-Version: 1.0\n"
             "Content-Type: message/rfc822\nContent-Description: wrapped message %d\n\n" % (lvl, lvl, lvl)) + m
    return m


@msg("forward_attachment_with_attachments.eml")
def _():
    inner = ("From: Hr <hr@corp.example>\nTo: all@corp.example\nSubject: Holiday calendar\n"
             "Date: Mon, 10 Jul 2023 08:00:00 +0000\nMIME-Version: 1.0\n"
             "Content-Type: multipart/mixed; boundary=\"inner-b\"\n\n--inner-b\n"
             "Content-Type: multipart/alternative; boundary=\"inner-alt\"\n\n--inner-alt\n"
             "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
             + qp("Attached is the holiday calendar for 2024 \u2013 please check.\n") +
             "--inner-alt\nContent-Type: text/html; charset=utf-8\n\n<p>Attached is the holiday calendar.</p>\n"
             "--inner-alt--\n--inner-b\nContent-Type: application/pdf; name=holidays.pdf\n"
             "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=holidays.pdf\n\n"
             + b64(fake_pdf("Holidays")) + "--inner-b--\n")
    return ("From: Kim <kim@corp.example>\nTo: Lee <lee@corp.example>\nSubject: Fwd: Holiday calendar\n"
            "Date: Tue, 11 Jul 2023 09:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"outer-b\"\n\n--outer-b\n"
            "Content-Type: text/plain; charset=utf-8\n\nFYI\n\n--outer-b\n"
            "Content-Type: message/rfc822; name=\"Holiday calendar.eml\"\n"
            "Content-Disposition: attachment; filename=\"Holiday calendar.eml\"\n\n" + inner +
            "\n--outer-b--\n")


@msg("forward_rfc822_base64.eml")
def _():
    # Not allowed by RFC 2046 §5.2.1, but sent by some clients.
    return ("From: a@example.com\nTo: b@example.com\nSubject: encoded message/rfc822\n"
            "Date: Wed, 12 Jul 2023 09:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=q\n\n--q\n\nsee attached\n--q\n"
            "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n" + b64(ORIGINAL) + "--q--\n")


# ---------------------------------------------------------------- Outlook

@msg("outlook_html_related.eml", crlf=True)
def _():
    return ("Received: from AM6PR02MB1234.eurprd02.prod.outlook.com ([fe80::1]) by\n"
            " AM6PR02MB1234.eurprd02.prod.outlook.com ([fe80::1%4]) with mapi id\n"
            " 15.20.6433.024; Mon, 17 Jul 2023 09:41:12 +0000\n"
            "From: =?iso-8859-1?Q?M=FCller=2C_Stefan?= <Stefan.Mueller@contoso.example>\n"
            "To: \"Smith, John\" <John.Smith@fabrikam.example>\n"
            "CC: \"O'Brien, Siobhan\" <Siobhan.OBrien@fabrikam.example>\n"
            "Subject: AW: Angebot Projekt Nordlicht\n"
            "Thread-Topic: Angebot Projekt Nordlicht\n"
            "Thread-Index: AdmyCn9h0Hq3vFz1TqWjJ5Jv0hO1KgAAbC3Q\n"
            "Date: Mon, 17 Jul 2023 09:41:12 +0000\n"
            "Message-ID: <AM6PR02MB123411D2@AM6PR02MB1234.eurprd02.prod.outlook.com>\n"
            "References: <DB9PR01MB5678@DB9PR01MB5678.eurprd01.prod.outlook.com>\n"
            "In-Reply-To: <DB9PR01MB5678@DB9PR01MB5678.eurprd01.prod.outlook.com>\n"
            "Accept-Language: de-DE, en-US\nContent-Language: de-DE\n"
            "X-MS-Has-Attach: yes\nX-MS-TNEF-Correlator:\n"
            "Content-Type: multipart/related;\n"
            "\tboundary=\"_004_AM6PR02MB123411D2AM6PR02MB1234eurp_\";\n"
            "\ttype=\"multipart/alternative\"\nMIME-Version: 1.0\n\n"
            "--_004_AM6PR02MB123411D2AM6PR02MB1234eurp_\n"
            "Content-Type: multipart/alternative;\n\tboundary=\"_000_AM6PR02MB123411D2AM6PR02MB1234eurp_\"\n\n"
            "--_000_AM6PR02MB123411D2AM6PR02MB1234eurp_\n"
            "Content-Type: text/plain; charset=\"iso-8859-1\"\nContent-Transfer-Encoding: quoted-printable\n\n"
            + qp("Hallo John,\n\nanbei unser überarbeitetes Angebot.\n\nMit freundlichen Grüßen\nStefan Müller\n".encode("latin-1")) +
            "\n--_000_AM6PR02MB123411D2AM6PR02MB1234eurp_\n"
            "Content-Type: text/html; charset=\"iso-8859-1\"\nContent-Transfer-Encoding: quoted-printable\n\n"
            + qp(("<html xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:schemas-microsoft-com:office:office\">\n"
                  "<head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">\n"
                  "<style><!-- p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; font-size:11.0pt; "
                  "font-family:\"Calibri\",sans-serif;} --></style></head>\n<body lang=\"DE\" link=\"#0563C1\">"
                  "<div class=\"WordSection1\"><p class=\"MsoNormal\">Hallo John,<o:p></o:p></p>"
                  "<p class=\"MsoNormal\">anbei unser überarbeitetes Angebot.<o:p></o:p></p>"
                  "<p class=\"MsoNormal\"><img width=\"120\" height=\"40\" id=\"Grafik_x0020_1\" "
                  "src=\"cid:image001.png@01D9B8A1.2F3C4D50\"></p></div></body></html>\n").encode("latin-1")) +
            "\n--_000_AM6PR02MB123411D2AM6PR02MB1234eurp_--\n\n"
            "--_004_AM6PR02MB123411D2AM6PR02MB1234eurp_\n"
            "Content-Type: image/png; name=\"image001.png\"\n"
            "Content-Description: image001.png\n"
            "Content-Disposition: inline; filename=\"image001.png\"; size=1024;\n"
            "\tcreation-date=\"Mon, 17 Jul 2023 09:41:11 GMT\";\n"
            "\tmodification-date=\"Mon, 17 Jul 2023 09:41:11 GMT\"\n"
            "Content-ID: <image001.png@01D9B8A1.2F3C4D50>\nContent-Transfer-Encoding: base64\n\n"
            + b64(fake_png("outlook", 1016)) +
            "\n--_004_AM6PR02MB123411D2AM6PR02MB1234eurp_--\n")


@msg("outlook_tnef_winmail.eml", crlf=True)
def _():
    tnef = b"\x78\x9f\x3e\x22\x01\x00\x01\x06\x90\x08\x00\x04\x00\x00\x00\x00\x00" + pseudo_bytes("tnef", 1200)
    return ("From: \"Exchange User\" <xuser@exch.example>\nTo: <recipient@example.org>\n"
            "Subject: Meeting notes\nDate: Tue, 18 Jul 2023 11:00:00 +0100\n"
            "Message-ID: <000001d9b95b$1a2b3c40$4e5f6a70$@exch.example>\n"
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/mixed;\n\tboundary=\"----=_NextPart_000_0005_01D9B963.7C1F2A40\"\n"
            "X-Mailer: Microsoft Outlook 16.0\nThread-Index: Adm5WxorPEBOX2pwQk2YfB0q1wXcAA==\n"
            "Content-Language: en-gb\n\n"
            "This is a multipart message in MIME format.\n\n"
            "------=_NextPart_000_0005_01D9B963.7C1F2A40\n"
            "Content-Type: text/plain;\n\tcharset=\"us-ascii\"\nContent-Transfer-Encoding: 7bit\n\n"
            "Please see the notes attached.\n\n"
            "------=_NextPart_000_0005_01D9B963.7C1F2A40\n"
            "Content-Type: application/ms-tnef;\n\tname=\"winmail.dat\"\n"
            "Content-Transfer-Encoding: base64\nContent-Disposition: attachment;\n\tfilename=\"winmail.dat\"\n\n"
            + b64(tnef) + "\n------=_NextPart_000_0005_01D9B963.7C1F2A40--\n\n")


@msg("outlook_nextpart_nested.eml", crlf=True)
def _():
    return ("From: \"Pat\" <pat@example.com>\nTo: <sam@example.com>\nSubject: RE: invoice\n"
            "Date: Wed, 19 Jul 2023 16:20:00 -0400\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed;\n\tboundary=\"----=_NextPart_000_0011_01D9BA6D.11111111\"\n"
            "X-Mailer: Microsoft Office Outlook 12.0\nThread-Index: AcmqAAAABBBBCCCCDDDDEEEE==\n\n"
            "This is a multi-part message in MIME format.\n\n"
            "------=_NextPart_000_0011_01D9BA6D.11111111\n"
            "Content-Type: multipart/alternative;\n\tboundary=\"----=_NextPart_001_0012_01D9BA6D.11111111\"\n\n\n"
            "------=_NextPart_001_0012_01D9BA6D.11111111\n"
            "Content-Type: text/plain;\n\tcharset=\"windows-1252\"\nContent-Transfer-Encoding: quoted-printable\n\n"
            + qp("Thanks \u2013 invoice attached. \u201cPaid\u201d status pending.\n".encode("cp1252")) +
            "\n------=_NextPart_001_0012_01D9BA6D.11111111\n"
            "Content-Type: text/html;\n\tcharset=\"windows-1252\"\nContent-Transfer-Encoding: quoted-printable\n\n"
            + qp("<html><body><p>Thanks \u2013 invoice attached.</p></body></html>\n".encode("cp1252")) +
            "\n------=_NextPart_001_0012_01D9BA6D.11111111--\n\n"
            "------=_NextPart_000_0011_01D9BA6D.11111111\n"
            "Content-Type: application/vnd.ms-excel;\n\tname=\"invoice 2023-07.xls\"\n"
            "Content-Transfer-Encoding: base64\nContent-Disposition: attachment;\n\tfilename=\"invoice 2023-07.xls\"\n\n"
            + b64(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + pseudo_bytes("xls", 600)) +
            "\n------=_NextPart_000_0011_01D9BA6D.11111111--\n")


@msg("outlook_calendar_request.eml", crlf=True)
def _():
    ics = ("BEGIN:VCALENDAR\nMETHOD:REQUEST\nPRODID:Microsoft Exchange Server 2010\nVERSION:2.0\n"
           "BEGIN:VTIMEZONE\nTZID:W. Europe Standard Time\nBEGIN:STANDARD\nDTSTART:16010101T030000\n"
           "TZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\n"
           "END:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\n"
           "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\n"
           "BEGIN:VEVENT\nORGANIZER;CN=Stefan Müller:mailto:Stefan.Mueller@contoso.example\n"
           "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=John Smith:mailto:John.Smith@fabrikam.example\n"
           "DESCRIPTION;LANGUAGE=de-DE:Abstimmung zum Angebot\\n\nUID:040000008200E00074C5B7101A82E0080000000060C5B2A0\n"
           "SUMMARY;LANGUAGE=de-DE:Projekt Nordlicht – Abstimmung\n"
           "DTSTART;TZID=W. Europe Standard Time:20230725T100000\nDTEND;TZID=W. Europe Standard Time:20230725T110000\n"
           "CLASS:PUBLIC\nPRIORITY:5\nDTSTAMP:20230717T094500Z\nTRANSP:OPAQUE\nSTATUS:CONFIRMED\nSEQUENCE:0\n"
           "LOCATION;LANGUAGE=de-DE:Raum 4.12\nEND:VEVENT\nEND:VCALENDAR\n")
    return ("From: =?iso-8859-1?Q?M=FCller=2C_Stefan?= <Stefan.Mueller@contoso.example>\n"
            "To: \"Smith, John\" <John.Smith@fabrikam.example>\n"
            "Subject: =?utf-8?Q?Projekt_Nordlicht_=E2=80=93_Abstimmung?=\n"
            "Thread-Topic: =?utf-8?Q?Projekt_Nordlicht_=E2=80=93_Abstimmung?=\n"
            "Thread-Index: AdmyDDDD\nDate: Mon, 17 Jul 2023 09:45:00 +0000\n"
            "Message-ID: <AM6PR02MB1234CAL@AM6PR02MB1234.eurprd02.prod.outlook.com>\n"
            "Content-Language: de-DE\nMIME-Version: 1.0\n"
            "Content-Type: multipart/alternative;\n\tboundary=\"_000_AM6PR02MB1234CALAM6PR02MB1234eurp_\"\n\n"
            "--_000_AM6PR02MB1234CALAM6PR02MB1234eurp_\n"
            "Content-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: base64\n\n"
            + b64("Abstimmung zum Angebot\n") +
            "\n--_000_AM6PR02MB1234CALAM6PR02MB1234eurp_\n"
            "Content-Type: text/html; charset=\"utf-8\"\nContent-Transfer-Encoding: base64\n\n"
            + b64("<html><body>Abstimmung zum Angebot</body></html>\n") +
            "\n--_000_AM6PR02MB1234CALAM6PR02MB1234eurp_\n"
            "Content-Type: text/calendar; charset=\"utf-8\"; method=REQUEST\n"
            "Content-Transfer-Encoding: base64\n\n" + b64(ics) +
            "\n--_000_AM6PR02MB1234CALAM6PR02MB1234eurp_--\n")


# ---------------------------------------------------------------- Apple Mail

@msg("apple_mail_flowed.eml")
def _():
    return ("From: Nora Lind <nora@icloud.example>\nContent-Type: text/plain;\n\tcharset=utf-8;\n\tdelsp=yes;\n"
            "\tformat=flowed\nContent-Transfer-Encoding: quoted-printable\nMime-Version: 1.0 (Mac OS X Mail 16.0 \\(3731.600.7\\))\n"
            "Subject: =?utf-8?Q?Re=3A_Caf=C3=A9_tomorrow?=\nMessage-Id: <A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF@icloud.example>\n"
            "Date: Thu, 20 Jul 2023 21:03:44 +0200\nTo: Otto <otto@example.se>\nX-Mailer: Apple Mail (2.3731.600.7)\n\n"
            + qp("Sounds good! Let\u2019s meet at the caf\u00e9 at 10. I will bring the  \nprinted plans and the "
                 "laptop so we can go over the  \nnumbers together.\n\n> On 20. Jul 2023, at 18:00, Otto "
                 "<otto@example.se> wrote:\n>\n> Caf\u00e9 tomorrow?\n") )


@msg("apple_mail_attachment.eml")
def _():
    b1 = "Apple-Mail=_3F2A1B9C-7D4E-4F11-A0B1-C2D3E4F5A6B7"
    b2 = "Apple-Mail=_9E8D7C6B-5A4F-4E3D-2C1B-0A9F8E7D6C5B"
    return ("From: Nora Lind <nora@icloud.example>\n"
            "Content-Type: multipart/alternative;\n\tboundary=\"" + b1 + "\"\n"
            "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3731.600.7\\))\n"
            "Subject: Photos from the trip\nDate: Fri, 21 Jul 2023 10:00:00 +0200\n"
            "To: Otto <otto@example.se>\nMessage-Id: <F00DFACE-1234@icloud.example>\n\n\n"
            "--" + b1 + "\nContent-Transfer-Encoding: 7bit\nContent-Type: text/plain;\n\tcharset=us-ascii\n\n"
            "Here are two photos.\n\n\n--" + b1 + "\n"
            "Content-Type: multipart/related;\n\ttype=\"text/html\";\n\tboundary=\"" + b2 + "\"\n\n\n"
            "--" + b2 + "\nContent-Transfer-Encoding: 7bit\nContent-Type: text/html;\n\tcharset=us-ascii\n\n"
            "<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=us-ascii\"></head>"
            "<body style=\"overflow-wrap: break-word;\">Here are two photos.<div><img apple-inline=\"yes\" "
            "id=\"1\" src=\"cid:7A1B2C3D-IMG1\"></div></body></html>\n"
            "--" + b2 + "\nContent-Transfer-Encoding: base64\nContent-Disposition: inline;\n\tfilename=IMG_0042.jpeg\n"
            "Content-Type: image/jpeg;\n\tx-unix-mode=0644;\n\tname=\"IMG_0042.jpeg\"\nContent-Id: <7A1B2C3D-IMG1>\n\n"
            + b64(fake_jpeg("img42", 2000)) + "\n--" + b2 + "--\n\n--" + b1 + "--\n")


@msg("apple_mail_signed_plain.eml")
def _():
    b = "Apple-Mail=_00000000-1111-2222-3333-444444444444"
    return ("From: Nora Lind <nora@icloud.example>\nContent-Type: multipart/signed;\n\tboundary=\"" + b + "\";\n"
            "\tprotocol=\"application/pkcs7-signature\";\n\tmicalg=sha-256\n"
            "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3731.600.7\\))\nSubject: signed\n"
            "Date: Fri, 21 Jul 2023 11:00:00 +0200\nTo: otto@example.se\nMessage-Id: <SIG-1@icloud.example>\n\n\n"
            "--" + b + "\nContent-Transfer-Encoding: quoted-printable\nContent-Type: text/plain;\n\tcharset=utf-8\n\n"
            + qp("Signed with my new certificate \u2714\n") + "\n--" + b + "\n"
            "Content-Disposition: attachment;\n\tfilename=smime.p7s\nContent-Type: application/pkcs7-signature;\n"
            "\tname=smime.p7s\nContent-Transfer-Encoding: base64\n\n" + b64(b"\x30\x82\x0a\x1b" + pseudo_bytes("p7s", 900))
            + "\n--" + b + "--\n")


# ---------------------------------------------------------------- Thunderbird

@msg("thunderbird_flowed.eml")
def _():
    return ("Message-ID: <7c5e3d2a-1b4f-4c8e-9d0a-1234567890ab@example.org>\n"
            "Date: Sat, 22 Jul 2023 14:05:33 +0200\nMIME-Version: 1.0\n"
            "User-Agent: Mozilla Thunderbird\nContent-Language: en-US\n"
            "To: list@lists.example.org\nFrom: Paul Weber <paul@example.org>\n"
            "Subject: Re: [list] proposal for the new logo\n"
            "References: <abc@lists.example.org>\nIn-Reply-To: <abc@lists.example.org>\n"
            "Content-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: 8bit\n\n"
            "On 22.07.23 12:00, Quinn wrote:\n> Here is the proposal. The colours were chosen to match the \n"
            "> website.\n\nI like it, but the blue is a bit too dark on small screens. Could we \n"
            "try a lighter shade?\n\n-- \nPaul\n")


@msg("thunderbird_attachment.eml")
def _():
    return ("Content-Type: multipart/mixed; boundary=\"------------0HGvrN2dA1mzR5t8YbQ3kL9x\"\n"
            "Message-ID: <b3c9d1e2-aaaa-bbbb-cccc-ddddeeeeffff@example.org>\n"
            "Date: Sat, 22 Jul 2023 15:00:00 +0200\nMIME-Version: 1.0\n"
            "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:102.0) Gecko/20100101 Thunderbird/102.13.0\n"
            "Content-Language: de-DE\nTo: Rita <rita@example.org>\nFrom: Paul Weber <paul@example.org>\n"
            "Subject: Fotos und Tabelle\n\n"
            "This is a multi-part message in MIME format.\n"
            "--------------0HGvrN2dA1mzR5t8YbQ3kL9x\n"
            "Content-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: 8bit\n\n"
            "Hallo Rita,\n\nanbei die Fotos und die Tabelle für Übersicht.\n\nGruß\nPaul\n\n"
            "--------------0HGvrN2dA1mzR5t8YbQ3kL9x\n"
            "Content-Type: text/csv; charset=UTF-8; name=\"Übersicht.csv\"\n"
            "Content-Disposition: attachment; filename*=UTF-8''%C3%9Cbersicht.csv\n"
            "Content-Transfer-Encoding: base64\n\n" + b64("Name;Wert\nÄpfel;3\nBirnen;5\n") + "\n"
            "--------------0HGvrN2dA1mzR5t8YbQ3kL9x\n"
            "Content-Type: image/jpeg; name=\"P1010001.JPG\"\n"
            "Content-Disposition: attachment; filename=\"P1010001.JPG\"\nContent-Transfer-Encoding: base64\n\n"
            + b64(fake_jpeg("P101", 1200)) + "\n--------------0HGvrN2dA1mzR5t8YbQ3kL9x--\n")


@msg("thunderbird_pgp_mime.eml")
def _():
    return ("Message-ID: <pgp-1@example.org>\nDate: Sun, 23 Jul 2023 10:00:00 +0200\nMIME-Version: 1.0\n"
            "User-Agent: Mozilla Thunderbird\nFrom: Paul Weber <paul@example.org>\nTo: Rita <rita@example.org>\n"
            "Subject: ...\n"
            "Content-Type: multipart/encrypted;\n protocol=\"application/pgp-encrypted\";\n"
            " boundary=\"------------enigA1B2C3D4E5F6\"\n\n"
            "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n"
            "--------------enigA1B2C3D4E5F6\nContent-Type: application/pgp-encrypted\n"
            "Content-Description: PGP/MIME version identification\n\nVersion: 1\n\n"
            "--------------enigA1B2C3D4E5F6\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\n"
            "Content-Description: OpenPGP encrypted message\nContent-Disposition: inline; filename=\"encrypted.asc\"\n\n"
            "-----BEGIN PGP MESSAGE-----\n\n" + b64(pseudo_bytes("pgpenc", 700), 64) +
            "=Xq4T\n-----END PGP MESSAGE-----\n\n--------------enigA1B2C3D4E5F6--\n")


# ---------------------------------------------------------------- S/MIME, PGP

@msg("smime_signed.eml")
def _():
    return ("From: Secure Sender <secure@example.com>\nTo: r@example.com\nSubject: S/MIME signed\n"
            "Date: Mon, 24 Jul 2023 12:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=\"sha-256\";\n"
            " boundary=\"----0123456789ABCDEF0123456789ABCDEF\"\n\n"
            "This is an S/MIME signed message\n\n"
            "------0123456789ABCDEF0123456789ABCDEF\n"
            "Content-Type: multipart/mixed; boundary=\"inner-signed\"\n\n"
            "--inner-signed\nContent-Type: text/plain; charset=utf-8\n\nSigned content.\n"
            "--inner-signed\nContent-Type: text/plain; charset=utf-8; name=notes.txt\n"
            "Content-Disposition: attachment; filename=notes.txt\n\nnotes\n--inner-signed--\n\n"
            "------0123456789ABCDEF0123456789ABCDEF\n"
            "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\n"
            "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"smime.p7s\"\n"
            "Content-Description: S/MIME Cryptographic Signature\n\n"
            + b64(b"\x30\x82\x05\x00\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" + pseudo_bytes("sig", 1100), 64) +
            "\n------0123456789ABCDEF0123456789ABCDEF--\n\n")


@msg("smime_enveloped.eml")
def _():
    return ("From: Secure Sender <secure@example.com>\nTo: r@example.com\nSubject: S/MIME encrypted\n"
            "Date: Mon, 24 Jul 2023 12:05:00 +0000\nMIME-Version: 1.0\n"
            "Content-Disposition: attachment; filename=\"smime.p7m\"\n"
            "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\n"
            "Content-Transfer-Encoding: base64\n\n"
            + b64(b"\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03" + pseudo_bytes("env", 1500), 64))


@msg("smime_opaque_signed.eml")
def _():
    return ("From: Secure Sender <secure@example.com>\nTo: r@example.com\nSubject: S/MIME opaque signed\n"
            "Date: Mon, 24 Jul 2023 12:10:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: application/x-pkcs7-mime; smime-type=signed-data; name=smime.p7m\n"
            "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=smime.p7m\n\n"
            + b64(b"\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" + pseudo_bytes("opq", 800), 64))


@msg("pgp_mime_signed.eml")
def _():
    return ("From: Gnu User <gnu@example.net>\nTo: list@example.net\nSubject: [ANNOUNCE] tool 1.2.3 released\n"
            "Date: Tue, 25 Jul 2023 18:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/signed; micalg=pgp-sha512;\n\tprotocol=\"application/pgp-signature\"; boundary=\"=-=-=\"\n\n"
            "--=-=-=\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
            "tool 1.2.3 is out. Changes:\n\n* fixed a crash\n* faster startup\n\n"
            "--=-=-=\nContent-Type: application/pgp-signature; name=\"signature.asc\"\n"
            "Content-Description: PGP signature\n\n-----BEGIN PGP SIGNATURE-----\n\n"
            + b64(pseudo_bytes("pgpsig", 300), 64) + "=abcd\n-----END PGP SIGNATURE-----\n--=-=-=--\n")


@msg("pgp_inline_clearsigned.eml")
def _():
    return ("From: Gnu User <gnu@example.net>\nTo: x@example.net\nSubject: inline signed\n"
            "Date: Tue, 25 Jul 2023 18:30:00 +0000\n\n"
            "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nHello.\n-----BEGIN PGP SIGNATURE-----\n\n"
            + b64(pseudo_bytes("inl", 120), 64) + "=zz11\n-----END PGP SIGNATURE-----\n")


# ---------------------------------------------------------------- calendar

def _ics(method, summary):
    return ("BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\n"
            "CALSCALE:GREGORIAN\r\nMETHOD:%s\r\nBEGIN:VEVENT\r\nDTSTART:20230801T130000Z\r\n"
            "DTEND:20230801T140000Z\r\nDTSTAMP:20230726T090000Z\r\nORGANIZER;CN=Sam:mailto:sam@example.com\r\n"
            "UID:7kukuqrfedlm2f9t0vq3k0@google.com\r\nATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;\r\n"
            " RSVP=TRUE;CN=pat@example.com;X-NUM-GUESTS=0:mailto:pat@example.com\r\nSEQUENCE:0\r\nSTATUS:%s\r\n"
            "SUMMARY:%s\r\nTRANSP:OPAQUE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            % (method, "CANCELLED" if method == "CANCEL" else "CONFIRMED", summary))


@msg("calendar_invite_google.eml")
def _():
    ics = _ics("REQUEST", "Design review")
    return ("From: Sam <sam@example.com>\nTo: pat@example.com\nSubject: Invitation: Design review @ Tue Aug 1, 2023 1pm - 2pm (UTC) (pat@example.com)\n"
            "Date: Wed, 26 Jul 2023 09:00:00 +0000\nReply-To: Sam <sam@example.com>\nSender: Google Calendar <calendar-notification@google.com>\n"
            "Message-ID: <calendar-abc-123@google.com>\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"000000000000a1b2c3d4e5f60001\"\n\n"
            "--000000000000a1b2c3d4e5f60001\nContent-Type: multipart/alternative; boundary=\"000000000000a1b2c3d4e5f60002\"\n\n"
            "--000000000000a1b2c3d4e5f60002\nContent-Type: text/plain; charset=\"UTF-8\"; format=flowed; delsp=yes\n"
            "Content-Transfer-Encoding: base64\n\n" + b64("You have been invited to the following event.\n\nDesign review\n") +
            "--000000000000a1b2c3d4e5f60002\nContent-Type: text/html; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n"
            + qp("<span itemscope itemtype=\"http://schema.org/InformAction\"><div>Design review</div></span>\n") +
            "--000000000000a1b2c3d4e5f60002\nContent-Type: text/calendar; charset=\"UTF-8\"; method=REQUEST\n"
            "Content-Transfer-Encoding: 7bit\n\n" + ics.replace("\r\n", "\n") +
            "--000000000000a1b2c3d4e5f60002--\n"
            "--000000000000a1b2c3d4e5f60001\nContent-Type: application/ics; name=\"invite.ics\"\n"
            "Content-Disposition: attachment; filename=\"invite.ics\"\nContent-Transfer-Encoding: base64\n\n"
            + b64(ics) + "--000000000000a1b2c3d4e5f60001--\n")


@msg("calendar_cancel.eml")
def _():
    return ("From: Sam <sam@example.com>\nTo: pat@example.com\nSubject: Canceled event: Design review\n"
            "Date: Thu, 27 Jul 2023 09:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: text/calendar; method=CANCEL; charset=UTF-8\nContent-Transfer-Encoding: 7bit\n\n"
            + _ics("CANCEL", "Design review").replace("\r\n", "\n"))


@msg("calendar_reply_crlf.eml", crlf=True)
def _():
    return ("From: Pat <pat@example.com>\nTo: sam@example.com\nSubject: Accepted: Design review\n"
            "Date: Thu, 27 Jul 2023 10:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/alternative; boundary=rep\n\n--rep\nContent-Type: text/plain; charset=utf-8\n\n"
            "Pat has accepted this invitation.\n--rep\nContent-Type: text/calendar; charset=utf-8; method=REPLY; component=VEVENT\n"
            "Content-Transfer-Encoding: quoted-printable\n\n" + qp(_ics("REPLY", "Design review").replace("\r\n", "\n")) +
            "--rep--\n")


# ---------------------------------------------------------------- reports

ORIG_HDRS = ("Return-Path: <alice@example.org>\nReceived: from [198.51.100.7] by mail.example.org\n"
             "From: Alice <alice@example.org>\nTo: nobody@nonexistent.example\nSubject: Hello\n"
             "Date: Fri, 28 Jul 2023 08:00:00 +0000\nMessage-ID: <hello-1@example.org>\n")


@msg("dsn_failure_postfix.eml")
def _():
    return ("Return-Path: <>\nDate: Fri, 28 Jul 2023 08:00:05 +0000 (UTC)\n"
            "From: MAILER-DAEMON@mail.example.org (Mail Delivery System)\n"
            "Subject: Undelivered Mail Returned to Sender\nTo: alice@example.org\n"
            "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=delivery-status;\n"
            "\tboundary=\"4RC1Mx0qBwz9sVN.1690531205/mail.example.org\"\n"
            "Content-Transfer-Encoding: 8bit\nMessage-Id: <4RC1Mx0qBwz9sVN@mail.example.org>\n\n"
            "This is a MIME-encapsulated message.\n\n"
            "--4RC1Mx0qBwz9sVN.1690531205/mail.example.org\n"
            "Content-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n"
            "This is the mail system at host mail.example.org.\n\nI'm sorry to have to inform you that your message could not\n"
            "be delivered to one or more recipients.\n\n<nobody@nonexistent.example>: Host or domain name not found.\n\n"
            "--4RC1Mx0qBwz9sVN.1690531205/mail.example.org\n"
            "Content-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
            "Reporting-MTA: dns; mail.example.org\nX-Postfix-Queue-ID: 4RC1Mx0qBwz9sVN\n"
            "Arrival-Date: Fri, 28 Jul 2023 08:00:01 +0000 (UTC)\n\n"
            "Final-Recipient: rfc822; nobody@nonexistent.example\nOriginal-Recipient: rfc822;nobody@nonexistent.example\n"
            "Action: failed\nStatus: 5.4.4\nDiagnostic-Code: X-Postfix; Host or domain name not found.\n\n"
            "--4RC1Mx0qBwz9sVN.1690531205/mail.example.org\n"
            "Content-Description: Undelivered Message\nContent-Type: message/rfc822\n"
            "Content-Transfer-Encoding: 8bit\n\n" + ORIG_HDRS + "\nHello, is anybody there?\n\n"
            "--4RC1Mx0qBwz9sVN.1690531205/mail.example.org--\n")


@msg("dsn_headers_only.eml")
def _():
    return ("From: Mail Delivery Subsystem <mailer-daemon@mx.example.com>\nTo: alice@example.org\n"
            "Subject: Delayed Mail (still being retried)\nDate: Sat, 29 Jul 2023 08:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"dsn-b\"\n\n"
            "--dsn-b\n\nWarning: message still undelivered after 4 hours\n\n"
            "--dsn-b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n"
            "Final-Recipient: RFC822; bob@slow.example\nAction: delayed\nStatus: 4.4.7\n"
            "Will-Retry-Until: Tue, 1 Aug 2023 08:00:00 +0000\n\n"
            "--dsn-b\nContent-Type: text/rfc822-headers\n\n" + ORIG_HDRS + "\n--dsn-b--\n")


@msg("mdn_read_receipt.eml")
def _():
    return ("From: Bob <bob@example.net>\nTo: Alice <alice@example.org>\nSubject: Read: Hello\n"
            "Date: Sat, 29 Jul 2023 09:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=disposition-notification; boundary=\"mdn\"\n\n"
            "--mdn\nContent-Type: text/plain; charset=utf-8\n\nYour message was displayed.\n"
            "--mdn\nContent-Type: message/disposition-notification\n\n"
            "Reporting-UA: bob.example.net; Mail 1.0\nFinal-Recipient: rfc822;bob@example.net\n"
            "Original-Message-ID: <hello-1@example.org>\nDisposition: manual-action/MDN-sent-manually; displayed\n"
            "\n--mdn\nContent-Type: text/rfc822-headers\n\n" + ORIG_HDRS + "--mdn--\n")


@msg("message_global.eml")
def _():
    return ("From: Postmaster <postmaster@例え.jp>\nTo: 利用者 <user@例え.jp>\nSubject: 配信不能: テスト\n"
            "Date: Sun, 30 Jul 2023 09:00:00 +0900\nMIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=global-delivery-status; boundary=\"g\"\n\n"
            "--g\nContent-Type: text/plain; charset=utf-8\n\n配信できませんでした。\n"
            "--g\nContent-Type: message/global-delivery-status\n\nReporting-MTA: dns; 例え.jp\n\n"
            "Final-Recipient: rfc822; 宛先@例え.jp\nAction: failed\nStatus: 5.1.1\n\n"
            "--g\nContent-Type: message/global\n\nFrom: 送信者 <送信者@例え.jp>\nTo: 宛先@例え.jp\n"
            "Subject: テスト\nDate: Sun, 30 Jul 2023 08:59:00 +0900\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nこんにちは\n"
            "--g--\n")


@msg("message_global_headers.eml")
def _():
    return ("From: a@example.com\nTo: b@example.com\nSubject: global headers part\n"
            "Date: Sun, 30 Jul 2023 10:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=gh\n\n--gh\n\nbody\n--gh\n"
            "Content-Type: message/global-headers\n\nFrom: Ülla <ülla@example.com>\nSubject: Grüße\n\n"
            "--gh\nContent-Type: message/global; name=fwd.u8msg\n\nSubject: bare global\n\nbody of global\n--gh--\n")


@msg("message_partial_external.eml")
def _():
    return ("From: a@example.com\nTo: b@example.com\nSubject: partial and external\n"
            "Date: Mon, 31 Jul 2023 10:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=pe\n\n--pe\n"
            "Content-Type: message/partial; id=\"ABC@host.example\"; number=2; total=3\n\n"
            "Message-ID: <id2@host.example>\n\n...second fragment...\n"
            "--pe\nContent-Type: message/external-body; access-type=URL;\n URL=\"ftp://ftp.example.com/pub/file.tar.gz\"\n\n"
            "Content-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n"
            "--pe\nContent-Type: message/news\n\nNewsgroups: comp.mail.mime\nFrom: n@example.com\nSubject: news\n\nnews body\n"
            "--pe--\n")


# ---------------------------------------------------------------- charsets

def _charset_msg(charset, who, subject, body, cte, enc=None):
    enc = enc or charset
    raw = body.encode(enc)
    if cte == "base64":
        payload = b64(raw).encode("ascii")
    elif cte == "quoted-printable":
        payload = qp(raw).encode("ascii")
    else:
        payload = raw
    hdr = ("From: %s <sender@example.com>\nTo: receiver@example.com\nSubject: %s\n"
           "Date: Tue, 1 Aug 2023 10:00:00 +0000\nMIME-Version: 1.0\n"
           "Content-Type: text/plain; charset=%s\nContent-Transfer-Encoding: %s\n\n"
           % (who, subject, charset, cte))
    return hdr.encode("ascii") + payload


CHARSET_SAMPLES = [
    ("iso-8859-1", "Fran\u00e7ois B\u00e9rard", "R\u00e9sum\u00e9 de la r\u00e9union", "Voil\u00e0 le r\u00e9sum\u00e9: caf\u00e9, cr\u00e8me, na\u00efve, \u00e0 bient\u00f4t.\n", "quoted-printable"),
    ("iso-8859-2", "Pawe\u0142 \u017b\u00f3\u0142w", "Za\u017c\u00f3\u0142\u0107 g\u0119\u015bl\u0105 ja\u017a\u0144", "Za\u017c\u00f3\u0142\u0107 g\u0119\u015bl\u0105 ja\u017a\u0144. P\u0159\u00edli\u0161 \u017elu\u0165ou\u010dk\u00fd k\u016f\u0148.\n", "8bit"),
    ("iso-8859-15", "Ana Pe\u00f1a", "Precio: 20 \u20ac", "El precio es 20 \u20ac (veinte euros). \u0152uvre, \u0161, \u017e.\n", "quoted-printable"),
    ("windows-1250", "Ji\u0159\u00ed Dvo\u0159\u00e1k", "P\u0159\u00edli\u0161 \u017elu\u0165ou\u010dk\u00fd k\u016f\u0148", "P\u0159\u00edli\u0161 \u017elu\u0165ou\u010dk\u00fd k\u016f\u0148 \u00fap\u011bl \u010f\u00e1belsk\u00e9 \u00f3dy \u201equotes\u201c.\n", "8bit"),
    ("windows-1251", "\u0418\u0432\u0430\u043d \u041f\u0435\u0442\u0440\u043e\u0432", "\u041e\u0442\u0447\u0451\u0442 \u0437\u0430 \u043c\u0435\u0441\u044f\u0446", "\u0414\u043e\u0431\u0440\u044b\u0439 \u0434\u0435\u043d\u044c! \u041e\u0442\u0447\u0451\u0442 \u0432\u043e \u0432\u043b\u043e\u0436\u0435\u043d\u0438\u0438 \u2014 \u0441\u043f\u0430\u0441\u0438\u0431\u043e.\n", "base64"),
    ("windows-1252", "Se\u00e1n \u00d3 Murch\u00fa", "\u201cSmart quotes\u201d \u2013 and \u20ac", "He said \u201chello\u201d \u2013 it\u2019s \u20ac5\u2026\n", "quoted-printable"),
    ("koi8-r", "\u0421\u0435\u0440\u0433\u0435\u0439", "\u041f\u0440\u0438\u0432\u0435\u0442 \u0438\u0437 \u041c\u043e\u0441\u043a\u0432\u044b", "\u041f\u0440\u0438\u0432\u0435\u0442! \u041a\u0430\u043a \u0434\u0435\u043b\u0430? \u0421\u044a\u0435\u0448\u044c \u0436\u0435 \u0435\u0449\u0451 \u044d\u0442\u0438\u0445 \u043c\u044f\u0433\u043a\u0438\u0445 \u0444\u0440\u0430\u043d\u0446\u0443\u0437\u0441\u043a\u0438\u0445 \u0431\u0443\u043b\u043e\u043a.\n", "8bit"),
    ("iso-2022-jp", "\u5c71\u7530\u592a\u90ce", "\u4f1a\u8b70\u306e\u304a\u77e5\u3089\u305b", "\u304a\u75b2\u308c\u69d8\u3067\u3059\u3002\u660e\u65e5\u306e\u4f1a\u8b70\u306f\u5341\u6642\u304b\u3089\u3067\u3059\u3002\n\u3088\u308d\u3057\u304f\u304a\u9858\u3044\u3057\u307e\u3059\u3002\n", "7bit"),
    ("shift_jis", "\u9234\u6728\u82b1\u5b50", "\u898b\u7a4d\u66f8\u306e\u4ef6", "\u898b\u7a4d\u66f8\u3092\u304a\u9001\u308a\u3057\u307e\u3059\u3002\u30bd\u30d5\u30c8\u30a6\u30a7\u30a2\u8868\u793a\u30c6\u30b9\u30c8\u3002\n", "8bit"),
    ("euc-jp", "\u4f50\u85e4", "\u6587\u5b57\u5316\u3051\u30c6\u30b9\u30c8", "\u65e5\u672c\u8a9e\u306e\u6587\u7ae0\u3067\u3059\u3002\n", "8bit"),
    ("gb2312", "\u738b\u5c0f\u660e", "\u4f1a\u8bae\u901a\u77e5", "\u5927\u5bb6\u597d\uff0c\u660e\u5929\u4e0a\u5348\u5341\u70b9\u5f00\u4f1a\u3002\u8c22\u8c22\uff01\n", "base64"),
    ("gb18030", "\u674e\u56db", "\u53d1\u7968\u548c\u5408\u540c \U00020000", "\u8bf7\u67e5\u6536\u9644\u4ef6\u4e2d\u7684\u53d1\u7968\u3002\u7f55\u89c1\u5b57\uff1a\U00020000 \u20ac\n", "8bit"),
    ("big5", "\u9673\u5927\u6587", "\u6703\u8b70\u7d00\u9304", "\u5404\u4f4d\u597d\uff0c\u9644\u4e0a\u6703\u8b70\u7d00\u9304\u3002\n", "base64"),
    ("euc-kr", "\uae40\ucca0\uc218", "\ud68c\uc758 \uc548\ub0b4", "\uc548\ub155\ud558\uc138\uc694. \ub0b4\uc77c \ud68c\uc758\ub294 \uc624\uc804 10\uc2dc\uc785\ub2c8\ub2e4.\n", "8bit"),
    ("iso-8859-7", "\u0393\u03b9\u03ac\u03bd\u03bd\u03b7\u03c2", "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1", "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1 \u03c3\u03b5 \u03cc\u03bb\u03bf\u03c5\u03c2.\n", "quoted-printable"),
    ("iso-8859-8", "\u05d3\u05d5\u05d3", "\u05e9\u05dc\u05d5\u05dd", "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd.\n", "8bit"),
    ("iso-8859-9", "Ay\u015fe Y\u0131lmaz", "\u0130stanbul toplant\u0131s\u0131", "Toplant\u0131 \u0130stanbul'da, \u011f\u00fc\u015f\u0131\u00f6\u00e7.\n", "quoted-printable"),
    ("windows-1256", "\u0623\u062d\u0645\u062f", "\u0645\u0631\u062d\u0628\u0627", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645.\n", "base64"),
    ("tis-620", "\u0e2a\u0e21\u0e0a\u0e32\u0e22", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a\n", "8bit"),
    ("utf-16", "Wide", "UTF-16 body", "UTF-16 text body.\n", "base64"),
]


def _make_charset(i, cs, who, subj, body, cte):
    # Headers: Q words for Latin charsets, B for the rest (as mailers do).
    latin = cs.startswith(("iso-8859", "windows-125"))
    hdr_cs = cs if cs != "utf-16" else "utf-8"
    enc = (lambda t: qword(t, hdr_cs)) if latin else (lambda t: bword(t, hdr_cs))
    return _charset_msg(cs, enc(who), enc(subj), body, cte)


for _i, (_cs, _who, _subj, _body, _cte) in enumerate(CHARSET_SAMPLES):
    MSGS.append(("charset_%s.eml" % _cs.replace("_", "-"),
                 (lambda a=(_i, _cs, _who, _subj, _body, _cte): _make_charset(*a)), False))


@msg("charset_iso2022jp_mixed_header.eml")
def _():
    subj = "=?ISO-2022-JP?B?" + __import__("base64").b64encode("\u53d7\u6ce8\u306e\u78ba\u8a8d".encode("iso-2022-jp")).decode() + "?="
    return ("From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\n"
            "To: \"=?ISO-2022-JP?B?GyRCOEQ/TRsoQg==?=\" <kojin@example.jp>\n"
            "Subject: Re: " + subj + " (No.1234)\nDate: Wed, 2 Aug 2023 09:00:00 +0900\n"
            "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"--jp-boundary\"\n\n"
            "----jp-boundary\nContent-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n").encode("ascii") + \
        "\u3054\u6ce8\u6587\u3042\u308a\u304c\u3068\u3046\u3054\u3056\u3044\u307e\u3059\u3002\n".encode("iso-2022-jp") + \
        ("----jp-boundary\nContent-Type: application/pdf; name=\"" + bword("\u6ce8\u6587\u66f8.pdf", "iso-2022-jp") + "\"\n"
         "Content-Disposition: attachment; filename=\"" + bword("\u6ce8\u6587\u66f8.pdf", "iso-2022-jp") + "\"\n"
         "Content-Transfer-Encoding: base64\n\n" + b64(fake_pdf("order")) + "----jp-boundary--\n").encode("ascii")


@msg("charset_mixed_parts.eml")
def _():
    parts = []
    for cs, text in [("iso-8859-1", "d\u00e9j\u00e0 vu"), ("koi8-r", "\u043f\u0440\u0438\u0432\u0435\u0442"),
                     ("shift_jis", "\u3053\u3093\u306b\u3061\u306f"), ("gb18030", "\u4f60\u597d"),
                     ("euc-kr", "\uc548\ub155"), ("windows-1251", "\u0437\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439")]:
        parts.append(b"--mixcs\nContent-Type: text/plain; charset=\"" + cs.encode() +
                     b"\"\nContent-Transfer-Encoding: 8bit\n\n" + text.encode(cs) + b"\n")
    return (b"From: polyglot@example.com\nTo: b@example.com\nSubject: " +
            (qword("d\u00e9j\u00e0", "iso-8859-1") + " " + bword("\u043f\u0440\u0438\u0432\u0435\u0442", "koi8-r") + " " +
             bword("\u3053\u3093\u306b\u3061\u306f", "shift_jis")).encode() +
            b"\nDate: Wed, 2 Aug 2023 12:00:00 +0000\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=mixcs\n\n" + b"".join(parts) + b"--mixcs--\n")


@msg("charset_unknown_and_wrong.eml")
def _():
    return (b"From: =?x-unknown?Q?Who_Knows?= <who@example.com>\nTo: b@example.com\n"
            b"Subject: =?utf-8?Q?caf=E9?= and =?iso-8859-1?B?w6k=?=\n"
            b"Date: Wed, 2 Aug 2023 13:00:00 +0000\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=w\n\n--w\nContent-Type: text/plain; charset=x-klingon\n\n"
            b"\xf8\xe1\xa3 opaque bytes\n--w\nContent-Type: text/plain; charset=utf-8\n\n"
            b"latin-1 labelled utf-8: caf\xe9\n--w\nContent-Type: text/plain; charset=\"\"\n\nempty charset\n"
            b"--w\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 8bit\n\n"
            b"8-bit in us-ascii: na\xc3\xafve\n--w--\n")


# ---------------------------------------------------------------- other real shapes

@msg("gmail_alternative.eml")
def _():
    return ("MIME-Version: 1.0\nDate: Thu, 3 Aug 2023 19:22:11 +0200\n"
            "Message-ID: <CAF7x+Q1abcDEFghiJKL=mnoPQRstuVWxyz12345@mail.gmail.com>\n"
            "Subject: Re: weekend\nFrom: Tom Example <tom.example@gmail.example>\nTo: Uma <uma@example.org>\n"
            "Content-Type: multipart/alternative; boundary=\"0000000000001f2e3d0601f8a9b1\"\n\n"
            "--0000000000001f2e3d0601f8a9b1\nContent-Type: text/plain; charset=\"UTF-8\"\n"
            "Content-Transfer-Encoding: quoted-printable\n\n" + qp("Sounds great \u2013 see you Saturday!\n") +
            "\n--0000000000001f2e3d0601f8a9b1\nContent-Type: text/html; charset=\"UTF-8\"\n"
            "Content-Transfer-Encoding: quoted-printable\n\n" +
            qp("<div dir=\"ltr\">Sounds great \u2013 see you Saturday!</div>\n") +
            "\n--0000000000001f2e3d0601f8a9b1--\n")


@msg("mutt_inline_parts.eml")
def _():
    return ("Date: Fri, 4 Aug 2023 08:08:08 +0200\nFrom: Vic <vic@example.org>\nTo: Wes <wes@example.org>\n"
            "Subject: patch\nMessage-ID: <20230804060808.xyz@example.org>\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"k1lZvvs/B4yU6o8G\"\nContent-Disposition: inline\n"
            "User-Agent: Mutt/2.2.9 (2022-11-12)\n\n"
            "--k1lZvvs/B4yU6o8G\nContent-Type: text/plain; charset=us-ascii\nContent-Disposition: inline\n\n"
            "Patch below.\n\n--k1lZvvs/B4yU6o8G\nContent-Type: text/x-diff; charset=us-ascii\n"
            "Content-Disposition: attachment; filename=\"fix.patch\"\n\n"
            "--- a/main.c\n+++ b/main.c\n@@ -1,3 +1,3 @@\n-int x = 1;\n+int x = 2;\n\n"
            "--k1lZvvs/B4yU6o8G--\n")


@msg("preamble_epilogue.eml")
def _():
    return ("From: a@example.com\nTo: b@example.com\nSubject: preamble and epilogue\n"
            "Date: Sat, 5 Aug 2023 10:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"simple boundary\"\n\n"
            "This is the preamble.  It is to be ignored, though it\nis a handy place for composition agents to include an\n"
            "explanatory note to non-MIME conformant readers.\n\n--simple boundary\n\n"
            "This is implicitly typed plain US-ASCII text.\nIt does NOT end with a linebreak.\n"
            "--simple boundary\nContent-type: text/plain; charset=us-ascii\n\n"
            "This is explicitly typed plain US-ASCII text.\nIt DOES end with a linebreak.\n\n"
            "--simple boundary--\n\nThis is the epilogue.  It is also to be ignored.\n")


@msg("text_enriched_alternative.eml")
def _():
    return ("From: Nathaniel Borenstein <nsb@example.com>\nTo: Ned Freed <ned@example.com>\n"
            "Date: Sun, 21 Mar 1993 23:56:48 -0800 (PST)\nSubject: Formatted text mail\nMIME-Version: 1.0\n"
            "Content-Type: multipart/alternative; boundary=boundary42\n\n"
            "--boundary42\nContent-Type: text/plain; charset=us-ascii\n\n...plain text version of message goes here...\n\n"
            "--boundary42\nContent-Type: text/enriched\n\n<bold>...RFC 1896 text/enriched version</bold>\n\n"
            "--boundary42\nContent-Type: application/x-whatever\n\n...fanciest version of same message goes here...\n\n"
            "--boundary42--\n")


@msg("rfc2046_appendix_a.eml")
def _():
    return ("MIME-Version: 1.0\nFrom: Nathaniel Borenstein <nsb@nsb.fv.com>\nTo: Ned Freed <ned@innosoft.com>\n"
            "Date: Fri, 07 Oct 1994 16:15:05 -0700 (PDT)\nSubject: A multipart example\n"
            "Content-Type: multipart/mixed;\n              boundary=unique-boundary-1\n\n"
            "This is the preamble area of a multipart message.\nMail readers that understand multipart format\n"
            "should ignore this preamble.\n\nIf you are reading this text, you might want to\nconsider changing to a mail reader that understands\n"
            "how to properly display multipart messages.\n\n--unique-boundary-1\n\n  ... Some text appears here ...\n\n"
            "[Note that the blank between the boundary and the start\n of the text in this part means no header fields were\n"
            " given and this is text in the US-ASCII character set.\n It could have been done with explicit typing as in the\n"
            " next part.]\n\n--unique-boundary-1\nContent-type: text/plain; charset=US-ASCII\n\n"
            "This could have been part of the previous part, but\nillustrates explicit versus implicit typing of body\nparts.\n\n"
            "--unique-boundary-1\nContent-Type: multipart/parallel; boundary=unique-boundary-2\n\n"
            "--unique-boundary-2\nContent-Type: audio/basic\nContent-Transfer-Encoding: base64\n\n"
            + b64(pseudo_bytes("audio", 200)) + "\n--unique-boundary-2\nContent-Type: image/jpeg\n"
            "Content-Transfer-Encoding: base64\n\n" + b64(fake_jpeg("img", 200)) + "\n--unique-boundary-2--\n\n"
            "--unique-boundary-1\nContent-type: text/enriched\n\nThis is <bold><italic>enriched.</italic></bold>\n"
            "<smaller>as defined in RFC 1896</smaller>\n\nIsn't it\n<bigger><bigger>cool?</bigger></bigger>\n\n"
            "--unique-boundary-1\nContent-Type: message/rfc822\n\n"
            "From: (mailbox in US-ASCII)\nTo: (address in US-ASCII)\nSubject: (subject in US-ASCII)\n"
            "Content-Type: Text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: Quoted-printable\n\n"
            "  ... Additional text in ISO-8859-1 goes here ...\n\n--unique-boundary-1--\n")


@msg("mailing_list_footer.eml")
def _():
    return ("From: Xena <xena@example.com>\nTo: users@lists.example.org\nSubject: [users] How to configure TLS?\n"
            "Date: Sun, 6 Aug 2023 10:00:00 +0000\nMessage-ID: <q1@example.com>\n"
            "List-Id: Users list <users.lists.example.org>\nList-Post: <mailto:users@lists.example.org>\n"
            "List-Help: <mailto:users-request@lists.example.org?subject=help>\n"
            "List-Subscribe: <https://lists.example.org/mailman/listinfo/users>,\n <mailto:users-request@lists.example.org?subject=subscribe>\n"
            "Sender: \"users\" <users-bounces@lists.example.org>\nPrecedence: list\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"===============8675309==\"\n\n"
            "--===============8675309==\nContent-Type: multipart/alternative; boundary=\"orig-alt\"\n\n"
            "--orig-alt\nContent-Type: text/plain; charset=utf-8\n\nHow do I configure TLS?\n"
            "--orig-alt\nContent-Type: text/html; charset=utf-8\n\n<p>How do I configure TLS?</p>\n--orig-alt--\n\n"
            "--===============8675309==\nContent-Type: text/plain; charset=\"us-ascii\"\nMIME-Version: 1.0\n"
            "Content-Transfer-Encoding: 7bit\nContent-Disposition: inline\n\n"
            "_______________________________________________\nusers mailing list\nusers@lists.example.org\n\n"
            "--===============8675309==--\n")


@msg("autoreply_vacation.eml")
def _():
    return ("From: Yara <yara@example.com>\nTo: sender@example.net\nSubject: Auto: Out of office (Re: Hello)\n"
            "Date: Mon, 7 Aug 2023 06:00:00 +0000\nAuto-Submitted: auto-replied (vacation)\n"
            "Precedence: bulk\nX-Autoreply: yes\nIn-Reply-To: <hello@example.net>\nReferences: <hello@example.net>\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
            + qp("I am out of the office until 21 August. For urgent matters contact Zo\u00eb.\n"))


@msg("dates_obsolete.eml")
def _():
    return ("From: old@example.com\nTo: new@example.com\nSubject: obsolete date\n"
            "Date: Thu, 4 Jan 96 13:04:52 EST\nMessage-ID: <old-1@example.com>\n\nold date form\n")


@msg("headers_lowercase_mixed.eml")
def _():
    return ("from: lower@example.com\nTO: upper@example.com\nsUbJeCt: mixed case field names\n"
            "date: Tue, 8 Aug 2023 10:00:00 +0000\nmessage-id: <lc@example.com>\nmime-version: 1.0\n"
            "content-type: MULTIPART/ALTERNATIVE; BOUNDARY=\"CaseBoundary\"\n\n--CaseBoundary\n"
            "CONTENT-TYPE: TEXT/PLAIN; CHARSET=US-ASCII\nCONTENT-TRANSFER-ENCODING: 7BIT\n\ntext\n"
            "--CaseBoundary\ncontent-type: Text/HTML; Charset=\"UTF-8\"\ncontent-transfer-encoding: Quoted-Printable\n"
            "content-disposition: INLINE\n\n<p>x</p>\n--CaseBoundary--\n")


@msg("multiple_recipients_long.eml")
def _():
    tos = ",\n ".join("\"Person %d\" <person%d@example.com>" % (i, i) for i in range(1, 41))
    return ("From: Big List <biglist@example.com>\nTo: " + tos + "\nCc: \"x\" <x@example.com>,\n\t(comment) y@example.com\n"
            "Subject: many recipients\nDate: Wed, 9 Aug 2023 10:00:00 +0000\n\nhello all\n")


@msg("encoded_words_adjacent.eml")
def _():
    return ("From: =?UTF-8?Q?=C3=A9?= =?UTF-8?Q?=C3=A8?= <accents@example.com>\n"
            "To: =?utf-8?b?5pel5pys6Kqe?= =?utf-8?b?44Gu5ZCN5YmN?= <jp@example.com>\n"
            "Subject: =?UTF-8?B?8J+Y?= =?UTF-8?B?gA==?= split emoji, =?UTF-8?Q?a?=   =?UTF-8?Q?b?= and =?UTF-8?Q?c?= d\n"
            "Date: Thu, 10 Aug 2023 10:00:00 +0000\n\nbody\n")


@msg("sender_reply_to_differ.eml")
def _():
    return ("From: Chair <chair@committee.example>\nSender: Secretary <secretary@committee.example>\n"
            "Reply-To: committee@committee.example, \"Chair (private)\" <chair.private@example.net>\n"
            "To: members: a@example.com, b@example.com;, observers: ;\nCc: <>\nBcc: \n"
            "Subject: Minutes\nDate: Fri, 11 Aug 2023 10:00:00 +0000\nMessage-ID: <minutes@committee.example>\n"
            "In-Reply-To: <agenda@committee.example>\n\nMinutes attached (not really).\n")


@msg("x_headers_and_received_many.eml")
def _():
    rec = "".join("Received: from relay%d.example.net (relay%d.example.net [203.0.113.%d])\n\tby relay%d.example.net "
                  "with ESMTP id %08X; Sat, 12 Aug 2023 10:%02d:00 +0000\n" % (i, i, i, i + 1, i * 7919, i)
                  for i in range(12))
    return (rec + "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel;\n"
            "\th=from:to:subject:date; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n"
            "\tb=" + b64(pseudo_bytes("dkim", 256)).replace("\n", "\n\t ").rstrip("\t ") +
            "Authentication-Results: mx.example.org; dkim=pass header.d=example.com; spf=pass\n"
            "From: relayed@example.com\nTo: dest@example.org\nSubject: many hops\n"
            "Date: Sat, 12 Aug 2023 10:00:00 +0000\nX-Spam-Status: No, score=-0.1\nX-Spam-Score: -0.1\n\nbody\n")


def main():
    clean(SUB)
    for name, fn, crlf in MSGS:
        write(SUB, name, fn(), crlf=crlf)
    print("wrote %d messages" % len(MSGS), file=sys.stderr)


if __name__ == "__main__":
    main()
