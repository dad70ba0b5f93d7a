"""The MQTT connection (paho, one thread owns it) and its broker config, shared by the box's
delivery and the back office's receiver."""
