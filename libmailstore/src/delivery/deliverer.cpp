// The delivery pipeline (docs/delivery.md): per recipient, open the user,
// ask the filter, choose the mailboxes, save with the trace headers in
// front, durably (Transaction::commit fsyncs per mail_fsync), and answer.
// One recipient's failure never touches the others.
#include "delivery/address.hpp"
#include "delivery/delivery_log.hpp"
#include "delivery/mailbox_choice.hpp"
#include "delivery/message_info.hpp"
#include "delivery/trace_headers.hpp"

#include <mailstore/delivery.hpp>
#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>

#include <unistd.h>

namespace mailstore::delivery {

namespace {

std::string system_hostname() {
    std::array<char, HOST_NAME_MAX + 1> buf{};
    if (::gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0')
        return "localhost";
    return buf.data();
}

// The Message-ID as the log shows it (Dovecot: "unspecified" without one),
// bounded so that a hostile header cannot make a huge log line.
std::string log_msgid(const MessageInfo& info) {
    if (info.message_id.empty())
        return "unspecified";
    constexpr std::size_t max = 200;
    return info.message_id.size() > max ? info.message_id.substr(0, max) + "..." : info.message_id;
}

bool disk_full(const Status& s) {
    const std::string& m = s.message();
    return m.find(std::strerror(ENOSPC)) != std::string::npos || m.find(std::strerror(EDQUOT)) != std::string::npos;
}

RecipientResult failure(const Status& s, const std::string& address) {
    RecipientResult r;
    const std::string who = "<" + address + "> ";
    if (disk_full(s)) {
        // RFC 5321 §4.2.3 452; RFC 3463 X.3.1 "mail system full".
        r.outcome = RecipientResult::Outcome::temporary_failure;
        r.smtp_code = 452;
        r.enhanced_code = "4.3.1";
        r.text = "4.3.1 " + who + "Insufficient system storage";
    } else if (s.code() == Status::Code::temporary_failure) {
        // A lock not taken within mail_max_lock_timeout: RFC 3463 X.2.0.
        r.outcome = RecipientResult::Outcome::temporary_failure;
        r.smtp_code = 451;
        r.enhanced_code = "4.2.0";
        r.text = "4.2.0 " + who + "Mailbox is locked, try again later";
    } else if (s.code() == Status::Code::invalid_argument &&
               (s.message().find("larger than") != std::string::npos ||
                s.message().find("exceeds") != std::string::npos)) {
        // The storage's size bound (RFC 3463 X.2.3: message length exceeds
        // administrative limit).
        r.outcome = RecipientResult::Outcome::permanent_failure;
        r.smtp_code = 552;
        r.enhanced_code = "5.2.3";
        r.text = "5.2.3 " + who + "Message size exceeds the mailbox's limit";
    } else if (s.code() == Status::Code::invalid_argument) {
        // A message the storage cannot hold at all (an empty one).
        r.outcome = RecipientResult::Outcome::permanent_failure;
        r.smtp_code = 554;
        r.enhanced_code = "5.6.0";
        r.text = "5.6.0 " + who + "Invalid message";
    } else {
        // Dovecot's words for everything else (an unwritable home, an I/O
        // error, a broken config for this user): try again later.
        r.outcome = RecipientResult::Outcome::temporary_failure;
        r.smtp_code = 451;
        r.enhanced_code = "4.3.0";
        r.text = "4.3.0 " + who + "Temporary internal error";
    }
    return r;
}

struct SavedFile {
    std::string prefix; // the header prefix the file starts with
    std::string path;
};

} // namespace

class Deliverer::Impl {
public:
    std::shared_ptr<const config::Config> config;
    std::string service;
    log::Logger log;
    std::string delimiters;
    std::string hostname;
    std::string temp_dir;
    std::string original_header;
    bool save_to_detail = false;
    bool autocreate = false;
    bool autosubscribe = false;
    std::string log_format; // deliver_log_format
    TraceSettings trace;
    std::shared_ptr<DeliveryFilter> filter;

    RecipientResult deliver_one(const Envelope& envelope, const Recipient& recipient, const std::string& session_id,
                                const Spool& message, const MessageInfo& info, bool single_recipient,
                                const std::string& date, std::vector<SavedFile>& files) const;

    // Saves into `target` (or INBOX when it cannot be used): the mailbox
    // name it went to.
    Result<std::string> save(const storage::User& user, const SaveTarget& target, const std::string& prefix,
                             const Spool& message, const DeliveryLog& dlog, std::vector<SavedFile>& files) const;
    Result<std::string> save_into(const storage::User& user, const std::string& name, const SaveTarget& target,
                                  const std::string& prefix, const Spool& message,
                                  std::vector<SavedFile>& files, bool* opened = nullptr) const;
};

Result<std::string> Deliverer::Impl::save_into(const storage::User& user, const std::string& name,
                                               const SaveTarget& target, const std::string& prefix,
                                               const Spool& message, std::vector<SavedFile>& files,
                                               bool* opened) const {
    auto mailbox = storage::Mailbox::open(user, name, storage::OpenOptions{.save_only = true});
    if (!mailbox)
        return mailbox.status();
    if (opened)
        *opened = true;
    auto transaction = mailbox->begin();
    storage::SaveRequest request;
    request.fd = message.fd();
    request.header_prefix = prefix;
    request.flags = target.flags;
    request.keywords = target.keywords;
    // A file with the same bytes (an earlier recipient's copy that nothing
    // per-recipient was added to, or this recipient's other copy): a link.
    for (const auto& f : files)
        if (f.prefix == prefix) {
            request.link_from = f.path;
            break;
        }
    if (auto s = transaction.save(request); !s)
        return s;
    auto committed = transaction.commit();
    if (!committed)
        return committed.status();
    if (request.link_from.empty() && !committed->saved_files.empty() && !committed->saved_files[0].empty())
        files.push_back({prefix, committed->saved_files[0]});
    return mailbox->name();
}

Result<std::string> Deliverer::Impl::save(const storage::User& user, const SaveTarget& target,
                                          const std::string& prefix, const Spool& message, const DeliveryLog& dlog,
                                          std::vector<SavedFile>& files) const {
    std::string name = user.normalize_name(target.mailbox);
    if (name != "INBOX") {
        Status usable = user.validate_name(name);
        if (usable && !user.exists(name)) {
            if (autocreate) {
                usable = user.create_mailbox(name);
                if (usable.code() == Status::Code::already_exists)
                    usable = Status::ok(); // created meanwhile by another delivery
                if (usable && autosubscribe)
                    if (auto s = user.subscribe(name); !s)
                        dlog.warning("failed to subscribe to " + name + ": " + s.message());
            } else {
                usable = Status::not_found("Mailbox doesn't exist: " + name);
            }
        }
        if (usable) {
            // Only a mailbox that cannot be opened falls back to INBOX; a
            // save that fails once the mailbox is open (a message over the
            // size limit, an empty one, an I/O error) would fail the same
            // way there, so it is answered as it is.
            bool opened = false;
            auto saved = save_into(user, name, target, prefix, message, files, &opened);
            if (saved || opened ||
                (saved.status().code() != Status::Code::not_found &&
                 saved.status().code() != Status::Code::invalid_argument))
                return saved;
            usable = saved.status();
        }
        // Dovecot's fallback: a mailbox that cannot be used (missing, bad
        // name, \Noselect) makes the message go to INBOX.
        dlog.info("save failed to open mailbox " + name + ": " + usable.message());
    }
    return save_into(user, "INBOX", target, prefix, message, files);
}

RecipientResult Deliverer::Impl::deliver_one(const Envelope& envelope, const Recipient& recipient,
                                             const std::string& session_id, const Spool& message,
                                             const MessageInfo& info, bool single_recipient, const std::string& date,
                                             std::vector<SavedFile>& files) const {
    const AddressParts parts = split_recipient_address(recipient.address, delimiters);
    const std::string& username = recipient.user.empty() ? parts.user : recipient.user;
    const std::string& detail = recipient.detail.empty() ? parts.detail : recipient.detail;
    storage::UserSettings settings = storage::user_settings_from_userdb(username, recipient.userdb_fields, service);
    const std::string prefix_name = log.prefix().empty() ? service : log.prefix();
    LogValues values;
    values.msgid = log_msgid(info);
    values.subject = info.subject;
    values.from = info.from;
    values.from_envelope = envelope.mail_from;
    values.to_envelope = recipient.address;
    values.size = message.size();
    values.vsize = message.size() + message.bare_lf_count();
    const DeliveryLog dlog(log::Logger::session(prefix_name, settings.username, session_id), log_format, values);

    auto user = storage::User::open(*config, settings);
    if (!user) {
        // A broken userdb entry or mail location: the admin can fix it, so
        // the sender retries (never a bounce).
        dlog.error("Failed to initialize user: " + user.status().message());
        return failure(Status::io(user.status().message()), recipient.address);
    }

    std::vector<Action> actions;
    if (filter) {
        const FilterContext context{envelope, recipient, message.fd(), message.size()};
        auto decided = filter->filter(context);
        if (decided)
            actions = std::move(decided.value());
        else
            dlog.error("delivery filter failed: " + decided.status().message() + " (falling back to keep)");
    }
    const std::string fallback_name = default_mailbox(recipient, detail, save_to_detail);
    const std::vector<SaveTarget> targets = choose_targets(actions, fallback_name);

    const std::string original = recipient.original_address.empty() ? info.original_recipient
                                                                      : recipient.original_address;
    const std::string prefix = trace_headers(trace, envelope, recipient, original, single_recipient, date);

    RecipientResult result;
    Status first_error;
    for (const auto& target : targets) {
        auto saved = save(*user, target, prefix, message, dlog, files);
        if (!saved) {
            dlog.error("save failed to " + target.mailbox + ": " + saved.status().message());
            if (first_error.is_ok())
                first_error = saved.status();
            continue;
        }
        dlog.info("saved mail to " + saved.value());
        result.saved_to.push_back(saved.value());
    }
    if (targets.empty())
        dlog.info("discarded by the delivery filter");
    // A copy that failed while another was saved: the message is not lost,
    // and a retry would duplicate the saved copy, so the recipient succeeds.
    if (result.saved_to.empty() && !first_error.is_ok()) {
        RecipientResult failed = failure(first_error, recipient.address);
        return failed;
    }
    result.outcome = RecipientResult::Outcome::delivered;
    result.smtp_code = 250;
    result.enhanced_code = "2.0.0";
    result.text = "2.0.0 <" + recipient.address + "> " + session_id + " Saved";
    return result;
}

Result<Deliverer> Deliverer::create(std::shared_ptr<const config::Config> config, std::string_view service,
                                    log::Logger log) {
    if (!config)
        return Status::invalid("delivery: no configuration");
    try {
        auto impl = std::make_unique<Impl>();
        impl->config = std::move(config);
        impl->service = std::string(service);
        impl->log = std::move(log);
        const config::Config& c = *impl->config;
        config::LookupContext ctx;
        ctx.protocol = impl->service;
        impl->delimiters = c.get("recipient_delimiter", ctx);
        impl->hostname = c.get("hostname", ctx);
        if (impl->hostname.empty())
            impl->hostname = system_hostname();
        impl->temp_dir = c.get("mail_temp_dir", ctx);
        if (impl->temp_dir.empty())
            impl->temp_dir = "/tmp";
        impl->original_header = c.get("lda_original_recipient_header", ctx);
        for (char ch : impl->original_header)
            if (ch <= ' ' || ch == ':' || ch == 0x7f)
                return Status::invalid("lda_original_recipient_header: '" + impl->original_header +
                                       "' is not a header field name");
        impl->save_to_detail = impl->service == "lmtp" && c.get_bool("lmtp_save_to_detail_mailbox", ctx);
        impl->autocreate = c.get_bool("lda_mailbox_autocreate", ctx);
        impl->autosubscribe = c.get_bool("lda_mailbox_autosubscribe", ctx);
        impl->log_format = c.get("deliver_log_format", ctx);
        if (auto st = check_deliver_log_format(impl->log_format); !st)
            return st;
        // Dovecot 2.3's LDA adds no header of its own (Postfix's pipe and
        // local agents add Return-Path and Delivered-To); LMTP adds them.
        impl->trace.add_trace = impl->service != "lda";
        impl->trace.add_received = c.get_bool("lmtp_add_received_header", ctx);
        impl->trace.hostname = impl->hostname;
        const std::string hdr = c.get("lmtp_hdr_delivery_address", ctx);
        if (hdr == "final")
            impl->trace.delivered_to = DeliveryAddressHeader::final_address;
        else if (hdr == "original")
            impl->trace.delivered_to = DeliveryAddressHeader::original_address;
        else if (hdr == "none")
            impl->trace.delivered_to = DeliveryAddressHeader::none;
        else
            return Status::invalid("lmtp_hdr_delivery_address: '" + hdr + "' is not final, original or none");
        return Deliverer(std::move(impl));
    } catch (const std::bad_alloc&) {
        return Status::io("delivery: out of memory");
    }
}

Deliverer::Deliverer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Deliverer::Deliverer(Deliverer&&) noexcept = default;
Deliverer& Deliverer::operator=(Deliverer&&) noexcept = default;
Deliverer::~Deliverer() = default;

AddressParts Deliverer::split_address(std::string_view address) const {
    return split_recipient_address(address, impl_->delimiters);
}

const std::string& Deliverer::temp_dir() const { return impl_->temp_dir; }
const std::string& Deliverer::hostname() const { return impl_->hostname; }

void Deliverer::set_filter(std::shared_ptr<DeliveryFilter> filter) { impl_->filter = std::move(filter); }

std::vector<RecipientResult> Deliverer::deliver(const Envelope& envelope, const std::vector<Recipient>& recipients,
                                                const Spool& message) const {
    std::vector<RecipientResult> results;
    try {
        results.reserve(recipients.size());
        const MessageInfo info = read_message_info(message.fd(), impl_->original_header);
        const std::string date = received_date_now();
        const bool single = recipients.size() == 1;
        std::vector<SavedFile> files;
        for (std::size_t i = 0; i < recipients.size(); ++i) {
            const Recipient& r = recipients[i];
            std::string sid = r.session_id;
            if (sid.empty())
                sid = i == 0 ? envelope.session_id : envelope.session_id + ":R" + std::to_string(i + 1);
            results.push_back(impl_->deliver_one(envelope, r, sid, message, info, single, date, files));
        }
    } catch (const std::bad_alloc&) {
        // Whoever has no result yet failed temporarily.
        while (results.size() < recipients.size())
            results.push_back(failure(Status::io("out of memory"), recipients[results.size()].address));
    }
    return results;
}

} // namespace mailstore::delivery
