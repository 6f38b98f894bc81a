// The header fields delivery puts before a message (docs/delivery.md,
// "Headers"), byte for byte as Dovecot 2.3's LMTP writes them.
#pragma once

#include <mailstore/delivery.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace mailstore::delivery {

enum class DeliveryAddressHeader { final_address, original_address, none }; // lmtp_hdr_delivery_address

struct TraceSettings {
    bool add_trace = true;      // false for the LDA: Dovecot's LDA adds nothing (Postfix's pipe flags do)
    bool add_received = true;   // lmtp_add_received_header
    DeliveryAddressHeader delivered_to = DeliveryAddressHeader::final_address;
    std::string hostname;       // "by HOSTNAME"
};

// What one recipient's copy starts with:
//
//   Return-Path: <sender@example.org>
//   Delivered-To: rcpt@example.com
//   Received: from helo.example.org ([192.0.2.1])
//   	by mx.example.com with LMTP
//   	id SESSIONID
//   	(envelope-from <sender@example.org>)
//   	for <rcpt@example.com>; Sun, 29 Nov 2026 07:33:22 +0000
//
// Delivered-To names the address lmtp_hdr_delivery_address picks (final:
// the RCPT TO address, original: ORCPT or -a, left out when there is
// none); the "for" clause appears only when the transaction has a single
// recipient (`single_recipient`) and lmtp_hdr_delivery_address is not none,
// as in Dovecot 2.3. `original` is the
// recipient's original address (Recipient::original_address or the one
// read from lda_original_recipient_header). `date` is the RFC 5322 date
// text. Line ends are CRLF (the storage stores its own). CR, LF and NUL in
// any value are dropped so that no value can start a header of its own.
MAILSTORE_INTERNAL_API std::string trace_headers(const TraceSettings& settings, const Envelope& envelope,
                                                 const Recipient& recipient, std::string_view original,
                                                 bool single_recipient, std::string_view date);

// The current time as a Received date: "Sun, 29 Nov 2026 07:33:22 +0000",
// in the local zone.
MAILSTORE_INTERNAL_API std::string received_date_now();

} // namespace mailstore::delivery
