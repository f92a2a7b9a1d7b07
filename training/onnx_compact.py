"""Shrink exported ONNX graphs for shipping, with python3-onnx only (onnxruntime's quantization
tool is not installable here).

fp16 storage: every large float32 initializer is stored as float16 and cast back to float32 by a
Cast node at the top of the graph. onnxruntime folds those casts into float32 constants when it
builds the session, so inference runs in float32 at the same speed; the files are half the size
and the weights lose only float16 rounding (the parity test bounds the effect on outputs).

  /usr/bin/python3 training/onnx_compact.py IN.onnx OUT.onnx
"""
from __future__ import annotations

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MIN_ELEMENTS = 1024  # small tensors (norm weights, biases) stay float32


def fp16_storage(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    casts, kept = [], []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or int(np.prod(init.dims)) < MIN_ELEMENTS:
            kept.append(init)
            continue
        array = numpy_helper.to_array(init)
        if np.abs(array).max(initial=0) > 60000:  # beyond float16's range: keep exact
            kept.append(init)
            continue
        stored = numpy_helper.from_array(array.astype(np.float16), init.name + "__fp16")
        kept.append(stored)
        casts.append(helper.make_node("Cast", [stored.name], [init.name], to=TensorProto.FLOAT,
                                      name=init.name + "__cast"))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.checker.check_model(model)
    return model


def main(argv=None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        sys.exit(__doc__)
    onnx.save(fp16_storage(onnx.load(args[0])), args[1])


if __name__ == "__main__":
    main()
