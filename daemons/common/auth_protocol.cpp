#include "auth_protocol.hpp"

namespace loft::authproto {

std::string tab_escape(std::string_view field) {
    std::string out;
    out.reserve(field.size());
    for (char c : field) {
        switch (c) {
        case '\001': out += "\0011"; break;
        case '\t': out += "\001t"; break;
        case '\r': out += "\001r"; break;
        case '\n': out += "\001n"; break;
        default: out += c;
        }
    }
    return out;
}

std::optional<std::string> tab_unescape(std::string_view field) {
    std::string out;
    out.reserve(field.size());
    for (std::size_t i = 0; i < field.size(); ++i) {
        char c = field[i];
        if (c != '\001') {
            out += c;
            continue;
        }
        if (++i == field.size())
            return std::nullopt;
        switch (field[i]) {
        case '1': out += '\001'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'n': out += '\n'; break;
        default: return std::nullopt;
        }
    }
    return out;
}

std::optional<std::vector<std::string_view>> split_fields(std::string_view line, std::size_t max_fields) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        if (out.size() >= max_fields)
            return std::nullopt;
        std::size_t tab = line.find('\t', start);
        if (tab == std::string_view::npos) {
            out.push_back(line.substr(start));
            return out;
        }
        out.push_back(line.substr(start, tab - start));
        start = tab + 1;
    }
}

std::string join_fields(const std::vector<std::string>& fields) {
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i)
            out += '\t';
        out += tab_escape(fields[i]);
    }
    return out;
}

std::optional<std::uint32_t> parse_uint(std::string_view text) {
    if (text.empty() || text.size() > 10)
        return std::nullopt;
    std::uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > 0xffffffffULL)
        return std::nullopt;
    return static_cast<std::uint32_t>(v);
}

std::optional<std::uint32_t> parse_id(std::string_view text) {
    if (text.empty() || text[0] == '0')
        return std::nullopt;
    return parse_uint(text);
}

std::optional<std::vector<Param>> parse_params(const std::vector<std::string_view>& fields, std::size_t first) {
    std::vector<Param> out;
    for (std::size_t i = first; i < fields.size(); ++i) {
        std::string_view f = fields[i];
        if (f.empty())
            continue; // Dovecot itself sends empty trailing fields
        Param p;
        std::size_t eq = f.find('=');
        auto key = tab_unescape(f.substr(0, eq));
        if (!key)
            return std::nullopt;
        p.key = std::move(*key);
        if (eq != std::string_view::npos) {
            auto value = tab_unescape(f.substr(eq + 1));
            if (!value)
                return std::nullopt;
            p.value = std::move(*value);
            p.has_value = true;
        }
        out.push_back(std::move(p));
    }
    return out;
}

std::optional<VersionLine> parse_version(const std::vector<std::string_view>& fields) {
    if (fields.size() < 3 || fields[0] != "VERSION")
        return std::nullopt;
    auto major = parse_uint(fields[1]);
    auto minor = parse_uint(fields[2]);
    if (!major || !minor)
        return std::nullopt;
    return VersionLine{*major, *minor};
}

std::optional<AuthCommand> parse_auth(const std::vector<std::string_view>& fields, ParseError& error) {
    if (fields.size() < 3 || fields[0] != "AUTH") {
        error.message = "broken AUTH request";
        return std::nullopt;
    }
    AuthCommand cmd;
    auto id = parse_id(fields[1]);
    if (!id) {
        error.message = "broken AUTH request (bad id)";
        return std::nullopt;
    }
    cmd.id = *id;
    if (fields[2].empty() || fields[2].size() > 64) {
        error.message = "broken AUTH request (bad mechanism)";
        return std::nullopt;
    }
    for (char c : fields[2])
        cmd.mechanism += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    auto params = parse_params(fields, 3);
    if (!params) {
        error.message = "broken AUTH request (bad escape)";
        return std::nullopt;
    }
    for (auto& p : *params) {
        auto port = [&](std::uint32_t& out) {
            auto v = parse_uint(p.value);
            if (!v || *v > 65535)
                return false;
            out = *v;
            return true;
        };
        if (p.key == "service" && p.has_value) {
            cmd.service = p.value;
        } else if (p.key == "lip" && p.has_value) {
            cmd.local_ip = p.value;
        } else if (p.key == "rip" && p.has_value) {
            cmd.remote_ip = p.value;
        } else if (p.key == "lport" && p.has_value) {
            if (!port(cmd.local_port)) {
                error.message = "broken AUTH request (bad lport)";
                return std::nullopt;
            }
        } else if (p.key == "rport" && p.has_value) {
            if (!port(cmd.remote_port)) {
                error.message = "broken AUTH request (bad rport)";
                return std::nullopt;
            }
        } else if (p.key == "secured") {
            cmd.secured = true;
        } else if (p.key == "valid-client-cert") {
            cmd.valid_client_cert = true;
        } else if (p.key == "no-penalty" || p.key == "nopenalty") {
            cmd.no_penalty = true;
        } else if (p.key == "nologin") {
            cmd.nologin = true;
        } else if (p.key == "session" && p.has_value) {
            cmd.session = p.value;
        } else if (p.key == "cert_username" && p.has_value) {
            cmd.cert_username = p.value;
        } else if (p.key == "channel_binding_type" && p.has_value) {
            cmd.channel_binding_type = p.value;
        } else if (p.key == "channel_binding" && p.has_value) {
            cmd.channel_binding = p.value;
        } else if (p.key == "resp") {
            // Everything after resp= is the initial response (Dovecot wants
            // it last; a later parameter is still read).
            cmd.has_initial_response = true;
            cmd.initial_response = p.value;
        } else {
            cmd.extra.push_back(std::move(p));
        }
    }
    if (cmd.service.empty()) {
        error.message = "AUTH request without service";
        return std::nullopt;
    }
    return cmd;
}

std::optional<ContCommand> parse_cont(const std::vector<std::string_view>& fields, ParseError& error) {
    if (fields.size() < 2 || fields[0] != "CONT") {
        error.message = "broken CONT request";
        return std::nullopt;
    }
    auto id = parse_id(fields[1]);
    if (!id) {
        error.message = "broken CONT request (bad id)";
        return std::nullopt;
    }
    ContCommand cmd;
    cmd.id = *id;
    if (fields.size() >= 3)
        cmd.data = std::string(fields[2]);
    return cmd;
}

std::string mech_line(std::string_view name, const MechFlags& flags) {
    std::string line = "MECH\t" + tab_escape(name);
    // Dovecot's order of the flag names.
    if (flags.anonymous)
        line += "\tanonymous";
    if (flags.plaintext)
        line += "\tplaintext";
    if (flags.dictionary)
        line += "\tdictionary";
    if (flags.active)
        line += "\tactive";
    if (flags.forward_secrecy)
        line += "\tforward-secrecy";
    if (flags.mutual_auth)
        line += "\tmutual-auth";
    if (flags.private_)
        line += "\tprivate";
    return line;
}

std::string format_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i)
            out += '\t';
        out += tab_escape(fields[i].first);
        if (!fields[i].second.empty()) {
            out += '=';
            out += tab_escape(fields[i].second);
        }
    }
    return out;
}

std::string ok_line(std::uint32_t id, std::string_view user,
                    const std::vector<std::pair<std::string, std::string>>& fields) {
    return "OK\t" + std::to_string(id) + "\tuser=" + tab_escape(user) + "\t" + format_fields(fields);
}

std::string cont_line(std::uint32_t id, std::string_view base64) {
    return "CONT\t" + std::to_string(id) + "\t" + std::string(base64);
}

namespace {

// The FAIL line's own keys: a passdb field of the same name would change
// what the reply means to the client.
bool reserved_fail_key(std::string_view key) {
    return key == "user" || key == "code" || key == "reason" || key == "temp";
}

} // namespace

std::string fail_line(std::uint32_t id, const FailInfo& info, bool* fields_dropped) {
    std::string line = "FAIL\t" + std::to_string(id);
    if (!info.user.empty())
        line += "\tuser=" + tab_escape(info.user);
    if (!info.code.empty())
        line += "\tcode=" + tab_escape(info.code);
    std::string tail;
    if (!info.reason.empty())
        tail += "\treason=" + tab_escape(info.reason);
    if (info.temp)
        tail += "\ttemp";

    std::vector<std::pair<std::string, std::string>> sent;
    for (const auto& [key, value] : info.fields)
        if (!key.empty() && key.find('=') == std::string::npos && !reserved_fail_key(key))
            sent.emplace_back(key, value);
    if (!sent.empty()) {
        std::string extra = "\t" + format_fields(sent);
        if (sent.size() <= kMaxFailFields && line.size() + extra.size() + tail.size() <= kMaxLineLength)
            line += extra;
        else if (fields_dropped)
            *fields_dropped = true;
    }
    return line + tail;
}

std::optional<MasterCommand> parse_master(const std::vector<std::string_view>& fields, ParseError& error) {
    MasterCommand cmd;
    std::size_t first_param;
    if (fields.empty()) {
        error.message = "empty request";
        return std::nullopt;
    }
    if (fields[0] == "USER" || fields[0] == "PASS") {
        cmd.kind = fields[0] == "USER" ? MasterCommand::Kind::user : MasterCommand::Kind::pass;
        if (fields.size() < 3) {
            error.message = "broken " + std::string(fields[0]) + " request";
            return std::nullopt;
        }
        auto user = tab_unescape(fields[2]);
        if (!user || user->empty()) {
            error.message = "broken " + std::string(fields[0]) + " request (bad user)";
            return std::nullopt;
        }
        cmd.user = std::move(*user);
        first_param = 3;
    } else if (fields[0] == "LIST") {
        cmd.kind = MasterCommand::Kind::list;
        if (fields.size() < 2) {
            error.message = "broken LIST request";
            return std::nullopt;
        }
        first_param = 2;
    } else {
        error.message = "unknown command";
        return std::nullopt;
    }
    auto id = parse_id(fields[1]);
    if (!id) {
        error.message = "broken " + std::string(fields[0]) + " request (bad id)";
        return std::nullopt;
    }
    cmd.id = *id;
    auto params = parse_params(fields, first_param);
    if (!params) {
        error.message = "broken " + std::string(fields[0]) + " request (bad escape)";
        return std::nullopt;
    }
    cmd.params = std::move(*params);
    for (const auto& p : cmd.params) {
        if (p.key == "service")
            cmd.service = p.value;
        else if (p.key == "user" && cmd.kind == MasterCommand::Kind::list)
            cmd.user_mask = p.value;
    }
    if (cmd.kind != MasterCommand::Kind::list && cmd.service.empty()) {
        error.message = std::string(fields[0]) + " request without service";
        return std::nullopt;
    }
    return cmd;
}

bool mask_matches(std::string_view mask, std::string_view user) {
    // Iterative wildcard match with one backtrack point: linear in
    // practice, O(mask*user) at worst, no recursion.
    std::size_t m = 0, u = 0;
    std::size_t star = std::string_view::npos, star_u = 0;
    while (u < user.size()) {
        // '*' first: a literal '*' in the name must not use up the wildcard.
        if (m < mask.size() && mask[m] == '*') {
            star = m++;
            star_u = u;
        } else if (m < mask.size() && (mask[m] == '?' || mask[m] == user[u])) {
            ++m;
            ++u;
        } else if (star != std::string_view::npos) {
            m = star + 1;
            u = ++star_u;
        } else {
            return false;
        }
    }
    while (m < mask.size() && mask[m] == '*')
        ++m;
    return m == mask.size();
}

std::optional<Reply> parse_reply(std::string_view line) {
    auto fields = split_fields(line, kMaxFields * 4);
    if (!fields || fields->empty() || (*fields)[0].empty())
        return std::nullopt;
    Reply r;
    r.command = std::string((*fields)[0]);
    std::size_t first = 1;
    if (fields->size() > 1) {
        if (auto id = parse_id((*fields)[1]); id && r.command != "VERSION" && r.command != "SPID" &&
                                              r.command != "CUID" && r.command != "CPID") {
            r.id = id;
            first = 2;
        }
    }
    for (std::size_t i = first; i < fields->size(); ++i) {
        auto v = tab_unescape((*fields)[i]);
        if (!v)
            return std::nullopt;
        r.args.push_back(std::move(*v));
    }
    return r;
}

} // namespace loft::authproto
