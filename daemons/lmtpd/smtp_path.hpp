// RFC 5321 command arguments as LMTP uses them: the reverse and forward
// paths of MAIL FROM and RCPT TO (§4.1.2), their ESMTP parameters (§4.1.2
// Mail-parameters / Rcpt-parameters) and RFC 3461 xtext. Pure functions,
// no state: the session and the fuzzer call them directly.
//
// Paths are parsed the way Dovecot's LMTP accepts them (checked against
// Dovecot 2.3.19, docs/lmtp.md "Paths"): the dot placement of a local part
// is not checked ("a..b@c" and ".a@b" occur in real mail), a bare local part
// without a domain is accepted (RFC 5321 §4.1.1.3 "postmaster", and local
// MTAs that send user names), a source route is skipped (§4.1.2 says it
// must be accepted and ignored); what the grammar does not allow at all is
// refused with 501 5.5.4 and a reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmtpd {

// An ESMTP parameter: keyword (upper-cased; keywords are case-insensitive,
// RFC 5321 §2.4) and value as sent (nullopt: no "=").
struct Parameter {
    std::string keyword;
    std::optional<std::string> value;
};

struct PathArgument {
    // local@domain as the client wrote it, with a quoted local part
    // unquoted when it is an atom anyway ("\"alice\""@x -> alice@x), and the
    // source route dropped. "" for the null path <>.
    std::string address;
    bool null_path = false;
    bool non_ascii = false; // the path has UTF-8 (RFC 6531: needs SMTPUTF8)
    std::vector<Parameter> parameters;
};

// A refusal: the reply code and the text after it ("5.5.4 Invalid ...").
struct ArgumentError {
    int code = 501;
    std::string text;
};

// Parses the argument of MAIL ("FROM:<path> params") or RCPT
// ("TO:<path> params"); `keyword` is "FROM" or "TO" and names the path in
// messages ("Invalid FROM: ..."), `command` names the command in parameter
// messages ("Invalid MAIL parameter: ..."). The null path is returned as
// such; whether it is allowed is the caller's business.
std::optional<ArgumentError> parse_path_argument(std::string_view argument, std::string_view keyword,
                                                 std::string_view command, PathArgument& out);

// RFC 3461 §4 xtext: "+" followed by two upper-case hex digits stands for
// that byte; other bytes must be printable ASCII other than "+" and "=".
// nullopt for text that is not xtext.
std::optional<std::string> decode_xtext(std::string_view text);

// A decimal number of at most 20 digits; values past 2^64-1 saturate at
// UINT64_MAX (RFC 1870: SIZE is "just a number", a huge one is still a
// size over the limit, not a syntax error). nullopt when not all digits.
std::optional<std::uint64_t> parse_decimal_saturating(std::string_view text);

// Whether `text` is well-formed UTF-8 (RFC 3629) without C0/C1 controls
// other than those the caller checks itself.
bool valid_utf8(std::string_view text);

// RFC 5321 §4.1.2 "String" (Atom / Quoted-string) as VRFY takes it.
bool is_smtp_string(std::string_view text);

// ASCII case-insensitive comparison (keywords and verbs, RFC 5321 §2.4).
bool iequals_ascii(std::string_view a, std::string_view b);
// Whether `text` starts with `prefix`, ASCII case-insensitively.
bool istarts_with_ascii(std::string_view text, std::string_view prefix);

} // namespace lmtpd
