"""Shrink exported ONNX graphs for shipping, with python3-onnx only (onnxruntime's quantization
tool is not installable here).

fp16 storage: every large float32 initializer is stored as float16 and cast back to float32 by a
Cast node at the top of the graph. onnxruntime folds those casts into float32 constants when it
builds the session, so inference runs in float32 at the same speed; the files are half the size
and the weights lose only float16 rounding (the parity test bounds the effect on outputs).

int8 weights (--int8): every MatMul whose right operand is a constant weight matrix becomes
DynamicQuantizeLinear(x) -> MatMulInteger(x_u8, W_s8) -> Cast -> Mul(x_scale * column scales):
symmetric per-column int8 weights, per-tensor uint8 activations quantized at run time (the
pattern onnxruntime's own quantize_dynamic writes, which its CPU provider fuses and runs with
integer GEMM kernels). A quarter of the weight bytes per decode step; the quality cost is
measured by the evaluation harness, not assumed.

  /usr/bin/python3 training/onnx_compact.py [--int8] IN.onnx OUT.onnx
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


def _constant_weights(graph) -> dict:
    """name -> float32 array for every initializer, and for every Cast of one (fp16 storage)."""
    inits = {i.name: i for i in graph.initializer}
    out = {name: numpy_helper.to_array(i).astype(np.float32) for name, i in inits.items()
           if i.data_type in (TensorProto.FLOAT, TensorProto.FLOAT16)}
    for node in graph.node:
        if node.op_type == "Cast" and node.input[0] in out:
            out[node.output[0]] = out[node.input[0]]
    return out


def quantize_columns(w: np.ndarray) -> tuple:
    """Symmetric per-column int8: w ~= q * scale[None, :]."""
    scale = np.abs(w).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def int8_matmuls(model: onnx.ModelProto, min_elements: int = MIN_ELEMENTS) -> onnx.ModelProto:
    graph = model.graph
    weights = _constant_weights(graph)
    nodes, new_inits, replaced = [], [], 0
    for node in graph.node:
        w = weights.get(node.input[1]) if node.op_type == "MatMul" else None
        if w is None or w.ndim != 2 or w.size < min_elements:
            nodes.append(node)
            continue
        q, scale = quantize_columns(w)
        p = node.name or node.output[0]
        new_inits += [numpy_helper.from_array(q, p + "__w_s8"), numpy_helper.from_array(scale, p + "__w_scale"),
                      numpy_helper.from_array(np.zeros(q.shape[1], np.int8), p + "__w_zp")]
        x, y = node.input[0], node.output[0]
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [x], [p + "__x_u8", p + "__x_scale", p + "__x_zp"], name=p + "__quant"),
            helper.make_node("MatMulInteger", [p + "__x_u8", p + "__w_s8", p + "__x_zp", p + "__w_zp"], [p + "__acc"], name=p + "__mmi"),
            helper.make_node("Cast", [p + "__acc"], [p + "__accf"], to=TensorProto.FLOAT, name=p + "__cast"),
            helper.make_node("Mul", [p + "__x_scale", p + "__w_scale"], [p + "__scale"], name=p + "__scales"),
            helper.make_node("Mul", [p + "__accf", p + "__scale"], [y], name=p + "__rescale"),
        ]
        replaced += 1
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(new_inits)
    _drop_unused(graph)
    onnx.checker.check_model(model)
    print(f"int8: {replaced} MatMuls quantized", file=sys.stderr)
    return model


def _drop_unused(graph) -> None:
    """Remove initializers and Cast nodes nothing reads any more (the float weights replaced)."""
    used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
    keep = [n for n in graph.node if not (n.op_type == "Cast" and n.output[0] not in used)]
    del graph.node[:]
    graph.node.extend(keep)
    used = {i for n in graph.node for i in n.input}
    keep = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep)


def main(argv=None) -> None:
    args = list(argv if argv is not None else sys.argv[1:])
    int8 = "--int8" in args
    args = [a for a in args if a != "--int8"]
    if len(args) != 2:
        sys.exit(__doc__)
    model = onnx.load(args[0])
    onnx.save(fp16_storage(int8_matmuls(model) if int8 else model), args[1])


if __name__ == "__main__":
    main()
