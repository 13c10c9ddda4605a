"""The network under every hop: one bounded HTTP exchange, transport errors as causes, what a port
speaks, and the URLs and host:port values users pass."""
