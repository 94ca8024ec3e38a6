"""LLVM intrinsics the kernels call that numba does not offer: a software prefetch.

A deep node's rows are a sparse, increasing subset of the training rows, so reading each row's
bins and statistics misses the caches in an order the hardware prefetcher does not guess.
Asking for the row a few places ahead (as LightGBM does) hides most of that latency; the
results are the same, only sooner.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def _prefetch(typingctx: Any, array: Any, index: Any) -> Any:
    """Hint that ``array[index]`` (for a 2-D array, the start of row ``index``) is read soon.
    Never faults, even for an index out of range."""
    if not isinstance(array, types.Array) or not isinstance(index, types.Integer):
        return None
    signature = types.void(array, index)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        array_type, index_type = sig.args
        ary = context.make_array(array_type)(context, builder, args[0])
        zero = context.get_constant(types.intp, 0)
        first = context.cast(builder, args[1], index_type, types.intp)
        pointer = cgutils.get_item_pointer2(
            context, builder, data=ary.data, shape=cgutils.unpack_tuple(builder, ary.shape),
            strides=cgutils.unpack_tuple(builder, ary.strides), layout=array_type.layout,
            inds=[first] + [zero] * (array_type.ndim - 1), wraparound=False)
        byte_pointer = builder.bitcast(pointer, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer.type, i32, i32, i32]),
            "llvm.prefetch.p0")
        # read (0), keep in all cache levels (3), data cache (1)
        builder.call(function, [byte_pointer, ir.Constant(i32, 0), ir.Constant(i32, 3),
                                ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return signature, codegen


prefetch: Any = _prefetch
"""``prefetch(array, index)`` inside a numba kernel (typed here as numba sees it)."""


@intrinsic
def _add_pair(typingctx: Any, flat: Any, index: Any, first: Any, second: Any) -> Any:
    """``flat[index] += first; flat[index + 1] += second`` as one two-lane load, add and store.

    A histogram update is bound by stores (one per number per feature); numba leaves LLVM's
    SLP vectoriser off, so the pair is written as a vector here: half the stores, the same sums.
    No bounds check: the caller's index is in range."""
    if (not isinstance(flat, types.Array) or flat.ndim != 1 or flat.dtype != types.float64
            or not isinstance(index, types.Integer)):
        return None
    signature = types.void(flat, index, types.float64, types.float64)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        array_type, index_type = sig.args[:2]
        ary = context.make_array(array_type)(context, builder, args[0])
        position = context.cast(builder, args[1], index_type, types.intp)
        pointer = cgutils.get_item_pointer2(
            context, builder, data=ary.data, shape=cgutils.unpack_tuple(builder, ary.shape),
            strides=cgutils.unpack_tuple(builder, ary.strides), layout=array_type.layout,
            inds=[position], wraparound=False)
        pair_type = ir.VectorType(ir.DoubleType(), 2)
        vector_pointer = builder.bitcast(pointer, pair_type.as_pointer())
        current = builder.load(vector_pointer, align=8)
        addend = ir.Constant(pair_type, ir.Undefined)
        addend = builder.insert_element(addend, args[2], ir.Constant(ir.IntType(32), 0))
        addend = builder.insert_element(addend, args[3], ir.Constant(ir.IntType(32), 1))
        builder.store(builder.fadd(current, addend), vector_pointer, align=8)
        return context.get_dummy_value()

    return signature, codegen


add_pair: Any = _add_pair
"""``add_pair(flat, index, a, b)`` inside a numba kernel."""
