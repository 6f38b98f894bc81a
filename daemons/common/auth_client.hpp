// A blocking client of loft-authd's (and Dovecot's) auth sockets
// (docs/authd.md): the auth-client protocol for "does this password work"
// and the master/userdb protocol for USER, PASS and LIST. Used by
// `loftadm -a SOCKET` and by daemons that look users up out of process.
//
// Every read and write has a deadline (the timeout given to connect()); a
// server that stalls yields an error, never a hang. Not thread-safe: one
// client per thread.
#pragma once

#include <mailstore/status.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loft {

using AuthFields = std::vector<std::pair<std::string, std::string>>;

// The connection parameters of an AUTH request (what the server's
// ClientInfo is made of).
struct AuthClientParams {
    std::string service = "smtp";
    std::string local_ip, remote_ip;
    unsigned local_port = 0, remote_port = 0;
    bool secured = false;
    bool no_penalty = false;
    std::string session;
};

struct AuthResult {
    enum class Kind { ok, fail, temp_fail };
    Kind kind = Kind::fail;
    std::string user;   // user= of OK (or of FAIL when the server said)
    std::string reason; // reason= of FAIL
    AuthFields fields;  // every other field of the reply, in order
};

struct LookupReply {
    enum class Kind { found, not_found, fail };
    Kind kind = Kind::not_found;
    std::string user;
    AuthFields fields;
    std::string reason; // fail
};

// One step of a SASL exchange whose responses come from elsewhere (a
// protocol server relaying its client's answers): the outcome, or the
// server's next challenge.
struct AuthStep {
    enum class Kind { done, challenge };
    Kind kind = Kind::done;
    AuthResult result;     // done
    std::string challenge; // challenge: the decoded server data
};

class AuthClient {
public:
    AuthClient() = default;
    ~AuthClient();
    AuthClient(const AuthClient&) = delete;
    AuthClient& operator=(const AuthClient&) = delete;
    AuthClient(AuthClient&& other) noexcept;
    AuthClient& operator=(AuthClient&& other) noexcept;

    // Connects to a unix socket and reads the server's handshake. `master`:
    // the socket speaks the master protocol (auth-userdb), else the
    // auth-client protocol. Errors name the socket and what failed.
    static mailstore::Result<AuthClient> connect(const std::string& path, bool master,
                                                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

    // The mechanisms the server announced (auth-client sockets), with their
    // flags ("plaintext", ...).
    const std::vector<std::pair<std::string, std::vector<std::string>>>& mechanisms() const { return mechs_; }

    // AUTH PLAIN with the user and password as the initial response.
    mailstore::Result<AuthResult> auth_plain(std::string_view user, std::string_view password,
                                             const AuthClientParams& params = {});
    // A whole SASL exchange: `respond` gets each decoded challenge and
    // returns the decoded answer. At most 32 round trips.
    mailstore::Result<AuthResult> authenticate(std::string_view mechanism, const AuthClientParams& params,
                                               const std::string* initial_response,
                                               const std::function<std::string(std::string_view)>& respond);

    // The same exchange one step at a time: begin() sends AUTH, cont() the
    // answer to the last challenge. One exchange at a time per client; a
    // new begin() abandons an unfinished one (its replies are skipped). At
    // most 32 round trips.
    mailstore::Result<AuthStep> begin(std::string_view mechanism, const AuthClientParams& params,
                                      const std::string* initial_response);
    mailstore::Result<AuthStep> cont(std::string_view response);

    // Master socket: USER and PASS lookups, and LIST (each user to `each`;
    // returning false stops reading, the connection is then unusable).
    mailstore::Result<LookupReply> lookup_user(std::string_view user, std::string_view service = "lmtp");
    mailstore::Result<LookupReply> lookup_pass(std::string_view user, std::string_view service = "lmtp");
    mailstore::Status list_users(std::string_view mask, const std::function<bool(std::string_view)>& each);

private:
    mailstore::Status send_line(const std::string& line);
    mailstore::Result<std::string> read_line();
    mailstore::Result<LookupReply> lookup(std::string_view command, std::string_view user, std::string_view service);
    mailstore::Result<AuthStep> read_step();
    void close();

    int fd_ = -1;
    std::string path_;
    std::chrono::milliseconds timeout_{30000};
    std::string buffer_;
    std::uint32_t next_id_ = 1;
    std::uint32_t exchange_id_ = 0; // the begin()/cont() exchange in progress, 0 when none
    int exchange_rounds_ = 0;
    std::vector<std::pair<std::string, std::vector<std::string>>> mechs_;
};

} // namespace loft
