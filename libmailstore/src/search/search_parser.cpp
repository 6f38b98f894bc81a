#include <mailstore/search.hpp>
