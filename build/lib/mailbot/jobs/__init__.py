"""Periodic work: reminders, weekly figures and digests."""
