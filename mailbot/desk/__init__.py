"""Cases and senders: states, threading, tokens, identification, commands, casework."""
