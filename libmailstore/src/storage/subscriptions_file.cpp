#include "storage/subscriptions_file.hpp"

#include "storage/format_io.hpp"
#include "storage/maildir/uidlist.hpp"

#include <set>

namespace mailstore::storage {
namespace {

constexpr std::size_t max_name_length = 4096;
constexpr std::size_t max_names = 100000;
constexpr std::uint64_t max_file_size = 16 << 20;

} // namespace

std::vector<std::string> parse_subscriptions(std::string_view text, char separator) {
    std::vector<std::string> out;
    std::set<std::string, std::less<>> seen;
    bool versioned = false;
    bool first = true;
    while (!text.empty() && out.size() < max_names) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (first) {
            first = false;
            if (line == "V\t2") {
                versioned = true;
                continue;
            }
        }
        if (line.empty() || line.size() > max_name_length) continue;
        std::string name(line);
        if (versioned) {
            for (char& c : name)
                if (c == '\t') c = separator;
        }
        if (seen.insert(name).second) out.push_back(std::move(name));
    }
    return out;
}

Result<std::vector<std::string>> read_subscriptions(const std::string& path, char separator) {
    auto data = read_whole_file(path, max_file_size);
    if (!data) {
        if (data.status().code() == Status::Code::not_found) return std::vector<std::string>{};
        return data.status();
    }
    return parse_subscriptions(*data, separator);
}

std::string format_subscriptions(const std::vector<std::string>& names, char separator) {
    std::string out;
    if (separator != '\0') out = "V\t2\n\n";
    for (const auto& n : names) {
        std::string line = n;
        if (separator != '\0') {
            for (char& c : line)
                if (c == separator) c = '\t';
        }
        out += line;
        out += '\n';
    }
    return out;
}

namespace {

Status write_names(const std::string& path, const std::vector<std::string>& names, char separator,
                   index::FsyncMode fsync) {
    for (const auto& n : names) {
        if (n.empty() || n.size() > max_name_length || n.find_first_of("\n\r") != std::string::npos)
            return Status::invalid(path + ": mailbox name '" + n.substr(0, 64) +
                                   "' cannot be subscribed (empty, too long or with a line break)");
    }
    if (names.size() > max_names) return Status::invalid(path + ": more than " + std::to_string(max_names) + " subscriptions");
    // Dovecot takes PATH.lock while it rewrites the file.
    auto lock = maildir::Dotlock::acquire(path, std::chrono::seconds(10), std::chrono::seconds(120));
    if (!lock) return lock.status();
    return replace_file(path, path + ".tmp", format_subscriptions(names, separator), fsync);
}

} // namespace

Status write_subscriptions(const std::string& path, const std::vector<std::string>& names, index::FsyncMode fsync) {
    return write_names(path, names, '\0', fsync);
}

Status write_subscriptions(const std::string& path, const std::vector<std::string>& names, char separator,
                           index::FsyncMode fsync) {
    if (separator == '\0' || separator == '\t' || separator == '\n')
        return Status::invalid(path + ": bad hierarchy separator for the subscriptions file");
    return write_names(path, names, separator, fsync);
}

} // namespace mailstore::storage
