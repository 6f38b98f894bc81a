// POP3PROTO_API marks what libpop3proto.so exports; everything else is
// hidden (-fvisibility=hidden).
#pragma once

#if defined(POP3PROTO_BUILDING_LIBRARY)
#define POP3PROTO_API __attribute__((visibility("default")))
#else
#define POP3PROTO_API
#endif
