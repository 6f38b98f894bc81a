// Symbol visibility for libmailstore. Everything is hidden by default
// (-fvisibility=hidden); only declarations marked MAILSTORE_API are part of the
// shared object's ABI.
//
// MAILSTORE_INTERNAL_API marks declarations in the uninstalled src/ headers
// that in-tree users (the protocol libraries, loft-authd, unit tests) call.
// They are exported so those users can link them, but they are not part of
// the ABI: no installed header declares them and they may change at any time.
#pragma once

#if defined(MAILSTORE_BUILDING_LIBRARY)
#define MAILSTORE_API __attribute__((visibility("default")))
#define MAILSTORE_INTERNAL_API __attribute__((visibility("default")))
#else
#define MAILSTORE_API
#define MAILSTORE_INTERNAL_API
#endif
