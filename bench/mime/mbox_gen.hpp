// A deterministic mbox of realistic messages for the parse benchmark: the
// same seed gives the same bytes on every machine, so runs compare.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

// An mbox ("From " separator lines, LF line ends; a quarter of the
// messages use CRLF inside) of `count` messages of varied shapes and sizes:
// plain text, quoted-printable, multipart/alternative, multipart/mixed with
// base64 attachments from 1 KB to 512 KB, multipart/related, forwarded
// message/rfc822 up to three deep, multipart/digest, mailing-list headers.
std::string generate_mbox(std::size_t count, std::uint64_t seed = 20261128);

// The messages of an mbox, without their "From " lines (views into `mbox`).
std::vector<std::string_view> split_mbox(std::string_view mbox);

// One multipart/mixed message with `parts` text parts of `part_size` bytes
// each (parts == 1: a single text/plain body of `part_size` bytes).
std::string make_message(std::size_t parts, std::size_t part_size);

} // namespace bench
