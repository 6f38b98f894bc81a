// Parsing IMAP SEARCH programs: RFC 3501 §6.4.4 search-key, RFC 5032
// OLDER/YOUNGER, RFC 7162 MODSEQ and RFC 5182 "$".
#include "search/search_internal.hpp"
#include "storage/object_id.hpp"

#include <mailstore/mime/charset.hpp>
#include <mailstore/mime/date.hpp>

#include <array>
#include <utility>

namespace mailstore::search {

namespace {

using detail::max_depth;
using detail::max_keys;

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

// How a key's arguments look.
enum class Args {
    none,
    astring,   // one string (converted from the CHARSET)
    flag,      // one keyword atom (KEYWORD, UNKEYWORD)
    header,    // field name and string
    date,      // date (RFC 3501 date: date-text or "date-text")
    number64,  // LARGER/SMALLER: RFC 9051 number64
    interval,  // OLDER/YOUNGER: nz-number (RFC 5032)
    set,       // UID sequence-set
    one_key,   // NOT
    two_keys,  // OR
    modseq,    // [entry-name entry-type-req] mod-sequence-valzer
    objectid,  // RFC 8474 objectid: 1*255(ALPHA / DIGIT / "_" / "-")
    uid_value, // UIDAFTER/UIDBEFORE: uniqueid, an nz-number (RFC 9738 §3.2)
};

struct KeySpec {
    std::string_view name;
    Key key;
    Args args;
};

constexpr std::array key_specs = {
    KeySpec{"ALL", Key::all, Args::none},
    KeySpec{"ANSWERED", Key::answered, Args::none},
    KeySpec{"BCC", Key::bcc, Args::astring},
    KeySpec{"BEFORE", Key::before, Args::date},
    KeySpec{"BODY", Key::body, Args::astring},
    KeySpec{"CC", Key::cc, Args::astring},
    KeySpec{"DELETED", Key::deleted, Args::none},
    KeySpec{"DRAFT", Key::draft, Args::none},
    KeySpec{"EMAILID", Key::emailid, Args::objectid},
    KeySpec{"FLAGGED", Key::flagged, Args::none},
    KeySpec{"FROM", Key::from, Args::astring},
    KeySpec{"HEADER", Key::header, Args::header},
    KeySpec{"KEYWORD", Key::keyword, Args::flag},
    KeySpec{"LARGER", Key::larger, Args::number64},
    KeySpec{"MODSEQ", Key::modseq, Args::modseq},
    KeySpec{"NEW", Key::new_, Args::none},
    KeySpec{"NOT", Key::not_, Args::one_key},
    KeySpec{"OLD", Key::old, Args::none},
    KeySpec{"OLDER", Key::older, Args::interval},
    KeySpec{"ON", Key::on, Args::date},
    KeySpec{"OR", Key::or_, Args::two_keys},
    KeySpec{"RECENT", Key::recent, Args::none},
    KeySpec{"SEEN", Key::seen, Args::none},
    KeySpec{"SAVEDBEFORE", Key::savedbefore, Args::date},
    KeySpec{"SAVEDON", Key::savedon, Args::date},
    KeySpec{"SAVEDSINCE", Key::savedsince, Args::date},
    KeySpec{"SAVEDATESUPPORTED", Key::savedatesupported, Args::none},
    KeySpec{"SENTBEFORE", Key::sentbefore, Args::date},
    KeySpec{"SENTON", Key::senton, Args::date},
    KeySpec{"SENTSINCE", Key::sentsince, Args::date},
    KeySpec{"SINCE", Key::since, Args::date},
    KeySpec{"SMALLER", Key::smaller, Args::number64},
    KeySpec{"SUBJECT", Key::subject, Args::astring},
    KeySpec{"TEXT", Key::text, Args::astring},
    KeySpec{"THREADID", Key::threadid, Args::objectid},
    KeySpec{"TO", Key::to, Args::astring},
    KeySpec{"UID", Key::uid, Args::set},
    KeySpec{"UIDAFTER", Key::uidafter, Args::uid_value},
    KeySpec{"UIDBEFORE", Key::uidbefore, Args::uid_value},
    KeySpec{"UNANSWERED", Key::unanswered, Args::none},
    KeySpec{"UNDELETED", Key::undeleted, Args::none},
    KeySpec{"UNDRAFT", Key::undraft, Args::none},
    KeySpec{"UNFLAGGED", Key::unflagged, Args::none},
    KeySpec{"UNKEYWORD", Key::unkeyword, Args::flag},
    KeySpec{"UNSEEN", Key::unseen, Args::none},
    KeySpec{"YOUNGER", Key::younger, Args::interval},
};

const KeySpec* find_key(std::string_view upper_name) {
    for (const auto& spec : key_specs) {
        if (spec.name == upper_name) {
            return &spec;
        }
    }
    return nullptr;
}

// Keys whose answer needs the message's header or body.
bool key_needs_message(Key key) {
    switch (key) {
    case Key::bcc:
    case Key::cc:
    case Key::from:
    case Key::to:
    case Key::subject:
    case Key::header:
    case Key::body:
    case Key::text:
    case Key::sentbefore:
    case Key::senton:
    case Key::sentsince:
    case Key::threadid: // read from the header when not cached yet
        return true;
    default:
        return false;
    }
}

// An unsigned decimal of at most `max` (no sign, no leading '+').
std::optional<std::uint64_t> parse_number(std::string_view s, std::uint64_t max) {
    if (s.empty() || s.size() > 20) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (max - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
    }
    return value;
}

// The atom-specials of RFC 3501 §9 other than those a tokenizer already
// splits on; a flag keyword may start with '\' (a system flag name:
// Dovecot accepts "KEYWORD \Seen" and matches nothing).
bool valid_keyword(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '(' || c == ')' || c == '{' || c == '%' || c == '*' || c == '"' ||
            c == ']') {
            return false;
        }
    }
    return true;
}

class Parser {
public:
    Parser(const std::vector<Token>& tokens, Program& program) : tokens_(tokens), program_(program) {}

    Status parse_program(bool allow_charset) {
        if (allow_charset && pos_ < tokens_.size() && tokens_[pos_].kind == Token::Kind::atom &&
            upper(tokens_[pos_].text) == "CHARSET") {
            ++pos_;
            if (pos_ >= tokens_.size() || tokens_[pos_].kind == Token::Kind::list_begin ||
                tokens_[pos_].kind == Token::Kind::list_end) {
                return Status::invalid("Invalid charset argument");
            }
            std::string name = tokens_[pos_++].text;
            if (!mime::is_known_charset(name)) {
                return Status::error(Status::Code::not_supported, name);
            }
            program_.charset = std::move(name);
        }
        Node& root = program_.root;
        root.key = Key::and_;
        if (pos_ >= tokens_.size()) {
            return Status::invalid("Missing search parameters");
        }
        while (pos_ < tokens_.size()) {
            if (tokens_[pos_].kind == Token::Kind::list_end) {
                return Status::invalid("Unbalanced parentheses");
            }
            Node node;
            if (auto st = parse_key(node, 1); !st) {
                return st;
            }
            root.children.push_back(std::move(node));
        }
        return Status::ok();
    }

private:
    Status parse_key(Node& node, int depth) {
        if (depth > max_depth) {
            return Status::invalid("Too deeply nested");
        }
        if (++keys_ > max_keys) {
            return Status::invalid("Too many search keys");
        }
        const Token& token = tokens_[pos_++];
        switch (token.kind) {
        case Token::Kind::list_end:
            return Status::invalid("Unbalanced parentheses");
        case Token::Kind::list_begin:
            return parse_list(node, depth);
        case Token::Kind::string:
            // search-key is never a string (Dovecot: "Unexpected string as
            // search key").
            return Status::invalid("Unknown search key: " + token.text);
        case Token::Kind::atom:
            break;
        }
        std::string name = upper(token.text);
        if (const KeySpec* spec = find_key(name)) {
            node.key = spec->key;
            if (key_needs_message(spec->key)) {
                program_.needs_message = true;
            }
            return parse_args(*spec, node, depth);
        }
        // sequence-set as a key: sequence numbers (RFC 3501 §6.4.4).
        if (auto set = SequenceSet::parse(token.text)) {
            node.key = Key::sequence;
            node.set = std::move(*set);
            program_.uses_saved = program_.uses_saved || node.set.saved;
            return Status::ok();
        }
        if (!name.empty() && ((name[0] >= '0' && name[0] <= '9') || name[0] == '*' || name[0] == '$')) {
            return Status::invalid("Invalid messageset");
        }
        return Status::invalid("Unknown search key: " + token.text);
    }

    Status parse_list(Node& node, int depth) {
        node.key = Key::and_;
        if (pos_ < tokens_.size() && tokens_[pos_].kind == Token::Kind::list_end) {
            return Status::invalid("No search parameters inside list");
        }
        while (true) {
            if (pos_ >= tokens_.size()) {
                return Status::invalid("Unbalanced parentheses");
            }
            if (tokens_[pos_].kind == Token::Kind::list_end) {
                ++pos_;
                return Status::ok();
            }
            Node child;
            if (auto st = parse_key(child, depth + 1); !st) {
                return st;
            }
            node.children.push_back(std::move(child));
        }
    }

    // The next token as an argument of `key`: an atom or a string.
    const Token* next_value() {
        if (pos_ >= tokens_.size() || tokens_[pos_].kind == Token::Kind::list_begin ||
            tokens_[pos_].kind == Token::Kind::list_end) {
            return nullptr;
        }
        return &tokens_[pos_++];
    }

    Status missing(const KeySpec& spec) const {
        return Status::invalid("Missing argument for " + std::string(spec.name));
    }

    Status convert(std::string_view bytes, std::string& out) const {
        auto utf8 = detail::charset_to_utf8(program_.charset, bytes);
        if (!utf8) {
            return Status::invalid("Invalid search string for the charset " +
                                   (program_.charset.empty() ? std::string("UTF-8") : program_.charset));
        }
        out = std::move(*utf8);
        return Status::ok();
    }

    Status parse_args(const KeySpec& spec, Node& node, int depth) {
        switch (spec.args) {
        case Args::none:
            return Status::ok();
        case Args::astring: {
            const Token* v = next_value();
            if (v == nullptr) {
                return missing(spec);
            }
            return convert(v->text, node.text);
        }
        case Args::flag: {
            const Token* v = next_value();
            if (v == nullptr) {
                return missing(spec);
            }
            if (!valid_keyword(v->text)) {
                return Status::invalid("Invalid keyword");
            }
            node.text = v->text;
            return Status::ok();
        }
        case Args::header: {
            const Token* field = next_value();
            const Token* value = field != nullptr ? next_value() : nullptr;
            if (value == nullptr) {
                return missing(spec);
            }
            // A field name is printable US-ASCII without ':' (RFC 5322
            // §2.2); anything else can never be present.
            for (char c : field->text) {
                auto u = static_cast<unsigned char>(c);
                if (u <= 0x20 || u >= 0x7f || c == ':') {
                    return Status::invalid("Invalid header field name");
                }
            }
            node.field = field->text;
            return convert(value->text, node.text);
        }
        case Args::date: {
            const Token* v = next_value();
            if (v == nullptr) {
                return missing(spec);
            }
            // parse_search_date would also strip quotes; a string token's
            // text has none, and an atom must not carry them.
            if (v->text.find('"') != std::string::npos) {
                return Status::invalid("Invalid date");
            }
            auto midnight = mime::parse_search_date(v->text);
            if (!midnight) {
                return Status::invalid("Invalid date");
            }
            node.date = *midnight / 86400;
            return Status::ok();
        }
        case Args::number64: {
            const Token* v = next_value();
            if (v == nullptr) {
                return missing(spec);
            }
            auto n = v->kind == Token::Kind::atom ? parse_number(v->text, 0x7FFFFFFFFFFFFFFFull) : std::nullopt;
            if (!n) {
                return Status::invalid("Invalid size");
            }
            node.number = static_cast<std::int64_t>(*n);
            return Status::ok();
        }
        case Args::interval: {
            const Token* v = next_value();
            if (v == nullptr) {
                return missing(spec);
            }
            auto n = v->kind == Token::Kind::atom ? parse_number(v->text, 0xFFFFFFFFull) : std::nullopt;
            if (!n || *n == 0) {
                return Status::invalid("Invalid interval");
            }
            node.number = static_cast<std::int64_t>(*n);
            return Status::ok();
        }
        case Args::uid_value: {
            const Token* v = next_value();
            if (v == nullptr) {
                return missing(spec);
            }
            auto n = v->kind == Token::Kind::atom ? parse_number(v->text, 0xFFFFFFFFull) : std::nullopt;
            if (!n || *n == 0) {
                return Status::invalid("Invalid UID");
            }
            node.number = static_cast<std::int64_t>(*n);
            return Status::ok();
        }
        case Args::set: {
            const Token* v = next_value();
            if (v == nullptr) {
                return missing(spec);
            }
            auto set = v->kind == Token::Kind::atom ? SequenceSet::parse(v->text) : std::nullopt;
            if (!set) {
                return Status::invalid("Invalid messageset");
            }
            node.set = std::move(*set);
            program_.uses_saved = program_.uses_saved || node.set.saved;
            return Status::ok();
        }
        case Args::one_key:
        case Args::two_keys: {
            int count = spec.args == Args::one_key ? 1 : 2;
            for (int i = 0; i < count; ++i) {
                if (pos_ >= tokens_.size() || tokens_[pos_].kind == Token::Kind::list_end) {
                    return missing(spec);
                }
                Node child;
                if (auto st = parse_key(child, depth + 1); !st) {
                    return st;
                }
                node.children.push_back(std::move(child));
            }
            return Status::ok();
        }
        case Args::modseq:
            return parse_modseq(spec, node);
        case Args::objectid: {
            // RFC 8474 §7: search-key =/ "EMAILID" SP objectid / "THREADID"
            // SP objectid; an objectid is an atom, never a quoted string.
            const Token* v = next_value();
            if (v == nullptr) {
                return missing(spec);
            }
            if (v->kind != Token::Kind::atom || !storage::valid_object_id(v->text)) {
                return Status::invalid("Invalid objectid for " + std::string(spec.name));
            }
            node.text = v->text;
            return Status::ok();
        }
        }
        return Status::ok();
    }

    // RFC 7162 §3.4: "MODSEQ" [SP entry-name SP entry-type-req] SP
    // mod-sequence-valzer, where entry-name is a quoted "/flags/<flag>" and
    // entry-type-req is "priv" / "shared" / "all". Loft keeps one modseq
    // per message, so the entry is accepted and ignored (as Dovecot does).
    Status parse_modseq(const KeySpec& spec, Node& node) {
        const Token* v = next_value();
        if (v == nullptr) {
            return missing(spec);
        }
        if (v->kind == Token::Kind::string) {
            node.field = v->text;
            const Token* type = next_value();
            if (type == nullptr) {
                return missing(spec);
            }
            std::string t = upper(type->text);
            if (type->kind != Token::Kind::atom || (t != "PRIV" && t != "SHARED" && t != "ALL")) {
                return Status::invalid("Invalid MODSEQ entry type");
            }
            v = next_value();
            if (v == nullptr) {
                return missing(spec);
            }
        }
        auto n = v->kind == Token::Kind::atom ? parse_number(v->text, 0x7FFFFFFFFFFFFFFFull) : std::nullopt;
        if (!n) {
            return Status::invalid("Invalid modseq");
        }
        node.number = static_cast<std::int64_t>(*n);
        return Status::ok();
    }

    const std::vector<Token>& tokens_;
    Program& program_;
    std::size_t pos_ = 0;
    std::size_t keys_ = 0;
};

} // namespace

Result<Program> parse(const std::vector<Token>& tokens, bool allow_charset) {
    Program program;
    Parser parser(tokens, program);
    if (auto st = parser.parse_program(allow_charset); !st) {
        return st;
    }
    return program;
}

Result<Program> parse(std::string_view text) {
    auto tokens = detail::tokenize(text);
    if (!tokens) {
        return tokens.status();
    }
    return parse(*tokens, true);
}

} // namespace mailstore::search
