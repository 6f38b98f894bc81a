// libFuzzer target for the index files (libmailstore/src/index). The input
// is split at the first two "\n--\n" separators into the bytes of
// loft.index, loft.index.log and loft.index.cache (a missing part: no such
// file), written into a fresh directory and opened. Checks: open never fails
// on bad bytes (it starts empty instead); the state has strictly increasing
// uids, each modseq at most the highest, find() agrees with at(), keyword ids
// are defined; cache lookups and dump() terminate; a commit then succeeds
// and a second open sees what it wrote.
#include "fuzz_check.hpp"

#include "index/mail_index.hpp"

#include <mailstore/log.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

using namespace mailstore;
using namespace mailstore::index;

namespace {
void check_state(MailIndex& idx, const IndexState& st) {
    Uid last = 0;
    for (std::uint32_t i = 0; i < st.count() && i < 5000; ++i) {
        const Record& r = st.at(i);
        FUZZ_CHECK(r.uid > last);
        FUZZ_CHECK(r.modseq <= st.header().highest_modseq);
        FUZZ_CHECK(st.find(r.uid) == i);
        for (auto id : st.keyword_ids(r))
            FUZZ_CHECK(id < st.header().keywords.size());
        (void)idx.cache_lookup(st, r, "envelope");
        last = r.uid;
    }
    (void)st.expunged_since(0);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static bool quiet = [] {
        (void)log::configure(log::LogSettings().set_log_path("/dev/null"));
        return true;
    }();
    (void)quiet;
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string parts[3];
    bool present[3] = {false, false, false};
    for (int i = 0; i < 3; ++i) {
        if (in.empty() && i > 0)
            break;
        present[i] = true;
        auto sep = in.find("\n--\n");
        if (sep == std::string_view::npos || i == 2) {
            parts[i] = std::string(in);
            in = {};
        } else {
            parts[i] = std::string(in.substr(0, sep));
            in.remove_prefix(sep + 4);
        }
    }
    std::string tmpl = (std::filesystem::temp_directory_path() / "fuzz-index-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
        return 0;
    const std::string dir = tmpl;
    const char* names[3] = {"/loft.index", "/loft.index.log", "/loft.index.cache"};
    for (int i = 0; i < 3; ++i)
        if (present[i] && !(i == 0 && parts[0].empty()))
            std::ofstream(dir + names[i], std::ios::binary) << parts[i];

    IndexOptions opt;
    opt.dir = dir;
    opt.fsync = FsyncMode::never;
    opt.lock_timeout = std::chrono::milliseconds(1000);
    auto idx = MailIndex::open(opt);
    FUZZ_CHECK(idx.is_ok());
    auto st = (*idx)->state();
    check_state(**idx, *st);
    FUZZ_CHECK(!(*idx)->dump().empty());
    Uid next = st->header().next_uid == 0xffffffffu ? 0 : st->header().next_uid;
    auto r = (*idx)->commit([&](WriteContext& ctx) {
        if (next == 0)
            return Status::ok();
        next = std::max(next, ctx.current().count() ? ctx.current().at(ctx.current().count() - 1).uid + 1 : Uid{1});
        Record rec;
        rec.uid = next;
        if (auto s = ctx.append(rec); !s)
            return s;
        return ctx.cache_add(next, "envelope", "E");
    });
    if (!r.is_ok())
        std::fprintf(stderr, "commit failed: %s\n", r.status().message().c_str());
    FUZZ_CHECK(r.is_ok());
    if (next != 0) {
        auto again = MailIndex::open(opt);
        FUZZ_CHECK(again.is_ok());
        auto st2 = (*again)->state();
        check_state(**again, *st2);
        auto pos = st2->find(next);
        if (!pos)
            std::fprintf(stderr, "uid %u not found after reopening:\n%s\nwritten:\n%s\n", next,
                         (*again)->dump().c_str(), (*idx)->dump().c_str());
        FUZZ_CHECK(pos.has_value());
        FUZZ_CHECK((*again)->cache_lookup(*st2, st2->at(*pos), "envelope") == "E");
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return 0;
}
