"""Running mailbot as a school's service: bundled files, init, check, status, logs."""
