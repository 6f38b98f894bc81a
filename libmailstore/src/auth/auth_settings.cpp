#include "auth/auth_settings.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <optional>

namespace mailstore::auth {
namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string where(const config::Config& config, std::string_view name) {
    auto loc = config.location_of(name);
    return loc ? loc->to_string() + ": " : std::string();
}

// An address as 16 bytes (IPv4 mapped into ::ffff:0:0/96) so one prefix
// compare serves both families.
struct Address {
    std::array<unsigned char, 16> bytes{};
    bool v4 = false;
};

std::optional<Address> parse_address(std::string_view text) {
    if (text.empty() || text.size() > 64)
        return std::nullopt;
    std::string s(text);
    // "[::1]" as some clients write it.
    if (s.size() > 2 && s.front() == '[' && s.back() == ']')
        s = s.substr(1, s.size() - 2);
    Address a;
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        a.v4 = true;
        a.bytes[10] = a.bytes[11] = 0xff;
        std::memcpy(a.bytes.data() + 12, &v4, 4);
        return a;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
        std::memcpy(a.bytes.data(), &v6, 16);
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        a.v4 = std::memcmp(a.bytes.data(), mapped, 12) == 0;
        return a;
    }
    return std::nullopt;
}

struct Network {
    Address base;
    unsigned bits = 128;
};

std::optional<Network> parse_net(std::string_view text) {
    auto slash = text.find('/');
    auto addr = parse_address(text.substr(0, slash));
    if (!addr)
        return std::nullopt;
    Network n{*addr, 128};
    if (slash != std::string_view::npos) {
        auto b = text.substr(slash + 1);
        if (b.empty() || b.size() > 3 || !std::all_of(b.begin(), b.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        unsigned v = static_cast<unsigned>(std::stoul(std::string(b)));
        unsigned max = addr->v4 ? 32 : 128;
        if (v > max)
            return std::nullopt;
        n.bits = addr->v4 ? v + 96 : v;
    }
    return n;
}

bool in_net(const Address& a, const Network& n) {
    for (unsigned i = 0; i < n.bits; ++i) {
        unsigned byte = i / 8, bit = 7 - (i % 8);
        if (((a.bytes[byte] >> bit) & 1) != ((n.base.bytes[byte] >> bit) & 1))
            return false;
    }
    return true;
}

} // namespace

bool valid_network(std::string_view network) { return network == "local" || parse_net(network).has_value(); }

bool ip_in_networks(std::string_view ip, const std::vector<std::string>& networks) {
    if (ip.empty())
        return std::find(networks.begin(), networks.end(), "local") != networks.end();
    auto addr = parse_address(ip);
    if (!addr)
        return false;
    for (const auto& text : networks) {
        auto net = parse_net(text);
        if (net && in_net(*addr, *net))
            return true;
    }
    return false;
}

bool is_loopback(std::string_view ip) { return ip_in_networks(ip, {"127.0.0.0/8", "::1"}); }

Result<AuthSettings> read_auth_settings(const config::Config& config) {
    AuthSettings s;
    s.mechanisms.clear();
    for (const auto& m : config.get_list("auth_mechanisms"))
        s.mechanisms.push_back(upper(m));
    s.username_format = config.get("auth_username_format");
    s.username_chars = config.get("auth_username_chars");
    s.default_realm = config.get("auth_default_realm");
    s.realms = config.get_list("auth_realms");
    s.master_user_separator = config.get("auth_master_user_separator");
    if (s.master_user_separator.size() > 1)
        return Status::invalid(where(config, "auth_master_user_separator") +
                               "auth_master_user_separator: must be a single character, not \"" +
                               s.master_user_separator + "\"");
    s.anonymous_username = config.get("auth_anonymous_username");
    s.hostname = config.get("hostname");
    if (s.hostname.empty()) {
        char host[256] = {};
        if (gethostname(host, sizeof host - 1) == 0)
            s.hostname = host;
    }
    s.failure_delay = config.get_time("auth_failure_delay");
    s.cache_size = config.get_size("auth_cache_size");
    s.cache_ttl = config.get_time("auth_cache_ttl");
    s.cache_negative_ttl = config.get_time("auth_cache_negative_ttl");
    s.verbose = config.get_bool("auth_verbose");
    s.debug = config.get_bool("auth_debug");
    s.debug_passwords = config.get_bool("auth_debug_passwords");
    s.verbose_passwords = config.get("auth_verbose_passwords");
    if (s.verbose_passwords == "yes")
        s.verbose_passwords = "plain";
    // Dovecot 2.4 renamed disable_plaintext_auth to auth_allow_cleartext
    // (with the opposite sense). The new name wins when the file sets it.
    if (config.is_set("auth_allow_cleartext"))
        s.plaintext_only_secured = !config.get_bool("auth_allow_cleartext");
    else
        s.plaintext_only_secured = config.get_bool("disable_plaintext_auth");
    s.trusted_networks = config.get_list("login_trusted_networks");
    for (const auto& n : s.trusted_networks)
        if (n == "local" || !valid_network(n))
            return Status::invalid(where(config, "login_trusted_networks") +
                                   "login_trusted_networks: not an IP address or network: " + n);
    return s;
}

} // namespace mailstore::auth
