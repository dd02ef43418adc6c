"""The synthetic company behind `healthscore demo` and `healthscore demo-history`.

`company` generates the events of accounts whose hidden health drifts (pure,
no I/O), with the product's shape taken from a `profiles` entry; `crm_import`
their renewals of the two years before (pure); `live` produces all of it and
then live activity to Kafka; `history` writes the company's past to a history
file for the backtest, without Kafka. With `demo --gateway`, `webhooks` shapes
the renewals and tickets as Stripe events and Zendesk trigger bodies (pure)
and `via_gateway` signs and posts them to the gateway.

Imports: `models`, streams' top-level modules (`settings`, `topics`,
`kafka_client`) and `gateway.signatures` (how the vendors sign, pure). Never
the topology, the API, the worker, `streams.cli` or the gateway's service.
"""
