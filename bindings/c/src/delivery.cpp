// loft_deliver, loft_deliver_fd and loft_verify_password: the delivery
// pipeline and the passdbs, configured from a config file as the daemons
// are. Each call loads the config and builds what it needs, so calls are
// independent of each other (and of other threads).
#include "errors.hpp"

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/config.hpp>
#include <mailstore/delivery.hpp>
#include <mailstore/log.hpp>
#include <mailstore/storage/limits.hpp>

#include <loft/mailstore.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace auth = mailstore::auth;
namespace delivery = mailstore::delivery;
using loft_c::fail;
using loft_c::guarded;
using loft_c::null_argument;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

// A short random id for the Received header and the log lines, like the
// LDA's, so that one delivery can be found in the logs.
std::string make_session_id() {
    static const char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char raw[9] = {};
    if (::getrandom(raw, sizeof raw, 0) != static_cast<ssize_t>(sizeof raw))
        return std::to_string(::getpid());
    std::string out;
    for (std::size_t i = 0; i < sizeof raw; i += 3) {
        unsigned v = (unsigned(raw[i]) << 16) | (unsigned(raw[i + 1]) << 8) | unsigned(raw[i + 2]);
        for (int k = 3; k >= 0; --k)
            out.push_back(kAlphabet[(v >> (6 * k)) & 63]);
    }
    return out;
}

// "x.2.2" is the enhanced status code of a full mailbox (RFC 3463).
bool is_quota(const std::string& enhanced_code) {
    return enhanced_code.size() >= 5 && enhanced_code.compare(1, 4, ".2.2") == 0;
}

// Writes the message into a spool: `fill` appends the bytes.
using Filler = std::function<loft_status(delivery::Spool&)>;

loft_status deliver(const char* config_path, const char* recipient, const char* mailbox,
                    const char* sender, const Filler& fill, int* smtp_code) {
    if (smtp_code != nullptr)
        *smtp_code = 0;
    if (config_path == nullptr)
        return null_argument("config_path");
    if (recipient == nullptr || *recipient == '\0')
        return fail(LOFT_EINVAL, "recipient is empty");

    // Every config problem, a missing file included, is LOFT_EINVAL: a
    // delivery agent must not mistake it for an unknown user (a bounce).
    auto loaded = mailstore::config::Config::load_file(config_path);
    if (!loaded)
        return fail(LOFT_EINVAL, loaded.status().message());
    auto config = std::make_shared<const mailstore::config::Config>(std::move(*loaded));
    auto deliverer = delivery::Deliverer::create(config, "lda", mailstore::log::Logger("lda"));
    if (!deliverer)
        return fail(LOFT_EINVAL, deliverer.status().message());
    auto authenticator = auth::Authenticator::create(*config);
    if (!authenticator)
        return fail(LOFT_EINVAL, authenticator.status().message());

    // The userdb entry: the full name first, then without the detail
    // (user+detail@domain), the LDA's order, so that a user literally named
    // "a+b" still works.
    auth::ClientInfo client;
    client.service = "lda";
    auth::LookupResult found = authenticator->lookup_user(recipient, client);
    delivery::AddressParts parts = deliverer->split_address(recipient);
    if (found.kind == auth::LookupResult::Kind::not_found && parts.user != recipient)
        found = authenticator->lookup_user(parts.user, client);
    if (found.kind == auth::LookupResult::Kind::temporary_failure)
        return fail(LOFT_ETEMP,
                    std::string("userdb lookup failed for ") + recipient + ": " + found.error);
    if (found.kind == auth::LookupResult::Kind::not_found)
        return fail(LOFT_ENOTFOUND, std::string("User ") + recipient + " doesn't exist");

    auto spool =
        delivery::Spool::create(deliverer->temp_dir(), mailstore::storage::max_saved_message_size);
    if (!spool)
        return fail(spool.status());
    if (loft_status st = fill(*spool); st != LOFT_OK)
        return st;
    if (auto st = spool->finish(); !st)
        return fail(st);
    // Empty input is refused for good (loft-lda exits EX_DATAERR): trying
    // again would not make it a message.
    if (spool->size() == 0) {
        if (smtp_code != nullptr)
            *smtp_code = 554;
        return fail(LOFT_EREJECTED, "5.6.0 Empty mail: nothing to deliver");
    }
    if (spool->too_big()) {
        if (smtp_code != nullptr)
            *smtp_code = 552;
        return fail(LOFT_EREJECTED, "5.3.4 Message size exceeds fixed maximum message size");
    }

    delivery::Envelope envelope;
    envelope.mail_from = sender != nullptr ? sender : "";
    envelope.protocol = "local";
    envelope.session_id = make_session_id();
    envelope.body_8bitmime = spool->has_8bit();

    delivery::Recipient rcpt;
    rcpt.address = recipient;
    rcpt.user = found.user.empty() ? parts.user : found.user;
    rcpt.detail = parts.detail;
    rcpt.userdb_fields = std::move(found.fields);
    rcpt.mailbox = mailbox != nullptr ? mailbox : "";

    std::vector<delivery::RecipientResult> results = deliverer->deliver(envelope, {rcpt}, *spool);
    if (results.size() != 1)
        return fail(LOFT_EINTERNAL, "delivery returned no result");
    const delivery::RecipientResult& result = results.front();
    if (smtp_code != nullptr)
        *smtp_code = result.smtp_code;
    // The reply text as LMTP sends it, enhanced code first ("5.2.2 ...").
    const std::string& reason = result.text;
    switch (result.outcome) {
    case delivery::RecipientResult::Outcome::delivered:
        return LOFT_OK;
    case delivery::RecipientResult::Outcome::temporary_failure:
        return fail(is_quota(result.enhanced_code) ? LOFT_EQUOTA : LOFT_ETEMP, reason);
    case delivery::RecipientResult::Outcome::permanent_failure:
        if (is_quota(result.enhanced_code))
            return fail(LOFT_EQUOTA, reason);
        if (result.enhanced_code == "5.1.1")
            return fail(LOFT_ENOTFOUND, reason);
        return fail(LOFT_EREJECTED, reason);
    }
    return fail(LOFT_EINTERNAL, "unknown delivery outcome");
}

// Appends to the spool, treating "past the size limit" (invalid_argument:
// the bytes are dropped and too_big() is set) as something to report after
// the whole input was read, as the LDA does.
loft_status append(delivery::Spool& spool, std::string_view bytes) {
    mailstore::Status st = spool.append(bytes);
    if (!st && st.code() != mailstore::Status::Code::invalid_argument)
        return fail(st);
    return LOFT_OK;
}

} // namespace

extern "C" {

loft_status loft_deliver(const char* config_path, const char* recipient, const char* mailbox,
                         const char* sender, const void* data, size_t size, int* smtp_code) {
    return guarded([&]() -> loft_status {
        if (data == nullptr && size > 0)
            return null_argument("data");
        std::string_view bytes(static_cast<const char*>(data), data == nullptr ? 0 : size);
        return deliver(
            config_path, recipient, mailbox, sender,
            [bytes](delivery::Spool& spool) { return append(spool, bytes); }, smtp_code);
    });
}

loft_status loft_deliver_fd(const char* config_path, const char* recipient, const char* mailbox,
                            const char* sender, int fd, int* smtp_code) {
    return guarded([&]() -> loft_status {
        if (fd < 0)
            return fail(LOFT_EINVAL, "invalid file descriptor");
        auto from_fd = [fd](delivery::Spool& spool) -> loft_status {
            std::vector<char> buffer(kReadChunk);
            for (;;) {
                ssize_t n = ::read(fd, buffer.data(), buffer.size());
                if (n < 0 && errno == EINTR)
                    continue;
                if (n < 0)
                    return fail(LOFT_EIO,
                                std::string("read of the message failed: ") + std::strerror(errno));
                if (n == 0)
                    return LOFT_OK;
                if (loft_status st = append(spool, std::string_view(buffer.data(), std::size_t(n)));
                    st != LOFT_OK)
                    return st;
            }
        };
        return deliver(config_path, recipient, mailbox, sender, from_fd, smtp_code);
    });
}

loft_status loft_verify_password(const char* config_path, const char* username,
                                 const char* password) {
    return guarded([&]() -> loft_status {
        if (config_path == nullptr)
            return null_argument("config_path");
        if (username == nullptr)
            return null_argument("username");
        if (password == nullptr)
            return null_argument("password");
        auto config = mailstore::config::Config::load_file(config_path);
        if (!config)
            return fail(config.status());
        auto authenticator = auth::Authenticator::create(*config);
        if (!authenticator)
            return fail(authenticator.status());
        auth::ClientInfo client;
        client.service = "imap";
        // A local program, not a network client: plaintext is fine
        // (disable_plaintext_auth is about unencrypted connections), and no
        // failure penalty is kept for it.
        client.secured = true;
        client.no_penalty = true;
        auth::AuthReply reply = authenticator->verify_plain(username, password, client);
        switch (reply.kind) {
        case auth::AuthReply::Kind::success:
            return LOFT_OK;
        case auth::AuthReply::Kind::temporary_failure:
            return fail(LOFT_ETEMP,
                        std::string("password check for ") + username + " failed temporarily");
        case auth::AuthReply::Kind::failure:
        case auth::AuthReply::Kind::challenge:
            break;
        }
        return fail(LOFT_EAUTH, std::string("authentication failed for ") + username);
    });
}

} // extern "C"
