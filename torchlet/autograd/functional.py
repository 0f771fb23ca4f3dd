"""The Jacobian tools: the vector-Jacobian story made visible.

For a function ``y = f(x)`` from ``n`` numbers to ``m`` numbers, the Jacobian ``J`` is
the ``m x n`` matrix of partial derivatives ``J[i, j] = d y_i / d x_j``. Reverse-mode
autograd never builds ``J``: ``backward`` / ``autograd.grad`` compute one
*vector-Jacobian product* ``v^T J`` per call (``v`` is the ``gradient`` /
``grad_outputs`` argument), at about the cost of one forward pass. Everything here is
built from that one operation:

* ``vjp(f, x, v)``       = ``v^T J``: one backward pass.
* ``jacobian(f, x)``     = all of ``J``: one ``vjp`` per output element, with the
  one-hot vectors ``v = e_i`` (row ``i`` of ``J`` each time).
* ``jvp(f, x, v)``       = ``J v`` (forward mode), from two backward passes: ``g(u) =
  u^T J`` is linear in ``u``, so the vjp of ``g`` with ``v`` is ``J v``: the
  "double-backward trick".
* ``hessian(f, x)``      = the Jacobian of the gradient, for a scalar ``f``:
  ``H[i, j] = d^2 f / dx_i dx_j``.
* ``vhp(f, x, v)``       = ``v^T H``: the gradient of ``f`` recorded with
  ``create_graph=True``, then one more vjp.
* ``hvp(f, x, v)``       = ``H v``: the double-backward trick applied to the gradient.

``inputs`` is a Tensor or a tuple of Tensors, and so is what ``func`` returns; each
result has the same structure as torch's (a lone Tensor where torch returns one, tuples
where it returns tuples). A Jacobian block for output ``y`` and input ``x`` has shape
``y.shape + x.shape``. Results are detached unless ``create_graph=True``; with
``strict=False`` an input the outputs do not depend on gets zeros, with ``strict=True``
an error.
"""

from __future__ import annotations

from torchlet._tensor import Tensor
from torchlet.autograd.grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ---------------------------------------------------------------------------------------
# Public API


def _checked_v(v, against, is_tuple, create_graph, name, kind):
    """``v`` prepared and shape-checked against ``against`` (the function's "inputs" or
    "outputs"); it may be None only when that is a single one-element tensor."""
    if v is not None:
        _, v = _as_tuple(v, "v", name)
        v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
        _validate_v(v, against, is_tuple)
    elif len(against) != 1 or against[0].nelement() != 1:
        where = ("the user-provided function returns a single Tensor" if kind == "outputs"
                 else "the input to the user-provided function is a single Tensor")
        raise RuntimeError(
            f"The vector v can only be None if {where} with a single element."
        )
    return v


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """Vector-Jacobian product ``v^T J`` of ``func`` at ``inputs``.

    Math: with ``y = func(x)`` and ``J = dy/dx``, returns ``(y, v^T J)`` where
    ``(v^T J)_j = sum_i v_i * dy_i/dx_j``: how much the weighted sum ``<v, y>`` changes
    when ``x_j`` moves. This is exactly what ``y.backward(v)`` accumulates into
    ``x.grad``; ``v`` has the outputs' shapes and the result has the inputs' shapes.
    ``v`` may be omitted when ``func`` returns a single one-element Tensor (then
    ``v = 1`` and the result is the gradient).

    Returns ``(func_output, vjp)``, each a Tensor or a tuple shaped like torch's.
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)

        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "vjp"
        )
        _check_requires_grad(outputs, "outputs", strict=strict)

        v = _checked_v(v, outputs, is_outputs_tuple, create_graph, "vjp", "outputs")

    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")

    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(result, is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """Jacobian-vector product ``J v`` of ``func`` at ``inputs`` (forward mode).

    Math: ``(J v)_i = sum_j dy_i/dx_j * v_j``: the change of the outputs when the inputs
    move in direction ``v`` (shaped like the inputs; the result is shaped like the
    outputs). Computed with the double-backward trick, as torch does: the backward pass
    ``g(u) = u^T J`` is a *linear* function of the output gradient ``u``, whose own
    Jacobian is ``J^T``; so a vjp of ``g`` with ``v`` gives ``v^T J^T = (J v)^T``. The
    value of ``u`` never matters (zeros are used); only the recorded graph does.

    Returns ``(func_output, jvp)``.
    """
    from torchlet._ops.creation import zeros_like

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)

        v = _checked_v(v, inputs, is_inputs_tuple, create_graph, "jvp", "inputs")

        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jvp"
        )
        _check_requires_grad(outputs, "outputs", strict=strict)
        # u: any value without inf/nan works, the backward is linear in it
        grad_outputs = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)

    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")

    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(result, is_outputs_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The full Jacobian of ``func`` at ``inputs``.

    Math: ``J[i..., j...] = d output[i...] / d input[j...]``, a block of shape
    ``output.shape + input.shape`` per (output, input) pair. Reverse mode builds it row
    by row: row ``i`` is the vjp with the one-hot ``e_i`` (one backward pass per output
    element); ``strategy="forward-mode"`` builds it column by column, ``J e_j`` for each
    input element, with the double-backward trick of :func:`jvp` (torchlet has no dual
    numbers; torch requires ``vectorize=True`` for it, and so does torchlet).

    Returns a Tensor for one input and one output; a tuple over the inputs (or outputs)
    if only those are a tuple; ``result[i][j]`` (output i, input j) if both are.
    ``vectorize=True`` gives the same values (torchlet has no vmap to batch the rows).
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more '
            'performant. Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        _check_no_create_graph(create_graph)
        return _jacfwd(func, inputs, strict, vectorize)

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)

        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jacobian"
        )
        _check_requires_grad(outputs, "outputs", strict=strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` "
                "and `vectorized=True` are not supported together. "
                "Please either set `strict=False` or "
                "`vectorize=False`."
            )

        all_rows = []  # all_rows[i][j]: the rows of block (output i, input j)
        for i, out in enumerate(outputs):
            rows = tuple([] for _ in inputs)  # rows[j]: the rows of block (i, j)
            for e_k in _one_hots(out):
                if vectorize:
                    # torch's batched vjp: one pass through every output, e_k for this
                    # one and zeros for the others, so their zero contributions are
                    # added in (-0.0 + 0.0 = 0.0 where a lone e_k leaves -0.0)
                    vj = _autograd_grad(outputs, inputs, _basis_row(outputs, i, e_k),
                                        retain_graph=True, create_graph=create_graph)
                else:
                    vj = _autograd_grad((out,), inputs, (e_k,), retain_graph=True,
                                        create_graph=create_graph)
                for el_idx, (rows_el, vj_el, inp_el) in enumerate(
                    zip(rows, vj, inputs, strict=True)
                ):
                    if vj_el is not None:
                        if strict and create_graph and not vj_el.requires_grad:
                            raise RuntimeError(
                                "The jacobian of the user-provided function is "
                                f"independent of input {i}. This is not allowed in "
                                "strict mode when create_graph=True."
                            )
                        rows_el.append(vj_el)
                    else:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is "
                                f"independent of input {el_idx}. This is not allowed in "
                                "strict mode."
                            )
                        rows_el.append(_zeros_like(inp_el))
            all_rows.append(rows)
        if vectorize:
            jacobian_rows = _blocks_per_input(all_rows, outputs, inputs)
        else:
            jacobian_rows = tuple(
                tuple(_stack(rows_el).view(tuple(out.shape) + tuple(inp.shape))
                      for rows_el, inp in zip(rows, inputs, strict=True))
                for rows, out in zip(all_rows, outputs, strict=True))
        result = _grad_postprocess(jacobian_rows, create_graph)
        return _tuple_postprocess(result, (is_outputs_tuple, is_inputs_tuple))


def _check_no_create_graph(create_graph):
    if create_graph:
        raise NotImplementedError(
            "torch.autograd.functional.jacobian: `create_graph=True` "
            'and `strategy="forward-mode"` are not supported together (yet). '
            "Please either set `create_graph=False` or "
            '`strategy="reverse-mode"`.'
        )


def _blocks_per_input(all_rows, outputs, inputs):
    """The blocks ``[i][j]`` from the rows ``all_rows[i][j]`` as torch's vectorized Jacobian
    lays them out: one batched vjp per input over the one-hots of all outputs, so the blocks
    of input j are views of one tensor (with create_graph, all of them require grad if one
    does)."""
    numels = [out.numel() for out in outputs]
    if sum(numels) == 0:  # torch's batched vjp over an empty basis
        raise IndexError("index 0 is out of bounds for dimension 0 with size 0")
    per_input = []
    for j, inp in enumerate(inputs):
        whole = _stack([row for rows in all_rows for row in rows[j]])
        per_input.append([part.view(tuple(out.shape) + tuple(inp.shape))
                          for part, out in zip(whole.split(numels), outputs, strict=True)])
    return tuple(tuple(per_input[j][i] for j in range(len(inputs)))
                 for i in range(len(outputs)))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function: the Jacobian of its gradient.

    Math: ``H[i..., j...] = d^2 f / (d x[i...] d x[j...])``. The inner Jacobian (the
    gradient, a vjp with ``v = 1``) is recorded with ``create_graph=True`` so that the
    outer :func:`jacobian` can differentiate it again. For inputs ``x_1 .. x_m`` the
    result is ``H[i][j]`` of shape ``x_i.shape + x_j.shape``; for a single input, a
    single Tensor of shape ``x.shape + x.shape``.
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def ensure_single_output_function(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        if is_out_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        return out.reshape(())  # torch squeezes: the one element, as a 0-d tensor

    def jac_func(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    if outer_jacobian_strategy == "forward-mode":
        # (torch's jacobian; jac_func makes the inputs require grad, so the Hessian
        # keeps the history of every input it depends on)
        _check_no_create_graph(create_graph)
        res = _jacfwd(jac_func, inputs, strict, vectorize, inputs_require_grad=True)
    else:
        res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                       vectorize=vectorize)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def _recorded_gradient(func, inputs, v, create_graph, strict, name):
    """The first half of vhp and hvp: check the inputs and ``v``, run the scalar
    ``func``, and record its gradient with ``create_graph=True`` (run under enable_grad)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", name)
    inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
    v = _checked_v(v, inputs, is_inputs_tuple, create_graph, name, "inputs")
    outputs = func(*inputs)
    is_outputs_tuple, outputs = _as_tuple(
        outputs, "outputs of the user-provided function", name
    )
    _check_requires_grad(outputs, "outputs", strict=strict)
    _check_single_element(outputs, is_outputs_tuple, name)
    jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict=strict)
    return inputs, is_inputs_tuple, v, outputs, is_outputs_tuple, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """Vector-Hessian product ``v^T H`` of a scalar function.

    Math: first the gradient ``g(x) = df/dx`` (one backward pass, recorded with
    ``create_graph=True``); then ``v^T H = v^T dg/dx``, one vjp of ``g`` with ``v``.
    Two backward passes in all. Returns ``(func_output, vhp)``; ``vhp`` is shaped like
    the inputs.
    """
    with enable_grad():
        inputs, is_inputs_tuple, v, outputs, is_outputs_tuple, jac = _recorded_gradient(
            func, inputs, v, create_graph, strict, "vhp"
        )

    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")

    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(result, is_inputs_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """Hessian-vector product ``H v`` of a scalar function.

    Math: the gradient ``g(x) = df/dx`` is recorded with ``create_graph=True``; its
    vjp ``u -> u^T H`` is linear in ``u``, so one more vjp of that with ``v`` gives
    ``H v`` (the double-backward trick of :func:`jvp`, applied to the gradient). For a
    twice continuously differentiable ``f``, ``H`` is symmetric and ``hvp == vhp``; vhp
    is cheaper. Returns ``(func_output, hvp)``; ``hvp`` is shaped like the inputs.
    """
    from torchlet._ops.creation import zeros_like

    with enable_grad():
        inputs, is_inputs_tuple, v, outputs, is_outputs_tuple, jac = _recorded_gradient(
            func, inputs, v, create_graph, strict, "hvp"
        )
        grad_jac = tuple(zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict=strict)

    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back_trick")

    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(result, is_inputs_tuple))


# ---------------------------------------------------------------------------------------
# Forward-mode Jacobian, column by column


def _jacfwd(func, inputs, strict, vectorize, inputs_require_grad=False):
    """``J e_j`` for every input element ``j``, by the double-backward trick.

    As torch's vectorized forward mode: the tangents of output i for the basis vectors of
    all inputs form one batch of shape ``(n_1 + n_2 + ..., *output.shape)`` (in the
    output's dtype), split per input, the batch axis moved last and reshaped to
    ``output.shape + input.shape``.

    The result keeps its history when the tangents depend on a tensor that requires
    grad: an input that requires grad (it stays connected, a view of it, as torch's dual
    tensor is), or one that ``func`` captured. The other inputs are detached stand-ins
    that require grad only so the trick can trace them: no history through them, unless
    ``inputs_require_grad`` (hessian's forward-over-reverse, where torch's inner
    Jacobian makes every input require grad).

    (Known difference: torch's forward formula of a product, ``a_t * b + a * b_t``, keeps
    history through ``b`` even when ``b`` has no tangent, so ``3 * x`` or ``(x * x).sum()``'s
    Hessian require grad there; here only what the derivative really depends on counts.)
    """
    if strict:
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` "
            'and `strategy="forward-mode"` are not supported together (yet). '
            "Please either set `strict=False` or "
            '`strategy="reverse-mode"`.'
        )
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    if not vectorize:
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
            "only implemented for `vectorize=True`."
        )
    from torchlet._ops.creation import zeros, zeros_like

    record = is_grad_enabled()  # torch's tangents are recorded in the caller's grad mode
    with enable_grad():
        inputs = _grad_preprocess(inputs, create_graph=record, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs")
        # (an integer output has no tangent: its columns are integer zeros, as torch's)
        grad_outputs = tuple(zeros_like(out, requires_grad=out.is_floating_point())
                             for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        live = tuple(g for g in grad_outputs if g.requires_grad)
        # what the tangents may not count as history: the u's, and the stand-ins
        traced_only = {id(g) for g in grad_outputs}
        if not inputs_require_grad:
            traced_only.update(id(inp) for inp in inputs if inp.is_leaf)
        record = record and _has_history(grad_inputs, traced_only)

        tangents = [[] for _ in outputs]  # tangents[i]: J e_k of output i, k over all inputs
        for j, inp in enumerate(inputs):
            for e_k in _one_hots(inp):
                # the tangent e_k for this input and zeros for the others, all pushed
                # through at once as torch's dual numbers are (their zero terms fix the
                # signs of zeros)
                jv = iter(_autograd_grad(grad_inputs, live, _basis_row(inputs, j, e_k),
                                         retain_graph=True, create_graph=record)
                          if live else ())
                for i, g in enumerate(grad_outputs):
                    tangents[i].append(next(jv) if g.requires_grad else None)

    numels = [inp.numel() for inp in inputs]
    result = []  # result[output][input]
    for cols, out in zip(tangents, outputs, strict=True):
        if all(col is None for col in cols):  # no tangent at all: torch's expanded zeros
            batch = zeros(tuple(out.shape), dtype=out.dtype).expand(sum(numels), *out.shape)
        else:
            batch = _stack([col if col is not None else zeros_like(out) for col in cols])
            if batch.requires_grad and not _has_history((batch,), traced_only):
                batch = batch.detach()
        result.append([
            jac.permute(*range(1, jac.ndim), 0).reshape(tuple(out.shape) + tuple(inp.shape))
            for jac, inp in zip(batch.split(numels), inputs, strict=True)
        ])
    # lists, not tuples, exactly as torch's forward mode returns
    return _tuple_postprocess(result, (is_outputs_tuple, is_inputs_tuple))


def _has_history(tensors, traced_only):
    """Whether the graph of ``tensors`` reaches a tensor that requires grad other than
    the leaves in ``traced_only`` (ids): a walk over ``next_functions``."""
    from torchlet.autograd.function import AccumulateGrad

    stack = []
    for t in tensors:
        if t is None or not t.requires_grad:
            continue
        if t.grad_fn is None:  # a leaf itself
            if id(t) not in traced_only:
                return True
            continue
        stack.append(t.grad_fn)
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is AccumulateGrad:
            if id(node.variable) not in traced_only:
                return True
            continue
        stack.extend(nxt for nxt, _ in node.next_functions if nxt is not None)
    return False


# ---------------------------------------------------------------------------------------
# Helpers (torch's, with torch's error messages)


def _as_tuple_nocheck(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _as_tuple(inp, arg_name=None, fn_name=None):
    """(was it a tuple?, the tuple): every element must be a Tensor."""
    if arg_name is None and fn_name is None:
        return _as_tuple_nocheck(inp)
    is_inp_tuple = True
    if not isinstance(inp, tuple):
        inp = (inp,)
        is_inp_tuple = False
    for i, el in enumerate(inp):
        if not isinstance(el, Tensor):
            if is_inp_tuple:
                raise TypeError(
                    f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                    f"Tensors but the value at index {i} has type {type(el)}."
                )
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but the given {arg_name} has type {type(el)}."
            )
    return is_inp_tuple, inp


def _tuple_postprocess(res, to_unpack):
    """Undo ``_as_tuple``: a lone Tensor where the user gave (or func returned) one."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs, create_graph, need_graph):
    """Fresh Tensor objects for the inputs, so ``func`` cannot confuse them with the
    same tensors captured from outside. With ``create_graph`` they stay connected to the
    caller's graph (a view); otherwise they are detached copies of the graph position."""
    res = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            res.append(inp.view_as(inp))
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _grad_postprocess(inputs, create_graph):
    """No history on the results unless the caller asked for it."""
    if isinstance(inputs[0], Tensor):
        if not create_graph:
            return tuple(inp.detach() for inp in inputs)
        return inputs
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other, strict=True)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(
                f"{prepend}v has invalid size: should be {el_other.size()} but got "
                f"{el_v.size()}."
            )


def _check_single_element(outputs, is_outputs_tuple, fn_name):
    if is_outputs_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn_name} should contain a single "
            "element"
        )


def _check_requires_grad(inputs, input_type, strict):
    """strict mode: refuse outputs/gradients that do not depend on the inputs."""
    if not strict:
        return
    if input_type not in ["outputs", "grad_inputs", "jacobian", "hessian"]:
        raise RuntimeError("Invalid input_type to _check_requires_grad")
    for i, inp in enumerate(inputs):
        if inp is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}."
                " This is not allowed in strict mode."
            )
        if not inp.requires_grad:
            if input_type == "hessian":
                raise RuntimeError(
                    f"The hessian of the user-provided function with respect to input {i}"
                    " is independent of the input. This is not allowed in strict mode."
                    " You should ensure that your function is thrice differentiable and that"
                    " the hessian depends on the inputs."
                )
            if input_type == "jacobian":
                raise RuntimeError(
                    "While computing the hessian, found that the jacobian of the user-provided"
                    f" function with respect to input {i} is independent of the input. This is "
                    "not allowed in strict mode. You should ensure that your function is twice"
                    " differentiable and that the jacobian depends on the inputs (this would be"
                    " violated by a linear function for example)."
                )
            if input_type == "grad_inputs":
                raise RuntimeError(
                    f"The gradient with respect to input {i} is independent of the inputs of "
                    "the user-provided function. This is not allowed in strict mode."
                )
            raise RuntimeError(
                f"Output {i} of the user-provided function does not require gradients."
                " The outputs must be computed in a differentiable manner from the input"
                " when running in strict mode."
            )


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False,
                   retain_graph=None):
    """``autograd.grad`` that skips outputs which do not require grad (and ``None``s)."""
    from torchlet.autograd import grad

    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    new_outputs, new_grad_outputs = (), ()
    for out, grad_out in zip(outputs, grad_outputs, strict=True):
        if out is not None and out.requires_grad:
            new_outputs += (out,)
            new_grad_outputs += (grad_out,)
    if not new_outputs:
        return (None,) * len(inputs)  # nothing to differentiate: no engine call
    return grad(new_outputs, inputs, new_grad_outputs, allow_unused=True,
                create_graph=create_graph, retain_graph=retain_graph)


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    """Zeros for the inputs no gradient reached (or torch's strict-mode errors)."""
    if stage not in ["back", "back_trick", "double_back", "double_back_trick"]:
        raise RuntimeError(f"Invalid stage argument '{stage}' to _fill_in_zeros")
    res = ()
    for i, grads_i in enumerate(grads):
        if grads_i is None:
            if strict:
                if stage == "back":
                    raise RuntimeError(
                        "The output of the user-provided function is independent of "
                        f"input {i}. This is not allowed in strict mode."
                    )
                if stage == "back_trick":
                    raise RuntimeError(
                        f"The gradient with respect to the input is independent of entry {i}"
                        " in the grad_outputs when using the double backward trick to compute"
                        " forward mode gradients. This is not allowed in strict mode."
                    )
                if stage == "double_back":
                    raise RuntimeError(
                        "The jacobian of the user-provided function is independent of "
                        f"input {i}. This is not allowed in strict mode."
                    )
                raise RuntimeError(
                    "The hessian of the user-provided function is independent of "
                    f"entry {i} in the grad_jacobian. This is not allowed in strict "
                    "mode as it prevents from using the double backward trick to "
                    "replace forward mode AD."
                )
            grads_i = _zeros_like(refs[i])
        elif strict and create_graph and not grads_i.requires_grad:
            if "double" not in stage:
                raise RuntimeError(
                    "The jacobian of the user-provided function is independent of "
                    f"input {i}. This is not allowed in strict mode when create_graph=True."
                )
            raise RuntimeError(
                "The hessian of the user-provided function is independent of "
                f"input {i}. This is not allowed in strict mode when create_graph=True."
            )
        res += (grads_i,)
    return res


def _one_hots(t):
    """The standard basis in ``t``'s shape and dtype: e_0, e_1, ... (one per element)."""
    import numpy as np

    from torchlet._tensor import wrap

    data = t._data
    for k in range(data.size):
        e_k = np.zeros(data.size, data.dtype)
        e_k[k] = 1
        yield wrap(e_k.reshape(data.shape))


def _basis_row(outputs, i, e_k):
    """A row of the standard basis over all ``outputs`` together: ``e_k`` in output
    ``i``, zeros in the others."""
    return tuple(e_k if m == i else _zeros_like(out) for m, out in enumerate(outputs))


def _zeros_like(t):
    from torchlet._ops.creation import zeros_like

    return zeros_like(t)


def _stack(tensors, dim=0):
    """torchlet.stack; with no graph to record, NumPy's directly (no nodes to build)."""
    if not tensors:  # (a Jacobian block of an output without elements)
        raise RuntimeError("stack expects a non-empty TensorList")
    if not any(t.requires_grad for t in tensors):
        import numpy as np

        from torchlet._tensor import wrap

        return wrap(np.stack([t._data for t in tensors], axis=dim))
    from torchlet._ops.shape import stack

    return stack(tensors, dim)
