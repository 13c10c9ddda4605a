"""The command line: one module per command. Each parses, calls the core, renders and exits."""
