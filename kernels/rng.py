"""Compiled random streams: xoshiro256** seeded by SeedSequence, and the samplers the engine draws from.

A replication holds one small state array of shape ``(n_sources, 4)``
(uint64), one row per named random source (``kernels/streams.py`` lists
them).  Row *i* is seeded exactly as ``streams.state_words(seed, replication,
source)``: NumPy's SeedSequence hashing is redone here elementwise on arrays,
for every (replication, source) pair of a batch at once, so seeding 100,000
replications costs milliseconds instead of minutes; a test checks the words
against NumPy's.  A stream therefore depends only on (seed, replication,
source name).  The generator step itself is LLVM IR inlined wherever a
jitted function draws (``_uniform``).

Every sampler is exact (no normal approximations): standard exponential and
normal by the 256-layer ziggurat (Marsaglia & Tsang 2000, the layout NumPy's
Generator uses: one 64-bit draw and one table lookup 99 % of the time, no
logarithm), gamma by Marsaglia–Tsang (with the u^(1/k) boost for shape < 1),
Erlang as a sum of exponentials (gamma for many phases), Poisson by inversion
below mean 10 and by Hörmann's transformed rejection with squeeze (PTRS, an
exact rejection method) above, binomial by the waiting-time method.
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

# distribution codes shared by the compiler and the event loop
NONE = -1
EXPONENTIAL = 0  # p0 = mean
DETERMINISTIC = 1  # p0 = value
GAMMA = 2  # p0 = shape, p1 = scale, p2 = Marsaglia & Tsang's c (see _gamma_c)
LOGNORMAL = 3  # p0 = mu, p1 = sigma of the underlying normal
ERLANG = 4  # p0 = k (phases), p1 = mean of one phase, p2 = c of the gamma draw beyond _ERLANG_SUM_MAX phases
UNIFORM = 5  # p0 = low, p1 = high
TRIANGULAR = 6  # p0 = low, p1 = mode, p2 = high

CODES = {
    "exponential": EXPONENTIAL,
    "deterministic": DETERMINISTIC,
    "gamma": GAMMA,
    "lognormal": LOGNORMAL,
    "erlang": ERLANG,
    "uniform": UNIFORM,
    "triangular": TRIANGULAR,
}

_ERLANG_SUM_MAX = 16  # up to this many phases, sum exponentials; beyond, a gamma draw (same law)


def _gamma_c(shape: float) -> float:
    """Marsaglia & Tsang's c = 1 / sqrt(9 d), d = shape - 1/3 (shape + 1 below 1: the boosted draw).

    Computed once per distribution rather than per draw; the same IEEE
    operations as in the sampler, so the same bits.
    """
    k = shape + 1.0 if shape < 1.0 else shape
    return 1.0 / math.sqrt(9.0 * (k - 1.0 / 3.0))


def dist_params(dist) -> tuple[int, float, float, float]:
    """(code, p0, p1, p2) of a scenario distribution (read by attribute), or NONE for ``None``."""
    if dist is None:
        return NONE, 0.0, 0.0, 0.0
    kind = dist.dist
    if kind == "exponential":
        return EXPONENTIAL, float(dist.mean), 0.0, 0.0
    if kind == "deterministic":
        return DETERMINISTIC, float(dist.value), 0.0, 0.0
    if kind == "gamma":
        shape = 1.0 / (dist.cv * dist.cv)
        return GAMMA, float(shape), float(dist.mean / shape), _gamma_c(float(shape))
    if kind == "lognormal":
        sigma2 = math.log1p(dist.cv * dist.cv)
        return LOGNORMAL, float(math.log(dist.mean) - 0.5 * sigma2), float(math.sqrt(sigma2)), 0.0
    if kind == "erlang":
        return ERLANG, float(dist.k), float(dist.mean / dist.k), _gamma_c(float(dist.k))
    if kind == "uniform":
        return UNIFORM, float(dist.low), float(dist.high), 0.0
    if kind == "triangular":
        return TRIANGULAR, float(dist.low), float(dist.mode), float(dist.high)
    raise ValueError(f"unknown distribution {kind!r}")


# --------------------------------------------------------------------------- seeding (NumPy SeedSequence)

_M32 = np.uint64(0xFFFFFFFF)
_INIT_A = np.uint64(0x43B0D7E5)
_MULT_A = np.uint64(0x931E8875)
_INIT_B = np.uint64(0x8B51F9DD)
_MULT_B = np.uint64(0x58F38DED)
_MIX_L = np.uint64(0xCA01F9DD)
_MIX_R = np.uint64(0x4973F715)
_X16 = np.uint64(16)
_X32 = np.uint64(32)
_POOL = 4


def run_entropy(seed: int) -> np.ndarray:
    """The seed as SeedSequence's 32-bit entropy words, zero-padded to the pool size (spawned sequences)."""
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    words = []
    while seed > 0:
        words.append(seed & 0xFFFFFFFF)
        seed >>= 32
    if not words:
        words = [0]
    words += [0] * max(0, _POOL - len(words))
    return np.array(words, dtype=np.uint64)


def _hashmix(value: np.ndarray, hc: list) -> np.ndarray:
    value = value ^ hc[0]
    hc[0] = (hc[0] * _MULT_A) & _M32
    value = (value * hc[0]) & _M32
    return value ^ (value >> _X16)


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = (_MIX_L * x - _MIX_R * y) & _M32
    return r ^ (r >> _X16)


def _seed_words(entropy: list[np.ndarray], shape) -> np.ndarray:
    """SeedSequence's pool mixing and ``generate_state(4, uint64)``, elementwise over arrays of entropy words."""
    with np.errstate(over="ignore"):
        hc = [_INIT_A]
        zero = np.zeros(shape, dtype=np.uint64)
        pool = [_hashmix(entropy[i] + zero if i < len(entropy) else zero, hc) for i in range(_POOL)]
        for i_src in range(_POOL):
            for i_dst in range(_POOL):
                if i_src != i_dst:
                    pool[i_dst] = _mix(pool[i_dst], _hashmix(pool[i_src], hc))
        for i_src in range(_POOL, len(entropy)):
            for i_dst in range(_POOL):
                pool[i_dst] = _mix(pool[i_dst], _hashmix(entropy[i_src] + zero, hc))
        hb = _INIT_B
        words = []
        for i_dst in range(8):
            data = pool[i_dst % _POOL] ^ hb
            hb = (hb * _MULT_B) & _M32
            data = (data * hb) & _M32
            words.append(data ^ (data >> _X16))
    out = np.empty(tuple(shape) + (4,), dtype=np.uint64)
    for k in range(4):
        out[..., k] = words[2 * k] | (words[2 * k + 1] << _X32)
    forbidden = (out == 0).all(axis=-1)  # xoshiro's one forbidden state (never met in practice)
    out[forbidden, 0] = np.uint64(0x9E3779B97F4A7C15)
    return out


def states(seed: int, replications, keys) -> np.ndarray:
    """Stream states of replications x sources: shape (len(replications), len(keys), 4), uint64.

    Row (i, k) is ``streams.state_words(seed, replications[i], source_k)``
    with ``keys[k] = streams.source_key(source_k)``: NumPy's SeedSequence with
    spawn key (replication, key), computed for all pairs at once.  A scalar
    *replications* gives shape (len(keys), 4).
    """
    scalar = np.ndim(replications) == 0
    reps = np.atleast_1d(np.asarray(replications, dtype=np.uint64))
    keys = np.asarray(keys, dtype=np.uint64).reshape(1, -1)
    run = list(run_entropy(seed))
    out = np.empty((reps.size, keys.size, 4), dtype=np.uint64)
    for two in (False, True):  # replications of one 32-bit word, and (beyond 2**32) of two
        sel = reps >= np.uint64(2**32) if two else reps < np.uint64(2**32)
        if not sel.any():
            continue
        r = reps[sel].reshape(-1, 1)
        words = [r & _M32] + ([r >> _X32] if two else [])
        out[sel] = _seed_words(run + words + [keys & _M32], (r.size, keys.size))
    return out[0] if scalar else out


# --------------------------------------------------------------------------- xoshiro256**

_TWO53 = 1.0 / 9007199254740992.0


def _xoshiro_codegen(context, builder, sig, args):
    """LLVM IR of one xoshiro256** step on row *i* of the state array (always inlined at the call site)."""
    arr_ty = sig.args[0]
    st, i = args
    ary = context.make_array(arr_ty)(context, builder, st)
    i64 = ir.IntType(64)
    row = builder.mul(context.cast(builder, i, sig.args[1], types.intp), ir.Constant(i64, 4))
    ptr = [builder.gep(ary.data, [builder.add(row, ir.Constant(i64, k))]) for k in range(4)]
    s0, s1, s2, s3 = (builder.load(p) for p in ptr)

    def rotl(x, k):
        return builder.or_(builder.shl(x, ir.Constant(i64, k)), builder.lshr(x, ir.Constant(i64, 64 - k)))

    result = builder.mul(rotl(builder.mul(s1, ir.Constant(i64, 5)), 7), ir.Constant(i64, 9))
    t = builder.shl(s1, ir.Constant(i64, 17))
    s2 = builder.xor(s2, s0)
    s3 = builder.xor(s3, s1)
    s1 = builder.xor(s1, s2)
    s0 = builder.xor(s0, s3)
    s2 = builder.xor(s2, t)
    s3 = rotl(s3, 45)
    for p, v in zip(ptr, (s0, s1, s2, s3)):
        builder.store(v, p)
    return result


@intrinsic
def _next_u64(typingctx, st, i):
    if not (isinstance(st, types.Array) and st.dtype == types.uint64 and st.ndim == 2 and st.layout == "C"):
        return None
    return types.uint64(st, i), _xoshiro_codegen


@intrinsic
def _uniform(typingctx, st, i):
    """Uniform on (0, 1) from stream i: the top 53 bits, centred in their cell (never 0, never 1)."""
    if not (isinstance(st, types.Array) and st.dtype == types.uint64 and st.ndim == 2 and st.layout == "C"):
        return None

    def codegen(context, builder, sig, args):
        bits = builder.lshr(_xoshiro_codegen(context, builder, sig, args), ir.Constant(ir.IntType(64), 11))
        x = builder.uitofp(bits, ir.DoubleType())
        return builder.fmul(builder.fadd(x, ir.Constant(ir.DoubleType(), 0.5)), ir.Constant(ir.DoubleType(), _TWO53))

    return types.float64(st, i), codegen


@njit(cache=True, forceinline=False)
def next_u64(st, i):
    """Next 64 random bits of stream *i* (xoshiro256**, Blackman & Vigna 2018)."""
    return _next_u64(st, i)


@njit(cache=True, forceinline=False)
def uniform(st, i):
    """Uniform on the open interval (0, 1): 53 random bits, centred in their cell (never 0, never 1).

    Jitted callers use ``_uniform``, the same step inlined as LLVM IR.
    """
    return _uniform(st, i)


# --------------------------------------------------------------------------- ziggurat (Marsaglia & Tsang 2000)


def _ziggurat_tables(f, f_inverse, r: float, v: float, bits: int):
    """256-layer ziggurat tables of a decreasing density shape *f* on [0, inf) with base-layer edge *r*.

    Layer 0 is the base strip (the rectangle [0, r) plus the tail beyond r);
    every layer has the same area v = r f(r) + (the tail's area).  For a
    draw of *bits* random bits ``b`` in layer i, ``x = b * w[i]``, and
    ``b < k[i]`` means x lies under the layer above, so it is accepted
    without evaluating f; ``y[i]`` is f at the layer's outer edge, for the
    wedge test.  k is int64: *bits* <= 53 fits, and signed compares are cheaper.
    """
    m = 2.0**bits
    k = np.zeros(256, dtype=np.int64)
    w = np.zeros(256)
    y = np.zeros(256)
    q = v / f(r)  # the base strip's width as a rectangle of height f(r)
    k[0] = int(r / q * m)
    w[0] = q / m
    w[255] = r / m
    y[0] = 1.0
    y[255] = f(r)
    x = r
    for i in range(254, 0, -1):
        x_next = f_inverse(min(1.0, v / x + f(x)))
        k[i + 1] = int(x_next / x * m)
        x = x_next
        y[i] = f(x)
        w[i] = x / m
    return k, w, y


ZIGGURAT_EXP_R = 7.69711747013104972  # base-layer edge of the 256-layer exponential ziggurat
ZIGGURAT_NORMAL_R = 3.6541528853610088  # ... and of the normal one
_KE, _WE, _YE = _ziggurat_tables(
    lambda x: math.exp(-x), lambda y: -math.log(y), ZIGGURAT_EXP_R, (ZIGGURAT_EXP_R + 1.0) * math.exp(-ZIGGURAT_EXP_R), 53
)
_KN, _WN, _YN = _ziggurat_tables(
    lambda x: math.exp(-0.5 * x * x),
    lambda y: math.sqrt(-2.0 * math.log(y)),
    ZIGGURAT_NORMAL_R,
    ZIGGURAT_NORMAL_R * math.exp(-0.5 * ZIGGURAT_NORMAL_R**2)
    + math.sqrt(math.pi / 2.0) * math.erfc(ZIGGURAT_NORMAL_R / math.sqrt(2.0)),
    52,
)
_U3 = np.uint64(3)
_U8 = np.uint64(8)
_BYTE = np.uint64(0xFF)
_BITS52 = 0x000FFFFFFFFFFFFF


@njit(cache=True, error_model="numpy", inline="always")
def exponential(st, i):
    """Standard exponential (mean 1) from stream *i* by ziggurat: a table lookup 99 % of the time.

    Inlined at every call site (numba IR inlining); the rare rest is ``_exponential_rest``.
    """
    b = np.int64(_next_u64(st, i) >> _U3)
    layer = b & 0xFF
    b >>= 8  # 53 bits
    x = b * _WE[layer]
    if b < _KE[layer]:
        return x
    return _exponential_rest(st, i, layer, x)


@njit(cache=True, error_model="numpy", forceinline=False)
def _exponential_rest(st, i, layer, x):
    """A draw outside every layer's inner rectangle: the tail beyond r (memoryless), a wedge test, or a retry."""
    while True:
        if layer == 0:
            return ZIGGURAT_EXP_R - math.log(_uniform(st, i))
        if (_YE[layer - 1] - _YE[layer]) * _uniform(st, i) + _YE[layer] < math.exp(-x):
            return x
        b = np.int64(_next_u64(st, i) >> _U3)
        layer = b & 0xFF
        b >>= 8
        x = b * _WE[layer]
        if b < _KE[layer]:
            return x


@njit(cache=True, error_model="numpy", inline="always")
def normal(st, i):
    """Standard normal from stream *i* by ziggurat (8 bits layer, 1 bit sign, 52 bits position).

    Inlined at every call site; the rare rest is ``_normal_rest``.
    """
    u = _next_u64(st, i)
    layer = np.int64(u & _BYTE)
    b = np.int64(u >> _U8)
    negative = (b & 1) == 1
    b = (b >> 1) & _BITS52
    if b < _KN[layer]:
        x = b * _WN[layer]
        return -x if negative else x
    return _normal_rest(st, i, layer, b, negative)


@njit(cache=True, error_model="numpy", forceinline=False)
def _normal_rest(st, i, layer, b, negative):
    """A draw outside every layer's inner rectangle: the tail beyond r, a wedge test, or a retry."""
    while True:
        x = b * _WN[layer]
        if b < _KN[layer]:
            return -x if negative else x
        if layer == 0:  # the tail beyond r: Marsaglia's exponential rejection
            while True:
                xx = -math.log(_uniform(st, i)) / ZIGGURAT_NORMAL_R
                yy = -math.log(_uniform(st, i))
                if yy + yy > xx * xx:
                    return -(ZIGGURAT_NORMAL_R + xx) if negative else ZIGGURAT_NORMAL_R + xx
        if (_YN[layer - 1] - _YN[layer]) * _uniform(st, i) + _YN[layer] < math.exp(-0.5 * x * x):
            return -x if negative else x
        u = _next_u64(st, i)
        layer = np.int64(u & _BYTE)
        b = np.int64(u >> _U8)
        negative = (b & 1) == 1
        b = (b >> 1) & _BITS52


@njit(cache=True, error_model="numpy", forceinline=False)
def draw(st, i, code, p0, p1, p2):
    """One draw from a distribution given by its code and parameters (see ``dist_params``).

    The samplers are written out here, in one function, so that the engine
    compiles one sampler function rather than one per law:
    exponential and normal by ziggurat; gamma by Marsaglia & Tsang (2000),
    with the U^(1/shape) boost below shape 1; lognormal from a normal;
    Erlang as a sum of exponential phases (a gamma draw of integer shape
    beyond 16 phases: the same law); uniform and triangular by inversion.
    """
    if code == EXPONENTIAL:
        return p0 * exponential(st, i)
    if code == DETERMINISTIC:
        return p0
    if code == LOGNORMAL:
        return math.exp(p0 + p1 * normal(st, i))
    if code == ERLANG and p0 <= _ERLANG_SUM_MAX:
        s = 0.0
        for _ in range(int(p0)):
            s += exponential(st, i)
        return s * p1
    if code == GAMMA or code == ERLANG:  # shape p0, scale p1, c p2
        boost = 1.0
        k = p0
        if k < 1.0:
            boost = _uniform(st, i) ** (1.0 / k)
            k += 1.0
        dd = k - 1.0 / 3.0
        c = p2
        while True:
            x = normal(st, i)
            v = 1.0 + c * x
            if v <= 0.0:
                continue
            v = v * v * v
            u = _uniform(st, i)
            x2 = x * x
            if u < 1.0 - 0.0331 * x2 * x2 or math.log(u) < 0.5 * x2 + dd * (1.0 - v + math.log(v)):
                return dd * v * p1 * boost
    if code == UNIFORM:
        return p0 + (p1 - p0) * _uniform(st, i)
    if code == TRIANGULAR:  # low p0, mode p1, high p2
        width = p2 - p0
        if width <= 0.0:
            return p0
        u = _uniform(st, i)
        if u < (p1 - p0) / width:
            return p0 + math.sqrt(u * width * (p1 - p0))
        return p2 - math.sqrt((1.0 - u) * width * (p2 - p1))
    return math.inf  # NONE: never (e.g. no patience)


@njit(cache=True, error_model="numpy", inline="always")
def draw_inline(st, i, code, p0, p1, p2):
    """``draw``, with the exponential and lognormal laws inlined at the call site (the same bits).

    The event loop's common laws then skip a call, and with it the spilling
    of every live value a call costs in a loop that large (measured: 2-3 %
    of the baseline kernel); the other laws still go through ``draw``.
    """
    if code == EXPONENTIAL:
        return p0 * exponential(st, i)
    if code == LOGNORMAL:
        return math.exp(p0 + p1 * normal(st, i))
    return draw(st, i, code, p0, p1, p2)


@njit(cache=True, error_model="numpy", forceinline=False)
def poisson(st, i, lam):
    """Poisson(lam), exact: inversion for lam < 10, transformed rejection with squeeze (Hörmann 1993) above."""
    if lam <= 0.0:
        return 0
    if lam < 10.0:
        u = _uniform(st, i)
        p = math.exp(-lam)
        cum = p
        k = 0
        while u > cum:
            k += 1
            p *= lam / k
            cum += p
            if p < 1e-300 and k > lam:  # only reachable through rounding of cum: take the upper tail as exhausted
                break
        return k
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = _uniform(st, i) - 0.5
        v = _uniform(st, i)
        us = 0.5 - abs(u)
        k = int(math.floor((2.0 * a / us + b) * u + lam + 0.43))
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= -lam + k * loglam - math.lgamma(k + 1.0):
            return k


@njit(cache=True, error_model="numpy", forceinline=False)
def binomial(st, i, n, p):
    """Binomial(n, p), exact, by the waiting-time method (geometric gaps between successes), O(1 + n min(p, 1-p))."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - binomial(st, i, n, 1.0 - p)
    lq = math.log1p(-p)
    x = 0
    trials = 0.0
    while True:
        trials += math.floor(math.log(_uniform(st, i)) / lq) + 1.0
        if trials > n:
            return x
        x += 1


# --------------------------------------------------------------------------- bulk draws (tests, tools)


@njit(cache=True, error_model="numpy", forceinline=False)
def _fill(st, code, p0, p1, p2, out):
    for j in range(out.shape[0]):
        out[j] = draw(st, 0, code, p0, p1, p2)


@njit(cache=True, error_model="numpy", forceinline=False)
def _fill_poisson(st, lam, out):
    for j in range(out.shape[0]):
        out[j] = poisson(st, 0, lam)


@njit(cache=True, error_model="numpy", forceinline=False)
def _fill_binomial(st, n, p, out):
    for j in range(out.shape[0]):
        out[j] = binomial(st, 0, n, p)


@njit(cache=True, error_model="numpy", forceinline=False)
def _fill_normal(st, out):
    for j in range(out.shape[0]):
        out[j] = normal(st, 0)


def sample(kind: str, size: int, seed: int = 0, **params) -> np.ndarray:
    """Draw *size* values of one sampler from a fresh stream (tests check them against theory).

    *kind* is a distribution name with its scenario parameters (``mean``, ``cv``,
    ``k``...), or ``normal``, ``poisson`` (``lam``), ``binomial`` (``n``, ``p``).
    """
    from types import SimpleNamespace

    st = states(seed, 0, np.array([0x5EED], dtype=np.uint64))
    if kind == "poisson":
        out = np.empty(size, dtype=np.int64)
        _fill_poisson(st, float(params["lam"]), out)
        return out
    if kind == "binomial":
        out = np.empty(size, dtype=np.int64)
        _fill_binomial(st, int(params["n"]), float(params["p"]), out)
        return out
    out = np.empty(size, dtype=np.float64)
    if kind == "normal":
        _fill_normal(st, out)
        return out
    code, p0, p1, p2 = dist_params(SimpleNamespace(dist=kind, **params))
    _fill(st, code, p0, p1, p2, out)
    return out
