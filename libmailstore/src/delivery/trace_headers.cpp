// Return-Path, Delivered-To and Received (RFC 5321 §4.4; the layout is
// Dovecot 2.3 LMTP's, checked against its output: docs/delivery.md).
#include "delivery/trace_headers.hpp"

#include <mailstore/mime/date.hpp>

#include <ctime>

namespace mailstore::delivery {

namespace {

// A value with CR, LF and NUL removed: an address or HELO name from the
// wire must not end the header line it is put in.
std::string clean(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value)
        if (c != '\r' && c != '\n' && c != '\0')
            out.push_back(c);
    return out;
}

} // namespace

std::string received_date_now() {
    const std::time_t now = std::time(nullptr);
    struct tm local {};
    ::localtime_r(&now, &local);
    mime::DateTime dt;
    dt.utc = std::int64_t(now);
    dt.zone_minutes = int(local.tm_gmtoff / 60);
    return mime::format_message_date(dt);
}

std::string trace_headers(const TraceSettings& settings, const Envelope& envelope, const Recipient& recipient,
                          std::string_view original, bool single_recipient, std::string_view date) {
    std::string out;
    if (!settings.add_trace)
        return out;
    const std::string from = clean(envelope.mail_from);
    out += "Return-Path: <" + from + ">\r\n";
    std::string delivery_address; // also the "for" address
    switch (settings.delivered_to) {
    case DeliveryAddressHeader::final_address:
        delivery_address = clean(recipient.address);
        break;
    case DeliveryAddressHeader::original_address:
        delivery_address = clean(original);
        break;
    case DeliveryAddressHeader::none:
        break;
    }
    if (!delivery_address.empty())
        out += "Delivered-To: " + delivery_address + "\r\n";
    if (!settings.add_received)
        return out;
    const std::string ip = clean(envelope.remote_ip);
    std::string helo = clean(envelope.helo);
    if (helo.empty())
        helo = ip.empty() ? std::string("localhost") : "[" + ip + "]";
    std::string host_ip = clean(envelope.remote_host);
    if (!ip.empty())
        host_ip += (host_ip.empty() ? "[" : " [") + ip + "]";
    out += "Received: from " + helo;
    if (!host_ip.empty())
        out += " (" + host_ip + ")";
    out += "\r\n\tby " + clean(settings.hostname) + " with " +
           clean(envelope.protocol.empty() ? std::string_view("LMTP") : std::string_view(envelope.protocol));
    if (!envelope.session_id.empty())
        out += "\r\n\tid " + clean(envelope.session_id);
    out += "\r\n\t(envelope-from <" + from + ">)";
    // Dovecot 2.3 writes "for" for a lone recipient unless
    // lmtp_hdr_delivery_address = none.
    if (single_recipient && settings.delivered_to != DeliveryAddressHeader::none) {
        std::string for_address = delivery_address.empty() ? clean(recipient.address) : delivery_address;
        out += "\r\n\tfor <" + for_address + ">";
    }
    out += "; ";
    out += date;
    out += "\r\n";
    return out;
}

} // namespace mailstore::delivery
