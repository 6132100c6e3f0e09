"""The reports app's database layer: how purchase lines are written in bulk (`copy`: PostgreSQL's binary COPY,
one executemany elsewhere) and how the database checks their references (`line_references`: the triggers' SQL,
their advisory lock and session flag, which migrations and the line store both import). No business rules here."""
