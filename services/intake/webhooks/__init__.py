"""Webhooks (meetings.md §7): the hospital's subscriptions, and the delivery of intake's downstream events to
them, signed per the Standard Webhooks specification, from deliveries kept in PostgreSQL."""
