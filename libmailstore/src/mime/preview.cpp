// PREVIEW text (RFC 8970): choosing the part, decoding it, and reducing it
// to a short line of plain text. See mailstore/mime/preview.hpp for the
// rules and why.
#include <mailstore/mime/charset.hpp>
#include <mailstore/mime/content_type.hpp>
#include <mailstore/mime/preview.hpp>
#include <mailstore/mime/transfer_encoding.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>

namespace mailstore::mime {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto x = static_cast<unsigned char>(a[i]);
        auto y = static_cast<unsigned char>(b[i]);
        if (x >= 'A' && x <= 'Z')
            x = static_cast<unsigned char>(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = static_cast<unsigned char>(y + 32);
        if (x != y)
            return false;
    }
    return true;
}

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

// Collects the preview: whitespace runs folded into one space, at most
// kPreviewMaxChars characters. The input is valid UTF-8, so a character
// starts at every byte that is not 10xxxxxx.
class Collector {
public:
    bool full() const { return full_; }

    void space() {
        if (!out_.empty())
            pending_space_ = true;
    }

    void byte(char c) {
        if (full_ || c == '\0')
            return;
        if (is_ascii_space(c)) {
            space();
            return;
        }
        bool starts_char = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        if (starts_char) {
            if (pending_space_) {
                if (!start_char())
                    return;
                out_ += ' ';
                pending_space_ = false;
            }
            if (!start_char())
                return;
        }
        out_ += c;
    }

    void text(std::string_view s) {
        for (char c : s) {
            if (full_)
                return;
            byte(c);
        }
    }

    std::string take() {
        // A character budget ending on a space leaves it last: trimmed.
        while (!out_.empty() && out_.back() == ' ')
            out_.pop_back();
        return std::move(out_);
    }

private:
    bool start_char() {
        if (chars_ >= kPreviewMaxChars) {
            full_ = true;
            return false;
        }
        ++chars_;
        return true;
    }

    std::string out_;
    std::size_t chars_ = 0;
    bool pending_space_ = false;
    bool full_ = false;
};

// Plain text: quoted lines (starting with '>', RFC 3676 §4.5 and common
// practice) are left out; line ends are whitespace.
void plain_preview(std::string_view text, Collector& out) {
    bool line_start = true;
    bool skipping = false;
    for (char c : text) {
        if (out.full())
            return;
        if (c == '\n') {
            line_start = true;
            skipping = false;
            out.space();
            continue;
        }
        if (line_start) {
            line_start = false;
            skipping = c == '>';
        }
        if (!skipping)
            out.byte(c);
    }
}

void append_utf8(std::uint32_t cp, std::string& out) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

struct NamedEntity {
    std::string_view name;
    std::uint32_t cp;
};

// The HTML 4 entities mail commonly uses; an unknown one is left out.
constexpr std::array<NamedEntity, 52> kEntities = {{
    {"nbsp", 0xA0},    {"amp", '&'},      {"lt", '<'},        {"gt", '>'},        {"quot", '"'},
    {"apos", '\''},    {"copy", 0xA9},    {"reg", 0xAE},      {"trade", 0x2122},  {"euro", 0x20AC},
    {"pound", 0xA3},   {"yen", 0xA5},     {"cent", 0xA2},     {"sect", 0xA7},     {"deg", 0xB0},
    {"laquo", 0xAB},   {"raquo", 0xBB},   {"middot", 0xB7},   {"bull", 0x2022},   {"hellip", 0x2026},
    {"ndash", 0x2013}, {"mdash", 0x2014}, {"lsquo", 0x2018},  {"rsquo", 0x2019},  {"ldquo", 0x201C},
    {"rdquo", 0x201D}, {"agrave", 0xE0},  {"aacute", 0xE1},   {"acirc", 0xE2},    {"auml", 0xE4},
    {"aring", 0xE5},   {"ccedil", 0xE7},  {"egrave", 0xE8},   {"eacute", 0xE9},   {"ecirc", 0xEA},
    {"euml", 0xEB},    {"iacute", 0xED},  {"iuml", 0xEF},     {"ntilde", 0xF1},   {"oacute", 0xF3},
    {"ocirc", 0xF4},   {"ouml", 0xF6},    {"oslash", 0xF8},   {"uacute", 0xFA},   {"uuml", 0xFC},
    {"szlig", 0xDF},   {"Auml", 0xC4},    {"Ouml", 0xD6},     {"Uuml", 0xDC},     {"Eacute", 0xC9},
    {"times", 0xD7},   {"shy", 0xAD},
}};

// A character reference starting at text[i] == '&': appends its UTF-8
// (nothing for an unknown or invalid one) and returns the index after it;
// a '&' that starts no reference is itself.
std::size_t html_entity(std::string_view text, std::size_t i, std::string& out) {
    constexpr std::size_t kMaxEntity = 12;
    std::size_t semi = text.find(';', i + 1);
    if (semi == std::string_view::npos || semi - i > kMaxEntity) {
        out += '&';
        return i + 1;
    }
    std::string_view body = text.substr(i + 1, semi - i - 1);
    // A reference is '&', a name or '#' and digits, ';': "a & b;" is text.
    bool well_formed = !body.empty();
    for (std::size_t k = 0; k < body.size() && well_formed; ++k) {
        char c = body[k];
        well_formed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      (c == '#' && k == 0);
    }
    if (!well_formed) {
        out += '&';
        return i + 1;
    }
    if (body[0] == '#') {
        std::string_view digits = body.substr(1);
        int base = 10;
        if (!digits.empty() && (digits[0] == 'x' || digits[0] == 'X')) {
            base = 16;
            digits.remove_prefix(1);
        }
        std::uint32_t cp = 0;
        bool ok = !digits.empty();
        for (char c : digits) {
            int v = c >= '0' && c <= '9'                ? c - '0'
                    : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                         : -1;
            if (v < 0 || cp > 0x10FFFF) {
                ok = false;
                break;
            }
            cp = cp * static_cast<std::uint32_t>(base) + static_cast<std::uint32_t>(v);
        }
        // NUL, surrogates and values beyond Unicode are no characters.
        if (ok && cp != 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF))
            append_utf8(cp, out);
        return semi + 1;
    }
    for (const NamedEntity& e : kEntities) {
        if (e.name == body) {
            if (e.cp != 0xAD) // a soft hyphen is invisible
                append_utf8(e.cp, out);
            return semi + 1;
        }
    }
    // Entity names are case-sensitive (&Auml; is not &auml;): an unknown
    // one, &NBSP; included, is left out, as Dovecot does.
    return semi + 1;
}

// The index just past the first case-insensitive `needle` at or after
// `from`, or text.size().
std::size_t skip_past(std::string_view text, std::size_t from, std::string_view needle) {
    for (std::size_t i = from; i + needle.size() <= text.size(); ++i)
        if (iequals(text.substr(i, needle.size()), needle))
            return i + needle.size();
    return text.size();
}

// HTML: text outside tags, with character references decoded. Each tag is
// a space (so "a<br>b" reads "a b"); comments and the contents of script,
// style and blockquote (quoted text, as '>' lines in plain text) are left
// out.
void html_preview(std::string_view text, Collector& out) {
    std::size_t i = 0;
    int quote_depth = 0;
    std::string decoded;
    while (i < text.size() && !out.full()) {
        char c = text[i];
        if (c == '<') {
            if (text.substr(i, 4) == "<!--") {
                i = skip_past(text, i + 4, "-->");
                out.space();
                continue;
            }
            std::size_t close = text.find('>', i + 1);
            if (close == std::string_view::npos)
                return; // an unfinished tag ends the text
            std::string_view tag = text.substr(i + 1, close - i - 1);
            bool closing = !tag.empty() && tag[0] == '/';
            if (closing)
                tag.remove_prefix(1);
            std::size_t name_end = 0;
            while (name_end < tag.size() && !is_ascii_space(tag[name_end]) && tag[name_end] != '/')
                ++name_end;
            std::string_view name = tag.substr(0, name_end);
            i = close + 1;
            out.space();
            if (!closing && (iequals(name, "script") || iequals(name, "style"))) {
                std::string end = "</" + std::string(name);
                i = skip_past(text, i, end);
                std::size_t gt = text.find('>', i);
                i = gt == std::string_view::npos ? text.size() : gt + 1;
            } else if (iequals(name, "blockquote")) {
                if (!closing)
                    quote_depth = std::min(quote_depth + 1, 1000);
                else if (quote_depth > 0)
                    --quote_depth;
            }
            continue;
        }
        if (quote_depth > 0) {
            ++i;
            continue;
        }
        if (c == '&') {
            decoded.clear();
            i = html_entity(text, i, decoded);
            out.text(decoded);
            continue;
        }
        out.byte(c);
        ++i;
    }
}

bool is_attachment(const MessagePart& part) {
    return part.has_disposition && iequals(part.disposition.type, "attachment");
}

// The first leaf of type text/<subtype> in document order, not inside
// attached messages. Bounded: the parser limits the depth of the tree.
const MessagePart* find_text_part(const MessagePart& part, std::string_view subtype) {
    if (part.opaque || part.is_message)
        return nullptr;
    if (part.is_multipart) {
        for (const MessagePart& child : part.children)
            if (const MessagePart* found = find_text_part(child, subtype))
                return found;
        return nullptr;
    }
    if (is_attachment(part))
        return nullptr;
    if (iequals(part.effective_type(), "text") && iequals(part.effective_subtype(), subtype))
        return &part;
    return nullptr;
}

} // namespace

std::string text_preview(std::string_view utf8, bool html) {
    Collector out;
    if (html)
        html_preview(utf8, out);
    else
        plain_preview(utf8, out);
    return out.take();
}

std::string message_preview(const ParsedMessage& message) {
    bool html = false;
    const MessagePart* part = find_text_part(message.root(), "plain");
    if (part == nullptr) {
        part = find_text_part(message.root(), "html");
        html = part != nullptr;
    }
    if (part == nullptr)
        return {};
    std::string_view body = message.body_bytes(*part);
    if (body.size() > kPreviewMaxInput)
        body = body.substr(0, kPreviewMaxInput);
    std::string decoded;
    if (!decode_transfer(part->encoding, body, decoded))
        return {}; // an encoding nobody can undo: no meaningful text
    const std::string* charset = find_parameter(part->content_type.params, "charset");
    std::string utf8;
    convert_to_utf8(charset != nullptr ? std::string_view(*charset) : std::string_view("us-ascii"), decoded, utf8);
    return text_preview(utf8, html);
}

} // namespace mailstore::mime
