"""The signing ledger: device keys, JWS signing, the hash chain, sealing, the pending journal,
verification, durable folders and the event JSON schemas. Knows nothing of frames, rules or
MQTT: the box writes into it, the back office verifies with it."""
