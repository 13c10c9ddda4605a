"""`otdiag run`'s per-runtime observers: one interface, one module per runtime.

`observer` declares the interface (`RuntimeObserver`), what an observer is given before the app
starts (`Launch`) and after it exits (`AppRun`), and what it returns (`Seen`, with the typed
`facts.RuntimeFacts`). `observers` registers one observer per runtime; `pick` chooses the one
that applies to a command. The Python observer lives in `otdiag.observe` and is reached through
`observers.python`.
"""
