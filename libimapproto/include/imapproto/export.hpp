// IMAPPROTO_API marks what libimapproto.so exports; everything else is
// hidden (-fvisibility=hidden).
#pragma once

#if defined(IMAPPROTO_BUILDING_LIBRARY)
#define IMAPPROTO_API __attribute__((visibility("default")))
#else
#define IMAPPROTO_API
#endif
