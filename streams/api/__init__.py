"""The HTTP API (SPEC §6) on the worker's Faust web server.

`web` registers the views, `readers` answers from this worker's table or
PostgreSQL, `bodies` holds the query and answer models, and `openapi` generates
docs/openapi.json from them (`python -m streams.api.openapi`).

Imports: `models`, `streams.topology` and streams' top-level modules. Never
`streams.cli`, `streams.demo`, `streams.backtest`, `streams.fit` or `streams.worker`.
"""
