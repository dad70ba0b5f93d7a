"""Camera tamper and view shift: the watch (`watch`), what it measures (`measure`), the reference
frames kept with each calibration version (`reference`) and its light config (`config`)."""
