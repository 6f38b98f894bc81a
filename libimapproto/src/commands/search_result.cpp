#include "commands/search_result.hpp"

#include <imapproto/string_writer.hpp>

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
    for (const Arg& option : list.children) {
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
        else {
            error = "Unknown SEARCH return option";
            return std::nullopt;
        }
    }
    if (list.children.empty())
        ret.all = true; // RFC 4731 §3.1: RETURN () is RETURN (ALL)
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
    // RFC 5182 §2.4: SAVE alone returns no ESEARCH response.
    if (!ret.min && !ret.max && !ret.all && !ret.count)
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
