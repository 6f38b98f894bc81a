// A loaded configuration written back as one self-contained config text:
// includes already read, `<file` values inlined, `$variables` expanded. loftd
// hands this to its unprivileged workers, which could not read root-only
// files such as a private key themselves (Dovecot's config process serves the
// same purpose).
//
// What makes the text read back to the same Config:
// - every value that the parser would otherwise change is quoted: quoted
//   values are never `$`-expanded, keep their spaces and `#`, and decode the
//   escapes written here (\" \\ \n \r \t);
// - each block is written once, with the keys it ended up with (repeated
//   blocks were merged and repeated keys replaced while loading), so blocks
//   and keys keep their order;
// - keys come before nested blocks: lookups never depend on how keys and
//   blocks were interleaved, only on each block's own keys and the order of
//   blocks.
#include "config/config_data.hpp"

#include <string>
#include <string_view>

namespace mailstore::config {
namespace {

bool is_control(char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string quote(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 32 + 2);
    out += '"';
    for (char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            out += c; // other bytes, including UTF-8, are kept as they are
        }
    }
    out += '"';
    return out;
}

// Whether the parser would read `value`, written unquoted after `key = `,
// as something else: a quoted or `<file` value, a comment, a `$variable`, a
// continued line, trimmed blanks. Deliberately broad: quoting is always safe.
bool value_needs_quotes(std::string_view value) {
    if (value.empty()) {
        return false; // `key =` is the empty value
    }
    if (is_blank(value.front()) || is_blank(value.back()) || value.front() == '"' ||
        value.front() == '\'' || value.front() == '<') {
        return true;
    }
    for (char c : value) {
        if (c == '#' || c == '$' || c == '\\' || is_control(c)) {
            return true;
        }
    }
    return false;
}

// A block name is a single word up to `{` when unquoted.
bool name_needs_quotes(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    if (name.front() == '"' || name.front() == '\'' || name.front() == '=') {
        return true;
    }
    for (char c : name) {
        if (is_blank(c) || is_control(c) || c == '{' || c == '}' || c == '#' || c == '\\' || c == '=' ||
            c == '"' || c == '\'') {
            return true;
        }
    }
    return false;
}

// A file name in a comment: on one line, whatever it contains.
std::string comment_text(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (is_control(c)) {
            c = '?';
        }
    }
    return out;
}

class Writer {
public:
    explicit Writer(const SerializeOptions& options) : options_(options) {}

    Status section(const SectionData& data, int depth) {
        for (const Entry& e : data.entries) {
            if (auto st = entry(e, depth); !st) {
                return st;
            }
        }
        for (const auto& child : data.children) {
            origin(child->where, depth);
            indent(depth);
            out_ += child->type;
            if (!child->name.empty()) {
                out_ += ' ';
                out_ += format_section_name(child->name);
            }
            out_ += " {\n";
            if (auto st = section(*child, depth + 1); !st) {
                return st;
            }
            indent(depth);
            out_ += "}\n";
        }
        return {};
    }

    std::string take() { return std::move(out_); }

private:
    Status entry(const Entry& e, int depth) {
        if (e.value.find('\0') != std::string::npos) {
            // The syntax has no way to write a NUL byte (nor does Dovecot's).
            return Status::invalid(e.where.to_string() + ": the value of '" + e.key +
                                   "' contains a NUL byte, which a config file cannot hold" +
                                   (e.file_path.empty() ? std::string()
                                                        : " (read from '" + e.file_path + "')"));
        }
        origin(e.where, depth, e.file_path);
        indent(depth);
        out_ += e.key;
        out_ += " =";
        if (!e.value.empty()) {
            out_ += ' ';
            out_ += format_value(e.value);
        }
        out_ += '\n';
        return {};
    }

    void origin(const Location& where, int depth, std::string_view file_path = {}) {
        if (!options_.origin_comments || where.file.empty()) {
            return;
        }
        indent(depth);
        out_ += "# from ";
        out_ += comment_text(where.to_string());
        if (!file_path.empty()) {
            out_ += " (<";
            out_ += comment_text(file_path);
            out_ += ')';
        }
        out_ += '\n';
    }

    void indent(int depth) { out_.append(static_cast<std::size_t>(depth) * 2, ' '); }

    const SerializeOptions& options_;
    std::string out_;
};

} // namespace

std::string format_value(std::string_view value) {
    return value_needs_quotes(value) ? quote(value) : std::string(value);
}

std::string format_section_name(std::string_view name) {
    return name_needs_quotes(name) ? quote(name) : std::string(name);
}

Result<std::string> Config::serialize(const SerializeOptions& options) const {
    Writer writer(options);
    if (auto st = writer.section(*data_->root, 0); !st) {
        return st;
    }
    return writer.take();
}

} // namespace mailstore::config
