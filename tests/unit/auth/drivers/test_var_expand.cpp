// %variables: expected values were produced by Dovecot 2.3.19 (a static
// userdb with home=/h/<template> and `doveadm user`).
#include <mailstore/var_expand.hpp>

#include <doctest/doctest.h>

#include <array>
#include <string>

using mailstore::expand_variables;
using mailstore::ExpandOptions;
using mailstore::ExpandVariable;

namespace {

std::string ex(std::string_view text, std::string_view user = "Ab.C@Ex.org", const ExpandOptions& o = {}) {
    std::array<ExpandVariable, 3> vars{{{'u', "user", user}, {'n', "username", "Ab.C"}, {'d', "domain", "Ex.org"}}};
    auto r = expand_variables(text, vars, o);
    REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    return *r;
}

std::string err(std::string_view text) {
    std::array<ExpandVariable, 1> vars{{{'u', "user", "bob"}}};
    auto r = expand_variables(text, vars);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == mailstore::Status::Code::invalid_argument);
    return r.status().message();
}

} // namespace

TEST_CASE("var_expand: plain variables, long names and %%") {
    CHECK(ex("/srv/%d/%n") == "/srv/Ex.org/Ab.C");
    CHECK(ex("%{user}|%{username}|%{domain}") == "Ab.C@Ex.org|Ab.C|Ex.org");
    CHECK(ex("100%% %u") == "100% Ab.C@Ex.org");
    CHECK(ex("no variables") == "no variables");
    CHECK(ex("") == "");
}

TEST_CASE("var_expand: modifiers as Dovecot 2.3 applies them (left to right)") {
    CHECK(ex("%Lu") == "ab.c@ex.org");
    CHECK(ex("%Uu") == "AB.C@EX.ORG");
    CHECK(ex("%MUu") == "22A069C100496DE5BF08431BD091A943");
    CHECK(ex("%UMu") == "59e7378d03a38b10835b3ed4d4c7ecf4");
    CHECK(ex("%Mu") == "22a069c100496de5bf08431bd091a943");
    CHECK(ex("%Hu") == "48e24f7");
    CHECK(ex("%256Hu") == "f7");
    CHECK(ex("%Nu") == "496de5");
    CHECK(ex("%256Nu") == "e5");
    CHECK(ex("%Nu", "bob") == "70ef21ca");
    CHECK(ex("%Nu", "alice") == "184bcbf5");
    CHECK(ex("%Du") == "Ab,dc=C@Ex,dc=org");
    CHECK(ex("dc=%Du", "bob.example.com") == "dc=bob,dc=example,dc=com");
    CHECK(ex("%Ru") == "gro.xE@C.bA");
    CHECK(ex("%Xu", "255") == "ff");
    CHECK(ex("%Xu", "12ab") == "0");
    CHECK(ex("%Xu") == "0");
    CHECK(ex("%LXu") == "0");
    CHECK(ex("[%Tu]", "abc \t ") == "[abc]");
    CHECK(ex("%L{user}") == "ab.c@ex.org");
}

TEST_CASE("var_expand: offset and length") {
    CHECK(ex("%1u") == "A");
    CHECK(ex("%-1u") == "A"); // Dovecot ignores the sign without '.'
    CHECK(ex("%-2u") == "Ab");
    CHECK(ex("%.2u") == "Ab");
    CHECK(ex("%1.2u") == "b.");
    CHECK(ex("%-2.1u") == "r");
    CHECK(ex("%2.-1u") == ".C@Ex.or");
    CHECK(ex("%1Lu") == "a");
    CHECK(ex("%1Mu") == "2"); // the cut comes after the modifiers
    CHECK(ex("%1{user}") == "A");
    CHECK(ex("%0.1n") == "A");
    CHECK(ex("%50.2u") == "");
    CHECK(ex("%-50.2u") == "Ab");
    CHECK(ex("%3.-50u") == "");
    CHECK(ex("/%1n/%2.1n/%n") == "/A/./Ab.C");
}

TEST_CASE("var_expand: escaping with E and escape_all") {
    ExpandOptions o;
    o.escape = [](std::string_view v) {
        std::string out;
        for (char c : v) {
            if (c == '\'')
                out += '\'';
            out += c;
        }
        return out;
    };
    CHECK(ex("'%Eu' '%u'", "o'brien", o) == "'o''brien' 'o'brien'");
    o.escape_all = true;
    CHECK(ex("'%u' '%Eu'", "o'brien", o) == "'o''brien' 'o''brien'");
    // E without an escape function leaves the value alone (Dovecot too).
    CHECK(ex("%Eu", "o'brien") == "o'brien");
}

TEST_CASE("var_expand: the resolver answers unknown long names") {
    ExpandOptions o;
    o.resolve = [](std::string_view name) -> std::optional<std::string> {
        if (name == "passdb:x")
            return std::string("XV");
        return std::nullopt;
    };
    CHECK(ex("%{passdb:x}-%L{passdb:x}", "u", o) == "XV-xv");
    std::array<ExpandVariable, 1> vars{{{'u', "user", "bob"}}};
    auto r = expand_variables("%{passdb:y}", vars, o);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message() == "unknown variable %{passdb:y} in \"%{passdb:y}\"");
}

TEST_CASE("var_expand: malformed templates fail with a message") {
    CHECK(err("%q") == "unknown variable %q in \"%q\"");
    CHECK(err("/x/%{foo}") == "unknown variable %{foo} in \"/x/%{foo}\"");
    CHECK(err("abc%") == "'%' at the end in \"abc%\"");
    CHECK(err("%L") == "'%' at the end in \"%L\"");
    CHECK(err("%12") == "'%' at the end in \"%12\"");
    CHECK(err("%{user") == "unterminated \"%{\" in \"%{user\"");
    CHECK(err("%M1u") == "unknown variable %1 in \"%M1u\""); // numbers come before modifiers
    CHECK(err("%-u") == "'%-' without a number in \"%-u\"");
    CHECK(err("%LLLLLLLLLu") == "too many modifiers in \"%LLLLLLLLLu\"");
    CHECK(err("%{" + std::string(2000, 'a') + "}").starts_with("variable name too long"));
}

TEST_CASE("var_expand: output is capped at 64 KiB") {
    std::string big(40000, 'x');
    std::array<ExpandVariable, 1> vars{{{'u', "user", big}}};
    CHECK(expand_variables("%u", vars).is_ok());
    auto r = expand_variables("%u%u", vars);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message().starts_with("expansion longer than 65536 bytes"));
    std::string dots(40000, '.');
    std::array<ExpandVariable, 1> dvars{{{'u', "user", dots}}};
    CHECK_FALSE(expand_variables("%Du", dvars).is_ok());
    std::string literal(70000, 'y');
    CHECK_FALSE(expand_variables(literal, vars).is_ok());
}

TEST_CASE("var_expand: has_variables") {
    CHECK(mailstore::has_variables("/etc/loft/%d/passwd"));
    CHECK(mailstore::has_variables("%%%u"));
    CHECK_FALSE(mailstore::has_variables("/etc/loft/passwd"));
    CHECK_FALSE(mailstore::has_variables("100%%"));
    CHECK(mailstore::has_variables("trailing%"));
}
