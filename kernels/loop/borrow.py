"""Views that hold no reference: passing the loop's arrays and the compiled scenario to its parts costs nothing.

Numba reference-counts every array a function receives, every array in a
named tuple it receives (the compiled scenario has dozens), and every copy
an inlined function makes of its arguments: an atomic operation each, on
counters shared by every thread (perf put those of the random-state row
alone at 12 % of the baseline kernel's samples), or at least a call.  Passed
owned to every part of the loop, the compiled scenario and the pools made the
baseline kernel 26 times slower; as views of the same types (null owners, but
a call each still), 1.5 times.  A view is safe while the caller's arrays
live, as they do for a call of the loop.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.imputils import impl_ret_borrowed, lower_getattr_generic
from numba.core.typing.templates import AttributeTemplate, infer_getattr
from numba.extending import intrinsic, models, register_model


class Borrowed(types.Type):
    """A named tuple of arrays seen without owning them (``borrow``): copying it costs no reference counting."""

    def __init__(self, tup):
        self.tup = tup
        super().__init__(name=f"Borrowed({tup})")


@register_model(Borrowed)
class _BorrowedModel(models.PrimitiveModel):
    """A pointer to the named tuple's members, stored once (``borrow``): a copy or an argument is one pointer.

    As a value, the named tuple is hundreds of scalars (seven per array), and
    every variable or argument that holds it is a copy LLVM must take apart
    again (SROA alone was a third of the loop's optimisation time).  The
    pointer is declared read-only and not captured by the functions that take
    it, so the caller's slot stays private: its members are loaded once, as
    if they were values.
    """

    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, dmm.lookup(fe_type.tup).get_value_type().as_pointer())

    def from_argument(self, builder, value):
        if isinstance(value, ir.Argument):  # (the members are only read, and the pointer is kept by nobody)
            value.add_attribute("captures(none)")
            value.add_attribute("nonnull")
            set.add(value.attributes, "readonly")  # (valid LLVM, not in llvmlite's list of argument attributes)
        return value


@infer_getattr
class _BorrowedAttributes(AttributeTemplate):
    key = Borrowed

    def generic_resolve(self, typ, attr):
        if attr in typ.tup.fields:
            return typ.tup.types[typ.tup.fields.index(attr)]


@lower_getattr_generic(Borrowed)
def _borrowed_getattr(context, builder, typ, value, attr):
    i = typ.tup.fields.index(attr)
    member = typ.tup.types[i]
    loaded = builder.load(cgutils.gep_inbounds(builder, value, 0, i))
    return impl_ret_borrowed(context, builder, member, _unowned(context, builder, member, loaded))


def _unowned(context, builder, typ, value):
    """*value* of type *typ* with the meminfo of every array in it null."""
    if isinstance(typ, types.Array):
        view = context.make_array(typ)(context, builder, value)
        view.meminfo = context.get_constant_null(types.MemInfoPointer(types.voidptr))
        return view._getvalue()
    if isinstance(typ, types.BaseTuple) and not isinstance(typ, types.BaseNamedTuple):
        for i, member in enumerate(typ.types):
            value = builder.insert_value(value, _unowned(context, builder, member, builder.extract_value(value, i)), i)
    return value


@intrinsic
def borrow(typingctx, x):
    """A view of *x* that holds no reference: an array or a tuple of arrays (the same type, their owners null), or
    a named tuple of arrays (``Borrowed``: no reference counting at all)."""
    if isinstance(x, types.BaseNamedTuple):

        def codegen(context, builder, sig, args):
            slot = cgutils.alloca_once(builder, context.get_value_type(x))
            for i, member in enumerate(x.types):  # (member by member: aggregate stores optimise poorly)
                member_value = _unowned(context, builder, member, builder.extract_value(args[0], i))
                builder.store(member_value, cgutils.gep_inbounds(builder, slot, 0, i))
            return slot

        return Borrowed(x)(x), codegen
    if not isinstance(x, (types.Array, types.BaseTuple)):
        return None
    return x(x), lambda context, builder, sig, args: _unowned(context, builder, x, args[0])
