"""Privacy by design (UU PDP 27/2022): what is hidden in the copies that leave the box.

`redact` is pure (regions in, image out); `find` runs the bundled detectors on evidence frames
only, never on the live stream; `config` is pydantic only, so `edge.settings` loads no ONNX."""
