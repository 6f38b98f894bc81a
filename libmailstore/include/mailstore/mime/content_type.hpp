// MIME header values: Content-Type (RFC 2045 §5) and Content-Disposition
// (RFC 2183) with their parameters, RFC 2231 continuations and charsets, and
// the simpler Content-* fields IMAP BODYSTRUCTURE reports.
#pragma once

#include <mailstore/export.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::mime {

// One parameter after RFC 2231 continuations (name*0, name*1, ...) have been
// joined. The name keeps the case it was written in. An extended parameter
// (name*=charset'lang'%XX or name*0*=...) is reported with a trailing '*' on
// its name and its value still in the charset'lang'pct-encoded form, which is
// what IMAP BODYSTRUCTURE shows; decode_parameter() gives the UTF-8 value.
struct Parameter {
    std::string name;
    std::string value;  // quotes and quoted-pair escapes removed
};

struct ContentType {
    // As written (case kept); empty when the field is absent or unusable,
    // in which case effective_type()/effective_subtype() give RFC 2045's
    // default (text/plain, or message/rfc822 inside multipart/digest).
    std::string type;
    std::string subtype;
    std::vector<Parameter> params;
    bool valid() const { return !type.empty() && !subtype.empty(); }
};

struct ContentDisposition {
    std::string type;  // "inline", "attachment", ... as written; empty when absent
    std::vector<Parameter> params;
};

// Parses a Content-Type value (raw, may be folded). Comments, missing
// quotes and junk are tolerated; an unusable type yields valid() == false.
// Exactly as Dovecot 2.3 reads it (BODYSTRUCTURE shows the result):
// "type/subtype" followed by nothing or ';' is usable; a lone "type" keeps
// type with an empty subtype and no parameters; anything else ("text/plain
// junk", "text; x=y", "text/") leaves type, subtype and params all empty.
// Parameters: a broken one is skipped up to the next ';', an unclosed quote
// drops it and ends the list; RFC 2231 sections are joined as Parameter
// describes (plain parameters first, joined ones after, sorted by name).
// A NUL byte in the value reads as U+FFFD.
MAILSTORE_API ContentType parse_content_type(std::string_view value);

MAILSTORE_API ContentDisposition parse_content_disposition(std::string_view value);

// Parses "; name=value; ..." parameter lists (the part after the type).
MAILSTORE_API std::vector<Parameter> parse_parameters(std::string_view text);

// Content-Language: the list of language tags, in order (RFC 3282).
MAILSTORE_API std::vector<std::string> parse_content_language(std::string_view value);

// Content-Transfer-Encoding: the mechanism token as written (case kept,
// comments dropped); empty when the value is not exactly one token (e.g.
// "base64 junk", "\"base64\""), which IMAP then reports as the default 7bit.
MAILSTORE_API std::string parse_content_transfer_encoding(std::string_view value);

// Looks up a parameter by name, case-insensitively, ignoring a trailing '*';
// returns its value converted to UTF-8: RFC 2231 charset/percent decoding for
// extended parameters, RFC 2047 encoded words for plain ones (many mailers
// write filenames that way). nullopt when there is no such parameter.
MAILSTORE_API std::optional<std::string> decode_parameter(const std::vector<Parameter>& params,
                                                          std::string_view name);

// The raw value of a parameter (no decoding), case-insensitive name, first
// match; nullptr when absent.
MAILSTORE_API const std::string* find_parameter(const std::vector<Parameter>& params,
                                                std::string_view name);

} // namespace mailstore::mime
