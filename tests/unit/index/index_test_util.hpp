// Helpers of the index unit tests: opening an index in a temp dir, simple
// commits, and capturing the error log.
#pragma once

#include "../test_support.hpp"
#include "index/mail_index.hpp"

#include <mailstore/log.hpp>

#include <string>
#include <vector>

namespace index_test {

using namespace mailstore;
using namespace mailstore::index;

inline std::shared_ptr<MailIndex> open_index(const std::string& dir, std::uint64_t rotate = 1 << 20,
                                             FsyncMode fsync = FsyncMode::never) {
    IndexOptions o;
    o.dir = dir;
    o.fsync = fsync;
    o.log_rotate_size = rotate;
    o.lock_timeout = std::chrono::milliseconds(20000);
    auto r = MailIndex::open(o);
    REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    return *r;
}

inline Record rec(Uid uid, MailFlags flags = 0) {
    Record r;
    r.uid = uid;
    r.flags = flags;
    r.physical_size = 100 + uid;
    r.virtual_size = 102 + uid;
    r.received_date = 1700000000 + uid;
    r.save_date = 1700000100 + uid;
    return r;
}

// Appends uids [first, last] in one commit; returns its modseq.
inline ModSeq append_range(MailIndex& idx, Uid first, Uid last) {
    auto r = idx.commit([&](WriteContext& ctx) {
        for (Uid u = first; u <= last; ++u)
            if (auto s = ctx.append(rec(u)); !s)
                return s;
        return Status::ok();
    });
    REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    return r->modseq;
}

inline std::vector<Uid> uids(const IndexState& st) {
    std::vector<Uid> v;
    for (std::uint32_t i = 0; i < st.count(); ++i)
        v.push_back(st.at(i).uid);
    return v;
}

// Sends error/warning lines to a file for the lifetime of the object.
class LogCapture {
public:
    explicit LogCapture(const loft_test::TempDir& dir) : path_(dir.str() + "/errors.log") {
        REQUIRE(log::configure(log::LogSettings().set_log_path(path_)).is_ok());
    }
    ~LogCapture() { (void)log::configure(log::LogSettings()); }
    std::string text() const {
        log::flush();
        return loft_test::slurp(path_);
    }

private:
    std::string path_;
};

} // namespace index_test
