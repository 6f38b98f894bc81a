// Reading a password: from the terminal without echo after a prompt, or, when
// stdin is not a terminal (a script piping it in), the first line of stdin
// without a prompt.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace loftadm {

// True when stdin is a terminal.
bool stdin_is_terminal();

// Prints `prompt` on the terminal and reads a line with echo off (stdin is a
// terminal), or reads the first line of stdin. The line ends at '\n' (a
// trailing '\r' is dropped) and is at most 4096 bytes. nullopt at end of
// input before any byte, or when the line is longer than that.
std::optional<std::string> read_password(std::string_view prompt);

} // namespace loftadm
