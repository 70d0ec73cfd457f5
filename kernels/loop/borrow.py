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
class _BorrowedModel(models.StructModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, list(zip(fe_type.tup.fields, fe_type.tup.types)))

    def traverse(self, builder):
        return []  # nothing to reference-count

    def has_nrt_meminfo(self):
        return False

    # Passed by reference: as a value it is hundreds of arguments (seven per array), whose passing code costs
    # compile time in every function that takes it.  Inlined calls keep no trace of the copy.
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
    member = typ.tup.types[i]
    return impl_ret_borrowed(context, builder, member, _unowned(context, builder, member, builder.extract_value(value, i)))


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
            out = cgutils.get_null_value(context.get_value_type(sig.return_type))
            for i, member in enumerate(x.types):
                out = builder.insert_value(out, _unowned(context, builder, member, builder.extract_value(args[0], i)), i)
            return out

        return Borrowed(x)(x), codegen
    if not isinstance(x, (types.Array, types.BaseTuple)):
        return None
    return x(x), lambda context, builder, sig, args: _unowned(context, builder, x, args[0])
