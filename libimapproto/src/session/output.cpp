#include "session/context.hpp"
