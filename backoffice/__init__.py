"""Reference back-office ingest for etle-edge boxes: subscribe, wait for media, verify the signed
record with the device's public key (edge.ledger.verify), store it once, answer receipts.

Run it with `python -m backoffice serve ...`; look at what it stored with `python -m backoffice show`.
"""
