// THREAD (RFC 5256): include/mailstore/thread.hpp.
