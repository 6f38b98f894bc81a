// Helpers every command uses (context.hpp): flags as text and from a list,
// mailbox names between the wire (modified UTF-7) and the storage (UTF-8),
// and the internal-error text.
#include "session/context.hpp"
#include "session/utf8_accept.hpp"

#include <imapproto/string_writer.hpp>

#include <mailstore/mime/charset.hpp>
#include <mailstore/mutf7.hpp>

#include <ctime>
#include <strings.h>

namespace imapproto::detail {

namespace st = mailstore::storage;

std::string internal_error_text() {
    // Dovecot's wording and timestamp format (UTC here), which admins grep
    // their logs for.
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    return std::string("Internal error occurred. Refer to server log for more information. [") + stamp + "]";
}

std::string flags_text(st::MailFlags flags, const std::vector<std::string>& keywords, bool recent) {
    std::string s = st::format_flags(flags);
    if (recent) {
        if (!s.empty())
            s += ' ';
        s += "\\Recent";
    }
    for (const auto& k : keywords) {
        if (!s.empty())
            s += ' ';
        s += k;
    }
    return s;
}

namespace {

// RFC 3501 atom-specials and list-wildcards are not allowed in a keyword
// (flag-keyword = atom); ']' is allowed in atoms of ASTRING but not here.
bool valid_keyword(std::string_view k) {
    if (k.empty() || k.size() > 128)
        return false;
    for (unsigned char c : k) {
        if (c <= 0x20 || c >= 0x7f)
            return false;
        switch (c) {
        case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']':
            return false;
        default:
            break;
        }
    }
    return true;
}

bool add_flag(ParsedFlags& out, const Arg& a, std::string& error) {
    if (a.type != Arg::Type::atom) {
        error = "Invalid flag";
        return false;
    }
    const std::string& t = a.text;
    if (!t.empty() && t[0] == '\\') {
        auto bit = st::parse_flag(t);
        if (!bit) {
            error = "Invalid system flag " + t;
            return false;
        }
        out.flags |= *bit;
        return true;
    }
    if (!valid_keyword(t)) {
        error = "Invalid keyword " + t;
        return false;
    }
    for (const auto& k : out.keywords)
        if (k.size() == t.size() && strncasecmp(k.c_str(), t.c_str(), t.size()) == 0)
            return true; // keywords are case-insensitive; keep the first
    out.keywords.push_back(t);
    return true;
}

} // namespace

std::optional<ParsedFlags> parse_flag_list(const Arg& arg, std::string& error) {
    ParsedFlags out;
    if (arg.type == Arg::Type::list) {
        for (const auto& a : arg.children)
            if (!add_flag(out, a, error))
                return std::nullopt;
        return out;
    }
    // STORE also takes a single flag without parentheses (RFC 3501 §9).
    if (!add_flag(out, arg, error))
        return std::nullopt;
    return out;
}

std::optional<std::string> mailbox_name_arg(Context& ctx, const Arg& arg, std::string& error) {
    if (!arg.is_astring() || arg.spool) {
        error = "Invalid mailbox name";
        return std::nullopt;
    }
    const std::string& raw = arg.text;
    if (raw.find('\0') != std::string::npos) {
        error = "Invalid mailbox name: NUL";
        return std::nullopt;
    }
    // RFC 9051 §5.1: IMAP4rev2 mailbox names are UTF-8, as with UTF8=ACCEPT
    // (RFC 9755 §3); a literal that is not UTF-8 is no such name.
    if (utf8_names(ctx)) {
        if (!mailstore::mime::is_valid_utf8(raw)) {
            error = "Mailbox name is not valid UTF-8";
            return std::nullopt;
        }
        return raw;
    }
    // Plain 8-bit names are not mUTF-7 (RFC 3501 §5.1.3).
    auto utf8 = mailstore::mutf7_to_utf8(raw);
    if (!utf8) {
        error = "Mailbox name is not valid mUTF-7";
        return std::nullopt;
    }
    return utf8;
}

void write_mailbox_name(Context& ctx, std::string& out, std::string_view utf8_name) {
    if (utf8_names(ctx)) {
        write_astring(out, utf8_name);
        return;
    }
    auto m = mailstore::utf8_to_mutf7(utf8_name);
    write_astring(out, m ? std::string_view(*m) : utf8_name);
}

} // namespace imapproto::detail
