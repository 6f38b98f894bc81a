// DATA (RFC 5321 §4.1.1.4, §4.5.2) and BDAT (RFC 3030), and the end of a
// transaction: the message goes to the Deliverer once and every accepted
// recipient gets its own reply, in RCPT order (RFC 2033 §4.2).
#include "lmtp_session_impl.hpp"
#include "smtp_path.hpp"

#include <algorithm>
#include <map>

namespace lmtpd {

namespace {

// How much of the input is handed to the spool per step, so one run()
// call never builds an unbounded decoded copy.
constexpr std::size_t kDataStep = 256 * 1024;

} // namespace

void Session::Impl::open_spool() {
    spool_failed = false;
    auto made = mailstore::delivery::Spool::create(temp_dir, spool_limit);
    if (!made.is_ok()) {
        o.log.error(envelope.session_id + ": Failed to create temporary file for the message: " +
                    made.status().message());
        spool_failed = true;
        spool.reset();
        return;
    }
    spool.emplace(std::move(*made));
}

void Session::Impl::spool_append(std::string_view bytes) {
    if (!spool || spool_failed || bytes.empty())
        return;
    const mailstore::Status st = spool->append(bytes);
    // invalid_argument: past max_size, the rest is dropped and answered
    // 552 at the end; anything else is a failing temporary file.
    if (!st.is_ok() && st.code() != mailstore::Status::Code::invalid_argument) {
        o.log.error(envelope.session_id + ": Failed to write the message to a temporary file: " + st.message());
        spool_failed = true;
    }
}

void Session::Impl::cmd_data(std::string_view args) {
    if (!args.empty()) {
        bad_command(501, "5.5.4 Invalid parameters");
        return;
    }
    if (!mail_given) {
        reply(503, "5.5.0 MAIL needed first");
        return;
    }
    if (bdat_started) {
        // RFC 3030 §2: DATA may not follow BDAT in one transaction.
        reply(503, "5.5.0 Bad sequence of commands");
        return;
    }
    if (envelope.body_binarymime) {
        // RFC 3030 §3: BODY=BINARYMIME data is sent with BDAT only.
        reply(503, "5.5.0 BODY=BINARYMIME requires BDAT");
        return;
    }
    if (recipients.empty()) {
        reply(503, "5.5.0 No valid recipients");
        return;
    }
    open_spool();
    dot.reset();
    reply(354, "OK");
    mode = Mode::data;
}

bool Session::Impl::process_data() {
    const std::string_view pending = pending_input();
    if (pending.empty())
        return false;
    const std::string_view piece = pending.substr(0, kDataStep);
    decoded.clear();
    const std::size_t used = dot.decode(piece, decoded);
    consume_input(used);
    spool_append(decoded);
    if (decoded.capacity() > 2 * kDataStep)
        std::string().swap(decoded);
    if (!dot.done())
        return used > 0 && !pending_input().empty();
    mode = Mode::command;
    finish_message();
    return true;
}

void Session::Impl::cmd_bdat(std::string_view args) {
    // RFC 3030 §2: BDAT SP chunk-size [SP end-marker].
    const std::size_t sp = args.find(' ');
    const std::string_view size_text = args.substr(0, sp);
    const std::string_view rest = sp == std::string_view::npos ? std::string_view() : args.substr(sp + 1);
    // A size that is not a number: the chunk's length is unknown, so it
    // cannot be skipped; the bytes that follow are read as commands (as
    // Dovecot does). A number too big for 64 bits is refused the same way.
    std::optional<std::uint64_t> size = parse_decimal_saturating(size_text);
    if (!size || *size == UINT64_MAX) {
        bad_command(501, "5.5.4 Invalid chunk size parameter");
        return;
    }
    chunk_size = *size;
    chunk_remaining = *size;
    chunk_last = false;
    chunk_error.reset();
    if (!rest.empty()) {
        if (iequals_ascii(rest, "LAST"))
            chunk_last = true;
        else
            chunk_error = std::make_pair(501, std::string("5.5.4 Invalid end marker parameter"));
    }
    // Whatever the answer, the chunk's bytes are read first (RFC 3030 §2:
    // the server reads the chunk before it replies), so a refused BDAT
    // never turns message data into commands.
    if (!chunk_error) {
        if (!mail_given)
            chunk_error = std::make_pair(503, std::string("5.5.0 MAIL needed first"));
        else if (recipients.empty())
            chunk_error = std::make_pair(503, std::string("5.5.0 No valid recipients"));
    }
    if (!chunk_error && !bdat_started) {
        bdat_started = true;
        open_spool();
    }
    mode = Mode::chunk;
    if (chunk_remaining == 0)
        end_chunk();
}

bool Session::Impl::process_chunk() {
    const std::string_view pending = pending_input();
    if (chunk_remaining > 0) {
        if (pending.empty())
            return false;
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_remaining, pending.size()));
        if (!chunk_error)
            spool_append(pending.substr(0, n));
        consume_input(n);
        chunk_remaining -= n;
        if (chunk_remaining > 0)
            return false;
    }
    end_chunk();
    return true;
}

void Session::Impl::end_chunk() {
    mode = Mode::command;
    if (chunk_error) {
        const auto [code, text] = *chunk_error;
        chunk_error.reset();
        if (code == 501)
            bad_command(code, text);
        else
            reply(code, text);
        return;
    }
    if (chunk_last) {
        finish_message();
        return;
    }
    if (spool && spool->too_big()) {
        // RFC 3030 §2: after a 5xx to a chunk the client sends no more
        // chunks of this message; the transaction is over.
        reply(552, "5.3.4 Message size exceeds fixed maximum message size");
        reset_transaction();
        return;
    }
    reply(250, "2.0.0 Added " + std::to_string(chunk_size) + " octets");
}

void Session::Impl::finish_message() {
    for (const std::string& line : recipient_replies())
        out += line;
    reset_transaction();
}

std::vector<std::string> Session::Impl::recipient_replies() {
    std::vector<std::string> replies;
    replies.reserve(recipients.size());
    // The same answer for every recipient: "CODE X.Y.Z <address> TEXT".
    auto each = [&](int code, std::string_view enhanced, std::string_view text) {
        for (const Accepted& a : recipients)
            replies.push_back(std::to_string(code) + " " + std::string(enhanced) + " <" + a.recipient.address +
                              "> " + std::string(text) + "\r\n");
    };
    if (spool && !spool_failed) {
        const mailstore::Status st = spool->finish();
        if (!st.is_ok()) {
            o.log.error(envelope.session_id + ": Failed to write the message to a temporary file: " + st.message());
            spool_failed = true;
        }
    }
    if (!spool || spool_failed) {
        each(451, "4.3.0", "Temporary internal error");
        return replies;
    }
    if (spool->too_big()) {
        // RFC 1870 §6.2 / RFC 5321 §4.5.3.1.10: 552 after the data, to every
        // recipient.
        for (std::size_t i = 0; i < recipients.size(); ++i)
            replies.push_back("552 5.3.4 Message size exceeds fixed maximum message size\r\n");
        return replies;
    }

    // The same address twice in one transaction (aliases that the MTA
    // expanded to one mailbox) is delivered once and answered twice, as
    // Dovecot does.
    std::vector<mailstore::delivery::Recipient> unique;
    std::map<std::string, std::size_t> seen;
    for (Accepted& a : recipients) {
        const std::string key = a.recipient.user + '\0' + a.recipient.detail + '\0' + a.recipient.address;
        auto [it, inserted] = seen.emplace(key, unique.size());
        if (inserted)
            unique.push_back(a.recipient);
        a.unique = it->second;
    }

    // lmtp_user_concurrency_limit (the daemon's acquire_user): a user over
    // the limit gets 451 and is left out of this delivery.
    std::vector<mailstore::delivery::RecipientResult> results(unique.size());
    std::vector<bool> acquired(unique.size(), false);
    // The slots are given back however this function is left: an exception
    // from the Deliverer, a DeliveryFilter or an allocation would otherwise
    // hold the user's slot until the process ends.
    struct SlotGuard {
        const SessionOptions& opts;
        const std::vector<mailstore::delivery::Recipient>& users;
        const std::vector<bool>& held;
        ~SlotGuard() {
            if (!opts.release_user)
                return;
            for (std::size_t i = users.size(); i-- > 0;)
                if (held[i])
                    opts.release_user(users[i].user);
        }
    } slot_guard{o, unique, acquired};
    std::vector<bool> refused(unique.size(), false);
    std::vector<mailstore::delivery::Recipient> to_deliver;
    std::vector<std::size_t> delivered_index;
    for (std::size_t i = 0; i < unique.size(); ++i) {
        if (o.acquire_user) {
            const mailstore::Status st = o.acquire_user(unique[i].user);
            if (!st.is_ok()) {
                refused[i] = true;
                results[i].outcome = mailstore::delivery::RecipientResult::Outcome::temporary_failure;
                results[i].smtp_code = 451;
                results[i].enhanced_code = "4.3.0";
                results[i].text = "<" + unique[i].address + "> Too many concurrent deliveries for user";
                continue;
            }
            acquired[i] = true;
        }
        to_deliver.push_back(unique[i]);
        delivered_index.push_back(i);
    }
    if (!to_deliver.empty()) {
        std::vector<mailstore::delivery::RecipientResult> got;
        if (o.deliverer)
            got = o.deliverer->deliver(envelope, to_deliver, *spool);
        for (std::size_t k = 0; k < delivered_index.size(); ++k) {
            mailstore::delivery::RecipientResult& r = results[delivered_index[k]];
            if (k < got.size()) {
                r = std::move(got[k]);
            } else {
                o.log.error(envelope.session_id + ": delivery returned no result for " + to_deliver[k].address);
                r.smtp_code = 451;
                r.enhanced_code = "4.3.0";
                r.text.clear();
            }
        }
    }
    for (const Accepted& a : recipients) {
        const mailstore::delivery::RecipientResult& r = results[a.unique];
        int code = r.smtp_code;
        if (code < 200 || code > 599)
            code = 451;
        std::string enhanced = r.enhanced_code;
        if (enhanced.empty())
            enhanced = code < 300 ? "2.0.0" : code < 500 ? "4.3.0" : "5.3.0";
        std::string text = r.text;
        // Tolerate a text that already starts with its enhanced code.
        if (text.compare(0, enhanced.size() + 1, enhanced + " ") == 0)
            text.erase(0, enhanced.size() + 1);
        if (text.empty())
            text = code < 300 ? "<" + a.recipient.address + "> " + envelope.session_id + " Saved"
                              : "<" + a.recipient.address + "> Temporary internal error";
        // Keep the reply one line whatever the text holds.
        std::erase_if(text, [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
        replies.push_back(std::to_string(code) + " " + enhanced + " " + text + "\r\n");
    }
    return replies;
}

} // namespace lmtpd
