// LIST pattern matching by dynamic programming over (pattern, name)
// positions: linear memory, no backtracking blow-up on patterns such as
// "*a*a*a*b".
#include "user/list_match.hpp"

#include <vector>

namespace mailstore::storage {

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// "INBOX" as the first level of `name` (exactly "INBOX" or "INBOX" + sep).
bool inbox_first_level(std::string_view name, char sep) {
    return name.starts_with("INBOX") && (name.size() == 5 || name[5] == sep);
}

} // namespace

bool list_match(std::string_view pattern, std::string_view name, char sep) {
    const bool inbox = inbox_first_level(name, sep);
    const std::size_t n = name.size();
    // cur[j]: pattern[0..i) matches name[0..j).
    std::vector<char> cur(n + 1, 0), next(n + 1, 0);
    cur[0] = 1;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char p = pattern[i];
        std::fill(next.begin(), next.end(), 0);
        if (p == '*' || p == '%') {
            // A wildcard extends a match over any run of characters ('%': not
            // over the separator).
            bool run = false;
            for (std::size_t j = 0; j <= n; ++j) {
                if (cur[j])
                    run = true;
                else if (run && j > 0 && p == '%' && name[j - 1] == sep)
                    run = false;
                next[j] = run ? 1 : 0;
            }
        } else {
            for (std::size_t j = 0; j < n; ++j) {
                if (!cur[j])
                    continue;
                const char c = name[j];
                bool eq = c == p || (inbox && j < 5 && lower(c) == lower(p));
                if (eq)
                    next[j + 1] = 1;
            }
        }
        cur.swap(next);
    }
    return cur[n] != 0;
}

std::string list_combine(std::string_view reference, std::string_view pattern, char sep) {
    if (!reference.empty() && reference.back() == sep && !pattern.empty() && pattern.front() == sep)
        pattern.remove_prefix(1);
    std::string out(reference);
    out += pattern;
    return out;
}

} // namespace mailstore::storage
