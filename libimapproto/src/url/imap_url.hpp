// IMAP URLs (RFC 5092) as URLAUTH (RFC 4467), URL-PARTIAL (RFC 5550) and
// CATENATE (RFC 4469) use them:
//
//   imap://user;AUTH=mech@host:port/mailbox;UIDVALIDITY=n/;UID=n/;SECTION=x
//     /;PARTIAL=o.l;EXPIRE=datetime;URLAUTH=access:mech:token
//
// and the relative forms of RFC 5092 §7 ("/INBOX/;UID=5", ";SECTION=1.2",
// "INBOX/;UID=5") resolved against a base URL (CATENATE's base is
// "imap://user@server/" or "imap://user@server/mailbox", RFC 4469 §3).
//
// Parsing is strict about the grammar (RFC 5092 §11: only the characters a
// component may hold, percent-escapes decoded, numbers in range) and
// bounded: a URL longer than kMaxUrlLength is refused before it is looked
// at. Mailbox names come out as UTF-8 (RFC 5092 §3.1: the name is UTF-8,
// percent-encoded), the form the storage API takes; the session encodes
// them in modified UTF-7 where the wire needs it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace imapproto::detail::url {

// Longer URLs are refused (Dovecot's URLs are a few hundred octets; an
// IMAP command line is 64 KiB at most).
inline constexpr std::size_t kMaxUrlLength = 8192;

struct Partial {
    std::uint64_t offset = 0;
    std::optional<std::uint64_t> length; // none: to the end
};

// The URLAUTH component (RFC 4467 §3): ";URLAUTH=<access>[:<mech>:<token>]".
struct UrlAuth {
    std::string access;    // "anonymous", "authuser", "user+joe", "submit+fred" (user decoded)
    std::string mechanism; // "" in a rump URL; upper-cased otherwise
    std::string token;     // hex digits as given; "" in a rump URL
    // The URL as written up to and excluding ":<mech>:<token>" (RFC 4467
    // §6: removing the verifier is the only operation; no decoding, no
    // case folding). The token is an HMAC over exactly these octets.
    std::string rump;
};

struct ImapUrl {
    // Server part (absent in relative URLs that have not been resolved).
    bool has_server = false;
    std::string user;               // decoded enc-user; "" when none
    std::optional<std::string> auth; // ";AUTH=" value decoded ("*" allowed)
    std::string host;               // as written (reg-name, IPv4 or [IP-literal])
    std::optional<std::uint16_t> port;

    // Path.
    std::optional<std::string> mailbox; // UTF-8
    std::optional<std::uint32_t> uidvalidity;
    std::optional<std::string> search;  // decoded enc-search (a message list URL)
    std::optional<std::uint32_t> uid;
    std::optional<std::string> section; // decoded enc-section ("1.2", "HEADER", "1.MIME")
    std::optional<Partial> partial;
    std::optional<std::int64_t> expire; // Unix seconds (RFC 3339 date-time, zone applied)
    std::optional<UrlAuth> urlauth;

    // A message or message part (RFC 5092 imessagepart): a mailbox and a
    // UID. URLAUTH and CATENATE need one.
    bool is_message_part() const { return mailbox.has_value() && uid.has_value(); }
};

enum class UrlForm {
    absolute, // "imap://..." only (URLFETCH, GENURLAUTH)
    any,      // also the relative forms, resolved against the base (CATENATE)
};

struct ParsedUrl {
    std::optional<ImapUrl> url; // nullopt on error
    std::string error;          // why, for logs and BAD texts
};

// Parses `text`. With UrlForm::any a relative URL is resolved against
// `base` (which must be absolute; without one relative URLs are errors):
// a network path ("//host/...") takes only the scheme, an absolute path
// ("/INBOX/;UID=5") the server, a mailbox-relative one ("INBOX/;UID=5")
// the server, and the forms that start with ";UID=", ";SECTION=",
// ";PARTIAL=" keep the base's mailbox (and UID, section) and replace the
// rest (RFC 5092 §7, RFC 3986 §5.2).
ParsedUrl parse_imap_url(std::string_view text, UrlForm form = UrlForm::absolute, const ImapUrl* base = nullptr);

// Writes `url` as an absolute IMAP URL with every component percent-encoded
// as RFC 5092 §11 requires (upper-case keys, as the RFC examples write them).
// The URLAUTH component, when present, is written from its parts (access,
// then ":mech:token" when there is a mechanism).
std::string format_imap_url(const ImapUrl& url);

// Percent-encoding of one component: every octet that is not in the
// component's character set (RFC 5092 §11: bchar for mailbox and section,
// achar for user and auth type) becomes %XX.
enum class Charset { achar, bchar };
std::string percent_encode(std::string_view raw, Charset charset);
// Decodes %XX escapes; nullopt for a malformed escape or a character the
// charset does not allow unencoded.
std::optional<std::string> percent_decode(std::string_view text, Charset charset);

// RFC 3339 date-time ("2024-05-01T10:00:00Z", "...+02:00", fractions of a
// second allowed and ignored) to Unix seconds; nullopt when malformed.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

} // namespace imapproto::detail::url
