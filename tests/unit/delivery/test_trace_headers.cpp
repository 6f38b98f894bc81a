// The headers LMTP puts before a message, byte for byte as Dovecot 2.3.19's
// LMTP wrote them in the same situations (docs/delivery.md, "Headers").
#include "delivery_fixture.hpp"

#include "delivery/trace_headers.hpp"

using namespace loft_test;

namespace {

TraceSettings lmtp_settings() {
    TraceSettings s;
    s.hostname = "mx.example.net";
    return s;
}

Recipient rcpt(const std::string& address, const std::string& original = "") {
    Recipient r;
    r.address = address;
    r.original_address = original;
    return r;
}

constexpr const char* date = "Sun, 29 Nov 2026 07:33:22 +0000";

} // namespace

TEST_CASE("one recipient: Return-Path, Delivered-To, Received with a for clause") {
    CHECK(trace_headers(lmtp_settings(), test_envelope(), rcpt("alice@example.com"), "", true, date) ==
          "Return-Path: <sender@remote.org>\r\n"
          "Delivered-To: alice@example.com\r\n"
          "Received: from client.example.org ([127.0.0.1])\r\n"
          "\tby mx.example.net with LMTP\r\n"
          "\tid 0S7/CULVC2vyMAAAg+zDdQ\r\n"
          "\t(envelope-from <sender@remote.org>)\r\n"
          "\tfor <alice@example.com>; Sun, 29 Nov 2026 07:33:22 +0000\r\n");
}

TEST_CASE("several recipients: no for clause, Delivered-To still names this recipient") {
    CHECK(trace_headers(lmtp_settings(), test_envelope(), rcpt("bob+tag@example.com"), "", false, date) ==
          "Return-Path: <sender@remote.org>\r\n"
          "Delivered-To: bob+tag@example.com\r\n"
          "Received: from client.example.org ([127.0.0.1])\r\n"
          "\tby mx.example.net with LMTP\r\n"
          "\tid 0S7/CULVC2vyMAAAg+zDdQ\r\n"
          "\t(envelope-from <sender@remote.org>); Sun, 29 Nov 2026 07:33:22 +0000\r\n");
}

TEST_CASE("lmtp_hdr_delivery_address = original uses ORCPT, and without one adds no Delivered-To") {
    TraceSettings s = lmtp_settings();
    s.delivered_to = DeliveryAddressHeader::original_address;
    Envelope e = test_envelope();
    e.mail_from = "a@b";
    CHECK(trace_headers(s, e, rcpt("alice+x@example.com", "orig@example.com"), "orig@example.com", true, date) ==
          "Return-Path: <a@b>\r\n"
          "Delivered-To: orig@example.com\r\n"
          "Received: from client.example.org ([127.0.0.1])\r\n"
          "\tby mx.example.net with LMTP\r\n"
          "\tid 0S7/CULVC2vyMAAAg+zDdQ\r\n"
          "\t(envelope-from <a@b>)\r\n"
          "\tfor <orig@example.com>; Sun, 29 Nov 2026 07:33:22 +0000\r\n");
    CHECK(trace_headers(s, e, rcpt("alice@example.com"), "", true, date) ==
          "Return-Path: <a@b>\r\n"
          "Received: from client.example.org ([127.0.0.1])\r\n"
          "\tby mx.example.net with LMTP\r\n"
          "\tid 0S7/CULVC2vyMAAAg+zDdQ\r\n"
          "\t(envelope-from <a@b>)\r\n"
          "\tfor <alice@example.com>; Sun, 29 Nov 2026 07:33:22 +0000\r\n");
}

TEST_CASE("lmtp_hdr_delivery_address = none and lmtp_add_received_header = no") {
    TraceSettings s = lmtp_settings();
    s.delivered_to = DeliveryAddressHeader::none;
    // Not even a single recipient is named ("for" left out, as Dovecot does).
    CHECK(trace_headers(s, test_envelope(), rcpt("alice@example.com"), "", true, date) ==
          "Return-Path: <sender@remote.org>\r\n"
          "Received: from client.example.org ([127.0.0.1])\r\n"
          "\tby mx.example.net with LMTP\r\n"
          "\tid 0S7/CULVC2vyMAAAg+zDdQ\r\n"
          "\t(envelope-from <sender@remote.org>); Sun, 29 Nov 2026 07:33:22 +0000\r\n");
    s.add_received = false;
    CHECK(trace_headers(s, test_envelope(), rcpt("alice@example.com"), "", true, date) ==
          "Return-Path: <sender@remote.org>\r\n");
}

TEST_CASE("the null sender, a unix socket peer (no address) and the LDA") {
    Envelope e = test_envelope();
    e.mail_from = "";
    e.remote_ip = "";
    e.helo = "helo.unix";
    CHECK(trace_headers(lmtp_settings(), e, rcpt("alice@example.com"), "", true, date) ==
          "Return-Path: <>\r\n"
          "Delivered-To: alice@example.com\r\n"
          "Received: from helo.unix\r\n"
          "\tby mx.example.net with LMTP\r\n"
          "\tid 0S7/CULVC2vyMAAAg+zDdQ\r\n"
          "\t(envelope-from <>)\r\n"
          "\tfor <alice@example.com>; Sun, 29 Nov 2026 07:33:22 +0000\r\n");
    TraceSettings lda = lmtp_settings();
    lda.add_trace = false;
    CHECK(trace_headers(lda, test_envelope(), rcpt("alice@example.com"), "", true, date).empty());
}

TEST_CASE("CR, LF and NUL in envelope values cannot start a header of their own") {
    Envelope e = test_envelope();
    e.mail_from = "a@b>\r\nX-Injected: 1";
    e.helo = "h\r\nX-Evil: 2";
    const std::string h = trace_headers(lmtp_settings(), e, rcpt("r@x\nX-Bad: 3\0!"s), "", true, date);
    CHECK(h.find("\r\nX-Injected") == std::string::npos);
    CHECK(h.find("\r\nX-Evil") == std::string::npos);
    CHECK(h.find("\nX-Bad") == std::string::npos);
    CHECK(h.find('\0') == std::string::npos);
    CHECK(h.find("Return-Path: <a@b>X-Injected: 1>\r\n") == 0);
}

TEST_CASE("the Received date is an RFC 5322 date in the local zone") {
    const std::string d = received_date_now();
    CHECK(std::regex_match(d, std::regex("[A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}")));
}
