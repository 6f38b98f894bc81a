// Session tests: preview.
