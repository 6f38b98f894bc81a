// A deterministic generator of realistic mail for benchmarks: the same seed
// gives the same bytes on every machine (its own random numbers and integer
// or plain IEEE arithmetic only, no <random> distributions, no libm).
//
//   corpus::Generator gen(seed);
//   std::string msg = gen.next();           // one RFC 5322 message
//   const corpus::MessageInfo& m = gen.info();  // what it holds
//
// Sizes follow a mixture of two log-normal distributions (size_quantile()
// gives its quantiles): mail without attachments (median 5 KiB) and mail
// with base64 attachments (median 60 KiB, a heavy tail up to max_size),
// clamped to [min_size, max_size]. Messages carry MIME attachments,
// multipart/alternative HTML, threads (In-Reply-To/References chains under
// one subject), text in UTF-8, ISO-8859-1/15, windows-1252, KOI8-R and
// ISO-2022-JP, and RFC 2047 encoded-words in From and Subject.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace corpus {

// Search terms the corpus guarantees, for SEARCH workloads: message 0 (and
// others) is from kFromTerm's sender, has kSubjectTerm in its subject and
// kBodyNeedle in its text body. kBodyNeedle occurs in text bodies only (never
// in a header or an attachment); kFromTerm in From only from that sender.
inline constexpr std::string_view kFromTerm = "carol";
inline constexpr std::string_view kSubjectTerm = "quarterly";
inline constexpr std::string_view kBodyNeedle = "zanzibar";

struct Options {
    std::uint64_t min_size = 1024;             // bytes; every message is at least this long
    std::uint64_t max_size = 5 * 1024 * 1024;  // bytes; none is longer (>= 4096)
    // The first message's delivery time (Unix seconds; 2025-01-01 00:00 UTC)
    // and the mean gap between two deliveries.
    std::int64_t start_time = 1735689600;
    std::uint32_t mean_gap_s = 600;
    bool crlf = false;  // CRLF line ends (default LF, as Dovecot stores mail)
};

struct MessageInfo {
    std::uint64_t index = 0;        // 0 for the first message of the generator
    std::uint64_t size = 0;         // bytes of the message
    std::uint64_t vsize = 0;        // bytes with every line end as CRLF (IMAP RFC822.SIZE)
    std::uint64_t target_size = 0;  // size drawn from the distribution (size is within a few hundred bytes)
    std::int64_t received = 0;      // delivery time, Unix seconds (strictly increasing)
    std::int64_t date = 0;          // the Date field, Unix seconds (UTC)
    std::string date_field;         // the Date field's value as written
    std::string subject;            // the Subject field's value as written (may hold encoded-words)
    std::string from_address;       // local@domain of From
    std::string message_id;         // "<...>"
    std::uint64_t thread_id = 0;    // index of the thread's first message
    std::string charset;            // charset of the text body
    std::size_t parts = 0;          // MIME parts, the root included (ParsedMessage::part_count)
    std::size_t attachments = 0;    // base64 attachment parts
    bool has_html = false;          // has a text/html alternative
    bool has_needle = false;        // kBodyNeedle is in the text body
    bool from_term = false;         // From is kFromTerm's sender
};

// The size distribution: p in (0, 1) -> the size below which that fraction
// of target sizes falls (before the clamp to min/max). For tests and docs.
double size_quantile(double p);

class Generator {
public:
    explicit Generator(std::uint64_t seed, Options options = {});

    // The next message (also into a caller's buffer, reusing its capacity).
    std::string next();
    void next(std::string& out);
    // Metadata of the message next() returned last.
    const MessageInfo& info() const { return info_; }

private:
    struct Thread {
        std::string subject;                  // as written, without "Re: "
        std::vector<std::string> message_ids; // the last few, newest last
        std::uint64_t root = 0;
    };
    static constexpr std::size_t kRecent = 256;
    std::uint64_t rand();
    std::uint64_t below(std::uint64_t n);
    bool chance(unsigned per_mille);

    std::uint64_t state_;
    Options options_;
    std::uint64_t index_ = 0;
    std::int64_t clock_;
    // Threads still answered, by root index, and the thread of each of the
    // last kRecent messages (a ring): a reply picks a recent message and
    // joins its thread, so busy threads attract more replies and thread
    // sizes are heavy-tailed, as on a mailing list. Both bounded.
    std::map<std::uint64_t, Thread> threads_;
    std::vector<std::uint64_t> recent_;
    MessageInfo info_;
    friend class MessageWriter;
};

} // namespace corpus
