"""Personal data (152-ФЗ): what is replaced when a case is pseudonymised (`scrub.py`, pure),
the erasing and pseudonymising in the database (`erase.py`), and what the desk holds about
one person, written out for them (`export.py`). The daily retention job is
`jobs/retention.py`; the commands `mailbot forget` and `mailbot export` are
`service/privacy.py`."""
