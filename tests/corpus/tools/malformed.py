#!/usr/bin/python3
"""Writes tests/corpus/messages/malformed/: broken and hostile input the
parser must survive and answer exactly as Dovecot does (or as documented in
DIFFERENCES.md). Each message is bytes, written verbatim."""
import sys

from corpuslib import b64, clean, pseudo_bytes, write

SUB = "malformed"
M = {}

H = b"From: a@example.com\nTo: b@example.com\nSubject: %s\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"


def hdr(subject):
    return H % subject.encode()


def mp(boundary=b"b", subtype=b"mixed"):
    return b"MIME-Version: 1.0\nContent-Type: multipart/" + subtype + b"; boundary=\"" + boundary + b"\"\n"


# -- framing
M["empty.eml"] = b""
M["only_newline.eml"] = b"\n"
M["only_crlf.eml"] = b"\r\n"
M["only_headers.eml"] = hdr("only headers")
M["only_headers_no_final_newline.eml"] = hdr("only headers")[:-1]
M["no_separator_body_follows.eml"] = hdr("no separator") + b"this line is not a header\nneither is this\n"
M["no_separator_folded_garbage.eml"] = hdr("no separator") + b" continuation of date\n!!! junk line\n"
M["body_only.eml"] = b"\nJust a body, no header at all.\n"
M["single_word.eml"] = b"hello"
M["continuation_first_line.eml"] = b" continuation as first line\n\tsecond continuation\n" + hdr("after cont") + b"\nbody\n"
M["header_without_colon.eml"] = b"From a@example.com Mon Jan  1 00:00:00 2024\n" + hdr("mbox From_ line") + b"\nbody\n"
M["space_before_colon.eml"] = (b"From : spaced@example.com\nSubject\t: tab before colon\nTo  :  b@example.com\n"
                               b"Content-Type : text/html\n\nbody\n")
M["empty_field_name.eml"] = b": no name\nFrom: a@example.com\n:\nSubject: x\n\nbody\n"
M["long_header_1mb.eml"] = (b"From: a@example.com\nSubject: " + b"A" * (1024 * 1024) + b"\nTo: b@example.com\n\nbody\n")
M["long_header_folded_many.eml"] = (b"From: a@example.com\nX-Long:" + b"".join(b" w%d\n" % i for i in range(20000)) +
                                   b"Subject: many folds\n\nbody\n")
M["long_body_line.eml"] = hdr("long body line") + b"\n" + b"x" * 300000 + b"\n"
M["many_headers.eml"] = b"".join(b"X-H%d: v\n" % i for i in range(5000)) + hdr("many headers") + b"\nbody\n"

# -- line endings
M["bare_cr.eml"] = (hdr("bare CR").replace(b"\n", b"\r") + b"\rbody line 1\rbody line 2\r")
M["bare_cr_multipart.eml"] = (hdr("bare CR mp") + mp() + b"\n--b\n\ntext\n--b--\n").replace(b"\n", b"\r")
M["lf_only_multipart.eml"] = hdr("LF only") + mp() + b"\n--b\nContent-Type: text/plain\n\none\ntwo\n--b--\n"
M["mixed_line_ends.eml"] = (b"From: a@example.com\r\nTo: b@example.com\nSubject: mixed\r\n"
                            b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
                            b"--m\n\nlf part\r\ncrlf line\n--m\r\nContent-Type: text/html\r\n\n<p>x</p>\r\r\n--m--\r\n")
M["crlf_cr_lf_sequences.eml"] = hdr("cr sequences") + b"\nline\r\r\nline2\n\rline3\r\n\r\n"
M["no_final_newline_multipart.eml"] = hdr("no final newline") + mp() + b"\n--b\n\ntext\n--b--"
M["no_final_newline_in_part.eml"] = hdr("no newline before boundary") + mp() + b"\n--b\n\ntext--b\n--b--\n"

# -- NULs and 8-bit
M["nul_in_header.eml"] = b"From: a@exa\x00mple.com\nSubject: nul\x00here\nTo: b@example.com\n\nbody\n"
M["nul_in_body.eml"] = hdr("nul in body") + b"\nbefore\x00after\n\x00\x00\x00\n"
M["nul_in_multipart.eml"] = hdr("nul mp") + mp() + b"\n--b\nContent-Type: text/plain\n\na\x00b\n--b\x00\n\nc\n--b--\n"
M["nul_in_field_name.eml"] = b"Fr\x00om: a@example.com\nSub\x00ject: x\n\nbody\n"
M["8bit_headers_latin1.eml"] = (b"From: J\xf6rg M\xfcller <joerg@example.de>\nTo: Fran\xe7ois <f@example.fr>\n"
                                b"Subject: Gr\xfc\xdfe aus K\xf6ln\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n")
M["8bit_headers_invalid_utf8.eml"] = (b"From: \xc3\x28 <bad@example.com>\nSubject: \xe2\x82 truncated \xf0\x9f\x98\n"
                                      b"To: \xff\xfe@example.com\n\nbody \xc0\xaf\n")
M["8bit_content_type.eml"] = hdr("8bit ct") + b"Content-Type: text/pl\xe4in; charset=\xfctf-8\n\nbody\n"
M["control_chars_header.eml"] = (b"From: ctrl\x01\x02@example.com\nSubject: bell\x07 esc\x1b[31m tab\tdel\x7f\n"
                                 b"To: b@example.com\n\nbody\n")

# -- addresses
M["addr_unclosed_quote.eml"] = (b"From: \"Unclosed <a@example.com>\nTo: \"also open <b@example.com>, c@example.com\n"
                                b"Subject: unclosed quote\n\nbody\n")
M["addr_unclosed_comment.eml"] = (b"From: a@example.com (unclosed comment\nTo: (((nested) b@example.com\n"
                                  b"Cc: c@example.com (one) (two (three)\nSubject: unclosed comment\n\nbody\n")
M["addr_unclosed_angle.eml"] = b"From: Name <a@example.com\nTo: <b@example.com, c@example.com>\nSubject: x\n\nbody\n"
M["addr_groups.eml"] = (b"From: group: a@example.com, b@example.com;\nTo: empty group:;, x@example.com, "
                        b"another: y@example.com;\nCc: nested: inner: z@example.com;;\n"
                        b"Bcc: unterminated group: q@example.com\nReply-To: :;\nSubject: groups\n\nbody\n")
M["addr_route.eml"] = (b"From: Route <@relay1.example,@relay2.example:user@example.com>\n"
                       b"To: <@a.example:b@example.com>, <@:c@example.com>, <@x,@y:>\nSubject: routes\n\nbody\n")
M["addr_empty_angle.eml"] = (b"From: <>\nTo: <>, b@example.com, Name <>\nCc: \"\" <>\nReturn-Path: <>\n"
                             b"Subject: empty addresses\n\nbody\n")
M["addr_no_domain.eml"] = (b"From: localonly\nTo: user@, @domain.example, @, \"q\"\nCc: a@b@c\n"
                           b"Sender: ,,,\nSubject: no domains\n\nbody\n")
M["addr_garbage.eml"] = (b"From: ;;;;<<<>>>\"\"\"(((\nTo: \\\\\\\nCc: =?utf-8?q?=?=\nBcc: <a@b> <c@d>\n"
                         b"Subject: garbage addresses\n\nbody\n")
M["addr_encoded_specials.eml"] = (b"From: =?utf-8?Q?Smith=2C_John?= <js@example.com>\n"
                                  b"To: =?utf-8?Q?a=22b?= <ab@example.com>, =?utf-8?B?PGZha2VAZXZpbC5leGFtcGxlPg==?= <real@example.com>\n"
                                  b"Subject: encoded specials\n\nbody\n")
M["addr_many.eml"] = (b"From: a@example.com\nTo: " + b", ".join(b"u%d@example.com" % i for i in range(3000)) +
                      b"\nSubject: many addresses\n\nbody\n")
M["addr_dup_fields.eml"] = (b"From: first@example.com\nFrom: second@example.com\nSubject: one\nSubject: two\n"
                            b"Date: Mon, 1 Jan 2024 00:00:00 +0000\nDate: Tue, 2 Jan 2024 00:00:00 +0000\n"
                            b"Message-ID: <one@x>\nMessage-ID: <two@x>\nTo: t1@example.com\nTo: t2@example.com\n\nbody\n")
M["addr_whitespace_only.eml"] = b"From:   \nTo:\t\nCc: \n \nSubject:\nDate:\nMessage-ID:\n\nbody\n"
M["message_id_forms.eml"] = (b"From: a@example.com\nMessage-ID: no-angles@example.com\n"
                             b"In-Reply-To: garbage <real@x> <second@y>\nSubject: ids\n\nbody\n")

# -- encoded words
M["ew_very_long.eml"] = (b"From: =?utf-8?B?" + b64(b"N" * 3000).replace("\n", "").encode() + b"?= <a@example.com>\n"
                         b"Subject: =?utf-8?Q?" + b"=C3=A9" * 5000 + b"?=\n\nbody\n")
M["ew_split_mid_char.eml"] = (b"From: =?utf-8?Q?J=C3?= =?utf-8?Q?=B6rg?= <j@example.com>\n"
                              b"Subject: =?UTF-8?B?5pel5pys?= =?UTF-8?B?6Kqe?= =?utf-8?b?4oKs?= =?utf-8?b?4o?=\n"
                              b" =?utf-8?b?Kss?= =?shift_jis?B?k/o=?= =?shift_jis?B?lns=?=\n\nbody\n")
M["ew_bad.eml"] = (b"From: =?utf-8?X?unknown-encoding?= <a@example.com>\nTo: =?utf-8?B?not*base64!?= <b@example.com>\n"
                   b"Cc: =?utf-8?Q?bad=ZZescape=?= <c@example.com>\nSubject: =?utf-8??empty?= =??Q?nocharset?= "
                   b"=?utf-8?Q?unterminated\n\nbody\n")
M["ew_inside_quotes_and_words.eml"] = (b"From: \"=?utf-8?Q?In_Quotes?=\" <q@example.com>\nTo: pre=?utf-8?Q?fix?=post <p@example.com>\n"
                                       b"Subject: =?utf-8*de?Q?with_language?= =?UTF-8?Q?=?= x\n\nbody\n")
M["ew_unknown_charset.eml"] = (b"From: =?x-made-up?Q?Name?= <a@example.com>\nSubject: =?iso-8859-99?B?SGVsbG8=?= "
                               b"=?utf-7?Q?+AOk-?=\n\nbody\n")

# -- transfer encodings
M["bad_base64.eml"] = (hdr("bad base64") + b"MIME-Version: 1.0\nContent-Type: application/octet-stream\n"
                       b"Content-Transfer-Encoding: base64\n\nSGVsbG8g!!!d29y*bGQ=\n====\nQUJD\nA\n")
M["bad_base64_text.eml"] = (hdr("bad base64 text") + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                            b"Content-Transfer-Encoding: base64\n\n" + b64(b"Hello") .encode() + b"=garbage after padding\n\xff\xfe\n")
M["bad_qp.eml"] = (hdr("bad qp") + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\n"
                   b"Content-Transfer-Encoding: quoted-printable\n\nbad =ZZ escape, =4 short, =\n=\ntrailing = \n"
                   b"lower =e9 case\nline ending in equals=")
M["cte_unknown.eml"] = (hdr("cte unknown") + b"MIME-Version: 1.0\nContent-Transfer-Encoding: x-gzip64\n\nH4sI\n")
M["cte_garbage.eml"] = (hdr("cte garbage") + b"MIME-Version: 1.0\nContent-Transfer-Encoding: base64 (comment) extra\n\nQUJD\n")
M["cte_empty.eml"] = (hdr("cte empty") + b"MIME-Version: 1.0\nContent-Transfer-Encoding:\n\nbody\n")
M["cte_quoted.eml"] = (hdr("cte quoted") + b"MIME-Version: 1.0\nContent-Transfer-Encoding: \"base64\"\n\nQUJD\n")
M["cte_multipart_base64.eml"] = (hdr("base64 multipart") + mp() + b"Content-Transfer-Encoding: base64\n\n--b\n\nx\n--b--\n")

# -- content types
M["ct_garbage.eml"] = hdr("ct garbage") + b"MIME-Version: 1.0\nContent-Type: !!!garbage@@@\n\nbody\n"
M["ct_no_subtype.eml"] = hdr("ct no subtype") + b"MIME-Version: 1.0\nContent-Type: text\n\nbody\n"
M["ct_slash_only.eml"] = hdr("ct slash") + b"MIME-Version: 1.0\nContent-Type: /\n\nbody\n"
M["ct_empty.eml"] = hdr("ct empty") + b"MIME-Version: 1.0\nContent-Type:\n\nbody\n"
M["ct_spaces.eml"] = hdr("ct spaces") + b"MIME-Version: 1.0\nContent-Type:  text / html ; charset = \"utf-8\" \n\nbody\n"
M["ct_comments.eml"] = (hdr("ct comments") + b"MIME-Version: 1.0\nContent-Type: (c1) text (c2) / (c3) plain (c4);"
                        b" (c5) charset (c6) = (c7) us-ascii (c8)\n\nbody\n")
M["ct_duplicate.eml"] = (hdr("ct dup") + b"MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n"
                         b"Content-Type: multipart/mixed; boundary=dup\n\n--dup\n\nx\n--dup--\n")
M["ct_duplicate_reverse.eml"] = (hdr("ct dup rev") + b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=dup\n"
                                 b"Content-Type: text/html; charset=utf-8\n\n--dup\n\nx\n--dup--\n")
M["ct_params_broken.eml"] = (hdr("params broken") + b"MIME-Version: 1.0\nContent-Type: text/plain; ; charset; =x; "
                             b"a=\"unclosed; b=2; c==3; d=\"q\\\"uote\"; e=(comment)v; f=a b c; charset=second\n\nbody\n")
M["ct_param_dup.eml"] = (hdr("param dup") + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8; charset=iso-8859-1;"
                         b" CHARSET=koi8-r\n\nbody\n")
M["ct_rfc2231_broken.eml"] = (hdr("2231 broken") + b"MIME-Version: 1.0\nContent-Type: application/octet-stream;\n"
                              b" name*0=\"a\"; name*2=\"c\"; name*=\"x\"; title*=utf-8'en'%E2%82; foo*0*=bad%ZZ; "
                              b"bar*00=\"lead\"; bar*1=z; name*999999999999=big\n"
                              b"Content-Disposition: attachment; filename*=''; filename*1*=%41\n\nbody\n")
M["ct_very_many_params.eml"] = (hdr("many params") + b"MIME-Version: 1.0\nContent-Type: text/plain"
                                + b"".join(b"; p%d=v%d" % (i, i) for i in range(2000)) + b"\n\nbody\n")
M["ct_8bit_param.eml"] = (hdr("8bit param") + b"MIME-Version: 1.0\nContent-Type: application/pdf; name=\"R\xe9sum\xe9.pdf\"\n"
                          b"Content-Disposition: attachment; filename=\"\xc3\xbcber.pdf\"\n\nbody\n")
M["ct_message_rfc822_toplevel_empty.eml"] = hdr("empty rfc822") + b"MIME-Version: 1.0\nContent-Type: message/rfc822\n\n"
M["ct_message_rfc822_not_a_message.eml"] = (hdr("rfc822 junk") + b"MIME-Version: 1.0\nContent-Type: message/rfc822\n\n"
                                            b"this is not a header\nat all\n")
M["ct_message_rfc822_base64.eml"] = (hdr("rfc822 b64") + b"MIME-Version: 1.0\nContent-Type: message/rfc822\n"
                                     b"Content-Transfer-Encoding: base64\n\n" + b64(b"Subject: inner\n\nx\n").encode())
M["cd_garbage.eml"] = (hdr("cd garbage") + b"MIME-Version: 1.0\nContent-Disposition: ;;; filename=\"x\nContent-Language: ,,, \n"
                       b"Content-ID: no angle\nContent-Description: =?utf-8?Q?d=C3=A9sc?=\nContent-Location: a b\n"
                       b"Content-MD5: !!!\n\nbody\n")
M["mime_version_missing_mp.eml"] = (hdr("no mime-version") + b"Content-Type: multipart/mixed; boundary=nv\n\n"
                                    b"--nv\nContent-Type: text/html\n\n<p>x</p>\n--nv--\n")
M["mime_version_2.eml"] = (hdr("mime 2.0") + b"MIME-Version: 2.0\nContent-Type: multipart/mixed; boundary=nv\n\n"
                           b"--nv\n\nx\n--nv--\n")

# -- multipart framing
M["mp_no_boundary_param.eml"] = hdr("no boundary") + b"MIME-Version: 1.0\nContent-Type: multipart/mixed\n\n--\n\nbody\n----\n"
M["mp_empty_boundary.eml"] = hdr("empty boundary") + b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"\"\n\n--\n\nx\n----\n"
M["mp_missing_final_boundary.eml"] = hdr("no final") + mp() + b"\n--b\n\none\n--b\nContent-Type: text/html\n\n<p>two</p>\n"
M["mp_no_parts.eml"] = hdr("no parts") + mp() + b"\nonly a preamble, no boundary line at all\n"
M["mp_only_close.eml"] = hdr("only close") + mp() + b"\npreamble\n--b--\nepilogue\n"
M["mp_empty_body.eml"] = hdr("empty mp body") + mp() + b"\n"
M["mp_boundary_in_body_text.eml"] = (hdr("boundary text in body") + mp(b"sep") +
                                     b"\n--sep\n\nthe text --sep in the middle is not a boundary\n"
                                     b" --sep with leading space isn't either\n--separator starts with it\n"
                                     b"--sep--more after close marker\n--sep\n\nsecond\n--sep--\n")
M["mp_boundary_prefix_nested.eml"] = (hdr("prefix boundaries") + mp(b"abc") +
                                      b"\n--abc\nContent-Type: multipart/mixed; boundary=\"abcd\"\n\n--abcd\n\ninner one\n"
                                      b"--abc\n\nouter two (closes inner)\n--abcd\n\nafter outer? \n--abcd--\n--abc--\n")
M["mp_boundary_prefix_reverse.eml"] = (hdr("prefix boundaries rev") + mp(b"abcd") +
                                       b"\n--abcd\nContent-Type: multipart/mixed; boundary=\"abc\"\n\n--abc\n\ninner one\n"
                                       b"--abcd\n\nouter two\n--abc--\n--abcd--\n")
M["mp_same_boundary_nested.eml"] = (hdr("same boundary nested") + mp(b"same") +
                                    b"\n--same\nContent-Type: multipart/alternative; boundary=same\n\n--same\n\nA\n"
                                    b"--same\n\nB\n--same--\n--same--\n")
M["mp_boundary_trailing_ws.eml"] = (hdr("boundary trailing ws") + mp(b"ws") + b"\n--ws \t \n\none\n--ws\t\n\ntwo\n--ws--  \n")
M["mp_boundary_long.eml"] = (hdr("boundary 100 chars") + mp(b"B" * 100) + b"\n--" + b"B" * 100 + b"\n\nx\n--" +
                             b"B" * 100 + b"--\n")
M["mp_boundary_too_long.eml"] = (hdr("boundary 200 chars") + mp(b"C" * 200) + b"\n--" + b"C" * 200 + b"\n\nx\n--" +
                                 b"C" * 200 + b"--\n")
M["mp_boundary_specials.eml"] = (hdr("boundary specials") + b"MIME-Version: 1.0\nContent-Type: multipart/mixed; "
                                 b"boundary=\"'()+_,-./:=? \"\n\n--'()+_,-./:=? \n\nx\n--'()+_,-./:=? --\n")
M["mp_boundary_unquoted_specials.eml"] = (hdr("boundary unquoted") + b"MIME-Version: 1.0\nContent-Type: multipart/mixed; "
                                          b"boundary==_a/b?c\n\n--=_a/b?c\n\nx\n--=_a/b?c--\n")
M["mp_part_no_header_no_blank.eml"] = (hdr("part without blank line") + mp() +
                                       b"\n--b\nnot a header line\n--b\nContent-Type: text/html\n--b\n--b--\n")
M["mp_part_header_only.eml"] = hdr("part header only") + mp() + b"\n--b\nContent-Type: text/html\n--b--\n"
M["mp_empty_parts.eml"] = hdr("empty parts") + mp() + b"\n--b\n--b\n\n--b\n\n\n--b--\n"
M["mp_crlf_boundary_lf_body.eml"] = (hdr("mixed ends") + mp()).replace(b"\n", b"\r\n") + b"\r\n--b\r\n\r\nx\n--b\n\ny\r\n--b--"
M["mp_10k_parts.eml"] = hdr("10k parts") + mp(b"p") + b"\n" + b"".join(b"--p\n\n%d\n" % i for i in range(10005)) + b"--p--\n"
M["mp_10k_parts_nested.eml"] = (hdr("10k parts in 100 nested") + mp(b"o") + b"\n" +
                                b"".join(b"--o\nContent-Type: multipart/mixed; boundary=i%d\n\n" % j +
                                         b"".join(b"--i%d\n\n.\n" % j for _ in range(101)) + b"--i%d--\n" % j
                                         for j in range(100)) + b"--o--\n")

# -- limits at their edges (Dovecot: boundaries cut to 80 bytes, at most 128
#    parameters, long header lines)
for _n in (70, 80, 81):
    _bd = b"D" * _n
    M["mp_boundary_len%d.eml" % _n] = (hdr("boundary %d chars" % _n) + mp(_bd) + b"\n--" + _bd + b"\n\nx\n--" + _bd +
                                       b"\n\ny\n--" + _bd + b"--\n")
for _n in (127, 128, 129):
    M["ct_params_%d.eml" % _n] = (hdr("%d params" % _n) + b"MIME-Version: 1.0\nContent-Type: text/plain" +
                                  b"".join(b"; q%d=v" % i for i in range(_n - 1)) + b"; charset=utf-8\n\nbody\n")
for _n in (8180, 8181):
    M["subject_line_%d.eml" % (_n + 9)] = (b"From: a@example.com\nSubject: " + b"S" * _n + b"\n\nbody\n")
M["subject_line_long_no_space.eml"] = b"From: a@example.com\nSubject:" + b"S" * 9000 + b"\n\nbody\n"
M["ct_rfc2231_index_edge.eml"] = (hdr("2231 index edge") + b"MIME-Version: 1.0\nContent-Type: application/x;"
                                  b" a*0=p; a*1=q; b*=utf-8''y; c*=z; d*4294967297=w; e*01=lead0\n\nbody\n")


def nested_multipart(depth):
    head = hdr("nesting %d multipart" % depth) + b"MIME-Version: 1.0\n"
    out = head + b"Content-Type: multipart/mixed; boundary=n0\n\n"
    for i in range(1, depth):
        out += b"--n%d\nContent-Type: multipart/mixed; boundary=n%d\n\n" % (i - 1, i)
    out += b"--n%d\nContent-Type: text/plain\n\ndeepest\n" % (depth - 1)
    for i in range(depth - 1, -1, -1):
        out += b"--n%d--\n" % i
    return out


def nested_rfc822(depth):
    out = b"Subject: level %d\nContent-Type: text/plain\n\ninnermost\n" % depth
    for i in range(depth - 1, -1, -1):
        out = b"Subject: level %d\nFrom: l%d@example.com\nContent-Type: message/rfc822\n\n" % (i, i) + out
    return out


M["nest_120_multipart.eml"] = nested_multipart(120)
M["nest_99_multipart.eml"] = nested_multipart(99)
M["nest_100_multipart.eml"] = nested_multipart(100)
M["nest_101_multipart.eml"] = nested_multipart(101)
M["nest_120_rfc822.eml"] = nested_rfc822(120)
M["nest_120_mixed_kinds.eml"] = (lambda: (
    b"".join(b"Subject: lvl %d\nContent-Type: multipart/mixed; boundary=k%d\n\n--k%d\nContent-Type: message/rfc822\n\n" % (i, i, i)
             for i in range(60)) + b"Subject: bottom\n\nbottom\n" + b"".join(b"--k%d--\n" % i for i in range(59, -1, -1))))()
M["nest_5000_multipart.eml"] = nested_multipart(5000)

# -- digests
M["digest_non_message.eml"] = (hdr("digest junk") + mp(b"d", b"digest") +
                               b"\n--d\n\nnot a message really\n--d\nContent-Type: text/plain\n\nplain\n"
                               b"--d\n\nSubject: real\n\nbody\n--d--\n")

# -- sizes and odd bodies
M["body_blank_lines_only.eml"] = hdr("blank body") + b"\n\n\n\n"
M["header_blank_line_with_spaces.eml"] = hdr("ws line") + b"   \nX-After: ws\n\nbody\n"
M["binary_random.eml"] = pseudo_bytes("random-message", 4000)
M["binary_random_after_header.eml"] = hdr("random body") + b"\n" + pseudo_bytes("random-body", 4000)
M["pgp_random_header_value.eml"] = b"Subject: " + pseudo_bytes("hv", 200).replace(b"\n", b" ") + b"\n\nbody\n"
M["subject_ctl_literals.eml"] = b"Subject: line1\rline2\nFrom: \"cr\rinside\" <a@example.com>\n\nbody\n"


def main():
    clean(SUB)
    for name in sorted(M):
        write(SUB, name, M[name])
    print("wrote %d messages" % len(M), file=sys.stderr)


if __name__ == "__main__":
    main()
