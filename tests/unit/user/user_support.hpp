// Helpers of the mail user tests: a config from text, a user in a temp home.
#pragma once

#include "../test_support.hpp"

#include <mailstore/config.hpp>
#include <mailstore/storage/user.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

// REQUIRE a Status to be ok, showing its message when it is not.
#define REQUIRE_OK(expr)                                      \
    do {                                                      \
        ::mailstore::Status require_ok_status_ = (expr);      \
        REQUIRE_MESSAGE(require_ok_status_.is_ok(), require_ok_status_.message()); \
    } while (false)

namespace user_test {

using namespace mailstore;
using namespace mailstore::storage;

inline config::Config conf(const std::string& text) {
    auto c = config::Config::load_string(text, "loft.conf");
    REQUIRE_MESSAGE(c.is_ok(), c.status().message());
    return *c;
}

inline UserSettings settings_for(const loft_test::TempDir& home, const std::string& user = "alice@example.com") {
    UserSettings s;
    s.username = user;
    s.home = home.str();
    return s;
}

inline User open_user(const loft_test::TempDir& home, const std::string& config_text) {
    auto u = User::open(conf(config_text), settings_for(home));
    REQUIRE_MESSAGE(u.is_ok(), u.status().message());
    return *u;
}

inline void mkdirs(const std::string& path) {
    std::string p;
    for (std::size_t i = 0; i <= path.size(); ++i) {
        if (i == path.size() || (path[i] == '/' && i > 0))
            ::mkdir(path.substr(0, i).c_str(), 0700);
    }
}

// A Maildir folder as Dovecot lays it out.
inline void make_maildir(const std::string& dir) {
    for (const char* sub : {"/cur", "/new", "/tmp"})
        mkdirs(dir + sub);
}

// "NAME (attr attr)" lines of a LIST result, for compact assertions.
inline std::vector<std::string> describe(const std::vector<MailboxInfo>& infos) {
    std::vector<std::string> out;
    for (const auto& i : infos) {
        std::string line = i.name + " (";
        std::vector<std::string> attrs;
        if (i.attributes & attr_noselect) attrs.push_back("\\Noselect");
        if (i.attributes & attr_nonexistent) attrs.push_back("\\NonExistent");
        if (i.attributes & attr_has_children) attrs.push_back("\\HasChildren");
        if (i.attributes & attr_has_no_children) attrs.push_back("\\HasNoChildren");
        if (i.attributes & attr_subscribed) attrs.push_back("\\Subscribed");
        if (i.special_use) attrs.push_back(format_special_use(i.special_use));
        if (i.child_subscribed) attrs.push_back("CHILDINFO");
        for (std::size_t k = 0; k < attrs.size(); ++k)
            line += (k ? " " : "") + attrs[k];
        out.push_back(line + ")");
    }
    return out;
}

inline std::vector<std::string> list(const User& user, const std::string& reference,
                                     std::vector<std::string> patterns, bool subscribed = false,
                                     bool recursive = false, bool lsub = false) {
    ListQuery q;
    q.reference = reference;
    q.patterns = std::move(patterns);
    q.subscribed = subscribed;
    q.recursive_match = recursive;
    q.lsub = lsub;
    auto r = user.list(q);
    REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    return describe(*r);
}

} // namespace user_test
