// Evaluating SEARCH programs over Maildirs.
#include "search_fixture.hpp"
