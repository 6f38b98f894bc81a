#include "fetch/fetch_items.hpp"

#include "ascii.hpp"

#include <imapproto/string_writer.hpp>

#include <cctype>

namespace imapproto::detail::fetch {

namespace mime = mailstore::mime;
using Kind = mime::SectionSpec::Kind;

namespace {

// Bounds on what one command may ask for: each item is answered for every
// message, so a list of thousands of sections would multiply the work.
constexpr std::size_t kMaxItems = 1000;

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

bool iequals(std::string_view a, std::string_view b) { return ascii_iequals(a, b); }

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// The section as the response names it: keywords and field names upper
// case (Dovecot 2.3: BODY[HEADER.FIELDS (SUBJECT FROM)]), names as
// astrings.
std::string section_text(const mime::SectionSpec& spec) {
    std::string out;
    for (std::size_t i = 0; i < spec.part.size(); ++i) {
        if (i > 0)
            out += '.';
        out += std::to_string(spec.part[i]);
    }
    std::string_view keyword;
    switch (spec.kind) {
    case Kind::full: return out;
    case Kind::header: keyword = "HEADER"; break;
    case Kind::header_fields: keyword = "HEADER.FIELDS"; break;
    case Kind::header_fields_not: keyword = "HEADER.FIELDS.NOT"; break;
    case Kind::text: keyword = "TEXT"; break;
    case Kind::mime: keyword = "MIME"; break;
    }
    if (!out.empty())
        out += '.';
    out += keyword;
    if (spec.kind == Kind::header_fields || spec.kind == Kind::header_fields_not) {
        out += " (";
        for (std::size_t i = 0; i < spec.fields.size(); ++i) {
            if (i > 0)
                out += ' ';
            write_astring(out, upper(spec.fields[i]));
        }
        out += ')';
    }
    return out;
}

// The index of the ']' closing the section that starts at `open` + 1;
// quoted field names may contain ']'. npos when there is none.
std::size_t closing_bracket(std::string_view text, std::size_t open) {
    bool quoted = false;
    for (std::size_t i = open + 1; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ']') {
            return i;
        }
    }
    return std::string_view::npos;
}

// A decimal number of at most 19 digits (fits in 64 bits), nothing else.
bool parse_number(std::string_view s, std::uint64_t& value) {
    if (s.empty() || s.size() > 19)
        return false;
    value = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return true;
}

// "<origin.length>" after the ']' (Dovecot also takes "<origin>": from
// there to the end). `what` is "BODY" or "BINARY" for the messages.
bool parse_partial(std::string_view rest, FetchItem& item, std::string_view what, std::string& error) {
    const std::string prefix = "Invalid " + std::string(what) + "[..] parameter: ";
    if (rest.empty())
        return true;
    if (rest[0] != '<') {
        error = prefix + "Unexpected data after ']'";
        return false;
    }
    if (rest.back() != '>') {
        error = prefix + "Missing '>' in partial";
        return false;
    }
    std::string_view inner = rest.substr(1, rest.size() - 2);
    std::size_t dot = inner.find('.');
    if (!parse_number(inner.substr(0, dot), item.origin)) {
        error = prefix + "Too big partial start";
        return false;
    }
    item.partial = true;
    item.length = UINT64_MAX;
    if (dot == std::string_view::npos)
        return true;
    std::string_view count = inner.substr(dot + 1);
    if (count.find('.') != std::string_view::npos) {
        error = prefix + "Missing '>' in partial";
        return false;
    }
    if (!parse_number(count, item.length)) {
        error = prefix + "Too big partial end";
        return false;
    }
    return true;
}

// BODY[...] / BODY.PEEK[...] and the BINARY forms: `text` starts at the
// '[' (or is where it should be).
bool parse_bracketed(std::string_view text, FetchItem& item, std::string_view what, std::string& error) {
    const std::string prefix = "Invalid " + std::string(what) + "[..] parameter: ";
    if (text.empty() || text[0] != '[') {
        error = prefix + "Missing '['";
        return false;
    }
    std::size_t close = closing_bracket(text, 0);
    if (close == std::string_view::npos) {
        error = prefix + "Missing ']'";
        return false;
    }
    auto spec = mime::parse_section_spec(text.substr(1, close - 1));
    if (!spec || (item.kind != ItemKind::section && spec->kind != Kind::full)) {
        // RFC 3516 section-binary: part numbers only.
        error = "Invalid " + std::string(what) + "[..] section";
        return false;
    }
    item.section = std::move(*spec);
    return parse_partial(text.substr(close + 1), item, what, error);
}

FetchItem simple(ItemKind kind, std::string_view name) {
    FetchItem item;
    item.kind = kind;
    item.name = std::string(name);
    return item;
}

FetchItem whole_message(Kind kind, std::string_view name, bool sets_seen) {
    FetchItem item = simple(ItemKind::section, name);
    item.section.kind = kind;
    item.sets_seen = sets_seen;
    return item;
}

// RFC 8970 §3.1: "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"],
// preview-mod = "LAZY". Dovecot's texts for the errors.
bool parse_preview_modifiers(const Arg& list, FetchItem& item, std::string& error) {
    if (list.children.empty()) {
        error = "FETCH list contains non-atoms";
        return false;
    }
    for (const Arg& mod : list.children) {
        if (mod.type != Arg::Type::atom) {
            error = "Invalid PREVIEW modifier";
            return false;
        }
        if (!iequals(mod.text, "LAZY")) {
            error = "'" + mod.text + "' is not a supported PREVIEW modifier";
            return false;
        }
        item.lazy = true;
    }
    return true;
}

} // namespace

bool FetchItem::is_header_data() const {
    if (kind != ItemKind::section)
        return false;
    switch (section.kind) {
    case Kind::header:
    case Kind::header_fields:
    case Kind::header_fields_not:
    case Kind::mime:
        return true;
    case Kind::full:
    case Kind::text:
        return false;
    }
    return false;
}

bool parse_fetch_item(std::string_view text, std::vector<FetchItem>& items, std::string& error) {
    struct Plain {
        std::string_view name;
        ItemKind kind;
    };
    static constexpr Plain plain[] = {
        {"UID", ItemKind::uid},
        {"FLAGS", ItemKind::flags},
        {"INTERNALDATE", ItemKind::internaldate},
        {"RFC822.SIZE", ItemKind::rfc822_size},
        {"MODSEQ", ItemKind::modseq},
        {"SAVEDATE", ItemKind::savedate},
        {"PREVIEW", ItemKind::preview},
        {"EMAILID", ItemKind::emailid},
        {"THREADID", ItemKind::threadid},
        {"ENVELOPE", ItemKind::envelope},
        {"BODY", ItemKind::body},
        {"BODYSTRUCTURE", ItemKind::bodystructure},
    };
    for (const Plain& p : plain) {
        if (iequals(text, p.name)) {
            items.push_back(simple(p.kind, p.name));
            return true;
        }
    }
    // RFC 3501 §6.4.5: RFC822 = BODY[], RFC822.HEADER = BODY.PEEK[HEADER],
    // RFC822.TEXT = BODY[TEXT], each answered under its own name.
    if (iequals(text, "RFC822")) {
        items.push_back(whole_message(Kind::full, "RFC822", true));
        return true;
    }
    if (iequals(text, "RFC822.HEADER")) {
        items.push_back(whole_message(Kind::header, "RFC822.HEADER", false));
        return true;
    }
    if (iequals(text, "RFC822.TEXT")) {
        items.push_back(whole_message(Kind::text, "RFC822.TEXT", true));
        return true;
    }

    FetchItem item;
    std::string_view rest;
    std::string_view what;
    std::string_view name;
    if (starts_with_ci(text, "BODY.PEEK")) {
        item.kind = ItemKind::section;
        rest = text.substr(9);
        what = "BODY";
        name = "BODY";
    } else if (starts_with_ci(text, "BODY[")) {
        item.kind = ItemKind::section;
        item.sets_seen = true;
        rest = text.substr(4);
        what = "BODY";
        name = "BODY";
    } else if (starts_with_ci(text, "BINARY.PEEK")) {
        item.kind = ItemKind::binary;
        rest = text.substr(11);
        what = "BINARY";
        name = "BINARY";
    } else if (starts_with_ci(text, "BINARY.SIZE")) {
        item.kind = ItemKind::binary_size;
        rest = text.substr(11);
        what = "BINARY";
        name = "BINARY.SIZE";
    } else if (starts_with_ci(text, "BINARY[")) {
        item.kind = ItemKind::binary;
        item.sets_seen = true;
        rest = text.substr(6);
        what = "BINARY";
        name = "BINARY";
    } else {
        error = "Unknown parameter: " + upper(text);
        return false;
    }
    if (!parse_bracketed(rest, item, what, error))
        return false;
    item.name = std::string(name) + "[" + section_text(item.section) + "]";
    if (item.kind == ItemKind::binary_size) {
        // RFC 3516 has no partial BINARY.SIZE; Dovecot ignores one.
        item.partial = false;
        item.origin = 0;
        item.length = UINT64_MAX;
    } else if (item.partial) {
        item.name += "<" + std::to_string(item.origin) + ">";
    }
    items.push_back(std::move(item));
    return true;
}

std::optional<FetchRequest> parse_fetch_items(const Arg& arg, bool uid, std::string& error) {
    std::vector<FetchItem> parsed;
    if (uid)
        parsed.push_back(simple(ItemKind::uid, "UID"));
    if (arg.type == Arg::Type::atom) {
        // The macros (RFC 3501 §6.4.5) only stand alone.
        std::string_view text = arg.text;
        if (iequals(text, "ALL") || iequals(text, "FAST") || iequals(text, "FULL")) {
            for (std::string_view n : {"FLAGS", "INTERNALDATE", "RFC822.SIZE"})
                parse_fetch_item(n, parsed, error);
            if (!iequals(text, "FAST"))
                parse_fetch_item("ENVELOPE", parsed, error);
            if (iequals(text, "FULL"))
                parse_fetch_item("BODY", parsed, error);
        } else if (!parse_fetch_item(text, parsed, error)) {
            return std::nullopt;
        }
    } else if (arg.type == Arg::Type::list) {
        if (arg.children.empty()) {
            error = "FETCH list is empty";
            return std::nullopt;
        }
        if (arg.children.size() > kMaxItems) {
            error = "Too many FETCH items";
            return std::nullopt;
        }
        for (std::size_t i = 0; i < arg.children.size(); ++i) {
            const Arg& child = arg.children[i];
            if (child.type != Arg::Type::atom) {
                error = "FETCH list contains non-atoms";
                return std::nullopt;
            }
            if (!parse_fetch_item(child.text, parsed, error))
                return std::nullopt;
            if (parsed.back().kind == ItemKind::preview && i + 1 < arg.children.size() &&
                arg.children[i + 1].type == Arg::Type::list) {
                if (!parse_preview_modifiers(arg.children[++i], parsed.back(), error))
                    return std::nullopt;
            }
        }
    } else {
        error = "Invalid arguments";
        return std::nullopt;
    }

    // Index items first, each once; then the rest in request order, where
    // ENVELOPE, BODY and BODYSTRUCTURE are also sent once.
    FetchRequest req;
    std::vector<FetchItem> rest;
    auto seen_kind = [](const std::vector<FetchItem>& v, ItemKind k) {
        for (const FetchItem& i : v)
            if (i.kind == k)
                return true;
        return false;
    };
    for (FetchItem& item : parsed) {
        req.sets_seen = req.sets_seen || item.sets_seen;
        req.has_flags = req.has_flags || item.kind == ItemKind::flags;
        req.has_modseq = req.has_modseq || item.kind == ItemKind::modseq;
        if (item.is_index_item()) {
            if (!seen_kind(req.items, item.kind)) {
                req.items.push_back(std::move(item));
            } else if (item.kind == ItemKind::preview) {
                // PREVIEW and PREVIEW (LAZY) together: the text is wanted.
                for (FetchItem& p : req.items)
                    if (p.kind == ItemKind::preview)
                        p.lazy = p.lazy && item.lazy;
            }
        } else if (item.kind == ItemKind::envelope || item.kind == ItemKind::body ||
                   item.kind == ItemKind::bodystructure) {
            if (!seen_kind(rest, item.kind))
                rest.push_back(std::move(item));
        } else {
            rest.push_back(std::move(item));
        }
    }
    req.flags_insert_at = req.items.size();
    for (FetchItem& item : rest)
        req.items.push_back(std::move(item));
    return req;
}

} // namespace imapproto::detail::fetch
