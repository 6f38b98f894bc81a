// Session tests: contexts.
