// loft-authd's sockets as a backend (-a): auth test goes through the
// auth-client protocol (as Postfix and the login processes do), user and
// auth lookup through the master protocol of auth-userdb (as LMTP does).
#include "backend.hpp"

#include <auth_client.hpp>

#include <iostream>
#include <sys/stat.h>

namespace loftadm {

namespace auth = mailstore::auth;

namespace {

auth::FieldList to_field_list(const loft::AuthFields& fields) {
    auth::FieldList out;
    for (const auto& [key, value] : fields) {
        out.set(key, value);
    }
    return out;
}

class SocketBackend final : public Backend {
public:
    SocketBackend(std::string client_socket, std::string userdb_socket)
        : client_socket_(std::move(client_socket)), userdb_socket_(std::move(userdb_socket)) {}

    auth::AuthReply verify_plain(std::string_view user, std::string_view password,
                                 const auth::ClientInfo& client) override {
        auth::AuthReply reply;
        reply.kind = auth::AuthReply::Kind::temporary_failure;
        auto conn = loft::AuthClient::connect(client_socket_, false);
        if (!conn) {
            std::cerr << "Error: " << conn.status().message() << "\n";
            return reply;
        }
        loft::AuthClientParams params;
        params.service = client.service;
        params.local_ip = client.local_ip;
        params.remote_ip = client.remote_ip;
        params.local_port = client.local_port;
        params.remote_port = client.remote_port;
        params.secured = client.secured;
        params.no_penalty = client.no_penalty;
        params.session = client.session_id;
        auto result = conn->auth_plain(user, password, params);
        if (!result) {
            std::cerr << "Error: " << result.status().message() << "\n";
            return reply;
        }
        switch (result->kind) {
        case loft::AuthResult::Kind::ok:
            reply.kind = auth::AuthReply::Kind::success;
            break;
        case loft::AuthResult::Kind::fail:
            reply.kind = auth::AuthReply::Kind::failure;
            break;
        case loft::AuthResult::Kind::temp_fail:
            reply.kind = auth::AuthReply::Kind::temporary_failure;
            break;
        }
        reply.user = result->user;
        reply.reason = result->reason;
        reply.passdb_fields = to_field_list(result->fields);
        return reply;
    }

    auth::LookupResult lookup_pass(std::string_view user, const auth::ClientInfo& client) override {
        return lookup(true, user, client);
    }
    auth::LookupResult lookup_user(std::string_view user, const auth::ClientInfo& client) override {
        return lookup(false, user, client);
    }

    mailstore::Status iterate_users(const std::function<bool(std::string_view)>& each) override {
        auto conn = loft::AuthClient::connect(userdb_socket_, true);
        if (!conn) {
            return conn.status();
        }
        return conn->list_users("*", each);
    }

private:
    auth::LookupResult lookup(bool passdb, std::string_view user, const auth::ClientInfo& client) {
        auth::LookupResult out;
        out.kind = auth::LookupResult::Kind::temporary_failure;
        auto conn = loft::AuthClient::connect(userdb_socket_, true);
        if (!conn) {
            out.error = conn.status().message();
            return out;
        }
        auto reply = passdb ? conn->lookup_pass(user, client.service) : conn->lookup_user(user, client.service);
        if (!reply) {
            out.error = reply.status().message();
            return out;
        }
        switch (reply->kind) {
        case loft::LookupReply::Kind::found:
            out.kind = auth::LookupResult::Kind::found;
            break;
        case loft::LookupReply::Kind::not_found:
            out.kind = auth::LookupResult::Kind::not_found;
            break;
        case loft::LookupReply::Kind::fail:
            out.error = reply->reason.empty() ? "loft-authd reported a failure" : reply->reason;
            break;
        }
        out.user = reply->user;
        out.fields = to_field_list(reply->fields);
        return out;
    }

    std::string client_socket_;
    std::string userdb_socket_;
};

} // namespace

mailstore::Result<std::unique_ptr<Backend>> make_socket_backend(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return mailstore::Status::not_found("-a " + path + ": no such socket or directory");
    }
    if (S_ISDIR(st.st_mode)) {
        return std::unique_ptr<Backend>(std::make_unique<SocketBackend>(path + "/auth-client", path + "/auth-userdb"));
    }
    return std::unique_ptr<Backend>(std::make_unique<SocketBackend>(path, path));
}

} // namespace loftadm
