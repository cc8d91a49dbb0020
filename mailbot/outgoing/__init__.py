"""Mail mailbot sends: composing, rendering replies, the outbox."""
