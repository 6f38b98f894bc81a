// GENURLAUTH, RESETKEY, URLFETCH (RFC 4467) with URL-PARTIAL (RFC 5550:
// ;PARTIAL= in the URLs). Only the INTERNAL mechanism exists; its token is
// HMAC-SHA1 over the rump URL with the owner's mailbox access key
// (url/urlauth_keys.hpp). The commands exist only when imap_urlauth_host is
// set (Dovecot advertises URLAUTH only then); URLs must name that host and
// imap_urlauth_port.
#include "commands/commands.hpp"
#include "mailbox/mailbox_names.hpp"
#include "url/imap_url.hpp"
#include "url/url_source.hpp"
#include "url/urlauth_keys.hpp"

#include <imapproto/string_writer.hpp>

#include <mailstore/auth/authenticator.hpp>

#include <ctime>
#include <map>
#include <memory>

namespace imapproto::detail {

namespace st = mailstore::storage;
namespace ms = mailstore;

namespace {

// URLFETCH streams a URL's data in pieces of this size, letting the
// session flush between them.
constexpr std::uint64_t kFetchPiece = 1024 * 1024;
// URLs one URLFETCH may name (BURL sends one per message part).
constexpr std::size_t kMaxFetchUrls = 1000;

bool upper_equals(std::string_view text, std::string_view upper) {
    if (text.size() != upper.size())
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
        if (c != upper[i])
            return false;
    }
    return true;
}

bool lower_equals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto fold = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
        if (fold(a[i]) != fold(b[i]))
            return false;
    }
    return true;
}

// While URLAUTH is off the commands are refused as Dovecot refuses them.
bool urlauth_enabled(Context& ctx, const Command& cmd) {
    if (!ctx.settings().urlauth_host.empty())
        return true;
    ctx.finish_bad("Error in IMAP command " + cmd.name + ": URLAUTH disabled"); // Dovecot's words
    return false;
}

// The URL names this server (imap_urlauth_host, case-insensitively as DNS
// names compare, and imap_urlauth_port, 143 when the URL has no port).
bool names_this_server(Context& ctx, const url::ImapUrl& u) {
    const auto& s = ctx.settings();
    return lower_equals(u.host, s.urlauth_host) && u.port.value_or(143) == s.urlauth_port;
}

// A URL as the responses echo it: a quoted string when it can be one, a
// literal otherwise (RFC 3501 astring/string).
void write_url(std::string& out, std::string_view text) { write_string(out, text); }

// The user whose key table signs the URL. The session's own user needs no
// lookup; another user is opened through the userdb only for URLFETCH, after
// the access identifier allowed the session's user.
struct Owner {
    std::optional<st::User> other;
    const st::User* user = nullptr; // nullptr: no such user (or it cannot be opened)
    std::optional<url::UrlauthKeys> keys;
};

// The owners one URLFETCH has looked up, by user name: a command naming the
// same owner in each of its URLs costs one userdb lookup and one storage
// open, not one per URL. Lives as long as the command; at most one entry
// per URL, so bounded by kMaxFetchUrls.
using OwnerCache = std::map<std::string, std::unique_ptr<Owner>, std::less<>>;

Owner& open_owner(Context& ctx, const std::string& name, OwnerCache& cache) {
    if (auto it = cache.find(name); it != cache.end())
        return *it->second;
    auto owner = std::make_unique<Owner>();
    if (name == ctx.user().username()) {
        owner->user = &ctx.user();
    } else if (LoginBackend* backend = ctx.login_backend()) {
        auto found = backend->lookup_user(name, ctx.options().client);
        if (found.kind == ms::auth::LookupResult::Kind::found) {
            auto settings = st::user_settings_from_userdb(found.user.empty() ? name : found.user, found.fields, "imap");
            auto opened = st::User::open(ctx.config(), settings);
            if (opened) {
                owner->other.emplace(std::move(*opened));
                owner->user = &*owner->other;
            } else {
                ctx.log().errorf("URLFETCH: cannot open the storage of {}: {}", name, opened.status().message());
            }
        }
    }
    // The key table keeps a reference to the User: both live in the same
    // heap object, which the map never moves.
    if (owner->user)
        owner->keys.emplace(*owner->user);
    return *cache.emplace(name, std::move(owner)).first->second;
}

// Whether the access identifier lets this session use the URL (RFC 4467
// §3). "submit+" needs a session authorized as a submission entity: Loft
// has no such role (Dovecot's imap_urlauth_submit_user), so it never does.
bool access_allows(Context& ctx, const std::string& access) {
    if (access == "anonymous" || access == "authuser")
        return true;
    if (access.rfind("user+", 0) == 0)
        return access.substr(5) == ctx.user().username();
    return false;
}

// Checks a URLFETCH URL and opens its data; nullptr for any failure (the
// response is NIL, RFC 4467 §6.3 / BASE.7.4.URLFETCH: never why).
std::unique_ptr<url::UrlSource> resolve_fetch_url(Context& ctx, std::string_view text, OwnerCache& owners) {
    auto parsed = url::parse_imap_url(text, url::UrlForm::absolute);
    if (!parsed.url) {
        ctx.log().debugf("URLFETCH: invalid URL: {}", parsed.error);
        return nullptr;
    }
    const url::ImapUrl& u = *parsed.url;
    // RFC 4467 §7: NIL for anything but a message or message part, and
    // for URLs without a complete URLAUTH.
    if (!u.is_message_part() || !u.urlauth || u.urlauth->mechanism.empty() || u.user.empty())
        return nullptr;
    if (!names_this_server(ctx, u) || u.urlauth->mechanism != "INTERNAL")
        return nullptr;
    if (u.expire && *u.expire <= static_cast<std::int64_t>(std::time(nullptr)))
        return nullptr;
    if (!access_allows(ctx, u.urlauth->access))
        return nullptr;
    Owner& owner = open_owner(ctx, u.user, owners);
    std::optional<std::string> key;
    if (owner.user) {
        auto guid = owner.user->mailbox_guid(*u.mailbox);
        if (guid) {
            auto found = owner.keys->get(*guid, false);
            if (found && *found)
                key = **found;
            else if (!found)
                ctx.log().errorf("URLFETCH: {}", found.status().message());
        }
    }
    // RFC 4467 §6: a token is computed even when the mailbox cannot be
    // identified (with a random key), so timing does not tell.
    const std::string expected = url::urlauth_token(key ? *key : url::random_key(), u.urlauth->rump);
    if (!key || !url::tokens_equal(expected, u.urlauth->token))
        return nullptr;
    auto source = url::UrlSource::open(*owner.user, u);
    if (!source)
        return nullptr;
    return std::move(source.value());
}

class UrlFetchRun final : public CommandRun {
public:
    explicit UrlFetchRun(std::vector<std::string> urls) : urls_(std::move(urls)) {}

    Progress resume(Context& ctx) override {
        Output& out = ctx.out();
        if (!started_) {
            out.append("* URLFETCH");
            started_ = true;
        }
        while (next_ < urls_.size() || source_) {
            if (ctx.output_full())
                return Progress::more_output;
            if (!source_) {
                std::string head = " ";
                write_url(head, urls_[next_]);
                head += ' ';
                source_ = resolve_fetch_url(ctx, urls_[next_], owners_);
                ++next_;
                if (!source_) {
                    head += "NIL";
                    out.append(head);
                    continue;
                }
                head += '{' + std::to_string(source_->size()) + "}\r\n";
                out.append(head);
                position_ = 0;
            }
            auto sink = [&out](std::string_view piece) { out.append(piece); };
            const std::uint64_t left = source_->size() - position_;
            const std::uint64_t written = left == 0 ? 0 : source_->write(position_, std::min(left, kFetchPiece), sink);
            if (written == 0 && left > 0) {
                // The source ended early (its mail file changed under us):
                // the literal's size is on the wire, so it is kept by
                // padding, a piece at a time so memory stays bounded.
                if (!padding_)
                    ctx.log().errorf("URLFETCH: {}: the data ended after {} of {} octets", urls_[next_ - 1],
                                     position_, source_->size());
                const std::uint64_t pad = std::min(left, kFetchPiece);
                out.append(std::string(static_cast<std::size_t>(pad), ' '));
                position_ += pad;
                padding_ = true;
            }
            position_ += written;
            if (position_ >= source_->size()) {
                source_.reset();
                padding_ = false;
            }
        }
        out.append("\r\n");
        owners_.clear();
        ctx.finish_ok("", "URLFETCH completed.");
        return Progress::done;
    }

private:
    std::vector<std::string> urls_;
    std::size_t next_ = 0;
    bool started_ = false;
    OwnerCache owners_; // before source_: outlives the mailbox it opened
    std::unique_ptr<url::UrlSource> source_;
    std::uint64_t position_ = 0;
    bool padding_ = false; // the current source ended early
};

} // namespace

std::unique_ptr<CommandRun> cmd_genurlauth(Context& ctx, const Command& cmd) {
    if (!urlauth_enabled(ctx, cmd))
        return nullptr;
    const auto& args = cmd.args;
    if (args.empty() || args.size() % 2 != 0) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    std::string response = "GENURLAUTH";
    url::UrlauthKeys keys(ctx.user());
    for (std::size_t i = 0; i < args.size(); i += 2) {
        if (!args[i].is_astring() || args[i].spool || args[i + 1].type != Arg::Type::atom) {
            ctx.finish_bad("Invalid arguments.");
            return nullptr;
        }
        if (!upper_equals(args[i + 1].text, "INTERNAL")) {
            ctx.finish_bad("Unsupported URLAUTH mechanism: " + args[i + 1].text);
            return nullptr;
        }
        auto parsed = url::parse_imap_url(args[i].text, url::UrlForm::absolute);
        if (!parsed.url) {
            ctx.finish_bad("Invalid URL: " + parsed.error);
            return nullptr;
        }
        const url::ImapUrl& u = *parsed.url;
        // The RFC 4467 §7 (GENURLAUTH) checks, its example texts.
        if (!u.is_message_part() || u.search) {
            ctx.finish_bad("URL does not name a message or message part");
            return nullptr;
        }
        if (!u.urlauth) {
            ctx.finish_bad("missing access identifier in supplied URL");
            return nullptr;
        }
        if (!u.urlauth->mechanism.empty()) {
            ctx.finish_bad("URL already has a URLAUTH token");
            return nullptr;
        }
        if (u.user.empty()) {
            ctx.finish_bad("missing owner username in supplied URL");
            return nullptr;
        }
        if (u.user != ctx.user().username()) {
            // Loft has no delegated key tables: only the owner signs.
            ctx.finish_bad("Owner username in supplied URL is not the logged in user");
            return nullptr;
        }
        if (!names_this_server(ctx, u)) {
            ctx.finish_bad("URL does not name this server");
            return nullptr;
        }
        auto guid = ctx.user().mailbox_guid(*u.mailbox);
        if (!guid) {
            ctx.finish_bad("Mailbox doesn't exist: " + mailbox_display_name(*u.mailbox));
            return nullptr;
        }
        auto key = keys.get(*guid, true);
        if (!key || !*key) {
            ctx.log().errorf("GENURLAUTH: {}", key ? std::string("no key") : key.status().message());
            ctx.finish_status(key ? ms::Status::io("no key") : key.status());
            return nullptr;
        }
        // RFC 4467 §5: the authorized URL is the rump, ":", the mechanism
        // and the token (lower case, as the RFC's example writes it).
        std::string full = u.urlauth->rump + ":internal:" + url::urlauth_token(**key, u.urlauth->rump);
        response += ' ';
        write_url(response, full);
    }
    ctx.untagged(response);
    ctx.finish_ok("", "GENURLAUTH completed.");
    return nullptr;
}

std::unique_ptr<CommandRun> cmd_resetkey(Context& ctx, const Command& cmd) {
    if (!urlauth_enabled(ctx, cmd))
        return nullptr;
    url::UrlauthKeys keys(ctx.user());
    if (cmd.args.empty()) {
        // RFC 4467 RESETKEY's second form: every key goes, every URL the
        // user authorized is revoked.
        if (auto status = keys.reset_all(); !status) {
            ctx.log().errorf("RESETKEY: {}", status.message());
            ctx.finish_status(status);
            return nullptr;
        }
        ctx.finish_ok("", "All keys removed.");
        return nullptr;
    }
    for (std::size_t i = 1; i < cmd.args.size(); ++i) {
        if (cmd.args[i].type != Arg::Type::atom) {
            ctx.finish_bad("Invalid arguments.");
            return nullptr;
        }
        if (!upper_equals(cmd.args[i].text, "INTERNAL")) {
            ctx.finish_bad("Unsupported URLAUTH mechanism: " + cmd.args[i].text);
            return nullptr;
        }
    }
    auto name = take_mailbox_name(ctx, cmd.args[0]);
    if (!name)
        return nullptr;
    auto guid = ctx.user().mailbox_guid(*name);
    if (!guid) {
        finish_mailbox_error(ctx, guid.status(), *name);
        return nullptr;
    }
    if (auto status = keys.reset(*guid); !status) {
        ctx.log().errorf("RESETKEY: {}", status.message());
        ctx.finish_status(status);
        return nullptr;
    }
    // RFC 4467 BASE.7.1.URLMECH: the code may ride on the tagged OK.
    ctx.finish_ok("URLMECH INTERNAL", "Key reset.");
    return nullptr;
}

std::unique_ptr<CommandRun> cmd_urlfetch(Context& ctx, const Command& cmd) {
    if (!urlauth_enabled(ctx, cmd))
        return nullptr;
    if (cmd.args.empty()) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    // Each URL may cost a userdb lookup, a storage open and a key file
    // read: one command gets a bounded number of them. The command is
    // valid and the server declines it, so NO with RFC 5530's LIMIT code
    // (not BAD), before any URL is resolved.
    if (cmd.args.size() > kMaxFetchUrls) {
        ctx.finish_no("LIMIT", "Too many URLs in one URLFETCH (at most " + std::to_string(kMaxFetchUrls) + ")");
        return nullptr;
    }
    std::vector<std::string> urls;
    urls.reserve(cmd.args.size());
    for (const Arg& arg : cmd.args) {
        if (!arg.is_astring() || arg.spool) {
            ctx.finish_bad("Invalid arguments.");
            return nullptr;
        }
        urls.push_back(arg.text);
    }
    auto run = std::make_unique<UrlFetchRun>(std::move(urls));
    if (run->resume(ctx) == Progress::done)
        return nullptr;
    return run;
}

} // namespace imapproto::detail
