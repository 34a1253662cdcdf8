"""Pure code of the console: how a recommendation, a deadline and an outcome form read. No I/O."""
