"""REST API of the reports app (an api/ package: STYLE.md rule 9), one module per capability."""
