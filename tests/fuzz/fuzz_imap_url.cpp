// libFuzzer target for the IMAP URL parser (libimapproto/src/url/imap_url.cpp,
// RFC 5092 with the URLAUTH and CATENATE forms). The input is one URL,
// parsed as an absolute URL and as a relative one against a fixed base.
// Checks: a failure has a reason; the length bound holds; a parsed absolute
// URL formats to a URL that parses back to the same components (one
// spelling per value); a URLAUTH rump is a prefix of the input;
// percent_encode/percent_decode round-trip every NUL-free input.
#include "fuzz_check.hpp"

#include "url/imap_url.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace imapproto::detail::url;

bool same_components(const ImapUrl& a, const ImapUrl& b) {
    const bool auth_same = a.urlauth.has_value() == b.urlauth.has_value() &&
                           (!a.urlauth || (a.urlauth->access == b.urlauth->access &&
                                           a.urlauth->mechanism == b.urlauth->mechanism &&
                                           a.urlauth->token == b.urlauth->token));
    const bool partial_same = a.partial.has_value() == b.partial.has_value() &&
                              (!a.partial || (a.partial->offset == b.partial->offset &&
                                              a.partial->length == b.partial->length));
    return a.has_server == b.has_server && a.user == b.user && a.auth == b.auth && a.host == b.host &&
           a.port == b.port && a.mailbox == b.mailbox && a.uidvalidity == b.uidvalidity && a.search == b.search &&
           a.uid == b.uid && a.section == b.section && a.expire == b.expire && partial_same && auth_same;
}

void check(const ParsedUrl& r, std::string_view text) {
    FUZZ_CHECK(r.url.has_value() != !r.error.empty());
    if (text.size() > kMaxUrlLength)
        FUZZ_CHECK(!r.url);
    if (!r.url)
        return;
    const ImapUrl& u = *r.url;
    FUZZ_CHECK(u.has_server);
    if (u.urlauth && text.rfind("imap://", 0) == 0)
        FUZZ_CHECK(text.substr(0, u.urlauth->rump.size()) == u.urlauth->rump);
    const std::string formatted = format_imap_url(u);
    if (formatted.size() > kMaxUrlLength)
        return;
    auto again = parse_imap_url(formatted);
    FUZZ_CHECK(again.url.has_value());
    FUZZ_CHECK(same_components(u, *again.url));
    FUZZ_CHECK(format_imap_url(*again.url) == formatted);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check(parse_imap_url(text), text);

    ImapUrl base;
    base.has_server = true;
    base.user = "alice";
    base.host = "mail.example.org";
    base.mailbox = "Drafts";
    base.uid = 20;
    base.section = "1.2";
    check(parse_imap_url(text, UrlForm::any, &base), text);

    if (text.find('\0') == std::string_view::npos) {
        for (Charset cs : {Charset::achar, Charset::bchar}) {
            auto decoded = percent_decode(percent_encode(text, cs), cs);
            FUZZ_CHECK(decoded && *decoded == text);
        }
    }
    return 0;
}
