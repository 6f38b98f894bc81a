// Typed values and the settings registry.
#include <doctest/doctest.h>
#include <mailstore/config.hpp>

#include <set>
#include <string>

using namespace mailstore::config;
using std::chrono::milliseconds;

TEST_CASE("booleans: yes/no, true/false, 1/0, any case") {
    CHECK(parse_bool("yes") == true);
    CHECK(parse_bool("YES") == true);
    CHECK(parse_bool("True") == true);
    CHECK(parse_bool("1") == true);
    CHECK(parse_bool(" no ") == false);
    CHECK(parse_bool("false") == false);
    CHECK(parse_bool("0") == false);
    CHECK_FALSE(parse_bool("maybe").has_value());
    CHECK_FALSE(parse_bool("").has_value());
    CHECK_FALSE(parse_bool("yess").has_value());
}

TEST_CASE("unsigned integers reject signs, units and overflow") {
    CHECK(parse_uint("0") == 0u);
    CHECK(parse_uint("500") == 500u);
    CHECK(parse_uint(" 42 ") == 42u);
    CHECK(parse_uint("18446744073709551615") == 18446744073709551615ULL);
    CHECK_FALSE(parse_uint("18446744073709551616").has_value());
    CHECK_FALSE(parse_uint("-1").has_value());
    CHECK_FALSE(parse_uint("+1").has_value());
    CHECK_FALSE(parse_uint("10k").has_value());
    CHECK_FALSE(parse_uint("").has_value());
    CHECK_FALSE(parse_uint("1 2").has_value());
}

TEST_CASE("sizes use powers of 1024 and case-insensitive units") {
    CHECK(parse_size("0") == 0u);
    CHECK(parse_size("512") == 512u);
    CHECK(parse_size("512B") == 512u);
    CHECK(parse_size("512 b") == 512u);
    CHECK(parse_size("64k") == 65536u);
    CHECK(parse_size("64K") == 65536u);
    CHECK(parse_size("64 k") == 65536u);
    CHECK(parse_size("64kB") == 65536u);
    CHECK(parse_size("10M") == 10u * 1024 * 1024);
    CHECK(parse_size("10m") == 10u * 1024 * 1024);
    CHECK(parse_size("256 M") == 256u * 1024 * 1024);
    CHECK(parse_size("1G") == 1ULL << 30);
    CHECK(parse_size("1gb") == 1ULL << 30);
    CHECK(parse_size("2T") == 2ULL << 40);
    CHECK(parse_size("18446744073709551615 B") == 18446744073709551615ULL);
    CHECK(parse_size("unlimited") == 0u);
    CHECK(parse_size("16777215T") == 16777215ULL << 40);
    CHECK_FALSE(parse_size("16777216T").has_value()); // 2^64: overflow
    CHECK_FALSE(parse_size("12X").has_value());
    CHECK_FALSE(parse_size("k").has_value());
    CHECK_FALSE(parse_size("").has_value());
    CHECK_FALSE(parse_size("-5M").has_value());
    CHECK_FALSE(parse_size("1.5M").has_value());
    CHECK_FALSE(parse_size("5 MM").has_value());
}

TEST_CASE("times: a bare number is seconds; ms/s/m/h/d/w and long forms") {
    CHECK(parse_time("0") == milliseconds(0));
    CHECK(parse_time("30") == milliseconds(30000));
    CHECK(parse_time("100ms") == milliseconds(100));
    CHECK(parse_time("100 msecs") == milliseconds(100));
    CHECK(parse_time("30s") == milliseconds(30000));
    CHECK(parse_time("3 secs") == milliseconds(3000));
    CHECK(parse_time("1 second") == milliseconds(1000));
    CHECK(parse_time("5m") == milliseconds(300000));
    CHECK(parse_time("5 mins") == milliseconds(300000));
    CHECK(parse_time("5 minutes") == milliseconds(300000));
    CHECK(parse_time("2h") == milliseconds(7200000));
    CHECK(parse_time("2 hours") == milliseconds(7200000));
    CHECK(parse_time("1d") == milliseconds(86400000));
    CHECK(parse_time("1 days") == milliseconds(86400000));
    CHECK(parse_time("1w") == milliseconds(604800000));
    CHECK(parse_time("2 weeks") == milliseconds(1209600000));
    CHECK(parse_time("1 MINS") == milliseconds(60000));
    CHECK_FALSE(parse_time("5 fortnights").has_value());
    CHECK_FALSE(parse_time("soon").has_value());
    CHECK_FALSE(parse_time("").has_value());
    CHECK_FALSE(parse_time("-1s").has_value());
    CHECK_FALSE(parse_time("18446744073709551615 weeks").has_value());
    CHECK_FALSE(parse_time("9223372036854775807 s").has_value());
}

TEST_CASE("the registry holds every Foundation setting, implemented, with a valid default") {
    // Implemented: something under daemons/ or libmailstore/ reads them (or
    // the runtime's next step does, for the line lengths and timeouts).
    const char* implemented[] = {
        "base_dir", "listen", "protocols", "log_path", "info_log_path",
        "debug_log_path", "log_timestamp", "syslog_facility", "auth_verbose", "auth_debug",
        "mail_debug", "verbose_proctitle", "ssl", "ssl_cert", "ssl_key", "ssl_key_password",
        "ssl_ca", "ssl_min_protocol", "ssl_cipher_list", "ssl_cipher_suites",
        "ssl_prefer_server_ciphers", "ssl_dh", "ssl_verify_client_cert", "ssl_client_ca_file",
        "ssl_client_ca_dir", "haproxy_trusted_networks", "haproxy_timeout", "mail_uid",
        "mail_gid", "first_valid_uid", "last_valid_uid", "imap_max_line_length",
        "managesieve_max_line_length", "login_max_connections_per_ip",
        "login_inactivity_timeout", "imap_inactivity_timeout", "pop3_inactivity_timeout",
        "lmtp_inactivity_timeout", "managesieve_inactivity_timeout", "default_process_limit",
        "default_client_limit", "default_vsz_limit"};
    for (const char* name : implemented) {
        CAPTURE(name);
        const SettingInfo* info = find_setting(name);
        REQUIRE(info != nullptr);
        CHECK(info->implemented);
        CHECK(info->scope.empty());
        CHECK_FALSE(info->doc.empty());
    }
    const char* service[] = {"executable", "process_limit", "client_limit", "process_min_avail",
                             "vsz_limit", "user", "group"};
    for (const char* name : service) {
        CAPTURE(name);
        REQUIRE(find_setting(name, "service") != nullptr);
        CHECK(find_setting(name, "service")->implemented);
    }
    for (const char* name : {"address", "port", "ssl", "haproxy", "reuse_port"}) {
        CAPTURE(name);
        REQUIRE(find_setting(name, "inet_listener") != nullptr);
    }
    for (const char* scope : {"unix_listener", "fifo_listener"}) {
        for (const char* name : {"path", "mode", "user", "group"}) {
            CAPTURE(name);
            REQUIRE(find_setting(name, scope) != nullptr);
        }
    }
    for (const char* name : {"driver", "args", "default_fields", "override_fields", "skip",
                             "result_success", "result_failure", "result_internalfail", "master",
                             "pass", "deny", "mechanisms"}) {
        CAPTURE(name);
        REQUIRE(find_setting(name, "passdb") != nullptr);
        CHECK(find_setting(name, "passdb")->implemented);
    }
    for (const char* name : {"driver", "args", "default_fields", "override_fields", "skip"}) {
        REQUIRE(find_setting(name, "userdb") != nullptr);
    }
    for (const char* name : {"type", "separator", "prefix", "location", "inbox", "hidden", "list",
                             "subscriptions", "ignore_on_failure", "disabled", "alias_for"}) {
        CAPTURE(name);
        REQUIRE(find_setting(name, "namespace") != nullptr);
    }
    for (const char* name :
         {"auto", "special_use", "driver", "comment", "autoexpunge", "autoexpunge_max_mails"}) {
        CAPTURE(name);
        REQUIRE(find_setting(name, "mailbox") != nullptr);
    }
}

TEST_CASE("settings that nothing in Loft reads yet are registered as not implemented") {
    for (const char* name : {"service_count", "idle_kill", "chroot", "extra_groups", "protocol",
                             "type", "drop_priv_before_exec"}) {
        CAPTURE(name);
        REQUIRE(find_setting(name, "service") != nullptr);
        CHECK_FALSE(find_setting(name, "service")->implemented);
    }
    for (const char* name : {"default_idle_kill", "shutdown_clients", "instance_name",
                             "default_internal_user", "mail_home", "mail_max_keyword_length"}) {
        CAPTURE(name);
        REQUIRE(find_setting(name) != nullptr);
        CHECK_FALSE(find_setting(name)->implemented);
    }
    // The IMAP server reads these (docs/imap.md).
    for (const char* name : {"login_greeting", "mail_max_userip_connections", "imap_idle_notify_interval",
                             "imap_capability", "imap_logout_format", "imap_max_append_size",
                             "imap_urlauth_host", "imap_urlauth_port", "imap_metadata",
                             "mail_attribute_dict", "mail_server_admin", "mail_server_comment"}) {
        CAPTURE(name);
        REQUIRE(find_setting(name) != nullptr);
        CHECK(find_setting(name)->implemented);
    }
    // loft-lda reads it (docs/lda.md).
    REQUIRE(find_setting("auth_socket_path") != nullptr);
    CHECK(find_setting("auth_socket_path")->implemented);
    // The POP3 engine reads these (docs/pop3.md).
    for (const char* name : {"pop3_client_workarounds", "pop3_deleted_flag", "pop3_delete_type", "pop3_enable_last",
                             "pop3_fast_size_lookups", "pop3_lock_session", "pop3_logout_format", "pop3_no_flag_updates",
                             "pop3_reuse_xuidl", "pop3_save_uidl", "pop3_uidl_duplicates", "pop3_uidl_format"}) {
        CAPTURE(name);
        REQUIRE(find_setting(name) != nullptr);
        CHECK(find_setting(name)->implemented);
    }
    REQUIRE(find_setting("reuse_port", "inet_listener") != nullptr);
    CHECK_FALSE(find_setting("reuse_port", "inet_listener")->implemented);
    for (const char* name : {"path", "mode", "user", "group"}) {
        CAPTURE(name);
        CHECK_FALSE(find_setting(name, "fifo_listener")->implemented);
        CHECK(find_setting(name, "unix_listener")->implemented);
    }

    // So a Dovecot config that relies on them hears about it.
    auto c = Config::load_string("service imap {\n  service_count = 1\n  idle_kill = 1h\n}\n"
                                 "shutdown_clients = no\n",
                                 "loft.conf");
    REQUIRE(c.is_ok());
    const auto& w = c->warnings();
    REQUIRE(w.size() == 3);
    CHECK(w[0].where.to_string() == "loft.conf:2");
    CHECK(w[0].message ==
          "setting 'service_count' in 'service' section is not implemented by Loft yet; ignored");
    CHECK(w[1].message ==
          "setting 'idle_kill' in 'service' section is not implemented by Loft yet; ignored");
    CHECK(w[2].where.to_string() == "loft.conf:5");
    CHECK(w[2].message == "setting 'shutdown_clients' is not implemented by Loft yet; ignored");
    // The value is kept for the code that will implement it.
    CHECK(c->sections("service").at(0).get_uint("service_count") == 1u);
}

TEST_CASE("Loft's own unimplemented settings still have their values checked") {
    auto c = Config::load_string("mail_fsync = sometimes\n", "loft.conf");
    REQUIRE_FALSE(c.is_ok());
    CHECK(c.status().message() ==
          "loft.conf:1: invalid value 'sometimes' for setting 'mail_fsync': expected one of "
          "optimized, always, never");
    // Dovecot's list is not checked: its types only approximate Dovecot's.
    auto d = Config::load_string("dsync_commit_msgs_interval = 5s\n", "loft.conf");
    REQUIRE(d.is_ok());
    CHECK(d->warnings().size() == 1);
}

TEST_CASE("a uint setting can have a range: an inet_listener port is 0..65535") {
    const SettingInfo* port = find_setting("port", "inet_listener");
    REQUIRE(port != nullptr);
    CHECK(port->values == "0..65535");
    auto listener = [](std::string_view value) {
        return Config::load_string("service imap-login {\n  inet_listener imap {\n    port = " +
                                       std::string(value) + "\n  }\n}\n",
                                   "loft.conf");
    };
    for (const char* ok : {"0", "1", "143", "65535"}) {
        CAPTURE(ok);
        auto c = listener(ok);
        REQUIRE(c.is_ok());
        CHECK(c->sections("service").at(0).children("inet_listener").at(0).get("port") == ok);
    }
    for (const char* bad : {"65536", "99999", "18446744073709551615"}) {
        CAPTURE(bad);
        auto c = listener(bad);
        REQUIRE_FALSE(c.is_ok());
        CHECK(c.status().message() == "loft.conf:3: invalid value '" + std::string(bad) +
                                          "' for setting 'port': expected an integer from 0 to "
                                          "65535");
    }
    // Without a range, any uint goes.
    CHECK(find_setting("first_valid_uid")->values.empty());
}

TEST_CASE("scope tells the global ssl enum from the listener ssl boolean") {
    const SettingInfo* global = find_setting("ssl");
    const SettingInfo* listener = find_setting("ssl", "inet_listener");
    REQUIRE(global != nullptr);
    REQUIRE(listener != nullptr);
    CHECK(global->type == SettingType::enumeration);
    CHECK(global->values == "no|yes|required");
    CHECK(listener->type == SettingType::boolean);
    CHECK(find_setting("port") == nullptr);
    CHECK(find_setting("no_such_setting") == nullptr);
}

TEST_CASE("every registered default parses as its type, and names are unique per scope") {
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& info : all_settings()) {
        CAPTURE(info.name);
        CAPTURE(info.scope);
        CHECK(seen.emplace(std::string(info.name), std::string(info.scope)).second);
        switch (info.type) {
        case SettingType::boolean:
            CHECK(parse_bool(info.default_value).has_value());
            break;
        case SettingType::uint:
            CHECK(parse_uint(info.default_value).has_value());
            break;
        case SettingType::size:
            CHECK(parse_size(info.default_value).has_value());
            break;
        case SettingType::time:
            CHECK(parse_time(info.default_value).has_value());
            break;
        case SettingType::enumeration: {
            std::string values = "|" + std::string(info.values) + "|";
            CHECK(values.find("|" + std::string(info.default_value) + "|") != std::string::npos);
            break;
        }
        default:
            break;
        }
    }
}

TEST_CASE("well-known Dovecot settings are registered as not implemented") {
    for (const char* name : {"mail_plugins", "auth_policy_server_url", "postmaster_address",
                             "mail_privileged_group", "quota_full_tempfail",
                             "managesieve_sieve_capability", "imapc_cmd_timeout"}) {
        CAPTURE(name);
        const SettingInfo* info = find_setting(name);
        REQUIRE(info != nullptr);
        CHECK_FALSE(info->implemented);
    }
}

TEST_CASE("defaults come from the registry") {
    Config c = Config::defaults();
    CHECK(c.get("imap_max_line_length") == "64k");
    CHECK(c.get_size("imap_max_line_length") == 65536u);
    CHECK(c.get("ssl") == "yes");
    CHECK(c.get_bool("shutdown_clients"));
    CHECK_FALSE(c.get_bool("auth_debug"));
    CHECK(c.get_uint("first_valid_uid") == 500u);
    CHECK(c.get_size("default_vsz_limit") == 256u * 1024 * 1024);
    CHECK(c.get_time("default_idle_kill") == milliseconds(60000));
    CHECK(c.get_time("haproxy_timeout") == milliseconds(3000));
    CHECK(c.get_list("listen") == std::vector<std::string>{"*", "::"});
    CHECK_FALSE(c.is_set("ssl"));
    CHECK(c.warnings().empty());
    CHECK(c.path().empty());
    CHECK(c.root().entries().empty());
}

TEST_CASE("the delivery pipeline's settings are registered as implemented") {
    for (const char* name : {"recipient_delimiter", "lmtp_save_to_detail_mailbox", "lda_mailbox_autocreate",
                             "lda_mailbox_autosubscribe", "lmtp_hdr_delivery_address", "lmtp_add_received_header",
                             "lda_original_recipient_header", "mail_temp_dir", "lmtp_max_mail_size", "deliver_log_format",
                             "lmtp_max_recipients", "lmtp_user_concurrency_limit",
                             "lmtp_xclient_trusted_users"}) {
        CAPTURE(name);
        REQUIRE(find_setting(name) != nullptr);
        CHECK(find_setting(name)->implemented);
    }
}

TEST_CASE("the storage settings the mail user reads are registered as implemented") {
    for (const char* name : {"mail_location", "mail_fsync", "mail_save_crlf", "maildir_copy_with_hardlinks",
                             "mail_max_lock_timeout"}) {
        CAPTURE(name);
        REQUIRE(find_setting(name) != nullptr);
        CHECK(find_setting(name)->implemented);
    }
    for (const char* name : {"type", "separator", "prefix", "location", "inbox", "hidden", "list",
                             "subscriptions", "ignore_on_failure", "disabled"}) {
        CAPTURE(name);
        CHECK(find_setting(name, "namespace")->implemented);
    }
    CHECK_FALSE(find_setting("alias_for", "namespace")->implemented);
    CHECK(find_setting("auto", "mailbox")->implemented);
    CHECK(find_setting("special_use", "mailbox")->implemented);
    CHECK_FALSE(find_setting("comment", "mailbox")->implemented);
    // Dovecot writes it as a time ("mail_max_lock_timeout = 30 secs").
    auto c = Config::load_string("mail_max_lock_timeout = 30 secs\n", "loft.conf");
    REQUIRE(c.is_ok());
    CHECK(c->get_time("mail_max_lock_timeout") == std::chrono::milliseconds(30000));
}
