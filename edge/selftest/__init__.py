"""`etle-edge selftest`: is this box fit to enforce? One bounded check per part it depends on
(models, camera, site file, signing key, clock, broker, disk), a pass/fail table with reasons a
technician can act on, and an exit status a Docker HEALTHCHECK can use.

The checks only look: no evidence is written, the chain state is not locked, the broker sees a
client id of its own that leaves no session behind.
"""
