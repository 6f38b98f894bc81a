// Index layer micro-benchmark (docs/index-format.md): opening a 100,000-record
// index from a warm snapshot, walking every UID and flag, and single-change
// commits. Run by hand: build-bench/bench/index/bench_index [records] [dir].
// Prints wall and CPU time (the CPU time is what matters on a busy machine).
#include "index/mail_index.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>

using namespace mailstore;
using namespace mailstore::index;

namespace {
double cpu_ms() {
    timespec t{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}
double wall_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
} // namespace

int main(int argc, char** argv) {
    Uid records = argc > 1 ? static_cast<Uid>(std::strtoul(argv[1], nullptr, 10)) : 100000;
    std::string dir = argc > 2 ? argv[2] : (std::filesystem::temp_directory_path() / "loft-bench-index").string();
    std::filesystem::remove_all(dir);
    IndexOptions opt;
    opt.dir = dir;
    opt.fsync = FsyncMode::optimized;
    opt.log_rotate_size = 1 << 20;
    auto idx = MailIndex::open(opt);
    if (!idx) {
        std::fprintf(stderr, "%s\n", idx.status().message().c_str());
        return 1;
    }
    double w = wall_ms(), c = cpu_ms();
    auto r = (*idx)->commit([&](WriteContext& ctx) {
        for (Uid u = 1; u <= records; ++u) {
            Record rec;
            rec.uid = u;
            rec.flags = u % 3 ? storage::flag_seen : 0;
            rec.physical_size = 4096;
            rec.virtual_size = 4180;
            if (auto s = ctx.append(rec); !s)
                return s;
        }
        return Status::ok();
    });
    if (!r) {
        std::fprintf(stderr, "%s\n", r.status().message().c_str());
        return 1;
    }
    std::printf("append %u records in one commit (rotates into a snapshot): %.1f ms wall, %.1f ms cpu\n", records,
                wall_ms() - w, cpu_ms() - c);

    double best_wall = 1e9, best_cpu = 1e9;
    for (int round = 0; round < 5; ++round) {
        w = wall_ms();
        c = cpu_ms();
        auto again = MailIndex::open(opt);
        auto st = (*again)->state();
        std::uint64_t sum = 0;
        for (std::uint32_t i = 0; i < st->count(); ++i)
            sum += st->at(i).uid + st->at(i).flags;
        best_wall = std::min(best_wall, wall_ms() - w);
        best_cpu = std::min(best_cpu, cpu_ms() - c);
        if (sum == 0)
            std::printf("(empty)\n");
    }
    std::printf("open from a warm snapshot + walk every uid and flag: best of 5 %.2f ms wall, %.2f ms cpu\n", best_wall,
                best_cpu);

    const int commits = 1000;
    w = wall_ms();
    c = cpu_ms();
    for (int i = 0; i < commits; ++i)
        (void)(*idx)->commit([&](WriteContext& ctx) {
            return ctx.set_flags(static_cast<Uid>(1 + i % records), storage::flag_flagged, {});
        });
    std::printf("%d single-flag commits: %.3f ms wall, %.3f ms cpu per commit\n", commits,
                (wall_ms() - w) / commits, (cpu_ms() - c) / commits);
    std::filesystem::remove_all(dir);
    return 0;
}
