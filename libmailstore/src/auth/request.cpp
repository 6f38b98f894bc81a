// %variables of an auth request and the driver log prefix. Dovecot 2.3
// splits %n/%d at the FIRST '@' (checked with Dovecot 2.3.19: user
// "a@b@example.org" has %d = "b@example.org"), and so does Loft.
#include "auth/request.hpp"

#include <mailstore/var_expand.hpp>

#include <array>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace mailstore::auth {
namespace {

std::string_view user_part(std::string_view user) {
    auto at = user.find('@');
    return at == std::string_view::npos ? user : user.substr(0, at);
}

std::string_view domain_part(std::string_view user) {
    auto at = user.find('@');
    return at == std::string_view::npos ? std::string_view() : user.substr(at + 1);
}

std::string host_name() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0)
        return {};
    return buf;
}

std::string port_string(unsigned port) { return port == 0 ? std::string() : std::to_string(port); }

// "%{passdb:NAME}" / "%{passdb:NAME:default}": the default when absent.
std::optional<std::string> field_value(const FieldList& fields, std::string_view rest) {
    std::string_view name = rest, fallback;
    auto colon = rest.find(':');
    if (colon != std::string_view::npos) {
        name = rest.substr(0, colon);
        fallback = rest.substr(colon + 1);
    }
    return fields.get_or(name, fallback);
}

} // namespace

Result<std::string> AuthRequest::expand(std::string_view text,
                                        const std::function<std::string(std::string_view)>& escape,
                                        bool escape_all) const {
    const std::string rport = port_string(client.remote_port), lport = port_string(client.local_port);
    // gethostname() is a system call: only for templates that ask for it.
    const std::string host = text.find("hostname") != std::string_view::npos ? host_name() : std::string();
    const std::string_view auth_user = master_user.empty() ? std::string_view(user) : std::string_view(master_user);
    const std::string_view secured = client.secured ? "secured" : "";
    const std::array<ExpandVariable, 34> table{{
        {'u', "user", user},
        {'n', "username", user_part(user)},
        {'d', "domain", domain_part(user)},
        {'s', "service", client.service},
        {'r', "rip", client.remote_ip},
        {'l', "lip", client.local_ip},
        {'h', "home", home},
        {'p', "pid", ""},
        {'w', "password", password},
        {'m', "mech", mechanism},
        {'c', "secured", secured},
        {'a', "lport", lport},
        {'b', "rport", rport},
        {'\0', "session", client.session_id},
        {'\0', "orig_user", original_user},
        {'\0', "orig_username", user_part(original_user)},
        {'\0', "orig_domain", domain_part(original_user)},
        {'\0', "master_user", master_user},
        {'\0', "auth_user", auth_user},
        {'\0', "auth_username", user_part(auth_user)},
        {'\0', "auth_domain", domain_part(auth_user)},
        {'\0', "hostname", host},
        {'\0', "real_rip", client.remote_ip},
        {'\0', "real_lip", client.local_ip},
        {'\0', "real_rport", rport},
        {'\0', "real_lport", lport},
        {'\0', "cert", client.cert_username.empty() ? "" : "valid"},
        {'\0', "login_user", master_user.empty() ? "" : std::string_view(user)},
        {'\0', "login_username", master_user.empty() ? "" : user_part(user)},
        {'\0', "login_domain", master_user.empty() ? "" : domain_part(user)},
        {'\0', "protocol", client.service},
        {'\0', "local_name", ""},
        {'\0', "client_id", ""},
        {'\0', "mechanism", mechanism},
    }};
    ExpandOptions options;
    options.escape = escape;
    options.escape_all = escape_all;
    options.resolve = [this](std::string_view name) -> std::optional<std::string> {
        if (name.starts_with("passdb:"))
            return field_value(passdb_fields, name.substr(7));
        if (name.starts_with("userdb:"))
            return field_value(userdb_fields, name.substr(7));
        if (name.starts_with("env:")) {
            const char* v = std::getenv(std::string(name.substr(4)).c_str());
            return std::string(v ? v : "");
        }
        return std::nullopt;
    };
    return expand_variables(text, table, options);
}

std::string driver_log_prefix(std::string_view driver, const AuthRequest& request) {
    // Dovecot 2.3: "passwd-file(alice,192.0.2.1,<sess>)"; parts that are
    // unknown are left out. fail2ban's dovecot filter matches this shape.
    std::string out(driver);
    out += '(';
    out += request.user;
    if (!request.client.remote_ip.empty())
        out += "," + request.client.remote_ip;
    if (!request.master_user.empty())
        out += ",master=" + request.master_user;
    if (!request.client.session_id.empty())
        out += ",<" + request.client.session_id + ">";
    out += ')';
    return out;
}

} // namespace mailstore::auth
