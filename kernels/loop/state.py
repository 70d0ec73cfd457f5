"""What every part of the event loop shares: compile options, the arrays of a call, and the counters.

The mutable scalars of a replication live in one structured array of one
record, ``COUNTERS``: the parts of the loop read and write them by name,
and no part needs to return them to the others.
"""

from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.imputils import impl_ret_borrowed, lower_getattr_generic
from numba.core.typing.templates import AttributeTemplate, infer_getattr
from numba.extending import intrinsic, models, register_model

FAST = dict(cache=True, nogil=True, error_model="numpy")
INNER = dict(FAST, no_cpython_wrapper=True, forceinline=False)  # called from jitted code only
INLINE = dict(INNER, inline="always")  # an event kind or an action: numba inlines its code where the loop calls it
# a small step: compiled once, and always inlined by LLVM where it is called.  (A function a LEAF calls inherits
# forceinline unless it sets it: INNER and the samplers' rare paths set it False.)
LEAF = dict(INNER, forceinline=True)

# ix(i): index i, known to be >= 0.  Numba adds a negative-index wraparound to every access with a signed index;
# with an unsigned one it does not.  Pool rows (II, FF) and heap slots are indexed this way (the baseline kernel
# ran 3-4 % faster).
ix = np.uint64

COUNTERS = np.dtype([
    ("free", np.int64),  # head of the item pool's free list
    ("n_free", np.int64),  # items on it
    ("runs", np.int64),  # vacancy runs queued: pool items a boundary may release, each scheduling a start
    ("fl_free", np.int64),  # head of the fired-need free list
    ("fl_nfree", np.int64),
    ("hn", np.int64),  # heap size
    ("spent", np.int64),  # 1: the heap's top was handled but is still in place (heap.push)
    ("seq", np.int64),  # sequence number of the next event key
    ("sp", np.int64),  # action stack size
    ("period", np.int64),  # the period the clock is in
    ("counting", np.int64),  # 1 once warm-up has ended
    ("warm_pending", np.int64),  # 1 until the warm-up end is handled
    ("done", np.int64),  # 1 once the horizon is reached
    ("next_seg", np.int64),  # segment of the next arrival (-1: none)
    ("next_arrival", np.float64),  # its time (inf: none)
    ("ab_time", np.float64),  # the earliest abandonment over departments: deadline (inf: none), key, department
    ("ab_key", np.int64),
    ("ab_dept", np.int64),
    ("next_boundary", np.float64),  # the next period boundary (inf after the last)
    ("ended", np.int64),  # segment of the order the current event ended (-1: none), and how: completed (1) or not
    ("ended_done", np.int64),
    ("ended_score", np.float64),  # its satisfaction score, sojourn and total queue wait
    ("ended_sojourn", np.float64),
    ("ended_wait", np.float64),
])  # fmt: skip


class Work(NamedTuple):
    """The arrays one call of the loop works in.  The pools grow, between events only (``driver``)."""

    II: np.ndarray  # item pool, integer columns (items.I_*)
    FF: np.ndarray  # item pool, float columns (items.F_*)
    ht: np.ndarray  # event heap: times as bits, keys, payloads (heap)
    hk: np.ndarray
    he: np.ndarray
    a_code: np.ndarray  # action stack of a cascade (cascade)
    a_arg: np.ndarray
    fl_need: np.ndarray  # fired-need lists: the need and the next node (pool)
    fl_next: np.ndarray
    DI: np.ndarray  # departments, integer columns (departments.DI_*)
    DF: np.ndarray  # departments, float columns (departments.DF_*)
    pdef: np.ndarray  # (V,) defect probability at the current morale
    pop: np.ndarray  # (S,) population; -1 for an open stream
    arr_t: np.ndarray  # (S,) each segment's next arrival (inf: none)
    factor: np.ndarray  # (U,) lead-time factor
    pay_sum: np.ndarray  # (U,) payment times of the period's paid invoices, and how many
    pay_n: np.ndarray
    ctr: np.ndarray  # (1,) COUNTERS


class Borrowed(types.Type):
    """A named tuple of arrays seen without owning them (``borrow``): copying it costs no reference counting."""

    def __init__(self, tup):
        self.tup = tup
        super().__init__(name=f"Borrowed({tup})")


@register_model(Borrowed)
class _BorrowedModel(models.StructModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, list(zip(fe_type.tup.fields, fe_type.tup.types)))

    def traverse(self, builder):
        return []  # nothing to reference-count

    def has_nrt_meminfo(self):
        return False

    # Passed by reference: as a value it is hundreds of arguments (55 fields of a compiled scenario, seven per
    # array), whose passing code took 0.7 s of compile per function.  Inlined calls keep no trace of the copy.
    def get_argument_type(self):
        return self.get_value_type().as_pointer()

    def as_argument(self, builder, value):
        slot = cgutils.alloca_once(builder, value.type)
        for i in range(len(value.type.elements)):  # field by field: aggregate loads and stores optimise poorly
            builder.store(builder.extract_value(value, i), cgutils.gep_inbounds(builder, slot, 0, i))
        return slot

    def from_argument(self, builder, value):
        out = cgutils.get_null_value(value.type.pointee)
        for i in range(len(value.type.pointee.elements)):
            out = builder.insert_value(out, builder.load(cgutils.gep_inbounds(builder, value, 0, i)), i)
        return out


@infer_getattr
class _BorrowedAttributes(AttributeTemplate):
    key = Borrowed

    def generic_resolve(self, typ, attr):
        if attr in typ.tup.fields:
            return typ.tup.types[typ.tup.fields.index(attr)]


@lower_getattr_generic(Borrowed)
def _borrowed_getattr(context, builder, typ, value, attr):
    i = typ.tup.fields.index(attr)
    member = typ.tup.types[i]  # (an array's meminfo is null, and now visibly so: its counting compiles to nothing)
    return impl_ret_borrowed(context, builder, member, _unowned(context, builder, member, builder.extract_value(value, i)))


def _unowned(context, builder, typ, value):
    if isinstance(typ, types.Array):
        view = context.make_array(typ)(context, builder, value)
        view.meminfo = context.get_constant_null(types.MemInfoPointer(types.voidptr))
        return view._getvalue()
    return value


@intrinsic
def borrow(typingctx, x):
    """A view of *x*, an array or a named tuple of arrays, that holds no reference: passing it on costs nothing.

    Numba reference-counts every array a function receives, and every copy
    an inlined function makes of its arguments: an atomic operation on a
    counter shared by every thread (perf put those of the random-state row
    alone at 12 % of the baseline kernel's samples), and for a named tuple
    code per array at every inlined call (measured: 4 s more compile for 12
    calls with 40 arrays).  A view is safe while the caller's arrays live,
    as they do for a call.
    """
    if isinstance(x, types.Array):
        return x(x), lambda context, builder, sig, args: _unowned(context, builder, x, args[0])
    if not isinstance(x, types.BaseNamedTuple):
        return None

    def codegen(context, builder, sig, args):
        out = cgutils.get_null_value(context.get_value_type(sig.return_type))
        for i, member in enumerate(x.types):
            out = builder.insert_value(out, _unowned(context, builder, member, builder.extract_value(args[0], i)), i)
        return out

    return Borrowed(x)(x), codegen


@intrinsic
def local_copy(typingctx, rec):
    """A copy of counters record *rec* in the caller's stack frame.

    Counters in an array may be changed by any store to another array, as
    far as the compiler knows, so it loads and stores them around every
    one; a stack copy that no call sees is kept in registers instead
    (measured: the baseline kernel X % faster).  ``copy_counters`` writes it
    back.
    """
    if not isinstance(rec, types.Record):
        return None

    def codegen(context, builder, sig, args):
        slot = cgutils.alloca_once(builder, ir.ArrayType(ir.IntType(64), (rec.size + 7) // 8))  # (8-byte aligned)
        copy = builder.bitcast(slot, args[0].type)
        cgutils.raw_memcpy(builder, copy, args[0], context.get_constant(types.intp, rec.size), 1)
        return copy

    return rec(rec), codegen


@intrinsic
def copy_counters(typingctx, dst, src):
    """Copy counters record *src* over *dst*."""
    if not (isinstance(dst, types.Record) and dst == src):
        return None

    def codegen(context, builder, sig, args):
        cgutils.raw_memcpy(builder, args[0], args[1], context.get_constant(types.intp, dst.size), 1)
        return context.get_dummy_value()

    return types.none(dst, src), codegen
