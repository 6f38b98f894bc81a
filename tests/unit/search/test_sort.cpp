// SORT orderings.
