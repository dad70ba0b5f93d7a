"""Plate reading for violating vehicles: detector, OCR backends, the TNKB format, voting.

    factory.py    build_plate_reader(config): built once at start-up (edge.app)
    config.py     the stage's settings (pydantic only)
    reader.py     PlateReader: best frames -> plate detector -> OCR -> TNKB fixes -> vote
    detector.py   frame ranking and the plate detector on the vehicle crop
    ocr.py        the Recognizer port, CTC decoding, line finding; rapid.py and easy.py
    indonesia.py  the TNKB format, position-aware fixes, categories; regions.py the codes
    vote.py       multi-frame voting; colour.py the plate's background colour

Kept free of imports, so the pure modules (indonesia, regions) load without ONNX Runtime.
"""
