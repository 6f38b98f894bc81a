// Override blocks: which `protocol`, `local`, `remote` and `local_name` blocks
// apply to a connection, and which of several matching ones wins.
#include "config/config_data.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <cstring>
#include <string>

namespace mailstore::config {

std::optional<Network> parse_network(std::string_view text) {
    std::string addr(text);
    int bits = -1;
    auto slash = addr.find('/');
    if (slash != std::string::npos) {
        std::string_view b = std::string_view(addr).substr(slash + 1);
        if (b.empty() || b.size() > 3) {
            return std::nullopt;
        }
        bits = 0;
        for (char c : b) {
            if (!std::isdigit(static_cast<unsigned char>(c))) {
                return std::nullopt;
            }
            bits = bits * 10 + (c - '0');
        }
        addr.resize(slash);
    }
    if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') {
        addr = addr.substr(1, addr.size() - 2);
    }
    Network net;
    in_addr v4{};
    in6_addr v6{};
    if (::inet_pton(AF_INET, addr.c_str(), &v4) == 1) {
        if (bits > 32) {
            return std::nullopt;
        }
        net.bytes[10] = 0xff;
        net.bytes[11] = 0xff;
        std::memcpy(net.bytes + 12, &v4, 4);
        net.bits = 96 + (bits < 0 ? 32 : bits);
    } else if (::inet_pton(AF_INET6, addr.c_str(), &v6) == 1) {
        if (bits > 128) {
            return std::nullopt;
        }
        std::memcpy(net.bytes, &v6, 16);
        net.bits = bits < 0 ? 128 : bits;
    } else {
        return std::nullopt;
    }
    return net;
}

bool Network::matches(const Network& address) const {
    int remaining = bits;
    for (int i = 0; i < 16 && remaining > 0; ++i, remaining -= 8) {
        unsigned char mask = remaining >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - remaining));
        if ((bytes[i] & mask) != (address.bytes[i] & mask)) {
            return false;
        }
    }
    return true;
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

bool address_in(const std::optional<Network>& net, const std::string& ip) {
    if (!net) {
        return true;
    }
    if (ip.empty()) {
        return false;
    }
    auto addr = parse_network(ip);
    return addr && net->matches(*addr);
}

void walk(ConfigData& data, const SectionData& section, Filter current, std::size_t& order) {
    for (const auto& child : section.children) {
        if (child->type == "protocol") {
            Filter f = current;
            f.protocol = child->name;
            f.section = child.get();
            f.order = order++;
            data.filters.push_back(f);
            walk(data, *child, f, order);
        } else if (child->type == "local" || child->type == "remote") {
            Filter f = current;
            (child->type == "local" ? f.local : f.remote) = parse_network(child->name);
            f.section = child.get();
            f.order = order++;
            data.filters.push_back(f);
            walk(data, *child, f, order);
        } else if (child->type == "local_name") {
            Filter f = current;
            f.local_name = child->name;
            f.section = child.get();
            f.order = order++;
            data.filters.push_back(f);
            walk(data, *child, f, order);
        }
    }
}

} // namespace

bool local_name_matches(std::string_view pattern, std::string_view name) {
    if (pattern.size() > 2 && pattern.substr(0, 2) == "*.") {
        std::string_view suffix = pattern.substr(1); // ".example.com"
        return name.size() > suffix.size() &&
               iequals(name.substr(name.size() - suffix.size()), suffix);
    }
    return iequals(pattern, name);
}

bool Filter::matches(const LookupContext& ctx) const {
    if (protocol) {
        // A protocol block applies only to a lookup for a protocol; a lookup
        // without one (loftd, loftconf without -f) sees the global value, as
        // in Dovecot. `protocol !name { }` (Dovecot's 10-mail.conf uses it)
        // applies to every protocol but that one.
        if (ctx.protocol.empty()) {
            return false;
        }
        bool negated = !protocol->empty() && protocol->front() == '!';
        bool same = std::string_view(*protocol).substr(negated ? 1 : 0) == ctx.protocol;
        if (same == negated) {
            return false;
        }
    }
    if (local_name && (ctx.local_name.empty() || !local_name_matches(*local_name, ctx.local_name))) {
        return false;
    }
    return address_in(local, ctx.local_ip) && address_in(remote, ctx.remote_ip);
}

// Dovecot's order of precedence: a remote network beats a local one, which
// beats a local_name, which beats a protocol; within a kind a longer prefix
// (or an exact name over a wildcard) is more specific.
int compare_specificity(const Filter& a, const Filter& b) {
    auto net_rank = [](const std::optional<Network>& n) { return n ? n->bits + 1 : 0; };
    auto name_rank = [](const std::optional<std::string>& n) {
        if (!n) {
            return 0;
        }
        return n->rfind("*.", 0) == 0 ? 1 : 2;
    };
    int ranks_a[] = {net_rank(a.remote), net_rank(a.local), name_rank(a.local_name),
                     a.protocol ? 1 : 0};
    int ranks_b[] = {net_rank(b.remote), net_rank(b.local), name_rank(b.local_name),
                     b.protocol ? 1 : 0};
    for (int i = 0; i < 4; ++i) {
        if (ranks_a[i] != ranks_b[i]) {
            return ranks_a[i] < ranks_b[i] ? -1 : 1;
        }
    }
    return 0;
}

void collect_filters(ConfigData& data) {
    data.filters.clear();
    std::size_t order = 0;
    walk(data, *data.root, Filter{}, order);
}

} // namespace mailstore::config
