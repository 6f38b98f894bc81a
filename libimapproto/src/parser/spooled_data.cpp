#include <imapproto/command_parser.hpp>
