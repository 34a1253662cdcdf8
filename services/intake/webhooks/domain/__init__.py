"""The pure parts of webhooks (no I/O): event types and bodies, signatures, the SSRF guard, the retry
schedule."""
