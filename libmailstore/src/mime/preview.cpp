// PREVIEW text (RFC 8970).
