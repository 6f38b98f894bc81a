// loft-bench-corpus: writes a deterministic, realistic mail corpus
// (generator.hpp) as a Maildir with a dovecot-uidlist, or as an mbox, for the
// benchmarks (bench/README.md, "corpus").
//
//   loft-bench-corpus --seed=1 --count=100000 --max-size=1M --maildir=DIR
#include "corpus/corpus_writer.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace {

// "1048576", "1024K", "5M" -> bytes; 0 when not a size.
std::uint64_t parse_size(const std::string& text) {
    if (text.empty() || text.size() > 18)
        return 0;
    std::uint64_t mult = 1;
    std::string digits = text;
    const char last = static_cast<char>(digits.back() | 0x20);
    if (last == 'k' || last == 'm') {
        mult = last == 'k' ? 1024 : 1024 * 1024;
        digits.pop_back();
    }
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
        return 0;
    return std::stoull(digits) * mult;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Writes a deterministic benchmark mail corpus (Maildir with dovecot-uidlist, or mbox)."};
    corpus::WriteOptions opt;
    std::string maildir, mbox, manifest, max_size = "5M", min_size = "1K";
    app.add_option("--seed", opt.seed, "random seed: the same seed writes the same bytes")->default_val(1);
    app.add_option("--count", opt.count, "number of messages")->required()->check(CLI::Range(1ull, 10000000ull));
    app.add_option("--maildir", maildir, "write a Maildir here (created; must hold no messages)");
    app.add_option("--mbox", mbox, "write an mbox file here (must not exist)");
    app.add_option("--max-size", max_size, "largest message (bytes, or with K/M), at least 4K")->default_val("5M");
    app.add_option("--min-size", min_size, "smallest message (bytes, or with K/M)")->default_val("1K");
    app.add_option("--seen", opt.seen_fraction, "fraction of messages flagged \\Seen")
        ->default_val(0.7)
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--host", opt.host, "host part of the Maildir file names")->default_val("corpus.bench");
    app.add_option("--uidvalidity", opt.uidvalidity, "UIDVALIDITY of the dovecot-uidlist")->default_val(1735689600);
    app.add_flag("--crlf", opt.generator.crlf, "CRLF line ends (default LF, as Dovecot stores mail)");
    app.add_option("--manifest", manifest, "write one tab-separated line per message here");
    CLI11_PARSE(app, argc, argv);

    opt.generator.max_size = parse_size(max_size);
    opt.generator.min_size = parse_size(min_size);
    if (opt.generator.max_size < 4096 || opt.generator.min_size == 0 ||
        opt.generator.min_size * 2 > opt.generator.max_size) {
        std::fprintf(stderr, "loft-bench-corpus: --max-size must be at least 4K and twice --min-size (>0)\n");
        return 2;
    }
    if (maildir.empty() == mbox.empty()) {
        std::fprintf(stderr, "loft-bench-corpus: give exactly one of --maildir and --mbox\n");
        return 2;
    }
    if (opt.host.empty() || opt.host.find_first_of("/:,") != std::string::npos) {
        std::fprintf(stderr, "loft-bench-corpus: --host must not be empty or hold '/', ':' or ','\n");
        return 2;
    }
    std::FILE* mf = nullptr;
    if (!manifest.empty()) {
        mf = std::fopen(manifest.c_str(), "w");
        if (!mf) {
            std::perror(manifest.c_str());
            return 1;
        }
        corpus::write_manifest_header(mf);
        opt.manifest = mf;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const corpus::WriteResult r = maildir.empty() ? corpus::write_mbox(mbox, opt) : corpus::write_maildir(maildir, opt);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (mf && std::fclose(mf) != 0 && r.error.empty()) {
        std::perror(manifest.c_str());
        return 1;
    }
    if (!r.error.empty()) {
        std::fprintf(stderr, "loft-bench-corpus: %s\n", r.error.c_str());
        return 1;
    }
    std::printf("%llu messages, %llu bytes in %.1f s\n", static_cast<unsigned long long>(r.messages),
                static_cast<unsigned long long>(r.bytes), secs);
    return 0;
}
