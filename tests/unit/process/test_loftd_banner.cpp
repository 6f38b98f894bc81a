// The banner tells what is served, from the sockets actually bound.
#include "banner.hpp"

#include <doctest/doctest.h>

TEST_CASE("the banner lists bound sockets, missing daemons and no hints without a built-in default") {
    loftd::ServicePlan imap;
    imap.service = "imap-login";
    imap.protocol = "imap";
    imap.binary = "/usr/lib/loft/loft-imapd";
    imap.workers = 2;
    imap.credentials = loft::Credentials{"vmail", 5000, 5000, true};

    loft::BoundListener v4;
    v4.spec.service = "imap-login";
    v4.spec.name = "imaps";
    v4.spec.port = 993;
    v4.spec.ssl = true;
    v4.address = "127.0.0.1";
    loft::BoundListener v6 = v4;
    v6.address = "::1";

    loftd::BannerInput in;
    in.config_description = "/etc/loft/loft.conf";
    in.protocols = {{"imap", "IMAP", "loft-imapd", true, ""},
                    {"pop3", "POP3", "loft-pop3d", false, "loft-pop3d is not installed; POP3 is not served"}};
    in.served = {{&imap, {v4, v6}}};
    in.pid_file = "/run/loft/master.pid";
    std::string text = loftd::banner_text(in);

    CHECK(text.find("is running (config /etc/loft/loft.conf)\n") != std::string::npos);
    CHECK(text.find("  imap:  imaps (TLS) on 127.0.0.1:993 [::1]:993\n") != std::string::npos);
    CHECK(text.find("2 workers of /usr/lib/loft/loft-imapd as vmail\n") != std::string::npos);
    CHECK(text.find("  pop3:  loft-pop3d is not installed; POP3 is not served\n") != std::string::npos);
    CHECK(text.find("Nothing is served") == std::string::npos);
    CHECK(text.find("Demo login") == std::string::npos);
    CHECK(text.find("pid file /run/loft/master.pid") != std::string::npos);
}

TEST_CASE("with nothing served the banner says so") {
    loftd::BannerInput in;
    in.config_description = "x.conf";
    in.protocols = {{"imap", "IMAP", "loft-imapd", false, "loft-imapd is not installed; IMAP is not served"}};
    std::string text = loftd::banner_text(in);
    CHECK(text.find("Nothing is served yet") != std::string::npos);
}
