#include "user_lookup.hpp"

#include <auth_client.hpp>
#include <login_backends.hpp>

#include <mailstore/log.hpp>

#include <chrono>
#include <sys/stat.h>

namespace lda {

namespace auth = mailstore::auth;

namespace {

// A userdb lookup answers in milliseconds; a loft-authd that stalls for
// this long is treated as down (exit 75: the MTA retries later).
constexpr std::chrono::seconds kSocketTimeout{30};

// Whether the config itself names the auth-userdb listener (then a missing
// socket means loft-authd is down, not absent).
bool config_declares_userdb_socket(const mailstore::config::Config& config) {
    for (const auto& service : config.sections("service")) {
        if (service.name() != "auth")
            continue;
        for (const auto& listener : service.children("unix_listener")) {
            std::string_view name = listener.name();
            auto slash = name.rfind('/');
            if (slash != std::string_view::npos)
                name.remove_prefix(slash + 1);
            if (name == "auth-userdb")
                return true;
        }
    }
    return false;
}

auth::LookupResult temporary(std::string error) {
    auth::LookupResult out;
    out.kind = auth::LookupResult::Kind::temporary_failure;
    out.error = std::move(error);
    return out;
}

auth::LookupResult lookup_through_socket(const std::string& path, std::string_view user) {
    auto client = loft::AuthClient::connect(path, true, kSocketTimeout);
    if (!client)
        return temporary(client.status().message());
    auto reply = client->lookup_user(user, "lda");
    if (!reply)
        return temporary(reply.status().message());
    auth::LookupResult out;
    switch (reply->kind) {
    case loft::LookupReply::Kind::found:
        out.kind = auth::LookupResult::Kind::found;
        out.user = reply->user.empty() ? std::string(user) : reply->user;
        for (const auto& field : reply->fields)
            out.fields.set(field.first, field.second);
        break;
    case loft::LookupReply::Kind::not_found:
        out.kind = auth::LookupResult::Kind::not_found;
        break;
    case loft::LookupReply::Kind::fail:
        return temporary(reply->reason.empty() ? "userdb lookup failed" : reply->reason);
    }
    return out;
}

} // namespace

auth::LookupResult lookup_user(const mailstore::config::Config& config, std::string_view user) {
    // auth_socket_path (Dovecot's setting for the LDA's userdb socket,
    // relative to base_dir) when the config sets it, else the auth
    // service's auth-userdb listener.
    std::string socket;
    bool mandatory = false;
    if (config.is_set("auth_socket_path")) {
        socket = config.get("auth_socket_path");
        if (!socket.empty() && socket.front() != '/')
            socket = config.get("base_dir") + "/" + socket;
        mandatory = !socket.empty();
    } else {
        socket = loft::auth_sockets(config).userdb;
        mandatory = !socket.empty() && config_declares_userdb_socket(config);
    }
    struct stat st {};
    bool exists = !socket.empty() && ::stat(socket.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
    if (exists || mandatory)
        return lookup_through_socket(socket, user);

    auto authenticator = auth::Authenticator::create(config, mailstore::log::Logger("auth"));
    if (!authenticator)
        return temporary(authenticator.status().message());
    auth::ClientInfo client;
    client.service = "lda";
    auto result = authenticator->lookup_user(user, client);
    if (result.kind == auth::LookupResult::Kind::found && result.user.empty())
        result.user = std::string(user);
    return result;
}

} // namespace lda
