// daemons/common/auth_protocol: Dovecot's TAB escaping, line splitting, and
// the parsing of auth-client and master requests, with their bounds.
#include "auth_protocol.hpp"

#include <doctest/doctest.h>

#include <string>

namespace ap = loft::authproto;
using namespace std::string_literals;

namespace {

std::vector<std::string_view> split(std::string_view line) {
    auto f = ap::split_fields(line);
    REQUIRE(f.has_value());
    return *f;
}

} // namespace

TEST_CASE("tab_escape escapes exactly \\001 TAB CR LF") {
    CHECK(ap::tab_escape("plain text=1") == "plain text=1");
    CHECK(ap::tab_escape("a\tb") == "a\001tb");
    CHECK(ap::tab_escape("\r\n") == "\001r\001n");
    CHECK(ap::tab_escape("\001") == "\0011");
    CHECK(ap::tab_escape("\\") == "\\");
    CHECK(ap::tab_escape(""s) == "");
}

TEST_CASE("tab_unescape inverts tab_escape for every byte") {
    std::string all;
    for (int c = 0; c < 256; ++c)
        all += static_cast<char>(c);
    std::string escaped = ap::tab_escape(all);
    CHECK(escaped.find('\t') == std::string::npos);
    CHECK(escaped.find('\n') == std::string::npos);
    CHECK(escaped.find('\r') == std::string::npos);
    auto back = ap::tab_unescape(escaped);
    REQUIRE(back.has_value());
    CHECK(*back == all);
}

TEST_CASE("tab_unescape rejects a bad or truncated escape") {
    CHECK_FALSE(ap::tab_unescape("abc\001").has_value());
    CHECK_FALSE(ap::tab_unescape("\001x").has_value());
    CHECK_FALSE(ap::tab_unescape("\001T").has_value());
    CHECK(ap::tab_unescape("\0011\001t").value() == "\001\t");
}

TEST_CASE("split_fields splits at every TAB and bounds the count") {
    auto f = split("AUTH\t1\tPLAIN\t\tx");
    REQUIRE(f.size() == 5);
    CHECK(f[0] == "AUTH");
    CHECK(f[3] == "");
    CHECK(f[4] == "x");
    CHECK(split("").size() == 1);
    std::string many;
    for (int i = 0; i < 63; ++i)
        many += "x\t";
    CHECK(ap::split_fields(many + "x").has_value()); // 64 fields
    CHECK_FALSE(ap::split_fields(many + "x\tx").has_value()); // 65
    CHECK(ap::join_fields({"a\tb", "c"}) == "a\001tb\tc");
}

TEST_CASE("ids are decimal 1..2^32-1 without sign or leading zero") {
    CHECK(ap::parse_id("1").value() == 1);
    CHECK(ap::parse_id("4294967295").value() == 4294967295u);
    CHECK_FALSE(ap::parse_id("0").has_value());
    CHECK_FALSE(ap::parse_id("01").has_value());
    CHECK_FALSE(ap::parse_id("4294967296").has_value());
    CHECK_FALSE(ap::parse_id("-1").has_value());
    CHECK_FALSE(ap::parse_id("+1").has_value());
    CHECK_FALSE(ap::parse_id("1a").has_value());
    CHECK_FALSE(ap::parse_id("").has_value());
    CHECK_FALSE(ap::parse_id("99999999999").has_value());
}

TEST_CASE("parse_version") {
    auto v = ap::parse_version(split("VERSION\t1\t2"));
    REQUIRE(v.has_value());
    CHECK(v->major == 1);
    CHECK(v->minor == 2);
    CHECK_FALSE(ap::parse_version(split("VERSION\t1")).has_value());
    CHECK_FALSE(ap::parse_version(split("VERSION\tx\t2")).has_value());
    CHECK_FALSE(ap::parse_version(split("CPID\t1\t2")).has_value());
}

TEST_CASE("parse_auth reads Postfix's AUTH line") {
    ap::ParseError err;
    auto cmd = ap::parse_auth(split("AUTH\t7\tplain\tservice=smtp\tnologin\tlip=127.0.0.1\trip=192.0.2.9\t"
                                    "lport=25\trport=40000\tsecured\tno-penalty\tsession=abc\tresp=AGEAYg=="),
                              err);
    REQUIRE(cmd.has_value());
    CHECK(cmd->id == 7);
    CHECK(cmd->mechanism == "PLAIN");
    CHECK(cmd->service == "smtp");
    CHECK(cmd->local_ip == "127.0.0.1");
    CHECK(cmd->remote_ip == "192.0.2.9");
    CHECK(cmd->local_port == 25);
    CHECK(cmd->remote_port == 40000);
    CHECK(cmd->secured);
    CHECK(cmd->no_penalty);
    CHECK(cmd->nologin);
    CHECK_FALSE(cmd->valid_client_cert);
    CHECK(cmd->session == "abc");
    CHECK(cmd->has_initial_response);
    CHECK(cmd->initial_response == "AGEAYg==");
    CHECK(cmd->extra.empty());
}

TEST_CASE("parse_auth keeps unknown parameters and unescapes values") {
    ap::ParseError err;
    auto cmd = ap::parse_auth(split("AUTH\t1\tLOGIN\tservice=imap\tdebug\tclient_id=a\001tb"), err);
    REQUIRE(cmd.has_value());
    CHECK_FALSE(cmd->has_initial_response);
    REQUIRE(cmd->extra.size() == 2);
    CHECK(cmd->extra[0].key == "debug");
    CHECK_FALSE(cmd->extra[0].has_value);
    CHECK(cmd->extra[1].key == "client_id");
    CHECK(cmd->extra[1].value == "a\tb");
}

TEST_CASE("parse_auth reads Loft's channel binding parameters") {
    ap::ParseError err;
    auto cmd = ap::parse_auth(split("AUTH\t1\tSCRAM-SHA-256-PLUS\tservice=imap\tchannel_binding_type=tls-exporter\t"
                                    "channel_binding=AAEC\tresp=cD10bHMtZXhwb3J0ZXIsLG49YSxyPXg="),
                              err);
    REQUIRE(cmd.has_value());
    CHECK(cmd->channel_binding_type == "tls-exporter");
    CHECK(cmd->channel_binding == "AAEC");
    CHECK(cmd->extra.empty());
    auto plain = ap::parse_auth(split("AUTH\t2\tPLAIN\tservice=smtp"), err);
    REQUIRE(plain.has_value());
    CHECK(plain->channel_binding_type.empty());
    CHECK(plain->channel_binding.empty());
}

TEST_CASE("parse_auth rejects broken requests with a reason") {
    ap::ParseError err;
    CHECK_FALSE(ap::parse_auth(split("AUTH\t1\tPLAIN"), err).has_value());
    CHECK(err.message == "AUTH request without service");
    CHECK_FALSE(ap::parse_auth(split("AUTH\tx\tPLAIN\tservice=smtp"), err).has_value());
    CHECK(err.message == "broken AUTH request (bad id)");
    CHECK_FALSE(ap::parse_auth(split("AUTH\t0\tPLAIN\tservice=smtp"), err).has_value());
    CHECK_FALSE(ap::parse_auth(split("AUTH\t1"), err).has_value());
    CHECK(err.message == "broken AUTH request");
    CHECK_FALSE(ap::parse_auth(split("AUTH\t1\t\tservice=smtp"), err).has_value());
    CHECK(err.message == "broken AUTH request (bad mechanism)");
    CHECK_FALSE(ap::parse_auth(split("AUTH\t1\tPLAIN\tservice=smtp\tlport=65536"), err).has_value());
    CHECK(err.message == "broken AUTH request (bad lport)");
    CHECK_FALSE(ap::parse_auth(split("AUTH\t1\tPLAIN\tservice=smtp\trport=x"), err).has_value());
    CHECK(err.message == "broken AUTH request (bad rport)");
    CHECK_FALSE(ap::parse_auth(split("AUTH\t1\tPLAIN\tservice=sm\001xtp"), err).has_value());
    CHECK(err.message == "broken AUTH request (bad escape)");
    CHECK_FALSE(ap::parse_auth(split("AUTH\t1\t" + std::string(65, 'A') + "\tservice=smtp"), err).has_value());
}

TEST_CASE("parse_cont") {
    ap::ParseError err;
    auto c = ap::parse_cont(split("CONT\t3\tYWxpY2U="), err);
    REQUIRE(c.has_value());
    CHECK(c->id == 3);
    CHECK(c->data == "YWxpY2U=");
    auto empty = ap::parse_cont(split("CONT\t3"), err);
    REQUIRE(empty.has_value());
    CHECK(empty->data.empty());
    CHECK_FALSE(ap::parse_cont(split("CONT\tx\tYQ=="), err).has_value());
    CHECK(err.message == "broken CONT request (bad id)");
    CHECK_FALSE(ap::parse_cont(split("CONT"), err).has_value());
}

TEST_CASE("MECH lines name the flags in Dovecot's order") {
    ap::MechFlags plain;
    plain.plaintext = true;
    CHECK(ap::mech_line("PLAIN", plain) == "MECH\tPLAIN\tplaintext");
    ap::MechFlags cram;
    cram.dictionary = true;
    cram.active = true;
    CHECK(ap::mech_line("CRAM-MD5", cram) == "MECH\tCRAM-MD5\tdictionary\tactive");
    ap::MechFlags scram;
    scram.mutual_auth = true;
    scram.forward_secrecy = false;
    CHECK(ap::mech_line("SCRAM-SHA-256", scram) == "MECH\tSCRAM-SHA-256\tmutual-auth");
    ap::MechFlags ext;
    ext.private_ = true;
    CHECK(ap::mech_line("EXTERNAL", ext) == "MECH\tEXTERNAL\tprivate");
    ap::MechFlags anon;
    anon.anonymous = true;
    CHECK(ap::mech_line("ANONYMOUS", anon) == "MECH\tANONYMOUS\tanonymous");
    CHECK(ap::mech_line("X", {}) == "MECH\tX");
}

TEST_CASE("reply lines") {
    CHECK(ap::ok_line(1, "alice", {}) == "OK\t1\tuser=alice\t");
    CHECK(ap::ok_line(2, "a\tb", {{"proxy", ""}, {"host", "h\n"}}) == "OK\t2\tuser=a\001tb\tproxy\thost=h\001n");
    CHECK(ap::cont_line(3, "VXNlcm5hbWU6") == "CONT\t3\tVXNlcm5hbWU6");
    CHECK(ap::fail_line(4, {}) == "FAIL\t4");
    CHECK(ap::fail_line(5, {.user = "bob", .code = {}, .reason = "Account\tdisabled", .temp = false}) ==
          "FAIL\t5\tuser=bob\treason=Account\001tdisabled");
    CHECK(ap::fail_line(6, {.user = {}, .code = "invalid_base64", .reason = "Invalid base64 data in initial response",
                            .temp = false}) ==
          "FAIL\t6\tcode=invalid_base64\treason=Invalid base64 data in initial response");
    CHECK(ap::fail_line(7, {.user = "x", .code = {}, .reason = {}, .temp = true}) == "FAIL\t7\tuser=x\ttemp");
}

TEST_CASE("FAIL lines carry passdb fields between code= and reason=, escaped") {
    ap::FailInfo info;
    info.user = "ref2";
    info.reason = "Moved away";
    info.fields = {{"nologin", ""}, {"host", "mail2.example.com"}, {"port", "1143"}, {"destuser", "b\tob@x"}};
    CHECK(ap::fail_line(1, info) ==
          "FAIL\t1\tuser=ref2\tnologin\thost=mail2.example.com\tport=1143\tdestuser=b\001tob@x\treason=Moved away");
    info.code = "c";
    info.temp = true;
    CHECK(ap::fail_line(2, info) == "FAIL\t2\tuser=ref2\tcode=c\tnologin\thost=mail2.example.com\tport=1143"
                                    "\tdestuser=b\001tob@x\treason=Moved away\ttemp");
    // What a client reads back: every field, unescaped, in order.
    auto r = ap::parse_reply(ap::fail_line(3, info));
    REQUIRE(r.has_value());
    CHECK(r->command == "FAIL");
    CHECK(r->id == 3u);
    CHECK(r->args == std::vector<std::string>{"user=ref2", "code=c", "nologin", "host=mail2.example.com",
                                              "port=1143", "destuser=b\tob@x", "reason=Moved away", "temp"});
}

TEST_CASE("FAIL lines never send fields that would change the reply's meaning") {
    ap::FailInfo info;
    info.user = "u";
    info.fields = {{"temp", ""},   {"user", "other"}, {"reason", "r2"}, {"code", "x"}, {"", "v"},
                   {"a=b", "c"},   {"nologin", ""},   {"host\n", "h\001"}};
    bool dropped = false;
    CHECK(ap::fail_line(4, info, &dropped) == "FAIL\t4\tuser=u\tnologin\thost\001n=h\0011");
    CHECK_FALSE(dropped);
}

TEST_CASE("FAIL line fields are bounded: all or none") {
    ap::FailInfo info;
    info.user = "u";
    info.reason = "why";
    for (std::size_t i = 0; i < ap::kMaxFailFields; ++i)
        info.fields.emplace_back("k" + std::to_string(i), "v");
    bool dropped = false;
    std::string line = ap::fail_line(5, info, &dropped);
    CHECK_FALSE(dropped);
    CHECK(line.find("\tk31=v\treason=why") != std::string::npos);
    CHECK(ap::split_fields(line).has_value());

    // One field too many: none goes out, the rest of the reply does.
    info.fields.emplace_back("k32", "v");
    CHECK(ap::fail_line(6, info, &dropped) == "FAIL\t6\tuser=u\treason=why");
    CHECK(dropped);

    // A line the reading side would refuse (kMaxLineLength): none either.
    info.fields = {{"nologin", ""}, {"host", std::string(ap::kMaxLineLength, 'h')}};
    dropped = false;
    CHECK(ap::fail_line(7, info, &dropped) == "FAIL\t7\tuser=u\treason=why");
    CHECK(dropped);
    // Exactly at the limit still fits (escaping counted: a TAB is two bytes).
    const std::string head = "FAIL\t8\tuser=u\thost=";
    const std::string tail = "\treason=why";
    info.fields = {{"host", std::string(ap::kMaxLineLength - head.size() - tail.size() - 2, 'h') + "\t"}};
    dropped = false;
    line = ap::fail_line(8, info, &dropped);
    CHECK_FALSE(dropped);
    CHECK(line.size() == ap::kMaxLineLength);
    info.fields[0].second += "h";
    CHECK(ap::fail_line(8, info, &dropped) == "FAIL\t8\tuser=u\treason=why");
    CHECK(dropped);
}

TEST_CASE("parse_master: USER, PASS, LIST") {
    ap::ParseError err;
    auto u = ap::parse_master(split("USER\t1\tal\001tice\tservice=lmtp\trip=192.0.2.1"), err);
    REQUIRE(u.has_value());
    CHECK(u->kind == ap::MasterCommand::Kind::user);
    CHECK(u->id == 1);
    CHECK(u->user == "al\tice");
    CHECK(u->service == "lmtp");
    REQUIRE(u->params.size() == 2);
    CHECK(u->params[1].value == "192.0.2.1");

    auto p = ap::parse_master(split("PASS\t2\tbob\tservice=doveadm"), err);
    REQUIRE(p.has_value());
    CHECK(p->kind == ap::MasterCommand::Kind::pass);

    auto l = ap::parse_master(split("LIST\t3\tuser=a*"), err);
    REQUIRE(l.has_value());
    CHECK(l->kind == ap::MasterCommand::Kind::list);
    CHECK(l->user_mask == "a*");
    auto all = ap::parse_master(split("LIST\t4"), err);
    REQUIRE(all.has_value());
    CHECK(all->user_mask.empty());
}

TEST_CASE("parse_master rejects broken requests") {
    ap::ParseError err;
    CHECK_FALSE(ap::parse_master(split("USER\t1\talice"), err).has_value());
    CHECK(err.message == "USER request without service");
    CHECK_FALSE(ap::parse_master(split("USER\t1"), err).has_value());
    CHECK(err.message == "broken USER request");
    CHECK_FALSE(ap::parse_master(split("USER\tx\talice\tservice=lmtp"), err).has_value());
    CHECK(err.message == "broken USER request (bad id)");
    CHECK_FALSE(ap::parse_master(split("PASS\t1\t\tservice=lmtp"), err).has_value());
    CHECK(err.message == "broken PASS request (bad user)");
    CHECK_FALSE(ap::parse_master(split("FOO\t1"), err).has_value());
    CHECK(err.message == "unknown command");
    CHECK_FALSE(ap::parse_master(split("LIST"), err).has_value());
    CHECK(err.message == "broken LIST request");
}

TEST_CASE("LIST masks") {
    CHECK(ap::mask_matches("*", "alice"));
    CHECK(ap::mask_matches("a*", "alice"));
    CHECK_FALSE(ap::mask_matches("a*", "bob"));
    CHECK(ap::mask_matches("*@example.com", "x@example.com"));
    CHECK_FALSE(ap::mask_matches("*@example.com", "x@example.org"));
    CHECK(ap::mask_matches("b?b", "bob"));
    CHECK_FALSE(ap::mask_matches("b?b", "boob"));
    CHECK(ap::mask_matches("a*b*c", "axxbyyc"));
    CHECK_FALSE(ap::mask_matches("a*b*c", "axxbyy"));
    CHECK(ap::mask_matches("", ""));
    // A '*' in the name is matched by the wildcard, not taken as a literal
    // that uses it up (found by fuzz_auth_protocol).
    CHECK(ap::mask_matches("*", "*ob"));
    CHECK(ap::mask_matches("*b", "*ob"));
    CHECK_FALSE(ap::mask_matches("", "a"));
    // Many stars against a long name stays quick (no exponential backtracking).
    CHECK_FALSE(ap::mask_matches(std::string(50, '*') + "b", std::string(5000, 'a')));
}

TEST_CASE("parse_reply splits and unescapes server lines") {
    auto r = ap::parse_reply("OK\t12\tuser=a\001tb\t");
    REQUIRE(r.has_value());
    CHECK(r->command == "OK");
    CHECK(r->id.value() == 12);
    REQUIRE(r->args.size() == 2);
    CHECK(r->args[0] == "user=a\tb");
    CHECK(r->args[1] == "");
    auto spid = ap::parse_reply("SPID\t123");
    REQUIRE(spid.has_value());
    CHECK_FALSE(spid->id.has_value());
    CHECK(spid->args == std::vector<std::string>{"123"});
    CHECK_FALSE(ap::parse_reply("").has_value());
    CHECK_FALSE(ap::parse_reply("OK\t1\tbad\001").has_value());
}
