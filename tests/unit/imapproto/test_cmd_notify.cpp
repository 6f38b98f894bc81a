// Session tests: notify.
