// SORT (RFC 5256, 5957): include/mailstore/sort.hpp.
