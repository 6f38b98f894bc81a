// METADATA entries (RFC 5464): include/mailstore/storage/metadata.hpp.
