"""Plumbing under Faust's consumer and producer, with no knowledge of health scores.

A fetch handed to the agent whole (`bulk_consumer`), and fetched again when
the flow stops while the consumer thread takes it (`abandoned_fetch`), batches gathered across
partitions (`gathering`), acks and the commits they allow (`acks`, `alert_acks`,
`commit_guard`), writes sent as one record batch per partition (`record_batches`),
partitions that are never fetched (`fetch_watch`), whether the agent keeps up
with its input (`progress_watch`), and Faust's own metrics
(`faust_metrics`). This is where private Faust and aiokafka names are used.

Imports: faust, mode, aiokafka and the standard library; of ours, only
`streams.engine` itself. The topology, the app and the worker import it.
"""
