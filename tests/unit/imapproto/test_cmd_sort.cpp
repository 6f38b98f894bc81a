// Session tests: sort.
