// Dovecot's auth protocols as lines of TAB-separated fields (docs/authd.md):
// the auth-client protocol (what Postfix's smtpd_sasl_type = dovecot speaks:
// VERSION, MECH, SPID, CUID, COOKIE, DONE, AUTH, CONT, OK, FAIL) and the
// auth-master/userdb protocol (VERSION, SPID, USER, PASS, LIST, NOTFOUND,
// DONE). Pure functions: no I/O, every input bounded; shared by loft-authd
// and its client (auth_client.hpp), fuzzed by tests/fuzz/fuzz_auth_protocol.
//
// Escaping is Dovecot's "tab escaping": a field may hold any byte except
// that \001, TAB, CR and LF travel as \001 followed by '1', 't', 'r', 'n'.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loft::authproto {

// A line (without its LF) longer than this is a protocol violation. Dovecot's
// auth server accepts 8 KB lines from its clients; SASL responses of large
// mechanisms (GSSAPI tickets, SCRAM with long names) fit with room to spare.
inline constexpr std::size_t kMaxLineLength = 16384;
// More fields than this in one line is a protocol violation.
inline constexpr std::size_t kMaxFields = 64;
// Requests one connection may have in flight at once (AUTH exchanges not
// yet answered with OK/FAIL, or USER/PASS/LIST lookups running).
inline constexpr std::size_t kMaxPendingRequests = 64;

// The auth-client protocol version the server speaks (major must match).
inline constexpr unsigned kClientMajor = 1;
inline constexpr unsigned kClientMinor = 2;
// The master (auth-userdb) protocol version.
inline constexpr unsigned kMasterMajor = 1;
inline constexpr unsigned kMasterMinor = 1;

std::string tab_escape(std::string_view field);
// nullopt when \001 is followed by anything but 1, t, r, n (or ends the field).
std::optional<std::string> tab_unescape(std::string_view field);

// Splits a line at TABs (no unescaping). nullopt when there are more than
// `max_fields` fields.
std::optional<std::vector<std::string_view>> split_fields(std::string_view line,
                                                          std::size_t max_fields = kMaxFields);
// Escapes every field and joins them with TABs (no line ending).
std::string join_fields(const std::vector<std::string>& fields);

// A request id: decimal, 1..4294967295, no sign, no leading zero. Dovecot
// rejects 0 and anything not a number as a broken request.
std::optional<std::uint32_t> parse_id(std::string_view text);
// A decimal unsigned number (VERSION, CPID, ports), at most 10 digits.
std::optional<std::uint32_t> parse_uint(std::string_view text);

// key=value parameters, unescaped; a bare word ("secured") has an empty
// value and `has_value` false.
struct Param {
    std::string key;
    std::string value;
    bool has_value = false;
};
// nullopt when a field has a bad escape.
std::optional<std::vector<Param>> parse_params(const std::vector<std::string_view>& fields, std::size_t first);

// --- auth-client protocol ---

// Client → server: VERSION 1 <minor>.
struct VersionLine {
    std::uint32_t major = 0;
    std::uint32_t minor = 0;
};
std::optional<VersionLine> parse_version(const std::vector<std::string_view>& fields);

// AUTH <id> <mech> service=.. [lip=..] [rip=..] [lport=..] [rport=..]
//      [secured] [valid-client-cert] [no-penalty] [nologin] [session=..]
//      [channel_binding_type=..] [channel_binding=<base64>]
//      [resp=<base64>] [other params, kept in `extra`]
//
// channel_binding_type/channel_binding are a Loft extension (docs/authd.md
// "Channel binding"): a client that terminates TLS itself passes the
// connection's channel binding (RFC 5929, RFC 9266) so that SCRAM-*-PLUS
// can be used through the socket. Dovecot's protocol has no way to carry it.
struct AuthCommand {
    std::uint32_t id = 0;
    std::string mechanism;
    std::string service;
    std::string local_ip, remote_ip;
    std::uint32_t local_port = 0, remote_port = 0;
    bool secured = false;
    bool valid_client_cert = false;
    bool no_penalty = false;
    bool nologin = false;
    std::string session;
    std::string cert_username;  // cert_username= (EXTERNAL)
    std::string channel_binding_type; // e.g. "tls-exporter"; empty when not sent
    std::string channel_binding;      // still base64; empty when not sent
    bool has_initial_response = false;
    std::string initial_response; // still base64; "=" means empty (the caller decodes)
    std::vector<Param> extra;
};
// The error says what was wrong (for the log); the caller disconnects.
struct ParseError {
    std::string message;
};
// Parses the fields of an AUTH line (fields[0] == "AUTH").
std::optional<AuthCommand> parse_auth(const std::vector<std::string_view>& fields, ParseError& error);

// CONT <id> <base64>
struct ContCommand {
    std::uint32_t id = 0;
    std::string data; // still base64
};
std::optional<ContCommand> parse_cont(const std::vector<std::string_view>& fields, ParseError& error);

// MECH line flags as Dovecot names them.
struct MechFlags {
    bool anonymous = false, plaintext = false, dictionary = false, active = false, forward_secrecy = false,
         mutual_auth = false, private_ = false;
};
std::string mech_line(std::string_view name, const MechFlags& flags);

// --- replies (formatting; fields escaped here) ---

// "OK\t<id>\tuser=<user>\t<fields...>"; Dovecot ends the line with an
// empty field when there are no other fields ("OK\t1\tuser=alice\t"), and so
// do we.
std::string ok_line(std::uint32_t id, std::string_view user, const std::vector<std::pair<std::string, std::string>>& fields);
// "CONT\t<id>\t<base64>"
std::string cont_line(std::uint32_t id, std::string_view base64);
// "FAIL\t<id>[\tuser=..][\tcode=..][\t<fields...>][\treason=..][\ttemp]"
struct FailInfo {
    std::string user;
    std::string code;
    std::string reason;
    bool temp = false;
    // Passdb extra fields for the client to act on, in the passdb's order:
    // a nologin refusal's nologin, host, port, destuser ... (the login
    // process turns them into an RFC 2221 login referral). Dovecot sends
    // passdb fields on FAIL lines the same way, key[=value], escaped.
    // Fields named user, code, reason or temp are never sent (a passdb
    // field "temp" would turn a refusal into a temporary failure), nor
    // fields with an empty key or a '=' in the key.
    std::vector<std::pair<std::string, std::string>> fields{};
};
// At most this many FailInfo::fields go out in one FAIL line.
inline constexpr std::size_t kMaxFailFields = 32;
// When the fields are more than kMaxFailFields or would make the line longer
// than kMaxLineLength (what the reading side accepts), none of them is sent
// (a referral with its port cut off would send the user to the wrong
// server) and *fields_dropped, when given, is set to true.
std::string fail_line(std::uint32_t id, const FailInfo& info, bool* fields_dropped = nullptr);

// Formats a key=value pair list the way both protocols send fields: "key"
// for an empty value, "key=value" otherwise, each escaped.
std::string format_fields(const std::vector<std::pair<std::string, std::string>>& fields);

// --- master (auth-userdb) protocol ---

struct MasterCommand {
    enum class Kind { user, pass, list };
    Kind kind = Kind::user;
    std::uint32_t id = 0;
    std::string user;         // USER/PASS
    std::string service;      // service=
    std::string user_mask;    // LIST user=
    std::vector<Param> params; // every parameter, unescaped
};
// Parses USER/PASS/LIST lines (fields[0] is the command).
std::optional<MasterCommand> parse_master(const std::vector<std::string_view>& fields, ParseError& error);

// Whether `user` matches a LIST mask: '*' any run of bytes, '?' one byte,
// everything else literal (case-sensitive, as the userdbs store names).
bool mask_matches(std::string_view mask, std::string_view user);

// --- reply parsing (for the client side) ---

// One reply line from either socket, split and unescaped.
struct Reply {
    std::string command;            // "OK", "FAIL", "CONT", "USER", "PASS", "NOTFOUND", "LIST", "DONE", ...
    std::optional<std::uint32_t> id; // the second field when it is an id
    std::vector<std::string> args;   // the fields after the id (or after the command when no id)
};
std::optional<Reply> parse_reply(std::string_view line);

} // namespace loft::authproto
