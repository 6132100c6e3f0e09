"""Pages of the reports app, one module per capability."""
