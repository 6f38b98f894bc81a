// APPEND (RFC 3501 §6.3.11) with MULTIAPPEND (RFC 3502: several messages,
// all saved or none), UIDPLUS APPENDUID (RFC 4315), literal8 data (RFC 3516
// BINARY APPEND: stored as given), APPENDLIMIT (RFC 7889 [TOOBIG]) and
// CATENATE (RFC 4469: a message built from TEXT literals and URL parts of
// the user's own messages). The parser has read every literal before the
// command starts; big ones are in spool files, which the storage reads
// without copying them into memory. A catenated message is assembled in
// memory up to kAssembleInMemory octets and in an unlinked spool file
// beyond, so its size never decides how much memory the command takes.
#include "ascii.hpp"
#include "commands/append_message.hpp"
#include "commands/commands.hpp"
#include "commands/message_limit.hpp"
#include "mailbox/internal_date.hpp"
#include "mailbox/mailbox_names.hpp"
#include "session/utf8_accept.hpp"
#include "url/catenate_seam.hpp"
#include "url/imap_url.hpp"
#include "url/url_source.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

namespace imapproto::detail {

namespace st = mailstore::storage;

namespace {

// Catenated messages up to this size are built in memory (the parser's
// APPEND spool threshold); bigger ones in a spool file.
constexpr std::size_t kAssembleInMemory = 128 * 1024;
// RFC 4469 §4.2: the IMAP message size limit is 4 GB.
constexpr std::uint64_t kMaxMessageSize = 0xffffffffULL;
// Pieces a URL part is copied in, and the read size for spooled TEXT parts.
constexpr std::uint64_t kCopyPiece = 1024 * 1024;

// RFC 4469 §5: cat-part = "TEXT" SP literal / "URL" SP astring.
bool valid_catenate_list(const Arg& list) {
    if (list.type != Arg::Type::list || list.children.size() % 2 != 0)
        return false;
    for (std::size_t i = 0; i < list.children.size(); i += 2) {
        const Arg& kind = list.children[i];
        const Arg& value = list.children[i + 1];
        if (kind.type != Arg::Type::atom)
            return false;
        const bool text = strcasecmp(kind.text.c_str(), "TEXT") == 0;
        const bool url = strcasecmp(kind.text.c_str(), "URL") == 0;
        if (text && value.type != Arg::Type::literal)
            return false;
        if (url && (!value.is_astring() || value.spool))
            return false;
        if (!text && !url)
            return false;
    }
    return true;
}

// One catenated message being built: in memory while small, then in an
// unlinked file in the spool directory.
class Assembly {
public:
    Assembly(std::string spool_dir, std::uint64_t limit) : spool_dir_(std::move(spool_dir)), limit_(limit) {}
    ~Assembly() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Assembly(const Assembly&) = delete;
    Assembly& operator=(const Assembly&) = delete;

    // False when the message would exceed the limit (too_big()) or the
    // spool file cannot be written (error()).
    bool append(std::string_view bytes) {
        if (bytes.size() > limit_ - size_) {
            too_big_ = true;
            return false;
        }
        size_ += bytes.size();
        if (fd_ < 0 && memory_.size() + bytes.size() <= kAssembleInMemory) {
            memory_.append(bytes);
            return true;
        }
        if (fd_ < 0) {
            if (!open_spool())
                return false;
            std::string pending;
            pending.swap(memory_);
            if (!write_all(pending))
                return false;
        }
        return write_all(bytes);
    }
    // A spooled literal's bytes, read a piece at a time.
    bool append_fd(int fd, std::uint64_t size) {
        std::string buffer(static_cast<std::size_t>(std::min(size, kCopyPiece)), '\0');
        std::uint64_t offset = 0;
        while (offset < size) {
            const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - offset));
            const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                error_ = n < 0 ? std::strerror(errno) : "short spool file";
                return false;
            }
            if (!append(std::string_view(buffer.data(), static_cast<std::size_t>(n))))
                return false;
            offset += static_cast<std::uint64_t>(n);
        }
        return true;
    }

    std::uint64_t size() const { return size_; }
    bool too_big() const { return too_big_; }
    const std::string& error() const { return error_; }
    // Where the storage reads the message from.
    void fill(st::SaveRequest& req) const {
        if (fd_ >= 0)
            req.fd = fd_;
        else
            req.data = memory_;
    }

private:
    bool open_spool() {
        fd_ = ::open(spool_dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd_ < 0) {
            // Filesystems without O_TMPFILE: a named file, unlinked at once.
            std::string path = spool_dir_ + "/loft-catenate.XXXXXX";
            fd_ = ::mkostemp(path.data(), O_CLOEXEC);
            if (fd_ >= 0)
                ::unlink(path.c_str());
        }
        if (fd_ < 0)
            error_ = std::string("cannot create a spool file in ") + spool_dir_ + ": " + std::strerror(errno);
        return fd_ >= 0;
    }
    bool write_all(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                error_ = std::string("spool write: ") + std::strerror(errno);
                return false;
            }
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    std::string spool_dir_;
    std::uint64_t limit_;
    std::string memory_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    bool too_big_ = false;
    std::string error_;
};

// BADURL's text is a url-resp-text (RFC 4469 §5: TEXT-CHAR without "]"):
// the URL as the client wrote it, with anything else percent-encoded.
std::string badurl_code(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string code = "BADURL ";
    for (char c : text.substr(0, url::kMaxUrlLength)) {
        const auto b = static_cast<unsigned char>(c);
        if (b > 0x20 && b < 0x7f && c != ']' && c != '%') {
            code += c;
        } else {
            code += '%';
            code += kHex[b >> 4];
            code += kHex[b & 15];
        }
    }
    return code;
}

// The base of CATENATE's relative URLs (RFC 4469 §3): "imap://user@server/"
// or, in the selected state, "imap://user@server/mailbox".
url::ImapUrl catenate_base(Context& ctx) {
    url::ImapUrl base;
    base.has_server = true;
    base.user = ctx.user().username();
    base.host = ctx.settings().urlauth_host.empty() ? "localhost" : ctx.settings().urlauth_host;
    if (Selected* sel = ctx.selected(); sel && sel->mailbox)
        base.mailbox = sel->mailbox->name();
    return base;
}

// Opens the data of one CATENATE URL part: the user's own message part,
// named by a relative URL or an absolute one for this server and user
// (RFC 4469 §3: other URLs are out of its scope and answered NO). On
// failure `why` is the BADURL text, in Dovecot's words where it has them.
std::unique_ptr<url::UrlSource> open_catenate_url(Context& ctx, const url::ImapUrl& base, std::string_view text,
                                                  std::string& why) {
    auto parsed = url::parse_imap_url(text, url::UrlForm::any, &base);
    if (!parsed.url) {
        why = "Invalid IMAP URL: " + parsed.error;
        return nullptr;
    }
    const url::ImapUrl& u = *parsed.url;
    const std::uint64_t port = ctx.settings().urlauth_host.empty() ? 143 : ctx.settings().urlauth_port;
    // RFC 3986 §3.2.2: the host is case-insensitive (the user name is not).
    if (u.user != base.user || !ascii_iequals(u.host, base.host) ||
        u.port.value_or(143) != port) {
        why = "Invalid IMAP URL: Relative URL required";
        return nullptr;
    }
    // URLAUTH components belong to URLFETCH and BURL, not to the user's
    // own messages (Dovecot refuses them here too).
    if (u.expire || u.urlauth) {
        why = std::string("Invalid IMAP URL: `;") + (u.expire ? "EXPIRE" : "URLAUTH") +
              "=' is not allowed in this context";
        return nullptr;
    }
    auto source = url::UrlSource::open(ctx.user(), u);
    if (!source) {
        const auto code = source.status().code();
        if (code == mailstore::Status::Code::not_found || code == mailstore::Status::Code::invalid_argument) {
            why = source.status().message();
        } else {
            ctx.log().errorf("APPEND CATENATE: {}: {}", text, source.status().message());
            why = internal_error_text();
        }
        return nullptr;
    }
    return std::move(source.value());
}

// url/catenate_seam.hpp: UINT64_MAX is no limit.
std::atomic<std::uint64_t> g_source_limit{UINT64_MAX};

// The next piece of a URL part from offset `pos`: what the source wrote to
// `sink` (0 when it has nothing more).
std::uint64_t copy_piece(url::UrlSource& source, std::uint64_t pos, const mailstore::mime::ByteSink& sink) {
    const std::uint64_t end = std::min(source.size(), g_source_limit.load(std::memory_order_relaxed));
    if (pos >= end)
        return 0;
    return source.write(pos, std::min(kCopyPiece, end - pos), sink);
}

enum class Built { ok, answered };

// Builds one catenated message into `assembly`; on failure answers the
// command (NO [BADURL], NO [TOOBIG]) and returns Built::answered.
Built build_catenated(Context& ctx, const Arg& list, Assembly& assembly) {
    const url::ImapUrl base = catenate_base(ctx);
    for (std::size_t i = 0; i < list.children.size(); i += 2) {
        const Arg& value = list.children[i + 1];
        bool ok = true;
        if (value.type == Arg::Type::literal) {
            ok = value.spool ? assembly.append_fd(value.spool->fd(), value.spool->size())
                             : assembly.append(value.text);
        } else {
            std::string why;
            auto source = open_catenate_url(ctx, base, value.text, why);
            if (!source) {
                ctx.finish_no(badurl_code(value.text), why);
                return Built::answered;
            }
            auto sink = [&assembly, &ok](std::string_view piece) {
                if (ok)
                    ok = assembly.append(piece);
            };
            std::uint64_t pos = 0;
            while (ok && pos < source->size()) {
                const std::uint64_t n = copy_piece(*source, pos, sink);
                if (n == 0)
                    break;
                pos += n;
            }
            if (ok && pos < source->size()) {
                // The source ended before the size it announced (its mail
                // file changed under us): saving the rest would store a
                // silently truncated message, so the whole APPEND fails
                // and the transaction rolls back (RFC 4469 §4: all or
                // nothing).
                ctx.finish_status(mailstore::Status::io("CATENATE " + value.text + ": the data ended after " +
                                                        std::to_string(pos) + " of " +
                                                        std::to_string(source->size()) + " octets"));
                return Built::answered;
            }
        }
        if (!ok) {
            if (assembly.too_big()) {
                ctx.finish_no("TOOBIG", "Mail size is too large");
            } else {
                ctx.log().errorf("APPEND CATENATE: {}", assembly.error());
                ctx.finish_status(mailstore::Status::io(assembly.error()));
            }
            return Built::answered;
        }
    }
    return Built::ok;
}

} // namespace

void set_catenate_source_limit_for_tests(std::optional<std::uint64_t> limit) {
    g_source_limit.store(limit.value_or(UINT64_MAX), std::memory_order_relaxed);
}

bool parse_append_messages(Context& ctx, const Command& cmd, std::size_t first, std::vector<AppendMessage>& out) {
    const auto& args = cmd.args;
    std::size_t i = first;
    while (i < args.size()) {
        AppendMessage up;
        if (args[i].type == Arg::Type::list) {
            std::string error;
            auto flags = parse_flag_list(args[i], error);
            if (!flags) {
                ctx.finish_bad(error.empty() ? "Invalid flags" : error);
                return false;
            }
            up.flags = std::move(*flags);
            ++i;
        }
        if (i < args.size() && args[i].type == Arg::Type::quoted) {
            up.internal_date = parse_imap_date_time(args[i].text);
            if (!up.internal_date) {
                ctx.finish_bad("Invalid internal date");
                return false;
            }
            ++i;
        }
        if (i + 1 < args.size() && args[i].type == Arg::Type::atom &&
            strcasecmp(args[i].text.c_str(), "CATENATE") == 0) {
            if (args[i + 1].type == Arg::Type::list && args[i + 1].children.empty()) {
                ctx.finish_bad("Empty CATENATE list"); // Dovecot's words
                return false;
            }
            if (!valid_catenate_list(args[i + 1])) {
                ctx.finish_bad("Invalid arguments.");
                return false;
            }
            up.catenate = &args[i + 1];
            i += 2;
            out.push_back(std::move(up));
            continue;
        }
        if (i < args.size() && args[i].type == Arg::Type::atom && strcasecmp(args[i].text.c_str(), "UTF8") == 0) {
            // RFC 9755 (UTF8=ACCEPT): append-data =/ "UTF8" SP "("
            // literal8 ")", a message with UTF-8 header fields; part of
            // the syntax only once the client enabled UTF8=ACCEPT.
            std::string error;
            up.data = utf8_append_data(ctx, args, i, error);
            if (!up.data) {
                ctx.finish_bad(error);
                return false;
            }
            out.push_back(std::move(up));
            continue;
        }
        if (i >= args.size() || args[i].type != Arg::Type::literal) {
            ctx.finish_bad("Invalid arguments.");
            return false;
        }
        up.data = &args[i++];
        out.push_back(std::move(up));
    }
    if (out.empty()) {
        ctx.finish_bad("Invalid arguments.");
        return false;
    }
    return true;
}

bool check_append_sizes(Context& ctx, const std::vector<AppendMessage>& messages) {
    const std::uint64_t limit = ctx.settings().append_max_size;
    for (const auto& up : messages) {
        if (up.catenate)
            continue; // checked as they are built
        if (up.data->size() == 0) {
            ctx.finish_no("", "Can't save a zero byte message");
            return false;
        }
        if (limit != 0 && up.data->size() > limit) {
            ctx.finish_no("TOOBIG", "Mail size is too large");
            return false;
        }
        if (refuse_8bit_header_append(ctx, *up.data))
            return false;
    }
    return true;
}

std::unique_ptr<st::Mailbox> open_append_target(Context& ctx, const std::string& name, st::Mailbox*& target) {
    target = nullptr;
    // Saving through the selected mailbox keeps \Recent with this session
    // and lets the sync after the command report the new EXISTS.
    Selected* sel = ctx.selected();
    if (sel && sel->mailbox && !sel->read_only && sel->mailbox->name() == name) {
        target = sel->mailbox.get();
        return nullptr;
    }
    st::OpenOptions options;
    options.claim_recent = false; // the session that selects it gets \Recent
    auto opened = st::Mailbox::open(ctx.user(), name, options);
    if (!opened) {
        // RFC 3501 §6.3.11: a missing target is [TRYCREATE].
        if (opened.status().code() == mailstore::Status::Code::not_found || !ctx.user().exists(name))
            ctx.finish_no("TRYCREATE", "Mailbox doesn't exist: " + mailbox_display_name(name));
        else
            finish_mailbox_error(ctx, opened.status(), name);
        return nullptr;
    }
    auto owned = std::make_unique<st::Mailbox>(std::move(opened.value()));
    target = owned.get();
    return owned;
}

bool save_append_messages(Context& ctx, st::Transaction& tx, const std::vector<AppendMessage>& messages) {
    const std::uint64_t limit = ctx.settings().append_max_size;
    const std::uint64_t catenate_limit = limit != 0 ? std::min(limit, kMaxMessageSize) : kMaxMessageSize;
    for (const auto& up : messages) {
        st::SaveRequest req;
        // A catenated message is built, saved and dropped before the next
        // one, so MULTIAPPEND holds at most one in memory.
        std::optional<Assembly> assembly;
        if (up.catenate) {
            assembly.emplace(ctx.spool_dir(), catenate_limit);
            if (build_catenated(ctx, *up.catenate, *assembly) == Built::answered)
                return false;
            if (assembly->size() == 0) {
                ctx.finish_no("", "Can't save a zero byte message");
                return false;
            }
            assembly->fill(req);
        } else if (up.data->spool) {
            req.fd = up.data->spool->fd();
        } else {
            req.data = up.data->text;
        }
        req.flags = up.flags.flags;
        req.keywords = up.flags.keywords;
        req.internal_date = up.internal_date;
        if (auto status = tx.save(req); !status) {
            if (status.code() == mailstore::Status::Code::invalid_argument)
                ctx.finish_no("", status.message());
            else
                ctx.finish_status(status);
            return false;
        }
    }
    return true;
}

std::unique_ptr<CommandRun> cmd_append(Context& ctx, const Command& cmd) {
    if (cmd.args.size() < 2) {
        ctx.finish_bad("Invalid arguments.");
        return nullptr;
    }
    std::vector<AppendMessage> uploads;
    if (!parse_append_messages(ctx, cmd, 1, uploads))
        return nullptr;
    // RFC 9738 §3.1: MULTIAPPEND is atomic, so one over imap_save_limit
    // appends nothing.
    if (refuse_append_over_save_limit(ctx, uploads.size()))
        return nullptr;
    auto name = take_mailbox_name(ctx, cmd.args[0]);
    if (!name)
        return nullptr;
    if (!check_append_sizes(ctx, uploads))
        return nullptr;
    st::Mailbox* target = nullptr;
    auto owned = open_append_target(ctx, *name, target);
    if (!target)
        return nullptr;
    st::Transaction tx = target->begin();
    // On failure the transaction rolls back: none of the messages is kept.
    if (!save_append_messages(ctx, tx, uploads))
        return nullptr;
    auto committed = tx.commit();
    if (!committed) {
        ctx.finish_status(committed.status());
        return nullptr;
    }
    std::string code;
    if (committed->saved.size() == uploads.size()) {
        st::UidSet uids;
        for (st::Uid uid : committed->saved)
            uids.add(uid);
        code = "APPENDUID " + std::to_string(committed->uidvalidity) + ' ' + uids.to_string();
    }
    ctx.finish_ok(code, "Append completed.");
    return nullptr;
}

} // namespace imapproto::detail
