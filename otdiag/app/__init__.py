"""The application's side (App -> SDK): its OTEL_* environment, the export settings it resolves to,
and running it under otdiag's own receiver."""
