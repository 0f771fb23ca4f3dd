"""MultiheadAttention, as torch.nn.MultiheadAttention (torch keeps it in activation.py).

Parameters, in torch's registration order: ``in_proj_weight`` (3E, E) stacking the query,
key and value projections (or ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` when
``kdim``/``vdim`` differ from E), ``in_proj_bias`` (3E,), the output projection
``out_proj`` (a Linear) and, with ``add_bias_kv``, ``bias_k`` and ``bias_v`` (1, 1, E).
Initialisation draws what torch draws, in the same order: out_proj's own Linear
initialisation (when it is built), then xavier_uniform_ for the input projections, zeros
for both biases, xavier_normal_ for bias_k and bias_v.
"""

from __future__ import annotations

from torchlet._ops.creation import empty, zeros
from torchlet.autograd.grad_mode import GRAD_STATE
from torchlet.backends import mha
from torchlet.nn import functional as F
from torchlet.nn.init import constant_, xavier_normal_, xavier_uniform_
from torchlet.nn.modules.linear import NonDynamicallyQuantizableLinear
from torchlet.nn.modules.module import Module
from torchlet.nn.parameter import Parameter

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    """Attention from ``num_heads`` heads in parallel, each over E / num_heads features:
    ``MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
    add_zero_attn=False, kdim=None, vdim=None, batch_first=False)``.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(attn_output,
    attn_weights)``; inputs are (L, N, E) ((N, L, E) with ``batch_first``) or unbatched
    (L, E). Bool masks mark the positions *not* to attend to."""

    __constants__ = ["batch_first"]

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                f"and num_heads={num_heads} instead"
            )
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim

        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")

        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), **factory_kwargs))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), **factory_kwargs))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), **factory_kwargs))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), **factory_kwargs))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)

        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **factory_kwargs))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        **factory_kwargs)
        if add_bias_kv:
            self.bias_k: Parameter | None = Parameter(empty((1, 1, embed_dim), **factory_kwargs))
            self.bias_v: Parameter | None = Parameter(empty((1, 1, embed_dim), **factory_kwargs))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            xavier_uniform_(self.in_proj_weight)
        else:
            xavier_uniform_(self.q_proj_weight)
            xavier_uniform_(self.k_proj_weight)
            xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            constant_(self.in_proj_bias, 0.0)
            constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            xavier_normal_(self.bias_v)

    def __setstate__(self, state) -> None:
        if "_qkv_same_embed_dim" not in state:
            state["_qkv_same_embed_dim"] = True
        super().__setstate__(state)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        is_batched = query.dim() == 3
        fast = self._takes_fast_path(query, key, value, attn_mask, key_padding_mask)
        key_padding_mask = F._canonical_mask(
            key_padding_mask, "key_padding_mask", F._none_or_dtype(attn_mask), "attn_mask",
            query.dtype)
        attn_mask = F._canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                      check_other=False)
        if fast:
            merged_mask, mask_type = self.merge_masks(attn_mask, key_padding_mask, query)
            if self.in_proj_bias is not None:  # (else torch goes on with the ordinary path)
                return self._fast_forward(query, merged_mask, mask_type, need_weights,
                                          average_attn_weights)

        # to (L, N, E), keeping "the same tensor" so self-attention projects once
        if self.batch_first and is_batched:
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))

        separate = {} if self._qkv_same_embed_dim else {
            "use_separate_proj_weight": True, "q_proj_weight": self.q_proj_weight,
            "k_proj_weight": self.k_proj_weight, "v_proj_weight": self.v_proj_weight}
        attn_output, attn_output_weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, average_attn_weights=average_attn_weights,
            is_causal=is_causal, **separate)
        if self.batch_first and is_batched:
            return attn_output.transpose(1, 0), attn_output_weights
        return attn_output, attn_output_weights

    def _takes_fast_path(self, query, key, value, attn_mask, key_padding_mask) -> bool:
        """Whether torch runs its fused inference kernel (_native_multi_head_attention):
        eval mode, no gradient needed, batched self-attention (query is key is value) with
        batch_first, an even number of heads, biases and no bias_k / zero attention, and
        masks (if any) of type bool. (The masks are checked before they are made float.)"""
        if not mha.get_fastpath_enabled() or any(
                m is not None and m.is_floating_point() for m in (attn_mask, key_padding_mask)):
            return False
        if (query.dim() != 3 or query is not key or key is not value or self.training
                or self.num_heads % 2 or not self.batch_first or self.bias_k is not None
                or self.bias_v is not None or self.add_zero_attn
                or not self._qkv_same_embed_dim):
            return False
        if self.in_proj_bias is not None and query.dtype != self.in_proj_bias.dtype:
            return False
        if query.dtype != self.in_proj_weight.dtype:
            return False
        tensors = (query, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight,
                   self.out_proj.bias)
        return not (GRAD_STATE.enabled and any(t is not None and t.requires_grad
                                                for t in tensors))

    def _fast_forward(self, query, merged_mask, mask_type, need_weights=False,
                      average_attn_weights=True):
        """Self-attention of query (N, L, E) as torch's fused inference kernel computes
        it, given the mask from merge_masks (also TransformerEncoderLayer's fast path).
        It differs from the ordinary path in what it does not do, and that is visible:

        - any nonzero entry of the mask means "do not attend" (float values are not
          added); a 2-D mask of type 1 must be (N, L), any other (N, heads, L, L),
          unless the input is empty;
        - ``is_causal`` is ignored (the caller drops it);
        - a query row that may attend to nothing gives NaN (a plain softmax), where the
          ordinary ``need_weights=False`` path gives 0;
        - the output is contiguous (N, L, E); the weights are None when not asked for
          or when the input is empty.

        The numbers are those of the explicit-weights path (up to rounding)."""
        bsz, length, embed_dim = query.shape
        if embed_dim != self.embed_dim:  # (the kernel's first check, empty input too)
            raise RuntimeError(f"passed-in embed_dim {self.embed_dim} didn't match last dim "
                               f"of query {embed_dim}")
        if query.numel() == 0:  # (torch returns before it looks at the mask)
            return zeros(tuple(query.shape), dtype=query.dtype), None
        padding = attention = None
        if mask_type == 1 and merged_mask.dim() == 2:
            if tuple(merged_mask.shape) != (bsz, length):
                raise RuntimeError("For mask_type == 1 mask shape should be (B, L)")
            padding = merged_mask != 0
        elif mask_type is not None:
            if tuple(merged_mask.shape) != (bsz, self.num_heads, length, length):
                raise RuntimeError("For mask_type == 2 mask shape should match input shape")
            attention = (merged_mask != 0).reshape(bsz * self.num_heads, length, length)
        x = query.transpose(1, 0)
        out, weights = F.multi_head_attention_forward(
            x, x, x, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            None, None, False, 0.0, self.out_proj.weight, self.out_proj.bias, training=False,
            key_padding_mask=padding, need_weights=True, attn_mask=attention,
            average_attn_weights=average_attn_weights)
        return out.transpose(1, 0).contiguous(), weights if need_weights else None

    def merge_masks(self, attn_mask, key_padding_mask, query):
        """One mask of shape (N, heads, L, L) (and its type: 1 key padding only, 2 an
        attention mask) from both, as torch's inference fast path uses."""
        mask_type = None
        merged_mask = None
        if key_padding_mask is not None:
            mask_type = 1
            merged_mask = key_padding_mask
        if attn_mask is not None:
            batch_size, seq_len, _ = query.shape
            mask_type = 2
            if attn_mask.dim() == 3:
                expanded = attn_mask.view(batch_size, -1, seq_len, seq_len)
            else:
                expanded = attn_mask.view(1, 1, seq_len, seq_len).expand(
                    batch_size, self.num_heads, -1, -1)
            merged_mask = expanded
            if key_padding_mask is not None:
                merged_mask = expanded + key_padding_mask.view(
                    batch_size, 1, 1, seq_len).expand(-1, self.num_heads, -1, -1)
        return merged_mask, mask_type
