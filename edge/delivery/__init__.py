"""Durable delivery of signed evidence over MQTT: outbox, publisher, receipts, device status.

Modules: `config` (device settings), `topics`, `receipts`, `records` (signed records on disk),
`outbox` (SQLite), `mqtt` (the one paho client), `publisher` (its thread), `status`, `budget`
(disk budget), `service` (what the pipeline and the cli use), `wiring` (how `etle-edge run` sets it up).
"""
