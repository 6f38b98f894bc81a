// Session tests: thread.
