// Charset conversion to UTF-8. UTF-8, US-ASCII and Latin-1/Windows-1252 are
// converted here directly (they are most mail); everything else goes
// through glibc iconv, with descriptors cached per thread because
// iconv_open() loads and initialises a gconv module on every call.
//
// Charset names come from untrusted headers, so a name is checked before it
// can reach iconv_open(): short, and only the characters IANA charset names
// use (RFC 2978 §2.3 allows more, but no registered name needs them; a '/'
// would otherwise select glibc's //TRANSLIT-style suffixes or a gconv path).
#include <mailstore/mime/charset.hpp>

#include "charset_stream.hpp"
#include "charset_utf8.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include <iconv.h>

namespace mailstore::mime {

namespace {

using detail::append_utf8;
using detail::ascii_prefix;
using detail::decode_utf8_step;

// Longest IANA charset name is 45 characters; a few vendor names are longer.
constexpr std::size_t max_charset_name = 64;

// Windows-1252's 0x80..0x9F. The five bytes it leaves undefined map to the
// C1 controls of the same value, as the WHATWG Encoding Standard does, so
// no byte is lost.
constexpr std::array<char16_t, 32> cp1252_c1 = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

void append_cp1252(std::string_view in, std::string& out)
{
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const std::size_t n = in.size();
    std::size_t i = 0;
    while (i < n) {
        const std::size_t run = ascii_prefix(p + i, n - i);
        out.append(in.data() + i, run);
        i += run;
        if (i == n)
            break;
        const unsigned char b = p[i++];
        append_utf8(out, b >= 0x80 && b < 0xA0 ? char32_t{cp1252_c1[b - 0x80]} : char32_t{b});
    }
}

void append_sanitized(std::string_view in, std::string& out)
{
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const std::size_t n = in.size();
    std::size_t i = 0;
    while (i < n) {
        std::size_t j = i + ascii_prefix(p + i, n - i);
        // Extend over valid multi-byte sequences too; copy the run at once.
        while (j < n) {
            if (p[j] < 0x80) {
                ++j;
                continue;
            }
            const auto step = decode_utf8_step(p + j, n - j);
            if (!step.valid)
                break;
            j += step.len;
        }
        out.append(in.data() + i, j - i);
        i = j;
        if (i == n)
            break;
        const auto step = decode_utf8_step(p + i, n - i);
        out.append(detail::utf8_replacement, 3);
        i += step.len;
    }
}

// How a charset name is handled.
enum class Kind { utf8, ascii, cp1252, undeclared, iconv };

struct Alias {
    std::string_view name;  // lower case
    Kind kind;
    const char* iconv_name; // for Kind::iconv
};

// MIME names and the mislabellings mail clients really send, mapped to what
// decodes them best. Supersets are chosen where the smaller charset's
// mapping is kept (so correct labels lose nothing): GB2312/GBK → GB18030,
// EUC-KR → CP949 (Outlook's "ks_c_5601-1987" is CP949), TIS-620/ISO-8859-11
// → Windows-874, Big5 → Big5-HKSCS, ISO-2022-JP → ISO-2022-JP-2 (which also
// takes the half-width katakana escape Windows writes), ISO-8859-1 → Windows-
// 1252 (what Outlook means by it; also the WHATWG rule). Shift_JIS labels
// use CP932 (Windows-31J): glibc's SHIFT_JIS turns 0x5C and 0x7E into ¥ and
// ‾, which breaks every path and URL, and lacks the NEC/IBM extensions
// (①, Roman numerals) Japanese Windows mail is full of. Sorted by name.
constexpr Alias aliases[] = {
    {"646", Kind::ascii, nullptr},
    {"8859-1", Kind::cp1252, nullptr},
    {"ansi_x3.4-1968", Kind::ascii, nullptr},
    {"ansi_x3.4-1986", Kind::ascii, nullptr},
    {"ascii", Kind::ascii, nullptr},
    {"big5", Kind::iconv, "BIG5-HKSCS"},
    {"big5-hkscs", Kind::iconv, "BIG5-HKSCS"},
    {"chinese", Kind::iconv, "GB18030"},
    {"cn-big5", Kind::iconv, "BIG5-HKSCS"},
    {"cp1252", Kind::cp1252, nullptr},
    {"cp367", Kind::ascii, nullptr},
    {"cp819", Kind::cp1252, nullptr},
    {"cp874", Kind::iconv, "CP874"},
    {"cp932", Kind::iconv, "CP932"},
    {"cp936", Kind::iconv, "GB18030"},
    {"cp949", Kind::iconv, "CP949"},
    {"csascii", Kind::ascii, nullptr},
    {"csbig5", Kind::iconv, "BIG5-HKSCS"},
    {"cseuckr", Kind::iconv, "CP949"},
    {"csgb2312", Kind::iconv, "GB18030"},
    {"csiso2022jp", Kind::iconv, "ISO-2022-JP-2"},
    {"csiso58gb231280", Kind::iconv, "GB18030"},
    {"csisolatin1", Kind::cp1252, nullptr},
    {"csksc56011987", Kind::iconv, "CP949"},
    {"csshiftjis", Kind::iconv, "CP932"},
    {"csunicode11utf7", Kind::iconv, "UTF-7"},
    {"csutf8", Kind::utf8, nullptr},
    {"csviscii", Kind::iconv, "VISCII"},
    {"euc-cn", Kind::iconv, "GB18030"},
    {"euc-kr", Kind::iconv, "CP949"},
    {"euckr", Kind::iconv, "CP949"},
    {"gb18030", Kind::iconv, "GB18030"},
    {"gb2312", Kind::iconv, "GB18030"},
    {"gb_2312", Kind::iconv, "GB18030"},
    {"gb_2312-80", Kind::iconv, "GB18030"},
    {"gbk", Kind::iconv, "GB18030"},
    {"ibm367", Kind::ascii, nullptr},
    {"ibm819", Kind::cp1252, nullptr},
    {"iso-2022-jp", Kind::iconv, "ISO-2022-JP-2"},
    {"iso-2022-jp-1", Kind::iconv, "ISO-2022-JP-2"},
    {"iso-2022-jp-2", Kind::iconv, "ISO-2022-JP-2"},
    {"iso-8859-1", Kind::cp1252, nullptr},
    {"iso-8859-11", Kind::iconv, "CP874"},
    {"iso-8859-6-e", Kind::iconv, "ISO-8859-6"},
    {"iso-8859-6-i", Kind::iconv, "ISO-8859-6"},
    {"iso-8859-8-e", Kind::iconv, "ISO-8859-8"},
    {"iso-8859-8-i", Kind::iconv, "ISO-8859-8"},
    {"iso-ir-100", Kind::cp1252, nullptr},
    {"iso-ir-149", Kind::iconv, "CP949"},
    {"iso-ir-58", Kind::iconv, "GB18030"},
    {"iso-ir-6", Kind::ascii, nullptr},
    {"iso646-us", Kind::ascii, nullptr},
    {"iso8859-1", Kind::cp1252, nullptr},
    {"iso88591", Kind::cp1252, nullptr},
    {"iso_646.irv:1991", Kind::ascii, nullptr},
    {"iso_8859-1", Kind::cp1252, nullptr},
    {"iso_8859-1:1987", Kind::cp1252, nullptr},
    {"korean", Kind::iconv, "CP949"},
    {"ks_c_5601", Kind::iconv, "CP949"},
    {"ks_c_5601-1987", Kind::iconv, "CP949"},
    {"ks_c_5601-1989", Kind::iconv, "CP949"},
    {"ksc5601", Kind::iconv, "CP949"},
    {"ksc_5601", Kind::iconv, "CP949"},
    {"l1", Kind::cp1252, nullptr},
    {"latin1", Kind::cp1252, nullptr},
    {"mac", Kind::iconv, "MACINTOSH"},
    {"macintosh", Kind::iconv, "MACINTOSH"},
    {"ms932", Kind::iconv, "CP932"},
    {"ms936", Kind::iconv, "GB18030"},
    {"ms949", Kind::iconv, "CP949"},
    {"ms_kanji", Kind::iconv, "CP932"},
    {"shift-jis", Kind::iconv, "CP932"},
    {"shift_jis", Kind::iconv, "CP932"},
    {"sjis", Kind::iconv, "CP932"},
    {"tis-620", Kind::iconv, "CP874"},
    {"tis620", Kind::iconv, "CP874"},
    {"uhc", Kind::iconv, "CP949"},
    {"unicode-1-1-utf-7", Kind::iconv, "UTF-7"},
    {"unicode-1-1-utf-8", Kind::utf8, nullptr},
    {"unicode-2-0-utf-8", Kind::utf8, nullptr},
    {"unknown", Kind::undeclared, nullptr},
    {"unknown-8bit", Kind::undeclared, nullptr},
    {"us", Kind::ascii, nullptr},
    {"us-ascii", Kind::ascii, nullptr},
    {"utf-7", Kind::iconv, "UTF-7"},
    {"utf-8", Kind::utf8, nullptr},
    {"utf8", Kind::utf8, nullptr},
    {"windows-1252", Kind::cp1252, nullptr},
    {"windows-31j", Kind::iconv, "CP932"},
    {"windows-874", Kind::iconv, "CP874"},
    {"windows-936", Kind::iconv, "GB18030"},
    {"windows-949", Kind::iconv, "CP949"},
    {"x-cp1252", Kind::cp1252, nullptr},
    {"x-euc-cn", Kind::iconv, "GB18030"},
    {"x-gbk", Kind::iconv, "GB18030"},
    {"x-mac-roman", Kind::iconv, "MACINTOSH"},
    {"x-sjis", Kind::iconv, "CP932"},
    {"x-unicode-2-0-utf-7", Kind::iconv, "UTF-7"},
    {"x-unknown", Kind::undeclared, nullptr},
    {"x-user-defined", Kind::undeclared, nullptr},
    {"x-windows-874", Kind::iconv, "CP874"},
    {"x-windows-949", Kind::iconv, "CP949"},
    {"x-x-big5", Kind::iconv, "BIG5-HKSCS"},
};

constexpr bool aliases_sorted()
{
    for (std::size_t i = 1; i < std::size(aliases); ++i)
        if (!(aliases[i - 1].name < aliases[i].name))
            return false;
    return true;
}
static_assert(aliases_sorted(), "aliases must stay sorted for binary search");

struct Resolved {
    Kind kind = Kind::iconv;
    std::string iconv_name;  // upper-case name for iconv_open; empty: rejected name
};

// Normalises a charset name as found in a header: surrounding blanks and
// quotes dropped, an RFC 2231 §5 language suffix ("utf-8*en") removed,
// lower-cased. An empty result means the name is unusable.
std::string normalize_name(std::string_view name)
{
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"' ||
                              s.front() == '\''))
            s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '"' ||
                              s.back() == '\''))
            s.remove_suffix(1);
        return s;
    };
    name = trim(name);
    if (const auto star = name.find('*'); star != std::string_view::npos)
        name = trim(name.substr(0, star));
    if (name.empty() || name.size() > max_charset_name)
        return {};
    std::string out;
    out.reserve(name.size());
    for (const char c : name) {
        if (c >= 'A' && c <= 'Z') {
            out.push_back(static_cast<char>(c - 'A' + 'a'));
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                   c == '.' || c == ':' || c == '+') {
            out.push_back(c);
        } else {
            return {};
        }
    }
    // At least one letter or digit ("-", "..." are no names).
    if (std::none_of(out.begin(), out.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        }))
        return {};
    return out;
}

Resolved resolve(std::string_view charset)
{
    Resolved r;
    const std::string name = normalize_name(charset);
    if (name.empty())
        return r;
    const auto* it = std::lower_bound(std::begin(aliases), std::end(aliases), name,
                                      [](const Alias& a, const std::string& n) { return a.name < n; });
    if (it != std::end(aliases) && it->name == name) {
        r.kind = it->kind;
        r.iconv_name = it->iconv_name ? it->iconv_name : "UTF-8";
        return r;
    }
    // windows-125x and cp125x: glibc knows both spellings; the other
    // ISO-8859-x, KOI8, EUC-JP, UTF-16 ... go to iconv as written.
    r.iconv_name.reserve(name.size());
    for (const char c : name)
        r.iconv_name.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    return r;
}

// Per-thread iconv descriptors, reused after a reset. Failed opens are
// remembered too, so a message full of one bogus charset name costs one
// failed iconv_open. Bounded: the least recently used entry is replaced.
class IconvCache {
public:
    IconvCache() = default;
    IconvCache(const IconvCache&) = delete;
    IconvCache& operator=(const IconvCache&) = delete;
    ~IconvCache()
    {
        for (auto& e : entries_)
            if (e.cd != invalid())
                iconv_close(e.cd);
    }

    // The descriptor for name → UTF-8, reset to its initial state, or
    // invalid() when iconv does not know the name.
    iconv_t get(const std::string& name)
    {
        ++tick_;
        for (auto& e : entries_) {
            if (e.name == name) {
                e.last_use = tick_;
                if (e.cd != invalid())
                    iconv(e.cd, nullptr, nullptr, nullptr, nullptr);
                return e.cd;
            }
        }
        iconv_t cd = iconv_open("UTF-8", name.c_str());
        Entry* slot = nullptr;
        if (entries_.size() < max_entries) {
            slot = &entries_.emplace_back();
        } else {
            slot = &*std::min_element(entries_.begin(), entries_.end(),
                                      [](const Entry& a, const Entry& b) { return a.last_use < b.last_use; });
            if (slot->cd != invalid())
                iconv_close(slot->cd);
        }
        slot->name = name;
        slot->cd = cd;
        slot->last_use = tick_;
        return cd;
    }

    // For a stream that keeps a descriptor across calls: takes it out of
    // the cache (so no other conversion on this thread resets it midway);
    // give it back with release().
    iconv_t acquire(const std::string& name)
    {
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            if (it->name == name) {
                iconv_t cd = it->cd;
                entries_.erase(it);
                if (cd != invalid())
                    iconv(cd, nullptr, nullptr, nullptr, nullptr);
                return cd;
            }
        }
        return iconv_open("UTF-8", name.c_str());
    }

    void release(const std::string& name, iconv_t cd)
    {
        for (const auto& e : entries_) {
            if (e.name == name) {  // opened again meanwhile: keep one
                if (cd != invalid())
                    iconv_close(cd);
                return;
            }
        }
        Entry* slot = nullptr;
        if (entries_.size() < max_entries) {
            slot = &entries_.emplace_back();
        } else {
            slot = &*std::min_element(entries_.begin(), entries_.end(),
                                      [](const Entry& a, const Entry& b) { return a.last_use < b.last_use; });
            if (slot->cd != invalid())
                iconv_close(slot->cd);
        }
        slot->name = name;
        slot->cd = cd;
        slot->last_use = ++tick_;
    }

    static iconv_t invalid() { return reinterpret_cast<iconv_t>(-1); }

private:
    static constexpr std::size_t max_entries = 16;
    struct Entry {
        std::string name;
        iconv_t cd = invalid();
        std::uint64_t last_use = 0;
    };
    std::vector<Entry> entries_;
    std::uint64_t tick_ = 0;
};

IconvCache& iconv_cache()
{
    thread_local IconvCache cache;
    return cache;
}

// Longest incomplete multibyte character a streaming conversion holds back
// (GB18030 and UTF-8 need 4 bytes; UTF-7's base64 runs are split by iconv).
constexpr std::size_t max_carry = 16;

// Runs `cd` over `in`. An invalid byte (EILSEQ) becomes U+FFFD and
// conversion goes on with the next byte, keeping the shift state of
// stateful charsets (ISO-2022-JP, UTF-7); an incomplete sequence at the end
// (EINVAL) becomes one U+FFFD. The output is capped in proportion to the
// input so that no converter can blow it up.
// Streaming (`carry` given): an incomplete character at the end is left in
// *carry for the next piece, and the shift state is flushed only when
// `flush` is set (the last piece).
void convert_iconv(iconv_t cd, std::string_view in, std::string& out, std::string* carry = nullptr,
                   bool flush = true)
{
    const std::size_t start = out.size();
    const std::size_t cap = in.size() * 8 + 64;
    char buf[8192];
    char* inp = const_cast<char*>(in.data());  // iconv's signature; input is not written
    std::size_t inleft = in.size();
    bool flushed = false;
    while (!flushed) {
        char* outp = buf;
        std::size_t outleft = sizeof buf;
        std::size_t r;
        if (inleft > 0) {
            r = iconv(cd, &inp, &inleft, &outp, &outleft);
        } else if (!flush) {
            break;
        } else {
            // Emit what a stateful decoder still holds (and return to the
            // initial state).
            r = iconv(cd, nullptr, nullptr, &outp, &outleft);
            flushed = r != static_cast<std::size_t>(-1) || errno != E2BIG;
        }
        const int err = errno;
        out.append(buf, static_cast<std::size_t>(outp - buf));
        if (out.size() - start > cap) {
            out.resize(start + cap);
            break;
        }
        if (r != static_cast<std::size_t>(-1) || inleft == 0)
            continue;
        if (err == E2BIG)
            continue;
        if (err == EINVAL && carry != nullptr && inleft <= max_carry) {
            // Streaming: the character may end in the next piece. Kept
            // unconverted, and the shift state is not flushed.
            carry->assign(inp, inleft);
            break;
        }
        out.append(detail::utf8_replacement, 3);
        if (err == EINVAL) {
            inleft = 0;  // incomplete sequence at the end
        } else {
            ++inp;  // EILSEQ (or anything unexpected): skip one byte
            --inleft;
        }
    }
    // glibc writes valid UTF-8, but the converters are many; cheap to check.
    const std::string_view added(out.data() + start, out.size() - start);
    if (!is_valid_utf8(added)) {
        std::string fixed;
        append_sanitized(added, fixed);
        out.resize(start);
        out += fixed;
    }
}

} // namespace

bool convert_to_utf8(std::string_view charset, std::string_view in, std::string& out)
{
    const Resolved r = resolve(charset);
    if (r.iconv_name.empty()) {
        append_sanitized(in, out);
        return false;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    switch (r.kind) {
    case Kind::utf8:
        append_sanitized(in, out);
        return true;
    case Kind::ascii:
        // US-ASCII is the default label (RFC 2045 §5.2), so 8-bit text
        // sent without a charset ends up here. Taken as a superset, as
        // mail clients do: kept when it is valid UTF-8, else Windows-1252.
        if (ascii_prefix(p, in.size()) == in.size())
            out.append(in);
        else
            out += utf8_or_latin1(in);
        return true;
    case Kind::cp1252:
        append_cp1252(in, out);
        return true;
    case Kind::undeclared:
        out += utf8_or_latin1(in);
        return true;
    case Kind::iconv:
        break;
    }
    iconv_t cd = iconv_cache().get(r.iconv_name);
    if (cd == IconvCache::invalid()) {
        append_sanitized(in, out);
        return false;
    }
    convert_iconv(cd, in, out);
    return true;
}

bool is_known_charset(std::string_view charset)
{
    const Resolved r = resolve(charset);
    if (r.iconv_name.empty())
        return false;
    if (r.kind != Kind::iconv)
        return true;
    return iconv_cache().get(r.iconv_name) != IconvCache::invalid();
}

bool is_valid_utf8(std::string_view text)
{
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        i += ascii_prefix(p + i, n - i);
        if (i == n)
            break;
        const auto step = decode_utf8_step(p + i, n - i);
        if (!step.valid)
            return false;
        i += step.len;
    }
    return true;
}

std::string sanitize_utf8(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    append_sanitized(text, out);
    return out;
}

std::string utf8_or_latin1(std::string_view text)
{
    if (is_valid_utf8(text))
        return std::string(text);
    // Windows-1252 rather than strict ISO-8859-1: bytes 0x80..0x9F are
    // nearly always its quotes and dashes, never C1 controls.
    std::string out;
    out.reserve(text.size() + text.size() / 2);
    append_cp1252(text, out);
    return out;
}

} // namespace mailstore::mime

namespace mailstore::mime::detail {

void Utf8Validator::feed(std::string_view in)
{
    if (invalid_ || in.empty())
        return;
    if (!carry_.empty()) {
        // Complete the held-back character with the first bytes of `in`.
        const std::size_t had = carry_.size();
        std::string head = carry_;
        head.append(in.substr(0, std::min<std::size_t>(in.size(), 4 - had)));
        const auto step =
            decode_utf8_step(reinterpret_cast<const unsigned char*>(head.data()), head.size());
        if (!step.valid) {
            if (step.len == head.size() && head.size() == had + in.size()) {
                carry_ = std::move(head);  // still cut short: wait for more
                return;
            }
            invalid_ = true;
            return;
        }
        in.remove_prefix(step.len - had);
        carry_.clear();
    }
    const std::size_t tail = incomplete_utf8_tail(in);
    if (!is_valid_utf8(in.substr(0, in.size() - tail))) {
        invalid_ = true;
        return;
    }
    carry_.assign(in.substr(in.size() - tail));
}

bool Utf8Validator::finish()
{
    const bool ok = !invalid_ && carry_.empty();
    carry_.clear();
    invalid_ = false;
    return ok;
}

struct Utf8Stream::State {
    Kind kind = Kind::utf8;
    std::string iconv_name;
    iconv_t cd = IconvCache::invalid();
};

Utf8Stream::Utf8Stream(std::string_view charset) : state_(std::make_unique<State>())
{
    const Resolved r = resolve(charset);
    if (r.iconv_name.empty()) {
        state_->kind = Kind::utf8;  // unusable name: sanitised as UTF-8
        known_ = false;
        return;
    }
    state_->kind = r.kind;
    if (r.kind == Kind::iconv) {
        state_->iconv_name = r.iconv_name;
        state_->cd = iconv_cache().acquire(r.iconv_name);
        if (state_->cd == IconvCache::invalid()) {
            iconv_cache().release(r.iconv_name, state_->cd);
            state_->kind = Kind::utf8;
            known_ = false;
        }
    }
}

Utf8Stream::~Utf8Stream()
{
    if (state_->kind == Kind::iconv)
        iconv_cache().release(state_->iconv_name, state_->cd);
}

bool Utf8Stream::needs_whole_input_check() const
{
    return state_->kind == Kind::ascii || state_->kind == Kind::undeclared;
}

void Utf8Stream::feed(std::string_view in, std::string& out)
{
    const Kind kind = state_->kind;
    if (kind == Kind::cp1252 || ((kind == Kind::ascii || kind == Kind::undeclared) && !whole_valid_)) {
        append_cp1252(in, out);  // one byte, one character: no carry
        return;
    }
    if (kind == Kind::iconv) {
        std::string piece;
        if (!carry_.empty()) {
            piece = std::move(carry_);
            carry_.clear();
            piece.append(in);
            in = piece;
        }
        convert_iconv(state_->cd, in, out, &carry_, false);
        return;
    }
    // UTF-8 (or valid UTF-8 labelled US-ASCII): sanitised, holding back a
    // character cut by the piece boundary.
    std::string piece;
    if (!carry_.empty()) {
        piece = std::move(carry_);
        carry_.clear();
        piece.append(in);
        in = piece;
    }
    const std::size_t tail = incomplete_utf8_tail(in);
    append_sanitized(in.substr(0, in.size() - tail), out);
    carry_.assign(in.substr(in.size() - tail));
}

void Utf8Stream::finish(std::string& out)
{
    if (state_->kind == Kind::iconv) {
        // What is left is an incomplete character: one U+FFFD, as the one-
        // shot conversion gives; then the shift state is flushed.
        if (!carry_.empty())
            out.append(utf8_replacement, 3);
        carry_.clear();
        convert_iconv(state_->cd, {}, out, nullptr, true);
        return;
    }
    append_sanitized(carry_, out);
    carry_.clear();
}

} // namespace mailstore::mime::detail
