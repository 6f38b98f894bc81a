// The one translation unit of the load generator that compiles Asio
// (ASIO_SEPARATE_COMPILATION), as daemons/common/asio_impl.cpp does for the
// daemons; loadgen_core does not link the daemons' runtime library.
#include <asio/impl/src.hpp>
