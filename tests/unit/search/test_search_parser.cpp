// Parsing SEARCH programs.
#include "search_fixture.hpp"
