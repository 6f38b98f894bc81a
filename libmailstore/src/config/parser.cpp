// Dovecot config syntax, line by line. A logical line (after joining
// backslash continuations) holds one statement: `key = value`, a section
// opener `type [name] {` (optionally followed by more statements and `}` on
// the same line), a `}`, or a `!include[_try] PATH` directive.
#include "config/parser.hpp"

#include "config/settings_tables.hpp"
#include "config/values.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <glob.h>
#include <map>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

namespace mailstore::config {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string_view ltrim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) {
        s.remove_prefix(1);
    }
    return s;
}

std::string_view rtrim(std::string_view s) {
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

std::string_view trim(std::string_view s) { return rtrim(ltrim(s)); }

bool is_key_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

bool is_var_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Shorten a token for an error message so a binary blob does not flood it.
std::string shown(std::string_view token) {
    if (token.size() > 80) {
        return std::string(token.substr(0, 77)) + "...";
    }
    return std::string(token);
}

std::string dir_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) {
        return "";
    }
    if (slash == 0) {
        return "/";
    }
    return path.substr(0, slash);
}

std::string join_path(const std::string& dir, std::string_view rel) {
    if (!rel.empty() && rel.front() == '/') {
        return std::string(rel);
    }
    if (dir.empty() || dir == ".") {
        return std::string(rel);
    }
    if (dir.back() == '/') {
        return dir + std::string(rel);
    }
    return dir + "/" + std::string(rel);
}

std::string real_path(const std::string& path) {
    char buf[PATH_MAX];
    if (::realpath(path.c_str(), buf) == nullptr) {
        return path;
    }
    return buf;
}

// A quoted string starting at s[0] (a ' or "). On success `value` holds the
// unescaped text and `rest` what follows the closing quote.
bool parse_quoted(std::string_view s, std::string& value, std::string_view& rest) {
    char quote = s.front();
    value.clear();
    for (std::size_t i = 1; i < s.size(); ++i) {
        char c = s[i];
        if (c == '\\' && i + 1 < s.size()) {
            char next = s[++i];
            switch (next) {
            case 'n':
                value += '\n';
                break;
            case 't':
                value += '\t';
                break;
            case 'r':
                value += '\r';
                break;
            default:
                value += next; // \\ \" \' and anything else stand for themselves
                break;
            }
        } else if (c == quote) {
            rest = s.substr(i + 1);
            return true;
        } else {
            value += c;
        }
    }
    return false;
}

// Where an unquoted value's comment starts: a '#' at the start or after
// whitespace, outside a quoted span. `#` inside a word (a password, a color)
// is kept. A quote only opens a span at the start of a word, so an apostrophe
// in "Bob's server" does not.
std::size_t comment_start(std::string_view s) {
    char quote = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        bool word_start = i == 0 || is_space(s[i - 1]) || s[i - 1] == '=';
        if (quote != 0) {
            if (c == '\\') {
                ++i;
            } else if (c == quote) {
                quote = 0;
            }
        } else if ((c == '"' || c == '\'') && word_start) {
            quote = c;
        } else if (c == '#' && (i == 0 || is_space(s[i - 1]))) {
            return i;
        }
    }
    return std::string_view::npos;
}

// `key = "..."`: the only kind of line allowed to be longer than
// max_line_length (see ParseLimits).
bool is_quoted_assignment(std::string_view s) {
    s = ltrim(s);
    std::size_t end = 0;
    while (end < s.size() && is_key_char(s[end])) {
        ++end;
    }
    if (end == 0) {
        return false;
    }
    s = ltrim(s.substr(end));
    if (s.empty() || s.front() != '=') {
        return false;
    }
    s = ltrim(s.substr(1));
    return !s.empty() && (s.front() == '"' || s.front() == '\'');
}

class Parser {
public:
    Parser(ConfigData& data, const ParseLimits& limits) : data_(data), limits_(limits) {
        data_.root = std::make_shared<SectionData>();
        stack_.push_back(Frame{data_.root.get(), nullptr, {}});
    }

    Status parse_file_text(std::string_view text, const std::string& name, const std::string& dir,
                           const std::string& canonical);

private:
    struct Frame {
        SectionData* section;
        const SectionTypeInfo* info; // nullptr for the root
        Location opened;
    };

    struct FileState {
        std::string name;
        std::string dir;
    };

    Status statement(std::string_view s, const Location& where, const FileState& file,
                     int& opened_here);
    Status assignment(const std::string& key, std::string_view rest, const Location& where,
                      const FileState& file, int& opened_here);
    Status open_section(const std::string& type, const std::string& name, const Location& where);
    Status close_section(const Location& where);
    Status include(std::string_view rest, bool try_only, const Location& where,
                   const FileState& file);
    Status set_value(const std::string& key, std::string value, const Location& where,
                     std::string file_path);
    std::string expand_variables(std::string_view value) const;
    std::optional<std::string> variable_value(std::string_view name) const;
    std::string scope() const;

    Status error(const Location& where, const std::string& message) const {
        return Status::invalid(where.to_string() + ": " + message);
    }
    // One warning per distinct message per load, naming the first place:
    // a stock config sets `driver` in several passdb/userdb blocks, and one
    // line per block would bury the warnings that matter.
    void warn(const Location& where, std::string message) {
        auto [it, inserted] = warned_.try_emplace(message, data_.warnings.size(), 1);
        if (!inserted) {
            ++it->second.second;
            return;
        }
        data_.warnings.push_back(Diagnostic{where, std::move(message)});
    }
    // True inside a block Loft does not implement (its own warning covers
    // the keys in it).
    bool in_unimplemented_section() const {
        return std::any_of(stack_.begin(), stack_.end(), [](const Frame& f) {
            return f.info != nullptr && !f.info->implemented;
        });
    }

public:
    // Say how often a warning was suppressed after its first occurrence.
    void finish_warnings() {
        for (const auto& [message, where] : warned_) {
            if (where.second > 1) {
                data_.warnings[where.first].message +=
                    " (used in " + std::to_string(where.second) + " places; this is the first)";
            }
        }
    }

private:

    ConfigData& data_;
    const ParseLimits& limits_;
    std::vector<Frame> stack_;
    std::vector<std::string> include_stack_; // real paths of the files being read
    std::size_t file_base_ = 1;              // stack depth when the current file started
    // warning message -> (index in data_.warnings, how often it was raised)
    std::map<std::string, std::pair<std::size_t, int>, std::less<>> warned_;
};

std::string section_label(const SectionData& s) {
    return s.name.empty() ? s.type : s.type + " " + s.name;
}

Status Parser::parse_file_text(std::string_view text, const std::string& name,
                               const std::string& dir, const std::string& canonical) {
    if (static_cast<int>(include_stack_.size()) > limits_.max_include_depth) {
        return Status::invalid(name + ":1: includes nested too deeply (more than " +
                               std::to_string(limits_.max_include_depth) + " levels)");
    }
    if (!canonical.empty()) {
        include_stack_.push_back(canonical);
    }
    std::size_t saved_base = file_base_;
    file_base_ = stack_.size();
    FileState file{name, dir};
    // A UTF-8 byte order mark, as some editors write, is not part of the text.
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
        text.remove_prefix(3);
    }

    int line_no = 0;
    std::size_t pos = 0;
    Status status;
    while (pos < text.size() && status.is_ok()) {
        // Gather one logical line: physical lines ending in an odd number of
        // backslashes continue on the next line.
        std::string logical;
        int first_line = line_no + 1;
        bool too_long = false;
        while (pos < text.size()) {
            auto nl = text.find('\n', pos);
            std::string_view phys =
                text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
            pos = nl == std::string_view::npos ? text.size() : nl + 1;
            ++line_no;
            if (!phys.empty() && phys.back() == '\r') {
                phys.remove_suffix(1);
            }
            std::size_t backslashes = 0;
            while (backslashes < phys.size() && phys[phys.size() - 1 - backslashes] == '\\') {
                ++backslashes;
            }
            // A comment line never continues: "# C:\" must not swallow the
            // setting on the next line.
            std::string_view first = ltrim(phys);
            bool comment = logical.empty() && !first.empty() && first.front() == '#';
            bool continues = backslashes % 2 == 1 && !comment;
            if (continues) {
                phys.remove_suffix(1);
            }
            if (!logical.empty()) {
                phys = ltrim(phys);
            }
            if (logical.size() + phys.size() > limits_.max_quoted_line_length) {
                too_long = true;
            } else {
                logical.append(phys);
            }
            if (!continues) {
                break;
            }
        }
        Location where{name, first_line};
        bool quoted = is_quoted_assignment(logical);
        if (too_long || (logical.size() > limits_.max_line_length && !quoted)) {
            std::size_t limit = quoted ? limits_.max_quoted_line_length : limits_.max_line_length;
            status = error(where, "line too long (more than " + std::to_string(limit) + " bytes)");
            break;
        }
        if (logical.find('\0') != std::string::npos) {
            status = error(where, "unexpected NUL byte");
            break;
        }
        int opened_here = 0;
        status = statement(logical, where, file, opened_here);
    }
    if (status.is_ok() && stack_.size() > file_base_) {
        // Name the innermost block left open: with `service { inet_listener
        // { ... }` missing one '}', that is where the brace is missing.
        const Frame& open = stack_.back();
        status = error(open.opened, "section '" + section_label(*open.section) +
                                        "' starting here is not closed (missing '}')");
    }
    file_base_ = saved_base;
    if (!canonical.empty()) {
        include_stack_.pop_back();
    }
    return status;
}

Status Parser::statement(std::string_view s, const Location& where, const FileState& file,
                         int& opened_here) {
    while (true) {
        s = ltrim(s);
        if (s.empty() || s.front() == '#') {
            return {};
        }
        if (s.front() == '}') {
            if (auto st = close_section(where); !st) {
                return st;
            }
            if (opened_here > 0) {
                --opened_here;
            }
            s.remove_prefix(1);
            s = ltrim(s);
            if (!s.empty() && s.front() != '#' && s.front() != '}') {
                return error(where, "unexpected '" + shown(rtrim(s)) + "' after '}'");
            }
            continue;
        }
        if (s.front() == '!') {
            std::size_t end = 1;
            while (end < s.size() && !is_space(s[end])) {
                ++end;
            }
            auto directive = s.substr(0, end);
            if (directive == "!include" || directive == "!include_try") {
                return include(s.substr(end), directive == "!include_try", where, file);
            }
            return error(where, "unknown directive '" + shown(directive) + "'");
        }

        std::size_t end = 0;
        while (end < s.size() && is_key_char(s[end])) {
            ++end;
        }
        if (end == 0) {
            std::size_t tok = 0;
            while (tok < s.size() && !is_space(s[tok])) {
                ++tok;
            }
            return error(where, "unexpected '" + shown(s.substr(0, tok)) + "'");
        }
        std::string key(s.substr(0, end));
        std::string_view rest = s.substr(end);
        if (!rest.empty() && !is_space(rest.front()) && rest.front() != '=' &&
            rest.front() != '{') {
            std::size_t tok = 0;
            while (tok < s.size() && !is_space(s[tok]) && s[tok] != '=') {
                ++tok;
            }
            return error(where, "invalid name '" + shown(s.substr(0, tok)) + "'");
        }
        rest = ltrim(rest);
        if (!rest.empty() && rest.front() == '=') {
            return assignment(key, rest.substr(1), where, file, opened_here);
        }
        std::string name;
        if (!rest.empty() && rest.front() != '{' && rest.front() != '#') {
            if (rest.front() == '"' || rest.front() == '\'') {
                std::string_view after;
                if (!parse_quoted(rest, name, after)) {
                    return error(where, "unterminated quote in '" + shown(rtrim(rest)) + "'");
                }
                rest = after;
            } else {
                std::size_t n = 0;
                while (n < rest.size() && !is_space(rest[n]) && rest[n] != '{') {
                    ++n;
                }
                name = std::string(rest.substr(0, n));
                rest = rest.substr(n);
            }
            rest = ltrim(rest);
        }
        if (rest.empty() || rest.front() != '{') {
            if (name.empty()) {
                return error(where, "expected '=' or '{' after '" + shown(key) + "'");
            }
            return error(where, "expected '{' after '" + shown(key) + " " + shown(name) + "'");
        }
        if (auto st = open_section(key, name, where); !st) {
            return st;
        }
        ++opened_here;
        s = rest.substr(1);
    }
}

Status Parser::assignment(const std::string& key, std::string_view rest, const Location& where,
                          const FileState& file, int& opened_here) {
    std::string_view v = ltrim(rest);
    std::string value;
    std::string file_path;
    int closes = 0;

    // A value on the same line as its section's `{` may be followed by the
    // `}` closing it: `inet_listener imap { port = 0 }`.
    auto strip_closers = [&](std::string_view tail) {
        tail = rtrim(tail);
        while (opened_here - closes > 0 && !tail.empty() && tail.back() == '}' &&
               (tail.size() == 1 || is_space(tail[tail.size() - 2]))) {
            tail.remove_suffix(1);
            tail = rtrim(tail);
            ++closes;
        }
        return tail;
    };

    if (!v.empty() && (v.front() == '"' || v.front() == '\'')) {
        std::string_view after;
        if (!parse_quoted(v, value, after)) {
            return error(where, "unterminated quote in value of '" + key + "'");
        }
        after = ltrim(after);
        auto cut = comment_start(after);
        after = strip_closers(after.substr(0, cut));
        if (!after.empty()) {
            return error(where, "unexpected '" + shown(after) + "' after quoted value of '" + key +
                                    "'");
        }
    } else if (!v.empty() && v.front() == '<') {
        std::string_view path_text = v.substr(1);
        path_text = strip_closers(path_text.substr(0, comment_start(path_text)));
        path_text = trim(path_text);
        std::string path(path_text);
        if (!path_text.empty() && (path_text.front() == '"' || path_text.front() == '\'')) {
            std::string_view after;
            if (!parse_quoted(path_text, path, after) || !trim(after).empty()) {
                return error(where, "bad file name in value of '" + key + "': '" +
                                        shown(path_text) + "'");
            }
        }
        if (path.empty()) {
            return error(where, "missing file name after '<' in value of '" + key + "'");
        }
        std::string full = join_path(file.dir, path);
        auto content = read_whole_file(full, limits_.max_value_file_size);
        if (!content) {
            return error(where, "cannot read '" + shown(full) + "' for setting '" + key +
                                    "': " + content.status().message());
        }
        value = std::move(content.value());
        file_path = path;
    } else {
        auto cut = comment_start(v);
        value = expand_variables(trim(strip_closers(v.substr(0, cut))));
    }
    if (auto st = set_value(key, std::move(value), where, std::move(file_path)); !st) {
        return st;
    }
    for (int i = 0; i < closes; ++i) {
        if (auto st = close_section(where); !st) {
            return st;
        }
        --opened_here;
    }
    return {};
}

std::string Parser::scope() const {
    const Frame& top = stack_.back();
    if (top.info == nullptr || is_filter_section(top.section->type)) {
        return "";
    }
    return top.section->type;
}

std::optional<std::string> Parser::variable_value(std::string_view name) const {
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
        if (const Entry* e = it->section->find(name)) {
            return e->value;
        }
    }
    if (const SettingInfo* info = find_setting(name, scope())) {
        return std::string(info->default_value);
    }
    if (const SettingInfo* info = find_setting(name, "")) {
        return std::string(info->default_value);
    }
    return std::nullopt;
}

// `$name` becomes the current value of setting `name` (set earlier in this
// block or an enclosing one, else its default). A `$` that does not name a
// setting, as in a crypt hash, stays as written.
std::string Parser::expand_variables(std::string_view value) const {
    if (value.find('$') == std::string_view::npos) {
        return std::string(value);
    }
    std::string out;
    for (std::size_t i = 0; i < value.size();) {
        if (value[i] == '$') {
            std::size_t end = i + 1;
            while (end < value.size() && is_var_char(value[end])) {
                ++end;
            }
            if (end > i + 1) {
                if (auto v = variable_value(value.substr(i + 1, end - i - 1))) {
                    out += *v;
                    i = end;
                    continue;
                }
            }
        }
        out += value[i++];
    }
    return std::string(trim(out));
}

Status Parser::set_value(const std::string& key, std::string value, const Location& where,
                         std::string file_path) {
    const Frame& top = stack_.back();
    bool free_form = top.info != nullptr && top.info->free_form;
    if (!free_form) {
        std::string sc = scope();
        const SettingInfo* info = find_setting(key, sc);
        if (info == nullptr) {
            if (sc.empty()) {
                return error(where, "unknown setting '" + shown(key) + "'");
            }
            return error(where, "unknown setting '" + shown(key) + "' in '" + sc + "' section");
        }
        if (!info->implemented && !in_unimplemented_section()) {
            std::string what = sc.empty() ? "setting '" + key + "'"
                                           : "setting '" + key + "' in '" + sc + "' section";
            warn(where, what + " is not implemented by Loft yet; ignored");
        }
        if (info->implemented || value_checked_when_unimplemented(*info)) {
            if (auto expected = check_value(*info, value)) {
                return error(where, "invalid value '" + shown(value) + "' for setting '" + key +
                                        "': " + *expected);
            }
        }
    }
    top.section->set(Entry{key, std::move(value), where, std::move(file_path)});
    return {};
}

Status Parser::open_section(const std::string& type, const std::string& name,
                            const Location& where) {
    if (static_cast<int>(stack_.size()) > limits_.max_nesting) {
        return error(where, "sections nested too deeply (more than " +
                                std::to_string(limits_.max_nesting) + " levels) at '" +
                                shown(type) + "'");
    }
    const Frame& top = stack_.back();
    const SectionTypeInfo* info = find_section_type(type);
    if (info == nullptr) {
        return error(where, "unknown section type '" + shown(type) + "'");
    }
    const std::string& parent = top.section->type;
    if (!section_allowed_in(*info, parent)) {
        if (parent.empty()) {
            return error(where, "section '" + type + "' is not allowed at the top level");
        }
        return error(where, "section '" + type + "' is not allowed inside '" + parent + "'");
    }
    if (info->name_required && name.empty()) {
        return error(where, "section '" + type + "' needs a name");
    }
    if (is_filter_section(type)) {
        for (const Frame& f : stack_) {
            if (f.section->type == type) {
                return error(where, "'" + type + "' block inside another '" + type + "' block");
            }
        }
        if ((type == "local" || type == "remote") && !parse_network(name)) {
            return error(where, "invalid IP address or network '" + shown(name) + "' in '" +
                                    type + "' block");
        }
    }
    if (!info->implemented) {
        warn(where, "section '" + type + "' is not implemented by Loft yet; ignored");
    }

    // A block with the same type and name as an earlier one continues it
    // (Dovecot: 15-mailboxes.conf adds to 10-mail.conf's `namespace inbox`).
    // Unnamed passdb/userdb/namespace blocks are each their own.
    SectionData* target = nullptr;
    if (!name.empty() || info->free_form) {
        target = top.section->find_child(type, name);
    }
    if (target == nullptr) {
        auto child = std::make_shared<SectionData>();
        child->type = type;
        child->name = name;
        child->where = where;
        target = child.get();
        top.section->add_child(std::move(child));
    }
    stack_.push_back(Frame{target, info, where});
    return {};
}

Status Parser::close_section(const Location& where) {
    if (stack_.size() <= file_base_) {
        if (stack_.size() == 1) {
            return error(where, "unexpected '}' (no section is open)");
        }
        return error(where, "unexpected '}' (closes a section opened in another file)");
    }
    stack_.pop_back();
    return {};
}

Status Parser::include(std::string_view rest, bool try_only, const Location& where,
                       const FileState& file) {
    const char* directive = try_only ? "!include_try" : "!include";
    std::string_view arg = trim(rest.substr(0, comment_start(rest)));
    std::string pattern(arg);
    if (!arg.empty() && (arg.front() == '"' || arg.front() == '\'')) {
        std::string_view after;
        if (!parse_quoted(arg, pattern, after)) {
            return error(where, "unterminated quote in '" + shown(arg) + "'");
        }
        if (!trim(after).empty()) {
            return error(where, "unexpected '" + shown(trim(after)) + "' after " + directive +
                                    " path");
        }
    }
    if (pattern.empty()) {
        return error(where, std::string("missing file name after ") + directive);
    }
    std::string full = join_path(file.dir, pattern);

    std::vector<std::string> paths;
    if (full.find_first_of("*?[") != std::string::npos) {
        glob_t g{};
        int rc = ::glob(full.c_str(), GLOB_NOSORT, nullptr, &g);
        if (rc == 0) {
            for (std::size_t i = 0; i < g.gl_pathc; ++i) {
                paths.emplace_back(g.gl_pathv[i]);
            }
        }
        ::globfree(&g);
        if (rc != 0 && rc != GLOB_NOMATCH) {
            return error(where, "cannot expand " + std::string(directive) + " pattern '" +
                                    shown(full) + "'");
        }
        // Byte order, as Dovecot documents: 10-auth.conf before 10-mail.conf.
        std::sort(paths.begin(), paths.end());
    } else {
        paths.push_back(full);
    }

    for (const auto& path : paths) {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) {
            int err = errno;
            if (try_only && (err == ENOENT || err == ENOTDIR)) {
                continue;
            }
            return error(where, "cannot read include file '" + shown(path) +
                                    "': " + std::strerror(err));
        }
        std::string canonical = real_path(path);
        if (std::find(include_stack_.begin(), include_stack_.end(), canonical) !=
            include_stack_.end()) {
            return error(where, "include loop: '" + shown(path) + "' is already being read");
        }
        if (static_cast<int>(include_stack_.size()) >= limits_.max_include_depth) {
            return error(where, "includes nested too deeply (more than " +
                                    std::to_string(limits_.max_include_depth) + " levels) at '" +
                                    shown(path) + "'");
        }
        auto content = read_whole_file(path, limits_.max_file_size);
        if (!content) {
            return error(where, "cannot read include file '" + shown(path) +
                                    "': " + content.status().message());
        }
        if (auto s = parse_file_text(content.value(), path, dir_of(path), canonical); !s) {
            return s;
        }
    }
    return {};
}

} // namespace

Result<std::string> read_whole_file(const std::string& path, std::size_t max_size) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return Status::io(std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        return Status::io(std::strerror(EISDIR));
    }
    // A FIFO or device could block the loader forever (or never end).
    if (!S_ISREG(st.st_mode)) {
        return Status::io("not a regular file");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Status::io(std::strerror(errno != 0 ? errno : EACCES));
    }
    std::string content;
    char buf[65536];
    while (in) {
        in.read(buf, sizeof buf);
        content.append(buf, static_cast<std::size_t>(in.gcount()));
        if (content.size() > max_size) {
            return Status::io("file is larger than " + std::to_string(max_size) + " bytes");
        }
    }
    if (in.bad()) {
        return Status::io("read error");
    }
    return content;
}

Result<std::shared_ptr<ConfigData>> parse_config(std::string_view text, const std::string& name,
                                                 const std::string& base_dir,
                                                 const std::string& canonical_path,
                                                 const ParseLimits& limits) {
    auto data = std::make_shared<ConfigData>();
    Parser parser(*data, limits);
    if (auto st = parser.parse_file_text(text, name, base_dir, canonical_path); !st) {
        return st;
    }
    parser.finish_warnings();
    collect_filters(*data);
    return data;
}

} // namespace mailstore::config
