// STAT, LIST, UIDL (RFC 1939 §5, §7) and LAST (RFC 1460, pop3_enable_last).
// Messages marked with DELE are left out, as RFC 1939 asks; the numbers of
// the others do not change. The multi-line forms are written a piece at a
// time so a 100,000-message INBOX does not sit whole in the output buffer.
#include "session/session_impl.hpp"

#include "uidl.hpp"

#include "auth/crypto.hpp"

namespace pop3proto::detail {

namespace {

// "n size" or "n uidl" lines for every message not marked deleted, then ".".
class ScanListing final : public Producer {
public:
    ScanListing(Session::Impl& s, bool uidl) : s_(s), uidl_(uidl) {}
    bool produce(std::string& out, std::size_t budget) override {
        const std::size_t start = out.size();
        while (next_ < s_.messages_.size() && out.size() - start < budget) {
            const auto& m = s_.messages_[next_];
            ++next_;
            if (m.deleted)
                continue;
            out += std::to_string(next_);
            out += ' ';
            out += uidl_ ? s_.uidl_of(next_ - 1) : std::to_string(m.size);
            out += "\r\n";
        }
        if (next_ < s_.messages_.size())
            return false;
        out += ".\r\n";
        return true;
    }

private:
    Session::Impl& s_;
    bool uidl_;
    std::size_t next_ = 0;
};

} // namespace

void cmd_stat(Session::Impl& s) {
    std::uint64_t count = 0, size = 0;
    for (const auto& m : s.messages_)
        if (!m.deleted) {
            ++count;
            size += m.size;
        }
    s.ok(std::to_string(count) + " " + std::to_string(size));
}

void cmd_list(Session::Impl& s, std::string_view args) {
    if (args.empty()) {
        std::uint64_t count = 0;
        for (const auto& m : s.messages_)
            count += m.deleted ? 0 : 1;
        s.ok(std::to_string(count) + " messages:");
        s.producer_ = std::make_unique<ScanListing>(s, false);
        return;
    }
    std::string_view rest;
    auto index = s.message_arg(args, &rest);
    if (!index)
        return;
    if (!rest.empty()) {
        s.bad("Noise after message number: " + std::string(rest));
        return;
    }
    s.ok(std::to_string(*index + 1) + " " + std::to_string(s.messages_[*index].size));
}

// A UIDL that cannot be computed now (a mail file that cannot be read) must
// not be replaced by a different one: the client would take the message for
// a new one (RFC 1939 §7). The command fails with [SYS/TEMP] (RFC 3206 §4)
// and the next UIDL tries again.
static bool uidls_or_error(Session::Impl& s) {
    s.uidls();
    if (s.uidls_ready_)
        return true;
    s.err("[SYS/TEMP] Couldn't get UIDLs. Refer to server log for more information.");
    return false;
}

void cmd_uidl(Session::Impl& s, std::string_view args) {
    if (args.empty()) {
        if (!uidls_or_error(s))
            return;
        s.ok();
        s.producer_ = std::make_unique<ScanListing>(s, true);
        return;
    }
    std::string_view rest;
    auto index = s.message_arg(args, &rest);
    if (!index)
        return;
    if (!rest.empty()) {
        s.bad("Noise after message number: " + std::string(rest));
        return;
    }
    if (!uidls_or_error(s))
        return;
    s.ok(std::to_string(*index + 1) + " " + s.uidl_of(*index));
}

void cmd_last(Session::Impl& s) { s.ok(std::to_string(s.last_accessed_)); }

namespace {

// Whether the stored message lacks a line end after its last line: read
// once from the file, then kept in the index cache ("1" or "0").
constexpr std::string_view kNoFinalEol = "pop3.no_final_eol";

mailstore::Result<bool> lacks_final_eol(const mailstore::storage::Message& message, std::vector<LearnedEol>& learned) {
    if (auto cached = message.cached(kNoFinalEol); cached && (*cached == "0" || *cached == "1"))
        return *cached == "1";
    auto data = message.open();
    if (!data) {
        // Expunged: the caller leaves the message out. Unreadable: RETR
        // will fail for it too; the login goes on (nothing is cached).
        if (data.status().code() == mailstore::Status::Code::not_found)
            return data.status();
        return false;
    }
    const std::string_view bytes = data->bytes();
    const bool lacks = !bytes.empty() && bytes.back() != '\n';
    try {
        learned.push_back({message.seq(), lacks});
    } catch (const std::bad_alloc&) {
        // Not cached: read again at the next login.
    }
    return lacks;
}

} // namespace

void cache_learned_eol(mailstore::storage::Mailbox& mailbox, const std::vector<LearnedEol>& learned) {
    for (const auto& l : learned)
        mailbox.message(l.seq).cache(kNoFinalEol, l.lacks ? "1" : "0");
}

// RFC 1939 §3: every line of a multi-line answer ends with CRLF, the
// message's last line included, so RETR sends a message stored without a
// final line end with CRLF added (message_stream.cpp). LIST, STAT and RETR's
// "+OK n octets" count those two octets too, so the size a client is told
// is what RETR sends before the dot-stuffing (Dovecot 2.3.19 leaves them
// out: docs/pop3.md).
//
// Dovecot 2.3.19 with pop3_fast_size_lookups = yes lists a Maildir file
// named with S= only (no W=) by that size, and says it in RETR's "+OK n
// octets" too, though RETR sends CRLF line ends (checked on one Maildir).
// Loft's index always has the CRLF size (a sync reads a file whose name
// lacks it), so the setting changes only what is said, as in Dovecot.
mailstore::Result<std::uint64_t> snapshot_size(Session::Impl& s, const mailstore::storage::Message& message,
                                               std::vector<LearnedEol>& learned) {
    if (!s.fast_size_lookups_)
        s.fast_size_lookups_ = s.setting_bool("pop3_fast_size_lookups");
    if (*s.fast_size_lookups_) {
        if (auto name = message.storage_name(); name && name->find(",W=") == std::string::npos)
            return message.physical_size();
    }
    auto size = message.virtual_size();
    if (!size)
        return size;
    auto lacks = lacks_final_eol(message, learned);
    if (!lacks)
        return lacks.status();
    return *size + (*lacks ? 2 : 0);
}

} // namespace pop3proto::detail

namespace pop3proto {

namespace st = mailstore::storage;

std::string Session::Impl::uidl_of(std::size_t index) {
    const auto& all = uidls();
    return index < all.size() ? all[index] : std::string();
}

// Every message's UIDL, computed once per session (RFC 1939 §7: the same
// message has the same UIDL in every session). When a message the format
// needs to read (%m, pop3_reuse_xuidl) cannot be read for another reason
// than being expunged, uidls_ready_ stays false and the list empty: the
// caller answers [SYS/TEMP] and nothing of that message is cached.
const std::vector<std::string>& Session::Impl::uidls() {
    if (uidls_ready_)
        return uidls_;
    std::string format = setting("pop3_uidl_format");
    const bool reuse_xuidl = setting_bool("pop3_reuse_xuidl");
    const bool save_uidl = setting_bool("pop3_save_uidl");
    const bool need_md5 = detail::uidl_format_uses(format, 'm');
    const std::uint32_t uidvalidity = mailbox_->view().uidvalidity();
    uidls_.clear();
    uidls_.reserve(messages_.size());
    bool format_error_logged = false;
    for (const auto& m : messages_) {
        auto message = mailbox_->message(m.seq);
        // A UIDL preserved by a migration (dovecot-uidlist P field) wins.
        if (auto preserved = message.pop3_uidl(); preserved && detail::valid_uidl(*preserved)) {
            uidls_.push_back(std::move(*preserved));
            continue;
        }
        if (save_uidl) {
            if (auto saved = message.cached("pop3.uidl"); saved && detail::valid_uidl(*saved)) {
                uidls_.push_back(std::move(*saved));
                continue;
            }
        }
        std::optional<mailstore::storage::MessageData> data;
        if (reuse_xuidl || need_md5) {
            auto opened = message.open();
            if (opened) {
                data.emplace(std::move(*opened));
            } else if (opened.status().code() != mailstore::Status::Code::not_found) {
                log_.error("Couldn't read message UID " + std::to_string(m.uid) + " for its UIDL: " +
                           opened.status().message());
                uidls_.clear();
                return uidls_;
            }
        }
        std::string uidl;
        if (reuse_xuidl && data) {
            if (auto x = detail::find_xuidl(data->header()); x && detail::valid_uidl(*x))
                uidl = std::move(*x);
        }
        if (uidl.empty()) {
            detail::UidlValues values;
            values.uidvalidity = uidvalidity;
            values.uid = m.uid;
            if (need_md5 && data)
                values.header_md5 = mailstore::auth::crypto::hex(mailstore::auth::crypto::md5(data->header()));
            if (auto guid = message.guid())
                values.guid = *guid;
            // %f: the Maildir base name, which differs from the GUID when
            // dovecot-uidlist has a G field.
            if (auto name = message.storage_name())
                values.filename = std::move(*name);
            else
                values.filename = values.guid;
            auto expanded = detail::expand_uidl(format, values);
            if (!expanded || !detail::valid_uidl(*expanded)) {
                if (!format_error_logged) {
                    log_.error("pop3_uidl_format = " + format + " gives no usable UIDL (" +
                               (expanded ? std::string("empty, too long or with spaces")
                                         : expanded.status().message()) +
                               "); using %08Xu%08Xv");
                    format_error_logged = true;
                }
                expanded = detail::expand_uidl("%08Xu%08Xv", values);
            }
            uidl = std::move(*expanded);
            if (save_uidl)
                message.cache("pop3.uidl", uidl);
        }
        uidls_.push_back(std::move(uidl));
    }
    if (setting("pop3_uidl_duplicates") == "rename")
        detail::rename_duplicates(uidls_);
    uidls_ready_ = true;
    return uidls_;
}

} // namespace pop3proto
