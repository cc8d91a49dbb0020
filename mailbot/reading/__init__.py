"""Reading one incoming mail: parsing, charsets, HTML, quotes, forwards, machine mail."""
