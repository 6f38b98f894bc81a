// Session tests: metadata.
