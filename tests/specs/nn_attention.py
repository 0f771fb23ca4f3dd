"""Specs for scaled_dot_product_attention (torchlet/nn/_functional/attention.py) and the
packed-sequence functions (torchlet/nn/utils/rnn.py).

torch runs attention on the CPU through its fused flash kernel (grad_fn
ScaledDotProductFlashAttentionForCpuBackward0) where torchlet composes torch's reference
kernel, so the sdpa specs do not compare grad_fn names. Packing and padding move values
only: they are compared bit for bit. Dropout, the layers and the masks' finer points are
tested in tests/test_nn_transformer.py and tests/test_nn_rnn.py.
"""

from opspec import A, ErrorSpec, Spec


def F(t):  # noqa: N802 - reads like the usual ``F``
    return t.nn.functional


def U(t):  # noqa: N802 - nn.utils.rnn
    return t.nn.utils.rnn


def _sdpa(**kw):
    def fn(t, q, k, v):
        return F(t).scaled_dot_product_attention(q, k, v, **kw)
    return fn


def _sdpa_bool_mask(t, q, k, v):
    mask = t.tensor([[True, False, True, True, False], [False, False, False, False, False],
                     [True, True, True, True, True], [False, True, False, False, True]])
    return F(t).scaled_dot_product_attention(q, k, v, attn_mask=mask)


def _sdpa_float_mask(t, q, k, v, m):
    return F(t).scaled_dot_product_attention(q, k, v, attn_mask=m)


def _pack(lengths, batch_first=False, enforce_sorted=True):
    def fn(t, x):
        packed = U(t).pack_padded_sequence(x, lengths, batch_first=batch_first,
                                           enforce_sorted=enforce_sorted)
        return packed.data, packed.batch_sizes
    return fn


def _round_trip(lengths, batch_first=False, total_length=None):
    def fn(t, x):
        packed = U(t).pack_padded_sequence(x, lengths, batch_first=batch_first,
                                           enforce_sorted=False)
        return U(t).pad_packed_sequence(packed, batch_first=batch_first, padding_value=-1.0,
                                        total_length=total_length)
    return fn


def _pad(batch_first=False, padding_side="right"):
    def fn(t, a, b, c):
        return U(t).pad_sequence([a, b, c], batch_first=batch_first, padding_value=0.5,
                                 padding_side=padding_side)
    return fn


QKV = (A(2, 3, 4, 8), A(2, 3, 5, 8), A(2, 3, 5, 6))

SPECS = [
    Spec("nn/sdpa", _sdpa(), QKV, grad_fn=False),
    Spec("nn/sdpa/causal", _sdpa(is_causal=True), QKV, grad_fn=False),
    Spec("nn/sdpa/scale", _sdpa(scale=0.3), QKV, grad_fn=False),
    Spec("nn/sdpa/negative_scale", _sdpa(scale=-0.6), QKV, grad_fn=False),
    Spec("nn/sdpa/bool_mask", _sdpa_bool_mask, QKV, grad_fn=False),
    Spec("nn/sdpa/float_mask", _sdpa_float_mask, QKV + (A(3, 4, 5),), grad_fn=False),
    Spec("nn/sdpa/3d", _sdpa(), (A(3, 4, 2), A(3, 6, 2), A(3, 6, 3)), grad_fn=False),
    Spec("nn/sdpa/gqa", _sdpa(enable_gqa=True), (A(1, 4, 3, 2), A(1, 2, 5, 2), A(1, 1, 5, 2)),
         grad_fn=False),
    Spec("nn/sdpa/float64", _sdpa(), (A(2, 3, 2, dtype="float64"), A(2, 4, 2, dtype="float64"),
                                      A(2, 4, 3, dtype="float64")), grad_fn=False),
    Spec("nn/pack_padded_sequence", _pack([4, 3, 1]), (A(4, 3, 2),), exact=True),
    Spec("nn/pack_padded_sequence/batch_first", _pack([3, 3, 2, 1], batch_first=True),
         (A(4, 3, 2),), exact=True),
    Spec("nn/pack_padded_sequence/unsorted", _pack([2, 4, 1], enforce_sorted=False),
         (A(4, 3),), exact=True),
    Spec("nn/pad_packed_sequence", _round_trip([2, 4, 1]), (A(4, 3, 2),), exact=True),
    Spec("nn/pad_packed_sequence/batch_first_total_length",
         _round_trip([3, 1, 2, 2], batch_first=True, total_length=5), (A(4, 3),), exact=True),
    Spec("nn/pad_sequence", _pad(), (A(2, 3), A(4, 3), A(1, 3)), exact=True),
    Spec("nn/pad_sequence/batch_first_left", _pad(True, "left"), (A(2), A(4), A(3)),
         exact=True),
]

ERROR_SPECS = [
    ErrorSpec("nn/sdpa/dtype_mismatch",
              lambda t: F(t).scaled_dot_product_attention(t.ones(2, 3), t.ones(2, 3).double(),
                                                          t.ones(2, 3)),
              match="Expected query, key, and value to have the same dtype"),
    ErrorSpec("nn/sdpa/causal_and_mask",
              lambda t: F(t).scaled_dot_product_attention(t.ones(2, 3), t.ones(2, 3),
                                                          t.ones(2, 3), attn_mask=t.ones(2, 2),
                                                          is_causal=True),
              match="Explicit attn_mask should not be set when is_causal=True"),
    ErrorSpec("nn/pack_padded_sequence/unsorted_lengths",
              lambda t: U(t).pack_padded_sequence(t.ones(3, 2), [1, 2]),
              match="must be sorted in decreasing order"),
    ErrorSpec("nn/pad_sequence/empty", lambda t: U(t).pad_sequence([]),
              match="received an empty list of sequences"),
]
