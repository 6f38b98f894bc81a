// The one translation unit that compiles Asio (ASIO_SEPARATE_COMPILATION):
// every other file includes only Asio's declarations, which keeps builds fast.
#include <asio/impl/src.hpp>
#include <asio/ssl/impl/src.hpp>
