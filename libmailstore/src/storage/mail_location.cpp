// mail_location parsing (docs/maildir.md "mail_location"). Dovecot's
// syntax: DRIVER ':' ROOT (':' KEY ['=' VALUE])*, "::" standing for a ':'
// inside a part. A missing root directory is not an error here: like
// Dovecot, the INBOX's directories are created at first use.
#include "storage/mail_location.hpp"

#include <algorithm>
#include <vector>

namespace mailstore::storage {
namespace {

constexpr std::size_t max_location_length = 4096;

Status bad(std::string_view what) { return Status::invalid("mail_location: " + std::string(what)); }

// Splits on single ':' and turns "::" into ':'.
std::vector<std::string> split_parts(std::string_view text) {
    std::vector<std::string> parts(1);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == ':') {
            if (i + 1 < text.size() && text[i + 1] == ':') {
                parts.back() += ':';
                ++i;
            } else {
                parts.emplace_back();
            }
        } else {
            parts.back() += text[i];
        }
    }
    return parts;
}

// `~` expansion, then the path must be absolute; trailing '/' removed.
Result<std::string> expand_path(std::string_view key, std::string value, std::string_view home) {
    if (!value.empty() && value[0] == '~') {
        if (value.size() > 1 && value[1] != '/')
            return bad(std::string(key) + " '" + value + "': ~user is not supported; write the path out");
        if (home.empty())
            return bad(std::string(key) + " '" + value + "' uses ~ but the user has no home directory (set home in the userdb)");
        value = std::string(home) + value.substr(1);
    }
    if (value.empty() || value[0] != '/')
        return bad(std::string(key) + " '" + value + "' is a relative path; give an absolute path or start it with ~/");
    while (value.size() > 1 && value.back() == '/') value.pop_back();
    // Dovecot expands ~ only once; "//" is harmless but ".." would escape
    // the directory an admin meant.
    if (value.find("/../") != std::string::npos || (value.size() >= 3 && value.compare(value.size() - 3, 3, "/..") == 0))
        return bad(std::string(key) + " '" + value + "' contains a '..' component");
    return value;
}

} // namespace

Result<MailLocation> parse_mail_location(std::string_view text, std::string_view home) {
    if (text.size() > max_location_length) return bad("longer than " + std::to_string(max_location_length) + " bytes");
    for (char c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return bad("contains a control character");
    while (!home.empty() && home.size() > 1 && home.back() == '/') home.remove_suffix(1);
    const auto parts = split_parts(text);
    MailLocation loc;
    if (parts.size() < 2) {
        if (parts[0].empty()) return bad("empty; set e.g. mail_location = maildir:~/Maildir");
        return bad("'" + std::string(text) + "' has no DRIVER: prefix; write e.g. maildir:" + std::string(text));
    }
    loc.driver = parts[0];
    std::transform(loc.driver.begin(), loc.driver.end(), loc.driver.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
    if (loc.driver != "maildir") {
        static constexpr std::string_view known[] = {"mbox", "mdbox", "sdbox", "dbox", "imapc", "pop3c", "cydir", "shared", "fail", "obox"};
        if (std::find(std::begin(known), std::end(known), loc.driver) != std::end(known))
            return bad("driver '" + loc.driver + "' is not supported yet");
        return bad("unknown driver '" + loc.driver + "'");
    }
    auto root = expand_path("root", parts[1], home);
    if (!root) return root.status();
    loc.root = std::move(root.value());
    for (std::size_t i = 2; i < parts.size(); ++i) {
        const std::string& part = parts[i];
        if (part.empty()) continue; // a trailing ':'
        const auto eq = part.find('=');
        const std::string key = part.substr(0, eq);
        const bool has_value = eq != std::string::npos;
        const std::string value = has_value ? part.substr(eq + 1) : std::string();
        auto path_key = [&](std::string& field, bool allow_memory) -> Status {
            if (!has_value || value.empty()) return bad(key + "= needs a value");
            if (allow_memory && value == "MEMORY") {
                field = value;
                return Status::ok();
            }
            auto p = expand_path(key, value, home);
            if (!p) return p.status();
            field = std::move(p.value());
            return Status::ok();
        };
        Status s;
        if (key == "INDEX") s = path_key(loc.index_dir, true);
        else if (key == "CONTROL") s = path_key(loc.control_dir, false);
        else if (key == "INBOX") s = path_key(loc.inbox_dir, false);
        else if (key == "VOLATILEDIR") s = path_key(loc.volatile_dir, false);
        else if (key == "SUBSCRIPTIONS") {
            if (value.empty() || value.find('/') != std::string::npos || value == "." || value == "..")
                return bad("SUBSCRIPTIONS= must be a file name without '/'");
            loc.subscriptions_file = value;
        } else if (key == "DIRNAME") {
            if (value.find('/') != std::string::npos || value == "." || value == "..")
                return bad("DIRNAME= must be a name without '/'");
            loc.dirname = value;
        } else if (key == "LAYOUT") {
            if (value == "maildir++") loc.layout = MaildirLayout::maildirplusplus;
            else if (value == "fs") loc.layout = MaildirLayout::fs;
            else return bad("LAYOUT=" + value + " is not supported (maildir++ or fs)");
        } else if (key == "UTF-8") {
            if (has_value) return bad("UTF-8 takes no value");
            loc.utf8 = true;
        } else if (key == "NO-NOSELECT") {
            if (has_value) return bad("NO-NOSELECT takes no value");
            loc.no_noselect = true;
        } else {
            return bad("unknown parameter " + key);
        }
        if (!s) return s;
    }
    return loc;
}

} // namespace mailstore::storage
