"""The streaming topology: what each agent consumes, does and produces.

Start at `pipeline` (topics, the state table, the scoring agent and the
re-evaluation timer); what the scoring agent does with a batch is in
`processor`, framework-free. The other agents: `storage` (`health.scores` into
PostgreSQL), `alert_delivery` (`health.alerts` to the sinks) and
`population_reader` (`health.population` into every worker's population).
Beside them: the state table's rows (`account_entry`), the processor's outputs
on Kafka (`kafka_outputs`), the population's records (`population_records`,
`population_share`), dead letters (`dead_letters`, `dead_letter_sender`) and
per-band gauges (`census`), and which accounts the re-evaluation timer asks
for (`rescore`).

Imports: `models`, `sinks`, `streams.engine` and streams' top-level modules
(`app`, `settings`, `topics`, `kafka_client`). Never `streams.api`,
`streams.cli`, `streams.demo`, `streams.backtest`, `streams.fit` or `streams.worker`.
"""
