// ID (RFC 2971): logs what the client says about itself (imap_id_log) and
// answers with imap_id_send. Dovecot is lenient here (odd lists, a bare
// atom), and clients rely on it, so only the RFC's size bounds are enforced.
#include "commands/commands.hpp"

#include <imapproto/string_writer.hpp>

#include <sys/utsname.h>

#include <cctype>

namespace imapproto::detail {

namespace {

// RFC 2971 §3.3: at most 30 pairs, fields of 30 octets, values of 1024.
constexpr std::size_t kMaxPairs = 30;
constexpr std::size_t kMaxKey = 30;
constexpr std::size_t kMaxValue = 1024;

std::string lower(std::string_view s) {
    std::string r(s);
    for (auto& c : r)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return r;
}

// imap_id_send words: `key value` pairs, values may be "quoted"; "*" means
// Loft's own value for that key.
std::vector<std::string> words(std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size() && out.size() < 2 * kMaxPairs) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
            ++i;
        if (i >= text.size())
            break;
        std::string w;
        if (text[i] == '"') {
            ++i;
            while (i < text.size() && text[i] != '"') {
                if (text[i] == '\\' && i + 1 < text.size())
                    ++i;
                w += text[i++];
            }
            ++i;
        } else {
            while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
                w += text[i++];
        }
        out.push_back(std::move(w));
    }
    return out;
}

std::optional<std::string> default_value(const std::string& key) {
    static const utsname uts = [] {
        utsname u{};
        uname(&u);
        return u;
    }();
    if (key == "name")
        return std::string("Loft");
    if (key == "os")
        return std::string(uts.sysname);
    if (key == "os-version")
        return std::string(uts.release);
    return std::nullopt;
}

std::string id_response(const std::string& setting) {
    auto w = words(setting);
    std::string pairs;
    for (std::size_t i = 0; i + 1 < w.size(); i += 2) {
        std::string key = lower(w[i]);
        std::optional<std::string> value = w[i + 1];
        if (*value == "*")
            value = default_value(key);
        if (!value)
            continue;
        if (!pairs.empty())
            pairs += ' ';
        write_string(pairs, w[i]);
        pairs += ' ';
        write_string(pairs, *value);
    }
    return pairs.empty() ? "ID NIL" : "ID (" + pairs + ")";
}

// Whether `key` is one imap_id_log asks for ("*": all).
bool wanted(const std::vector<std::string>& log_keys, const std::string& key) {
    for (const auto& k : log_keys)
        if (k == "*" || lower(k) == key)
            return true;
    return false;
}

} // namespace

std::unique_ptr<CommandRun> cmd_id(Context& ctx, const Command& cmd) {
    if (!cmd.args.empty() && cmd.args[0].type == Arg::Type::list) {
        const auto& items = cmd.args[0].children;
        if (items.size() > 2 * kMaxPairs) {
            ctx.finish_bad("Error in IMAP command ID: Too many parameters.");
            return nullptr;
        }
        const auto log_keys = words(ctx.settings().id_log);
        std::string logged;
        for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
            const Arg& k = items[i];
            const Arg& v = items[i + 1];
            if (!k.is_string() || k.text.size() > kMaxKey || v.text.size() > kMaxValue ||
                !(v.is_string() || v.type == Arg::Type::nil)) {
                ctx.finish_bad("Error in IMAP command ID: Invalid parameters.");
                return nullptr;
            }
            std::string key = lower(k.text);
            if (!log_keys.empty() && wanted(log_keys, key)) {
                if (!logged.empty())
                    logged += ", ";
                logged += key + "=" + (v.type == Arg::Type::nil ? "NIL" : v.text);
            }
        }
        if (!logged.empty())
            ctx.log().info("ID sent: " + logged);
    }
    ctx.untagged(id_response(ctx.settings().id_send));
    ctx.finish_ok("", "ID completed.");
    return nullptr;
}

} // namespace imapproto::detail
