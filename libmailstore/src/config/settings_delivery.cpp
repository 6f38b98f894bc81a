// Settings of the delivery pipeline, LMTP and LDA (docs/lmtp.md, docs/lda.md):
// lmtp_*, lda_*, recipient_delimiter, postmaster_address, ...
// A row's last field says whether Loft acts on the setting: false rows load
// with a one-line warning per use, as the rest of settings_dovecot.cpp.
#include "config/settings_tables.hpp"

namespace mailstore::config {
namespace {

using T = SettingType;

constexpr std::string_view kDoc = "Dovecot setting, accepted but not implemented by Loft yet.";

constexpr SettingInfo kSettings[] = {
    {"deliver_log_format", T::string, "msgid=%m: %$", "",
     "Per-message delivery log lines: %$ the event, %m Message-ID, %s subject, %f From, %e MAIL FROM, %{to_envelope}, %p/%w sizes.", "", true},
    {"lda_mailbox_autocreate", T::boolean, "no", "",
     "A missing mailbox that delivery saves to (-m, the detail mailbox, a filter's fileinto) is created instead of saving to INBOX.", "", true},
    {"lda_mailbox_autosubscribe", T::boolean, "no", "",
     "A mailbox that delivery creates (lda_mailbox_autocreate) is also subscribed.", "", true},
    {"lda_original_recipient_header", T::string, "", "",
     "Header field (e.g. X-Original-To) the original recipient is read from when neither ORCPT nor -a gives one.", "", true},
    {"lmtp_add_received_header", T::boolean, "yes", "",
     "LMTP delivery puts a Received header (from, by, with LMTP, id, envelope-from, for) before the message.", "", true},
    {"lmtp_client_workarounds", T::string, "", "", kDoc, "", false},
    {"lmtp_hdr_delivery_address", T::enumeration, "final", "final|original|none",
     "Address in the Delivered-To header LMTP adds: the RCPT TO address (final), ORCPT (original), or no header (none).", "", true},
    {"lmtp_max_mail_size", T::size, "0", "",
     "Loft: largest message LMTP accepts, announced as SIZE (RFC 1870); larger ones get 552 5.3.4. 0: no limit.", "", true},
    {"lmtp_max_recipients", T::uint, "1000", "1..1000000",
     "Loft: recipients accepted in one LMTP transaction; more get 452 4.5.3 and the client sends them later.", "", true},
    {"lmtp_proxy", T::boolean, "no", "", kDoc, "", false},
    {"lmtp_proxy_rawlog_dir", T::string, "", "", kDoc, "", false},
    {"lmtp_rawlog_dir", T::string, "", "", kDoc, "", false},
    {"lmtp_rcpt_check_quota", T::boolean, "no", "", kDoc, "", false},
    {"lmtp_save_to_detail_mailbox", T::boolean, "no", "",
     "LMTP saves mail for user+detail@domain into mailbox \"detail\" (INBOX when it does not exist and is not autocreated).", "", true},
    {"lmtp_user_concurrency_limit", T::uint, "0", "",
     "Deliveries to one user at once in one loft-lmtpd process (0: no limit); one more gets 451 4.3.0 and is retried by the MTA.", "", true},
    {"lmtp_verbose_replies", T::boolean, "no", "", kDoc, "", false},
    {"lmtp_xclient_trusted_users", T::list, "", "",
     "Loft: user names whose processes may send XCLIENT over loft-lmtpd's unix socket (SO_PEERCRED), besides root and the server's own user.", "", true},
    {"mail_temp_dir", T::string, "/tmp", "",
     "Directory of the unlinked temporary files LMTP and the LDA spool incoming messages to.", "", true},
    {"postmaster_address", T::string, "postmaster@%{if;%d;ne;;%d;%{hostname}}", "", kDoc, "", false},
    {"quota_full_tempfail", T::boolean, "no", "", kDoc, "", false},
    {"recipient_delimiter", T::string, "+", "",
     "Characters that separate user and detail in a recipient's local part (each one is a delimiter; the first found splits).", "", true},
    {"rejection_reason", T::string, "Your message to <%t> was automatically rejected:%n%r", "", kDoc, "", false},
    {"rejection_subject", T::string, "Rejected: %s", "", kDoc, "", false},
    {"sendmail_path", T::string, "/usr/sbin/sendmail", "", kDoc, "", false},
    {"submission_host", T::string, "", "", kDoc, "", false},
};

} // namespace

std::span<const SettingInfo> delivery_settings() { return kSettings; }

} // namespace mailstore::config
