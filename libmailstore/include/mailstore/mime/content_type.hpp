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
// what IMAP BODYSTRUCTURE shows; decode_parameter() on the raw_params (the
// parameters as written) gives the UTF-8 value.
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
    // The same parameters as written, in order, before RFC 2231 joining
    // (names keep their "*N" / "*" suffixes, values their percent
    // escapes). Joining for BODYSTRUCTURE loses what decode_parameter()
    // needs (which sections were extended), so it reads these.
    std::vector<Parameter> raw_params;
    bool valid() const { return !type.empty() && !subtype.empty(); }
};

struct ContentDisposition {
    std::string type;  // "inline", "attachment", ... as written; empty when absent
    std::vector<Parameter> params;
    std::vector<Parameter> raw_params;  // as in ContentType
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

// The value of parameter `name` (case-insensitive, a trailing '*'
// ignored) in UTF-8, read from a list of parameters as written
// (raw_params), per RFC 2231 §3-4.1:
//  - "name*=charset'lang'%XX..." and "name*0*=charset'lang'..., name*1*=...,
//    name*2=..." are the value: sections joined in number order, each name
//    numbered on its own; extended sections (name*N*) percent-decoded and
//    the whole converted from section 0's charset; non-extended sections
//    taken literally. Without a charset, or with one convert_to_utf8()
//    does not know: UTF-8 when valid, else Latin-1.
//  - a missing section ends the value (sections contiguous from 0 are
//    kept; none without section 0); of two sections with one number the
//    first written wins; "name*01" and such are not sections.
//  - "name*" and "name*0[*]" both present: the first written wins; either
//    wins over a plain "name=".
//  - a plain "name=" value has its RFC 2047 encoded words decoded (against
//    RFC 2047 §5, but mailers write filenames that way).
// nullopt when there is no such parameter. Pass raw_params (or use the
// overloads below): the joined `params` give the same for the common
// shapes, but not for mixed extended/plain sections, whose escapes joining
// has merged, nor after Dovecot's renumbering of unnumbered names.
MAILSTORE_API std::optional<std::string> decode_parameter(const std::vector<Parameter>& params,
                                                          std::string_view name);

// decode_parameter(x.raw_params, name).
MAILSTORE_API std::optional<std::string> decode_parameter(const ContentType& ct, std::string_view name);
MAILSTORE_API std::optional<std::string> decode_parameter(const ContentDisposition& cd, std::string_view name);

// The raw value of a parameter (no decoding), case-insensitive name, first
// match; nullptr when absent.
MAILSTORE_API const std::string* find_parameter(const std::vector<Parameter>& params,
                                                std::string_view name);

// Content-ID (RFC 2045 §7): the msg-id without its angle brackets, the form
// a cid: URL (RFC 2392) names it by — multipart/related resolves inline
// images with it. nullopt when the value holds no msg-id.
MAILSTORE_API std::optional<std::string> parse_content_id(std::string_view value);

// Content-Location (RFC 2557 §4.2, §4.4.1): the URI with folding and all
// whitespace removed and surrounding quotes (which some mailers add)
// stripped; "" for an empty value.
MAILSTORE_API std::string parse_content_location(std::string_view value);

// Content-MD5 (RFC 1864): the 16-octet digest the base64 value encodes;
// nullopt unless it is valid base64 of exactly 16 octets. Compare it with
// the MD5 of the decoded body to verify the part.
MAILSTORE_API std::optional<std::string> parse_content_md5(std::string_view value);

} // namespace mailstore::mime
