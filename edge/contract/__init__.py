"""The wire contract between a box and the back office: MQTT topics and receipts. Both sides
import it; neither reaches into the other's internals."""
