// Session tests: condstore.
