// SEARCH CHARSET (RFC 3501 §6.4.4): which charsets are accepted and how
// search strings in them become UTF-8.
#include "search/search_internal.hpp"

#include <mailstore/mime/charset.hpp>

#include <array>

namespace mailstore::search {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'a' && x <= 'z') {
            x = static_cast<char>(x - 'a' + 'A');
        }
        if (y >= 'a' && y <= 'z') {
            y = static_cast<char>(y - 'a' + 'A');
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

// What [BADCHARSET (...)] lists: UTF-8 and US-ASCII (RFC 3501 requires
// them) and the common 8-bit and East Asian charsets. Every charset
// mime::is_known_charset() knows is accepted, listed or not.
constexpr std::array listed = {
    "UTF-8",        "US-ASCII",     "ISO-8859-1",   "ISO-8859-2",   "ISO-8859-3",   "ISO-8859-4",
    "ISO-8859-5",   "ISO-8859-6",   "ISO-8859-7",   "ISO-8859-8",   "ISO-8859-9",   "ISO-8859-10",
    "ISO-8859-13",  "ISO-8859-14",  "ISO-8859-15",  "ISO-8859-16",  "WINDOWS-1250", "WINDOWS-1251",
    "WINDOWS-1252", "WINDOWS-1253", "WINDOWS-1254", "WINDOWS-1255", "WINDOWS-1256", "WINDOWS-1257",
    "WINDOWS-1258", "KOI8-R",       "KOI8-U",       "ISO-2022-JP",  "SHIFT_JIS",    "EUC-JP",
    "GB2312",       "GBK",          "GB18030",      "BIG5",         "EUC-KR",
};

} // namespace

std::vector<std::string> supported_charsets() {
    std::vector<std::string> out;
    for (const char* name : listed) {
        if (mime::is_known_charset(name)) {
            out.emplace_back(name);
        }
    }
    return out;
}

namespace detail {

std::optional<std::string> charset_to_utf8(std::string_view charset, std::string_view bytes) {
    // No CHARSET, UTF-8 or US-ASCII: the bytes must already be UTF-8
    // (ASCII is a subset). Dovecot answers BAD to 8-bit bytes under
    // US-ASCII and to invalid UTF-8; so does Loft.
    if (charset.empty() || iequals(charset, "UTF-8") || iequals(charset, "UTF8")) {
        if (!mime::is_valid_utf8(bytes)) {
            return std::nullopt;
        }
        return std::string(bytes);
    }
    if (iequals(charset, "US-ASCII") || iequals(charset, "ASCII")) {
        for (char c : bytes) {
            if (static_cast<unsigned char>(c) >= 0x80) {
                return std::nullopt;
            }
        }
        return std::string(bytes);
    }
    std::string out;
    if (!mime::convert_to_utf8(charset, bytes, out)) {
        return std::nullopt;
    }
    // convert_to_utf8 turns bytes invalid in the charset into U+FFFD. None
    // of the charsets a client would search in can encode U+FFFD itself
    // except the Unicode ones (UTF-16/32/7, GB18030), where a client is
    // unlikely to search for it; so U+FFFD means the string was invalid.
    if (out.find("\xEF\xBF\xBD") != std::string::npos) {
        return std::nullopt;
    }
    return out;
}

} // namespace detail

} // namespace mailstore::search
