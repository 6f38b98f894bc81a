// Header values as SEARCH matches them, cacheable (header_values.hpp).
//
// The list is encoded as "<length>:<bytes>" per value, in message order: a
// value may hold any byte (a decoded NUL included), so no separator would
// do, and the search tests each value on its own, as header_contains does.
#include "search/header_values.hpp"

#include <mailstore/mime/casemap.hpp>
#include <mailstore/mime/header.hpp>

#include <charconv>

namespace mailstore::search::detail {

namespace {

// Reads one "<length>:<bytes>" from the front of `in`.
bool next_value(std::string_view& in, std::string_view& value) {
    std::size_t len = 0;
    auto [p, ec] = std::from_chars(in.data(), in.data() + in.size(), len);
    if (ec != std::errc() || p == in.data() || p == in.data() + in.size() || *p != ':')
        return false;
    in.remove_prefix(static_cast<std::size_t>(p - in.data()) + 1);
    if (len > in.size())
        return false;
    value = in.substr(0, len);
    in.remove_prefix(len);
    return true;
}

} // namespace

// The fields whose values are cached. Every cached field adds an entry to
// each message's cache chain, which every other lookup of that message
// walks, so not any name a client sends: the keys' own fields and those
// clients and filters commonly search with HEADER. Other names are read
// from the message each time, as before.
constexpr std::string_view kCachedFields[] = {
    "from",        "to",         "cc",          "bcc",           "subject",    "sender",
    "reply-to",    "message-id", "in-reply-to", "references",    "list-id",    "delivered-to",
    "return-path", "x-original-to", "content-type", "x-spam-flag", "x-spam-status", "x-priority",
    "x-mailer",    "organization", "keywords",   "date",
};

std::optional<std::string> header_values_field(std::string_view name) {
    if (name.empty() || name.size() > 64)
        return std::nullopt;
    // Field names are ASCII and case-insensitive: one cache field per name
    // however a client spells it.
    std::string lower;
    for (char ch : name) {
        auto c = static_cast<unsigned char>(ch);
        if (c <= 32 || c >= 127 || c == ':')
            return std::nullopt;
        lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    for (std::string_view known : kCachedFields)
        if (lower == known)
            return "search.hdr." + lower;
    return std::nullopt;
}

std::string encode_header_values(const mime::ParsedMessage& message, std::string_view name) {
    const mime::Header header = message.header(message.root());
    std::string out;
    for (const mime::HeaderField* field : header.all(name)) {
        const std::string value = mime::casemap(mime::decoded_value(field->value));
        out += std::to_string(value.size());
        out += ':';
        out += value;
    }
    return out;
}

bool header_values_valid(std::string_view encoded) {
    std::string_view value;
    while (!encoded.empty())
        if (!next_value(encoded, value))
            return false;
    return true;
}

bool header_values_match(std::string_view encoded, std::string_view needle, std::string_view folded_needle) {
    // RFC 3501 §6.4.4 HEADER: a zero-length string matches every message
    // that has the field.
    if (needle.empty())
        return !encoded.empty();
    std::string_view value;
    while (!encoded.empty()) {
        if (!next_value(encoded, value))
            return false;
        // contains_folded(): an empty folded needle matches any value.
        if (value.find(folded_needle) != std::string_view::npos)
            return true;
    }
    return false;
}

} // namespace mailstore::search::detail
