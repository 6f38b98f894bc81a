#include "commands/search_result.hpp"

#include <imapproto/string_writer.hpp>

#include <algorithm>
#include <cstddef>
#include <string_view>

#include <strings.h>

namespace imapproto::detail {

namespace ms = mailstore::storage;

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
    // RFC 9394 §3.1: one PARTIAL, one ALL, or neither.
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
        // RFC 9394 §3.1: the range as requested, then the results at those
        // positions (counted from the end for "-1:-100"), or NIL when
        // there are none. Written low:high, as Dovecot does (§4: 500:400
        // is the same range as 400:500).
        const PartialRange& range = *ret.partial;
        line += " PARTIAL (" + range.to_string() + ' ';
        const PartialRange::Slice slice = range.slice(ids.size());
        if (slice.empty()) {
            line += "NIL";
        } else {
            const std::vector<std::uint32_t> part(ids.begin() + static_cast<std::ptrdiff_t>(slice.begin),
                                                  ids.begin() + static_cast<std::ptrdiff_t>(slice.end));
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
    std::vector<std::uint32_t> chosen;
    const std::vector<std::uint32_t>* from = &uids;
    if (ret.partial && !ret.count) {
        // RFC 9394 §3.2 (Table 1): what PARTIAL returned, with the MIN
        // and/or MAX message when those were asked for too.
        const PartialRange::Slice slice = ret.partial->slice(uids.size());
        chosen.assign(uids.begin() + static_cast<std::ptrdiff_t>(slice.begin),
                      uids.begin() + static_cast<std::ptrdiff_t>(slice.empty() ? slice.begin : slice.end));
        if (ret.min)
            chosen.push_back(uids.front());
        if (ret.max)
            chosen.push_back(uids.back());
        from = &chosen;
    } else if ((ret.min || ret.max) && !ret.all && !ret.count) {
        if (ret.min)
            saved.add(uids.front());
        if (ret.max)
            saved.add(uids.back());
        return saved;
    }
    // Ascending, so consecutive runs go in as ranges and a big result
    // stays small (SORT's order is not ascending).
    if (!std::is_sorted(from->begin(), from->end())) {
        if (from != &chosen)
            chosen = *from;
        std::sort(chosen.begin(), chosen.end());
        from = &chosen;
    }
    const std::vector<std::uint32_t>& ids = *from;
    std::size_t i = 0;
    while (i < ids.size()) {
        std::size_t j = i;
        while (j + 1 < ids.size() && ids[j + 1] <= ids[j] + 1)
            ++j;
        saved.add(ids[i], ids[j]);
        i = j + 1;
    }
    return saved;
}

} // namespace imapproto::detail
