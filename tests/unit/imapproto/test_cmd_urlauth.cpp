// Session tests: urlauth.
