// loft-pw-tool: the password-scheme API on the command line, for
// tests/integration/test_password_schemes.py (which checks the results with
// Dovecot's `doveadm pw -t`).
//
//   loft-pw-tool hash SCHEME PASSWORD [USER [ROUNDS]]   prints "{SCHEME}data"
//   loft-pw-tool verify STORED PASSWORD [USER]          prints "match" or "mismatch"
//   loft-pw-tool credentials STORED WANTED [USER]       prints credentials_for's data
//
// Exit status: 0 success/match, 1 mismatch, 2 an error (its message on stderr),
// 64 usage.
#include <mailstore/auth/password.hpp>

#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

using namespace mailstore::auth;

namespace {

int fail(const mailstore::Status& st) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 2;
}

int usage() {
    std::fprintf(stderr, "usage: loft-pw-tool hash SCHEME PASSWORD [USER [ROUNDS]]\n"
                         "       loft-pw-tool verify STORED PASSWORD [USER]\n"
                         "       loft-pw-tool credentials STORED WANTED [USER]\n");
    return 64;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 4 || argc > 6)
        return usage();
    std::string_view cmd = argv[1];
    std::string_view user = argc > 4 ? argv[4] : "";
    if (cmd == "hash") {
        unsigned rounds = 0;
        if (argc == 6) {
            std::string_view r = argv[5];
            auto [end, ec] = std::from_chars(r.data(), r.data() + r.size(), rounds);
            if (ec != std::errc() || end != r.data() + r.size())
                return usage();
        }
        auto h = hash_password_rounds(argv[2], argv[3], user, rounds);
        if (!h)
            return fail(h.status());
        std::printf("%s\n", h->c_str());
        return 0;
    }
    if (argc == 6)
        return usage();
    if (cmd == "verify") {
        auto r = verify_password(argv[2], argv[3], user);
        if (!r)
            return fail(r.status());
        std::printf("%s\n", *r ? "match" : "mismatch");
        return *r ? 0 : 1;
    }
    if (cmd == "credentials") {
        auto c = credentials_for(argv[2], argv[3], user);
        if (!c)
            return fail(c.status());
        std::printf("%s\n", c->c_str());
        return 0;
    }
    return usage();
}
