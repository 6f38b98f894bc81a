// Symbol visibility for libmailstore. Everything is hidden by default
// (-fvisibility=hidden); only declarations marked MAILSTORE_API are part of the
// shared object's ABI.
#pragma once

#if defined(MAILSTORE_BUILDING_LIBRARY)
#define MAILSTORE_API __attribute__((visibility("default")))
#else
#define MAILSTORE_API
#endif
