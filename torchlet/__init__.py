"""torchlet: PyTorch's core rebuilt on NumPy, with the same API and the same numbers.

``import torchlet as torch`` and a PyTorch script runs unchanged on the CPU.
Every public name below is imported explicitly from the module that defines it.
"""

import numpy as _np

# torch computes IEEE results (inf, nan) silently; NumPy would warn on each one. Setting
# this once is far cheaper than an np.errstate block around every operation.
_np.seterr(all="ignore")


def _keep_freed_memory() -> None:
    """Let the C allocator keep freed memory for reuse, as PyTorch's allocators do.

    NumPy allocates arrays with malloc; glibc serves blocks over 128 KB with mmap and
    returns them to the OS on free, so a training loop maps the same megabytes afresh every
    step and page-faults on each 4 KB page (about 40% of a LeNet step). With these settings
    blocks up to 32 MB come from the heap and up to 256 MB of freed heap is kept. Set
    TORCHLET_KEEP_FREED_MEMORY=0 to leave the allocator alone.
    """
    import ctypes
    import os
    import sys

    if not sys.platform.startswith("linux") or os.environ.get(
        "TORCHLET_KEEP_FREED_MEMORY", "1"
    ) == "0":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 2**20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 256 * 2**20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): nothing to tune
        pass


_keep_freed_memory()

# The order below matters: Tensor is defined before the modules that build on it.
# isort: off
from torchlet import _dtype  # noqa: E402
from torchlet._device import device  # noqa: E402
from torchlet._numpy_names import numpy_names as _numpy_names  # noqa: E402
from torchlet._dtype import (  # noqa: E402
    _mkldnn,
    bool,  # noqa: A004
    channels_last,
    channels_last_3d,
    contiguous_format,
    double,
    dtype,
    finfo,
    float,  # noqa: A004
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int,  # noqa: A004
    int16,
    int32,
    int64,
    int8,
    jagged,
    layout,
    long,
    memory_format,
    preserve_format,
    promote_types,
    set_default_dtype,
    short,
    sparse_bsc,
    sparse_bsr,
    sparse_coo,
    sparse_csc,
    sparse_csr,
    strided,
    uint8,
)
from torchlet._printing import get_printoptions, set_printoptions  # noqa: E402
from torchlet._size import Size  # noqa: E402
from torchlet._tensor import Tensor  # noqa: E402
from torchlet._tensor import dim_arg as _dim_arg  # noqa: E402
from torchlet.autograd.grad_mode import (  # noqa: E402
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

# creation
from torchlet._ops.creation import (  # noqa: E402
    arange,
    as_tensor,
    asarray,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    scalar_tensor,
    tensor,
    zeros,
    zeros_like,
)

# pointwise
from torchlet._ops.pointwise import (  # noqa: E402
    abs,  # noqa: A004
    absolute,
    acos,
    add,
    addcdiv,
    addcmul,
    allclose,
    arccos,
    arcsin,
    arctan,
    arctan2,
    asin,
    atan,
    atan2,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    ceil,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    cos,
    cosh,
    div,
    divide,
    eq,
    equal,
    erf,
    exp,
    exp2,
    expm1,
    fix,
    floor,
    floor_divide,
    fmod,
    frac,
    ge,
    greater,
    greater_equal,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    le,
    lerp,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log10,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    mul,
    nan_to_num,
    ne,
    neg,
    negative,
    not_equal,
    pow,  # noqa: A004
    reciprocal,
    relu,
    remainder,
    round,  # noqa: A004
    rsqrt,
    rsub,
    sgn,
    sigmoid,
    sign,
    signbit,
    sin,
    sinh,
    sqrt,
    square,
    sub,
    tan,
    tanh,
    true_divide,
    trunc,
    where,
)
from torchlet._ops.pointwise import (  # noqa: E402
    copysign,
    deg2rad,
    deg2rad_,
    float_power,
    fmax,
    fmin,
    heaviside,
    hypot,
    logaddexp,
    logaddexp2,
    logit,
    logit_,
    rad2deg,
    rad2deg_,
    xlogy,
    xlogy_,
)
from torchlet._ops.pointwise import multiply, subtract  # noqa: E402

# reduction
from torchlet._ops.reduction import (  # noqa: E402
    all,  # noqa: A004
    amax,
    amin,
    any,  # noqa: A004
    argmax,
    argmin,
    argsort,
    count_nonzero,
    cummax,
    cummin,
    cumprod,
    cumsum,
    logcumsumexp,
    logsumexp,
    max,  # noqa: A004
    mean,
    median,
    min,  # noqa: A004
    mode,
    msort,
    nanmean,
    nanmedian,
    nansum,
    norm,
    prod,
    sort,
    std,
    std_mean,
    sum,  # noqa: A004
    topk,
    unique,
    var,
    var_mean,
)

# shape
from torchlet._ops.shape import (  # noqa: E402
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_shapes,
    broadcast_tensors,
    broadcast_to,
    cat,
    chunk,
    clone,
    column_stack,
    concat,
    concatenate,
    diag,
    diagonal,
    diff,
    dstack,
    flatten,
    flip,
    fliplr,
    flipud,
    hstack,
    moveaxis,
    movedim,
    narrow,
    permute,
    ravel,
    repeat_interleave,
    reshape,
    roll,
    row_stack,
    select,
    split,
    squeeze,
    stack,
    swapaxes,
    swapdims,
    t,
    tensor_split,
    tile,
    transpose,
    tril,
    triu,
    unbind,
    unflatten,
    unsqueeze,
    vstack,
)

# linalg
from torchlet._ops.linalg import (  # noqa: E402
    addmm,
    baddbmm,
    bmm,
    dot,
    einsum,
    ger,
    inner,
    matmul,
    mm,
    mv,
    outer,
    tensordot,
    vdot,
)

# indexing
from torchlet._ops.indexing import (  # noqa: E402
    argwhere,
    gather,
    index_add,
    index_fill,
    index_put,
    index_select,
    masked_fill,
    masked_scatter,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    scatter_reduce,
    take,
    take_along_dim,
)

# activations torch also has at top level (same signatures as torch.nn.functional's)
from torchlet.nn._functional.activation import (  # noqa: E402
    celu,
    hardshrink,
    prelu,
    rrelu,
    selu,
    threshold,
)
from torchlet.nn._functional.softmax import log_softmax as _log_softmax  # noqa: E402
from torchlet.nn._functional.softmax import softmax as _softmax  # noqa: E402



# torch.softmax is bound in C++: it requires dim and takes NumPy's axis= (F.softmax, in
# Python, has an implicit dim and takes neither)
@_numpy_names
def softmax(input, dim, dtype=None) -> Tensor:  # noqa: A002
    if type(dim) is not int:  # (None too: only F.softmax picks a dim itself)
        dim = _dim_arg(dim, "softmax", 2)
    return _softmax(input, dim, dtype=dtype)


@_numpy_names
def log_softmax(input, dim, dtype=None) -> Tensor:  # noqa: A002
    if type(dim) is not int:
        dim = _dim_arg(dim, "log_softmax", 2)
    return _log_softmax(input, dim, dtype=dtype)


from torchlet.nn._functional.distance import cosine_similarity, pairwise_distance  # noqa: E402
from torchlet.nn._functional.dropout import (  # noqa: E402
    alpha_dropout,
    dropout,
    feature_alpha_dropout,
)

# random numbers (PyTorch's CPU generator, bit for bit)
from torchlet._ops.random_ops import (  # noqa: E402
    bernoulli,
    multinomial,
    normal,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
)
from torchlet.random import (  # noqa: E402
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

from torchlet import autograd, linalg, nn, optim, random, return_types, special, utils  # noqa: E402
from torchlet import __future__ as __future__  # noqa: E402, F811 - (torch.__future__)
from torchlet.serialization import load, save  # noqa: E402
from torchlet import storage  # noqa: E402
from torchlet.storage import TypedStorage, UntypedStorage  # noqa: E402

# normalization and embeddings: torch's top-level forms (torch.batch_norm, torch.embedding)
from torchlet.nn._functional.embedding import embedding_renorm_  # noqa: E402
from torchlet.nn._functional.embedding import torch_embedding as embedding  # noqa: E402
from torchlet.nn._functional.embedding import torch_embedding_bag as embedding_bag  # noqa: E402
from torchlet.nn._functional.normalization import (  # noqa: E402
    native_batch_norm,
    native_group_norm,
    native_layer_norm,
    rms_norm,
)
from torchlet.nn._functional.normalization import torch_batch_norm as batch_norm  # noqa: E402
from torchlet.nn._functional.normalization import torch_group_norm as group_norm  # noqa: E402
from torchlet.nn._functional.normalization import (  # noqa: E402
    torch_instance_norm as instance_norm,
)
from torchlet.nn._functional.normalization import torch_layer_norm as layer_norm  # noqa: E402

# convolution and pooling: torch's top-level forms (torch.conv2d, torch.max_pool2d, ...)
from torchlet.nn._functional.conv import (  # noqa: E402
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    convolution,
)
from torchlet.nn._functional.pooling import (  # noqa: E402
    adaptive_avg_pool1d,
    avg_pool1d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool3d,
)
from torchlet.nn._functional.pooling import (  # noqa: E402
    adaptive_max_pool1d_with_indices as adaptive_max_pool1d,  # torch's returns (values, indices)
)
from torchlet.nn._functional.pixel_shuffle import pixel_shuffle, pixel_unshuffle  # noqa: E402

# special functions, integer and bit helpers
from torchlet._ops.pointwise.special import (  # noqa: E402
    digamma,
    erfc,
    erfc_,
    erfinv,
    i0,
    i0_,
    lgamma,
    mvlgamma,
    polygamma,
    sinc,
    sinc_,
)
from torchlet._ops.pointwise.special_int import (  # noqa: E402
    bitwise_left_shift,
    bitwise_right_shift,
    frexp,
    gcd,
    gcd_,
    lcm,
    lcm_,
    ldexp,
    ldexp_,
    nextafter,
    positive,
)

# counting, searching, quantiles
from torchlet._ops.grids import (  # noqa: E402
    cartesian_prod,
    combinations,
    meshgrid,
    tril_indices,
    triu_indices,
)
from torchlet._ops.reduction.order_stats import (  # noqa: E402
    aminmax,
    kthvalue,
    nanquantile,
    quantile,
)
from torchlet._ops.search import (  # noqa: E402
    bincount,
    bucketize,
    histc,
    histogram,
    isin,
    searchsorted,
    unique_consecutive,
)

# matrix helpers (trace, kron, cross, ...) and linear-algebra aliases
from torchlet.linalg.lu import lu_solve_deprecated as lu_solve  # noqa: E402
from torchlet.linalg.products import cross_default_dim as cross  # noqa: E402
from torchlet.linalg.products import matrix_exp  # noqa: E402
from torchlet.linalg.products import vander_increasing as vander  # noqa: E402
from torchlet.linalg.spectral import pinverse  # noqa: E402
from torchlet.linalg.toplevel import (  # noqa: E402
    cholesky,
    det,
    inverse,
    logdet,
    matrix_power,
    slogdet,
)
from torchlet.linalg.triangular import (  # noqa: E402
    cholesky_inverse,
    cholesky_solve,
    triangular_solve,
)
from torchlet._ops.linalg import (  # noqa: E402
    addbmm,
    addmv,
    addmv_,
    addr,
    block_diag,
    cdist,
    chain_matmul,
    corrcoef,
    cov,
    cumulative_trapezoid,
    diag_embed,
    diagflat,
    dist,
    kron,
    renorm,
    rot90,
    trace,
    trapezoid,
    trapz,
)

# inverse hyperbolic functions, predicates, complex helpers, top-level in-place functions
from torchlet._ops.pointwise import (  # noqa: E402
    acosh,
    angle,
    arccosh,
    arcsinh,
    arctanh,
    asinh,
    atanh,
    conj,
    conj_physical,
    conj_physical_,
    imag,
    is_complex,
    is_conj,
    is_neg,
    is_nonzero,
    is_same_size,
    is_signed,
    isreal,
    real,
    resolve_conj,
    resolve_neg,
)
from torchlet._ops.pointwise.inplace_functions import (  # noqa: E402
    abs_,
    acos_,
    acosh_,
    alpha_dropout_,
    arccos_,
    arccosh_,
    arcsin_,
    arcsinh_,
    arctan_,
    arctanh_,
    asin_,
    asinh_,
    atan_,
    atanh_,
    ceil_,
    celu_,
    clamp_,
    clamp_max_,
    clamp_min_,
    clip_,
    cos_,
    cosh_,
    dropout_,
    erf_,
    exp2_,
    exp_,
    expm1_,
    feature_alpha_dropout_,
    feature_dropout,
    feature_dropout_,
    fill,
    fill_,
    fix_,
    floor_,
    frac_,
    log1p_,
    log2_,
    log10_,
    log_,
    nan_to_num_,
    neg_,
    negative_,
    reciprocal_,
    relu_,
    round_,
    rrelu_,
    rsqrt_,
    selu_,
    sigmoid_,
    sin_,
    sinh_,
    sqrt_,
    square_,
    tan_,
    tanh_,
    threshold_,
    trunc_,
    zero_,
)

# nn extras: torch's top-level forms (torch.pdist, torch.kl_div with an int reduction, ...)
from torchlet._ops.toplevel_losses import (  # noqa: E402
    binary_cross_entropy_with_logits,
    constant_pad_nd,
    cosine_embedding_loss,
    hinge_embedding_loss,
    kl_div,
    margin_ranking_loss,
    poisson_nll_loss,
    triplet_margin_loss,
)
from torchlet.nn._functional.misc_more import (  # noqa: E402
    channel_shuffle,
    native_channel_shuffle,
    pdist,
)
from torchlet.nn.functional import bilinear  # noqa: E402

# runtime settings, anomaly mode, window functions, gradient
from torchlet._ops.gradient import gradient  # noqa: E402
from torchlet._ops.windows import (  # noqa: E402
    bartlett_window,
    blackman_window,
    hamming_window,
    hann_window,
    kaiser_window,
)
from torchlet._runtime import (  # noqa: E402
    are_deterministic_algorithms_enabled,
    compile,  # noqa: A004
    get_default_device,
    get_deterministic_debug_mode,
    get_device,
    get_float32_matmul_precision,
    get_num_interop_threads,
    get_num_threads,
    is_deterministic_algorithms_warn_only_enabled,
    is_storage,
    is_warn_always_enabled,
    set_default_device,
    set_deterministic_debug_mode,
    set_float32_matmul_precision,
    set_num_interop_threads,
    set_num_threads,
    set_warn_always,
    use_deterministic_algorithms,
)
from torchlet.autograd.anomaly_mode import (  # noqa: E402
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_anomaly_enabled,
)
from torchlet.autograd.grad_mode import is_inference_mode_enabled  # noqa: E402
from torchlet.nn.modules.module import typename  # noqa: E402

# torch.func, torch._weight_norm and torch.norm_except_dim (nn.utils parametrizations)
from torchlet import func  # noqa: E402
from torchlet._ops.weight_norm import _weight_norm, norm_except_dim  # noqa: E402
from torchlet._ops.fake_quantize import (  # noqa: E402
    fake_quantize_per_channel_affine,
    fake_quantize_per_tensor_affine,
)

# legacy decompositions (torch.qr, svd, lu, lu_unpack), Householder helpers, removed names
from torchlet.linalg.householder import geqrf, orgqr, ormqr  # noqa: E402
from torchlet.linalg.qr_svd_legacy import (  # noqa: E402
    eig,
    lstsq,
    lu,
    lu_unpack,
    matrix_rank,
    qr,
    solve,
    svd,
    symeig,
)

# shape, view and indexing additions (as_strided, unfold, splits, index_copy, put, ...)
from torchlet._ops.shape.splits_more import (  # noqa: E402
    adjoint,
    dsplit,
    hsplit,
    narrow_copy,
    split_with_sizes,
    unravel_index,
    vsplit,
)
from torchlet._ops.shape.strided import as_strided, empty_strided, resize_as_  # noqa: E402
from torchlet._ops.indexing.index_more import (  # noqa: E402
    diagonal_scatter,
    index_copy,
    index_put_,
    index_reduce,
    put,
    select_scatter,
    slice_scatter,
)

# incomplete gamma functions (igamma, igammac; torch.special.gammainc/gammaincc)
from torchlet._ops.pointwise.special_gamma_inc import igamma, igammac  # noqa: E402
# small missing names (misc-api): vmap, range, frombuffer, histogramdd, unsafe splits, ...
from torchlet.func import vmap  # noqa: E402
from torchlet._ops.histogramdd import histogramdd  # noqa: E402
from torchlet._ops.misc_api import (  # noqa: E402
    as_strided_,
    as_strided_scatter,
    detach,
    detach_,
    frombuffer,
    is_inference,
    native_dropout,
    native_norm,
    nonzero_static,
    range,  # noqa: A004
    set_flush_denormal,
    unsafe_chunk,
    unsafe_split,
    unsafe_split_with_sizes,
)
# distributions
from torchlet import distributions  # noqa: E402
# device namespaces (cuda, mps, backends), torch.testing, torch.utils.checkpoint
from torchlet import backends, cuda, mps, testing  # noqa: E402
from torchlet.utils import checkpoint as _utils_checkpoint  # noqa: E402, F401
# the legacy tensor types, torch.accelerator, and torch's constants (torch.pi, ...)
from torchlet import accelerator  # noqa: E402
from torchlet._legacy_types import (  # noqa: E402
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    set_default_tensor_type,
)
from math import e, inf, nan, pi  # noqa: E402

newaxis = None  # x[:, torch.newaxis], as NumPy's
# gamma-family samplers (torch._standard_gamma, _sample_dirichlet, binomial, their gradients)
from torchlet._ops.random_gamma import (  # noqa: E402
    _dirichlet_grad,
    _sample_dirichlet,
    _standard_gamma,
    _standard_gamma_grad,
    binomial,
)
# isort: on


import builtins as _builtins  # noqa: E402  (bool and int here are torch dtypes)


def is_tensor(obj) -> _builtins.bool:
    return isinstance(obj, Tensor)


def is_floating_point(input) -> _builtins.bool:  # noqa: A002
    return input.is_floating_point()


def numel(input) -> _builtins.int:  # noqa: A002
    return input.numel()


def result_type(tensor1, tensor2) -> dtype:
    return _dtype.result_type_of((tensor1, tensor2))


def can_cast(from_, to) -> _builtins.bool:
    order = {"b": 0, "u": 1, "i": 1, "f": 2}
    return order[from_.np.kind] <= order[to.np.kind]


__version__ = "0.1.0"

# torch.version, torch.amp / torch.autocast and torch.distributed, as a CPU-only build has them
from torchlet import amp, distributed, version  # noqa: E402
from torchlet.amp import autocast  # noqa: E402

# isort: split
# randomized low-rank SVD / PCA (torch/_lowrank.py)
from torchlet._lowrank import pca_lowrank, svd_lowrank  # noqa: E402

# isort: split
# torch._foreach_*: one operation over a list of tensors (optimizer and EMA code)
from torchlet._foreach import (  # noqa: E402
    _foreach_abs,
    _foreach_abs_,
    _foreach_add,
    _foreach_add_,
    _foreach_addcdiv,
    _foreach_addcdiv_,
    _foreach_addcmul,
    _foreach_addcmul_,
    _foreach_clamp_max,
    _foreach_clamp_max_,
    _foreach_clamp_min,
    _foreach_clamp_min_,
    _foreach_clone,
    _foreach_copy_,
    _foreach_div,
    _foreach_div_,
    _foreach_exp,
    _foreach_exp_,
    _foreach_lerp,
    _foreach_lerp_,
    _foreach_log,
    _foreach_log_,
    _foreach_max,
    _foreach_maximum,
    _foreach_maximum_,
    _foreach_minimum,
    _foreach_minimum_,
    _foreach_mul,
    _foreach_mul_,
    _foreach_neg,
    _foreach_neg_,
    _foreach_norm,
    _foreach_pow,
    _foreach_pow_,
    _foreach_reciprocal,
    _foreach_reciprocal_,
    _foreach_sign,
    _foreach_sign_,
    _foreach_sqrt,
    _foreach_sqrt_,
    _foreach_sub,
    _foreach_sub_,
    _foreach_zero_,
)

# isort: split
# the *_copy functions, the deprecated norms, the functional RNNs, nn ops with ATen
# arguments (ctc_loss, grid_sampler, conv_tbc), empty_permuted, autocast state, errors
from torchlet._errors import AcceleratorError, OutOfMemoryError  # noqa: E402
from torchlet._ops.copy_variants import (  # noqa: E402
    alias_copy,
    as_strided_copy,
    detach_copy,
    diagonal_copy,
    expand_copy,
    permute_copy,
    select_copy,
    slice_copy,
    split_copy,
    split_with_sizes_copy,
    squeeze_copy,
    t_copy,
    transpose_copy,
    unbind_copy,
    unfold_copy,
    unsqueeze_copy,
    view_copy,
)
from torchlet._ops.empty_permuted import empty_permuted  # noqa: E402
from torchlet._ops.legacy_norms import frobenius_norm, nuclear_norm  # noqa: E402
from torchlet._ops.nn_toplevel import (  # noqa: E402
    affine_grid_generator,
    conv_tbc,
    ctc_loss,
    grid_sampler,
    grid_sampler_2d,
    grid_sampler_3d,
)
from torchlet._ops.rnn_functions import (  # noqa: E402
    gru,
    gru_cell,
    lstm,
    lstm_cell,
    rnn_relu,
    rnn_relu_cell,
    rnn_tanh,
    rnn_tanh_cell,
)
from torchlet.amp import GradScaler  # noqa: E402
from torchlet.amp.autocast_state import (  # noqa: E402
    autocast_decrement_nesting,
    autocast_increment_nesting,
    clear_autocast_cache,
    get_autocast_cpu_dtype,
    get_autocast_dtype,
    get_autocast_gpu_dtype,
    get_autocast_ipu_dtype,
    get_autocast_xla_dtype,
    is_autocast_cache_enabled,
    is_autocast_cpu_enabled,
    is_autocast_enabled,
    is_autocast_ipu_enabled,
    is_autocast_xla_enabled,
    set_autocast_cache_enabled,
    set_autocast_cpu_dtype,
    set_autocast_cpu_enabled,
    set_autocast_dtype,
    set_autocast_enabled,
    set_autocast_gpu_dtype,
    set_autocast_ipu_dtype,
    set_autocast_ipu_enabled,
    set_autocast_xla_dtype,
    set_autocast_xla_enabled,
)

# isort: split
# the legacy typed storage classes (torch.FloatStorage, ...); torch.Storage follows the
# default dtype, so it is looked up when asked for (module __getattr__)
from torchlet._typed_storages import (  # noqa: E402
    BoolStorage,
    ByteStorage,
    CharStorage,
    DoubleStorage,
    FloatStorage,
    HalfStorage,
    IntStorage,
    LongStorage,
    ShortStorage,
)


def __getattr__(name: str):
    if name == "Storage":
        from torchlet._typed_storages import default_storage_class

        return default_storage_class()
    raise AttributeError(f"module 'torchlet' has no attribute '{name}'")
