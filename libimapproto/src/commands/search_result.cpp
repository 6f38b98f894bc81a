#include "commands/search_result.hpp"

#include <imapproto/string_writer.hpp>

#include <algorithm>
#include <cstddef>
#include <string_view>

#include <strings.h>

namespace imapproto::detail {

namespace ms = mailstore::storage;

namespace {

// An nz-number of at most 32 bits (RFC 3501 §9), or 0.
std::uint32_t parse_nz_number(std::string_view text) {
    if (text.empty() || text.size() > 10 || text[0] == '0')
        return 0;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return 0;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value > 0xFFFFFFFFu ? 0 : static_cast<std::uint32_t>(value);
}

// RFC 5267 §5: partial-range = nz-number ":" nz-number.
std::optional<PartialRange> parse_partial_range(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos)
        return std::nullopt;
    PartialRange range;
    range.first = parse_nz_number(text.substr(0, colon));
    range.last = parse_nz_number(text.substr(colon + 1));
    if (range.first == 0 || range.last == 0)
        return std::nullopt;
    return range;
}

} // namespace

std::optional<SearchReturn> parse_search_return(const Arg& list, std::string& error) {
    SearchReturn ret;
    ret.extended = true;
    if (list.type != Arg::Type::list) {
        error = "Invalid SEARCH return options";
        return std::nullopt;
    }
    const auto& options = list.children;
    for (std::size_t i = 0; i < options.size(); ++i) {
        const Arg& option = options[i];
        if (option.type != Arg::Type::atom) {
            error = "Unknown SEARCH return option";
            return std::nullopt;
        }
        const char* name = option.text.c_str();
        if (strcasecmp(name, "MIN") == 0)
            ret.min = true;
        else if (strcasecmp(name, "MAX") == 0)
            ret.max = true;
        else if (strcasecmp(name, "ALL") == 0)
            ret.all = true;
        else if (strcasecmp(name, "COUNT") == 0)
            ret.count = true;
        else if (strcasecmp(name, "SAVE") == 0)
            ret.save = true;
        else if (strcasecmp(name, "CONTEXT") == 0)
            ret.context = true;
        else if (strcasecmp(name, "UPDATE") == 0)
            ret.update = true;
        else if (strcasecmp(name, "PARTIAL") == 0) {
            if (i + 1 >= options.size() || options[i + 1].type != Arg::Type::atom) {
                error = "PARTIAL range missing";
                return std::nullopt;
            }
            auto range = parse_partial_range(options[i + 1].text);
            if (!range) {
                error = "PARTIAL range broken";
                return std::nullopt;
            }
            if (ret.partial) {
                error = "PARTIAL can be used only once";
                return std::nullopt;
            }
            ret.partial = range;
            ++i;
        } else {
            error = "Unknown SEARCH return option";
            return std::nullopt;
        }
    }
    // RFC 5267 §4.4: one PARTIAL, one ALL, or neither.
    if (ret.partial && ret.all) {
        error = "PARTIAL conflicts with ALL";
        return std::nullopt;
    }
    // RFC 4731 §3.1: RETURN () is RETURN (ALL). So is a list with only
    // the CONTEXT hint (Dovecot's answer); SAVE and UPDATE alone return
    // no data (RFC 5182 §2.4; UPDATE gets an empty ESEARCH).
    if (!ret.min && !ret.max && !ret.count && !ret.partial && !ret.save && !ret.update)
        ret.all = true;
    return ret;
}

namespace {

// Bytes collected before they are handed to the output queue.
constexpr std::size_t kChunk = 16 * 1024;

void flush_chunk(Context& ctx, std::string& line, bool force) {
    if (line.size() >= kChunk || (force && !line.empty())) {
        ctx.out().append(line);
        line.clear();
    }
}

// "2:4,9" for ascending numbers, written in pieces.
void append_set(Context& ctx, std::string& line, const std::vector<std::uint32_t>& ids) {
    std::size_t i = 0;
    bool first = true;
    while (i < ids.size()) {
        std::size_t j = i;
        while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1)
            ++j;
        if (!first)
            line += ',';
        first = false;
        line += std::to_string(ids[i]);
        if (j > i) {
            line += ':';
            line += std::to_string(ids[j]);
        }
        i = j + 1;
        flush_chunk(ctx, line, false);
    }
}

} // namespace

void write_search_response(Context& ctx, const SearchReturn& ret, bool uid, const SearchMatches& matches) {
    const auto& ids = matches.ids;
    std::string line;
    if (!ret.extended) {
        line = "* SEARCH";
        for (std::uint32_t id : ids) {
            line += ' ';
            line += std::to_string(id);
            flush_chunk(ctx, line, false);
        }
        if (matches.modseq != 0 && !ids.empty())
            line += " (MODSEQ " + std::to_string(matches.modseq) + ")";
        line += "\r\n";
        flush_chunk(ctx, line, true);
        return;
    }
    // RFC 5182 §2.4: SAVE alone returns no ESEARCH response. UPDATE
    // without a data option gets an ESEARCH without data, as Dovecot
    // answers it.
    if (!ret.min && !ret.max && !ret.all && !ret.count && !ret.partial && !ret.update)
        return;
    line = "* ESEARCH (TAG ";
    write_string(line, ctx.tag());
    line += ')';
    if (uid)
        line += " UID";
    // RFC 4731 §3.1: MIN, MAX and ALL are left out for an empty result;
    // COUNT 0 is not.
    if (!ids.empty()) {
        if (ret.min)
            line += " MIN " + std::to_string(ids.front());
        if (ret.max)
            line += " MAX " + std::to_string(ids.back());
        if (ret.all) {
            line += " ALL ";
            append_set(ctx, line, ids);
        }
    }
    if (ret.partial) {
        // RFC 5267 §4.4: the range as requested, then the results at those
        // positions, or NIL when there are none.
        const PartialRange& range = *ret.partial;
        // Written low:high, as Dovecot does (§5: 500:400 means 400:500).
        line += " PARTIAL (" + std::to_string(range.low()) + ':' + std::to_string(range.high()) + ' ';
        const std::size_t low = range.low() - 1;
        const std::size_t high = std::min<std::size_t>(range.high(), ids.size());
        if (low >= high) {
            line += "NIL";
        } else {
            const std::vector<std::uint32_t> part(ids.begin() + static_cast<std::ptrdiff_t>(low),
                                                  ids.begin() + static_cast<std::ptrdiff_t>(high));
            append_set(ctx, line, part);
        }
        line += ')';
    }
    if (ret.count)
        line += " COUNT " + std::to_string(ids.size());
    if (matches.modseq != 0 && !ids.empty())
        line += " MODSEQ " + std::to_string(matches.modseq);
    line += "\r\n";
    flush_chunk(ctx, line, true);
}

ms::UidSet saved_result_of(const SearchReturn& ret, const std::vector<std::uint32_t>& uids) {
    ms::UidSet saved;
    if (uids.empty())
        return saved;
    if ((ret.min || ret.max) && !ret.all && !ret.count) {
        if (ret.min)
            saved.add(uids.front());
        if (ret.max)
            saved.add(uids.back());
        return saved;
    }
    // Consecutive runs go in as ranges, so a big result stays small.
    std::size_t i = 0;
    while (i < uids.size()) {
        std::size_t j = i;
        while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1)
            ++j;
        saved.add(uids[i], uids[j]);
        i = j + 1;
    }
    return saved;
}

} // namespace imapproto::detail
