#include "banner.hpp"

#include <loft_build_config.hpp>

#include <fmt/format.h>

#include <map>

namespace loftd {

std::string format_socket(const loft::BoundListener& socket) {
    if (socket.spec.kind == loft::ListenerSpec::Kind::unix_socket)
        return socket.address;
    if (socket.address.find(':') != std::string::npos)
        return fmt::format("[{}]:{}", socket.address, socket.spec.port);
    return fmt::format("{}:{}", socket.address, socket.spec.port);
}

namespace {

// The first IPv4 address:port of a served listener named `name`, for hints.
std::string first_endpoint(const BannerInput& in, std::string_view name, bool want_ssl) {
    for (const auto& s : in.served)
        for (const auto& sock : s.sockets)
            if (sock.spec.kind == loft::ListenerSpec::Kind::inet && sock.spec.ssl == want_ssl &&
                (name.empty() || sock.spec.name == name) && sock.address.find(':') == std::string::npos)
                return sock.address + " " + std::to_string(sock.spec.port);
    return {};
}

} // namespace

std::string banner_text(const BannerInput& in) {
    std::string out;
    if (in.builtin)
        out += fmt::format("Loft {} is running on its built-in default (data in {})\n", LOFT_VERSION,
                           in.builtin->options.var_dir);
    else
        out += fmt::format("Loft {} is running (config {})\n", LOFT_VERSION, in.config_description);

    size_t served_protocols = 0;
    for (const auto& p : in.protocols) {
        if (!p.served) {
            out += fmt::format("  {:<6} {}\n", p.protocol + ":", p.note);
            continue;
        }
        ++served_protocols;
        for (const auto& s : in.served) {
            if (s.plan->protocol != p.protocol)
                continue;
            // One line per listener: "imap-login/imaps (TLS) 127.0.0.1:10993 [::1]:10993".
            std::map<std::string, std::vector<const loft::BoundListener*>> by_name;
            std::vector<std::string> order;
            for (const auto& sock : s.sockets) {
                if (!by_name.count(sock.spec.name))
                    order.push_back(sock.spec.name);
                by_name[sock.spec.name].push_back(&sock);
            }
            for (const auto& name : order) {
                const auto& socks = by_name[name];
                std::string where;
                for (auto* sock : socks)
                    where += (where.empty() ? "" : " ") + format_socket(*sock);
                out += fmt::format("  {:<6} {}{} on {}\n", p.protocol + ":", name,
                                   socks.front()->spec.ssl ? " (TLS)" : "", where);
            }
            std::string who = s.plan->credentials ? " as " + s.plan->credentials->user_name : "";
            out += fmt::format("  {:<6} {} worker{} of {}{}\n", "", s.plan->workers,
                               s.plan->workers == 1 ? "" : "s", s.plan->binary, who);
        }
    }
    if (served_protocols == 0)
        out += "  Nothing is served yet: no protocol daemon is installed. loftd keeps running;\n"
               "  `loftd reload` starts the daemons once they are built.\n";

    if (in.builtin) {
        const auto& b = *in.builtin;
        if (!b.demo_password.empty())
            out += fmt::format("  Demo login: {} / {}{}\n", b.demo_user, b.demo_password,
                               b.users_created ? "   (new; kept in " + b.options.var_dir + "/demo-password)"
                                               : "   (from " + b.options.var_dir + "/demo-password)");
        else
            out += fmt::format("  Demo login: {} (password no longer on file; delete {}/users to make a new one)\n",
                               b.demo_user, b.options.var_dir);
        if (b.mail_credentials)
            out += fmt::format("  Workers run as {} ({})\n", b.mail_credentials->describe(), b.mail_user_reason);
        if (b.cert_created)
            out += fmt::format("  Created a self-signed certificate for localhost in {}/tls\n", b.options.var_dir);
        std::string imaps = first_endpoint(in, "imaps", true);
        std::string imap = first_endpoint(in, "imap", false);
        std::string pop3 = first_endpoint(in, "pop3", false);
        if (!imaps.empty()) {
            auto colon = imaps.find(' ');
            out += fmt::format("  Try:  openssl s_client -connect {}:{} -quiet\n", imaps.substr(0, colon),
                               imaps.substr(colon + 1));
        }
        if (!imap.empty()) {
            auto colon = imap.find(' ');
            out += fmt::format("        python3 -c 'import imaplib; m = imaplib.IMAP4(\"{}\", {}); "
                               "print(m.login(\"{}\", \"{}\")); print(m.select())'\n",
                               imap.substr(0, colon), imap.substr(colon + 1), b.demo_user, b.demo_password);
        }
        if (!pop3.empty()) {
            auto colon = pop3.find(' ');
            out += fmt::format("        python3 -c 'import poplib; p = poplib.POP3(\"{}\", {}); "
                               "p.user(\"{}\"); print(p.pass_(\"{}\")); print(p.stat())'\n",
                               pop3.substr(0, colon), pop3.substr(colon + 1), b.demo_user, b.demo_password);
        }
        if (!b.warning.empty())
            out += "  Warning: " + b.warning + "\n";
    }
    out += fmt::format("  Stop with Ctrl-C or `loftd stop`{}; pid file {}\n",
                       in.builtin ? " (from this directory)" : "", in.pid_file);
    return out;
}

} // namespace loftd
