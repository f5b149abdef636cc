"""The command-line interface (``spatial-poverty``); the only place that prints and configures logging."""
