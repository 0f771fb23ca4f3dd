"""gradcheck and gradgradcheck: is a backward formula right? Ask finite differences.

For a function ``f`` of inputs ``x_1 .. x_m`` with outputs ``y_1 .. y_n``, every pair
(output ``y``, input ``x``) has a Jacobian ``J[k, j] = d y_j / d x_k`` (one row per input
element, one column per output element: torch's layout). gradcheck builds it twice:

* **numerically**, one input element at a time, by central differences
  ``(f(x + eps e_k) - f(x - eps e_k)) / (2 eps)``: row ``k`` of ``J``;
* **analytically**, one output element at a time, by asking the backward pass for a
  vector-Jacobian product with a one-hot ``v = e_j``:
  ``autograd.grad(y, x, grad_outputs=e_j)`` is ``J^T e_j``, column ``j`` of ``J``;

and compares them elementwise with torch's criterion
``|analytical - numerical| <= atol + rtol * |numerical|``. Central differences have an
error of order ``eps**2``; with eps = 1e-6 that is only meaningful in float64, which is
why gradcheck warns about any other input dtype.

``fast_mode=True`` compares one number per pair instead of the whole matrix:
``v^T J u`` for random unit vectors ``u`` (input side) and ``v`` (output side), computed
as ``v . (J u)`` numerically (one central difference along ``u``) and ``(J^T v) . u``
analytically (one backward pass).

``gradgradcheck`` runs gradcheck on the function ``(x, v) -> J(x)^T v`` (the backward
pass itself, recorded with ``create_graph=True``): it checks second derivatives.
"""

from __future__ import annotations

import warnings

import numpy as np

from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import enable_grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Error raised by :func:`gradcheck` and :func:`gradgradcheck`."""


# torch's long hints, verbatim.
FAILED_NONDET_MSG = """\n
NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""

FAST_FAIL_SLOW_OK_MSG = """
Fast gradcheck failed but element-wise differences are small. This means that the
test might've passed in slow_mode!

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck:

If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `fast_mode=False` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_fast_mode=False`
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_fast_mode=False`
""".strip()

# The random vectors of fast mode and gradgradcheck's grad_outputs come from their own
# generator with a fixed seed: the check is reproducible and leaves torchlet's RNG alone.
_SEED = 0


# ---------------------------------------------------------------------------------------
# Public API


def gradcheck(func, inputs, *, eps=1e-06, atol=1e-05, rtol=0.001, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against finite differences.

    ``inputs`` is a Tensor or a tuple; only floating-point tensors with
    ``requires_grad=True`` are checked (use float64). ``func`` returns a Tensor or a
    tuple of Tensors; outputs that do not require grad are skipped. Returns True, or
    raises :class:`GradcheckError` showing both Jacobians (``raise_exception=False``:
    returns False instead).

    torchlet has no forward-mode AD and no vmap. With ``check_forward_ad=True`` the
    Jacobian-vector products ``J u`` are computed with the double-backward trick of
    :func:`torchlet.autograd.functional.jvp` instead of dual numbers;
    ``check_batched_grad`` / ``check_batched_forward_grad`` have nothing batched to
    compare against and check nothing more. ``masked`` only concerns sparse tensors.
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError(
            "Expected at least one of check_forward_ad or check_backward_ad to be True"
        )
    if check_batched_grad and not check_backward_ad:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_backward_ad to be True"
        )
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError(
            "Setting check_batched_forward_grad=True requires check_forward_ad to be True"
        )
    try:
        return _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad,
                          check_grad_dtypes, check_forward_ad, check_backward_ad, fast_mode)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-06, atol=1e-05, rtol=0.001,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False,
                  check_rev_over_rev=True, fast_mode=False, masked=False) -> bool:
    """Check second derivatives: gradcheck of ``(inputs, v) -> autograd.grad(func, v)``.

    The backward pass of ``func`` (a vector-Jacobian product ``J(x)^T v``) is itself a
    differentiable function of both ``x`` and ``v`` when recorded with
    ``create_graph=True``; gradcheck checks it. ``grad_outputs`` (the ``v``) defaults to
    random values in [-1, 1) from a generator with a fixed seed.
    """
    from torchlet._tensor import Tensor, wrap
    from torchlet.autograd import grad as autograd_grad

    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError(
            "Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True"
        )
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_undefined_grad=True requires check_rev_over_rev to be True"
        )
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_rev_over_rev to be True"
        )
    tupled_inputs = _as_tuple(inputs)

    if grad_outputs is None:
        rng = np.random.default_rng(_SEED)
        outputs = _differentiable_outputs(func(*tupled_inputs))
        random_grad_outputs = []
        for out in outputs:
            dtype = out._data.dtype if out._data.dtype.kind == "f" else np.float64
            values = rng.uniform(-1.0, 1.0, out._data.shape).astype(dtype)
            if gen_non_contig_grad_outputs and values.ndim > 0:
                # as torch's make_tensor(noncontiguous=True): every other element of a
                # twice-as-wide buffer
                values = np.repeat(values, 2, axis=-1)[..., ::2]
            v = wrap(values)
            v._requires_grad = True
            random_grad_outputs.append(v)
        tupled_grad_outputs = tuple(random_grad_outputs)
    else:
        tupled_grad_outputs = _as_tuple(grad_outputs)

    num_outputs = len(tupled_grad_outputs)
    # gradcheck sees the inputs and the grad_outputs as one argument list; remember which
    # of them are differentiated
    diff_input_args_indices = {
        i for i, x in enumerate(tupled_inputs) if isinstance(x, Tensor) and x.requires_grad
    }
    diff_grad_output_indices = {
        i for i, x in enumerate(tupled_grad_outputs) if x.requires_grad
    }

    def new_func(*args):
        # (torch slices with [:-num_outputs], which breaks when there are no outputs)
        split = len(args) - num_outputs
        input_args = tuple(
            x.requires_grad_() if i in diff_input_args_indices else x
            for i, x in enumerate(args[:split])
        )
        outputs = _differentiable_outputs(func(*input_args))
        grad_outputs = tuple(
            x.requires_grad_() if i in diff_grad_output_indices else x
            for i, x in enumerate(args[split:])
        )
        diff_input_args = tuple(
            x for i, x in enumerate(input_args) if i in diff_input_args_indices
        )
        grad_inputs = autograd_grad(
            outputs, diff_input_args, grad_outputs, create_graph=True, allow_unused=True
        )
        return tuple(g for g in grad_inputs if g is not None)

    return gradcheck(
        new_func,
        tupled_inputs + tupled_grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        fast_mode=fast_mode,
        check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev,
        masked=masked,
    )


# ---------------------------------------------------------------------------------------
# The check, step by step


def _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad,
               check_grad_dtypes, check_forward_ad, check_backward_ad, fast_mode):
    tupled_inputs = _as_tuple(inputs)
    _check_inputs(tupled_inputs)
    func_out = func(*tupled_inputs)
    outputs = _differentiable_outputs(func_out)

    check = _fast_gradcheck if fast_mode else _slow_gradcheck
    if check_backward_ad:
        check(func, func_out, tupled_inputs, outputs, eps, rtol, atol, check_grad_dtypes,
              nondet_tol)
    if check_forward_ad:
        check(func, func_out, tupled_inputs, outputs, eps, rtol, atol, check_grad_dtypes,
              nondet_tol, use_forward_ad=True)
    if not check_backward_ad:
        return True
    _test_backward_mul_by_grad_output(outputs, tupled_inputs)
    if check_undefined_grad:
        _test_undefined_backward_mode(func, outputs, tupled_inputs)
    return True


def _check_inputs(tupled_inputs):
    from torchlet._tensor import Tensor

    any_input_requiring_grad = False
    for idx, inp in enumerate(tupled_inputs):
        if isinstance(inp, Tensor) and inp.requires_grad:
            if inp._data.dtype != np.float64:
                warnings.warn(
                    f"Input #{idx} requires gradient and "
                    "is not a double precision floating point or complex. "
                    "This check will likely fail if all the inputs are "
                    "not of double precision floating point or complex. ",
                    stacklevel=4,
                )
            # Perturbing one element of an expanded tensor would move all its copies.
            data = inp._data
            if data.size and not all(
                st > 0 or sz <= 1 for st, sz in zip(data.strides, data.shape, strict=True)
            ):
                raise RuntimeError(
                    f"The {idx}th input has a dimension with stride 0. gradcheck only "
                    "supports inputs that are non-overlapping to be able to "
                    "compute the numerical gradients correctly. You should call "
                    ".contiguous on the input before passing it to gradcheck."
                )
            any_input_requiring_grad = True
    if not any_input_requiring_grad:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, "
            "but none of them have requires_grad=True."
        )


def _slow_gradcheck(func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes,
                    nondet_tol, *, use_forward_ad=False):
    """Compare the full numerical and analytical Jacobians, pair by pair."""
    func_out = _as_tuple(func_out)
    diff_inputs = _diff_inputs(inputs)
    if not outputs:
        # nothing is differentiable: the function must then be locally constant
        for per_input in _numerical_jacobians(func, inputs, func_out, eps):
            for jacobian in per_input:
                if np.count_nonzero(jacobian) > 0:
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return True

    numerical = _numerical_jacobians(func, inputs, func_out, eps, only_requiring_grad=True)
    if use_forward_ad:
        analytical = _forward_jacobians(func, inputs)  # [input][output]
        for j, per_input in enumerate(numerical):
            for i, n in enumerate(per_input):
                a = analytical[j][i]
                if not _allclose(a, n, rtol, atol):
                    raise GradcheckError(_notallclose_msg(a, n, i, j, is_forward_ad=True))
        return True
    for i, out in enumerate(outputs):
        analytical = _analytical_jacobians(diff_inputs, out, nondet_tol, check_grad_dtypes)
        for j, a in enumerate(analytical):
            n = numerical[j][i]
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(_notallclose_msg(a, n, i, j))
    return True


def _fast_gradcheck(func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes,
                    nondet_tol, *, use_forward_ad=False):
    """Compare ``v^T J u`` for random unit vectors u, v instead of whole Jacobians."""
    func_out = _as_tuple(func_out)
    diff_inputs = _diff_inputs(inputs)
    rng = np.random.default_rng(_SEED)
    all_u = [_unit_vector(x._data.size, x._data.dtype, rng) for x in diff_inputs]
    all_v = None if use_forward_ad else [
        _unit_vector(o._data.size, o._data.dtype, rng) for o in outputs
    ]

    # numerically: J u by one central difference along u, for every output
    all_ju = []
    for x, u in zip(diff_inputs, all_u, strict=True):
        ju = _central_difference(func, inputs, x, u.reshape(x._data.shape), eps)
        if not outputs:
            for col in ju:
                if col.size and np.abs(col).max() > nondet_tol:
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        all_ju.append([col for col, o in zip(ju, func_out, strict=True) if _requires_grad(o)])
    if not outputs:
        return True

    if use_forward_ad:
        # analytically: J u by the double-backward trick; compared as vectors
        for i, (x, u) in enumerate(zip(diff_inputs, all_u, strict=True)):
            analytical = _forward_jvp(func, inputs, x, u)
            for j, (a, n) in enumerate(zip(analytical, all_ju[i], strict=True)):
                if not _allclose(a, n, rtol, atol * float(u.sum())):
                    raise GradcheckError(
                        _notallclose_msg(a, n, j, i, is_forward_ad=True)
                        + _slow_mode_error(func, inputs, func_out, i, j, rtol, atol, eps, True)
                    )
        return True

    # analytically: J^T v by one backward pass per output, then dotted with u
    for j, (out, v) in enumerate(zip(outputs, all_v, strict=True)):
        vjps = _checked_vjps(diff_inputs, out, [v.reshape(out._data.shape)], nondet_tol,
                            check_grad_dtypes)
        for i, u in enumerate(all_u):
            a = np.dot(vjps[i][:, 0], u)
            n = np.dot(v, all_ju[i][j])
            tolerance = atol * float(u.sum()) * float(v.sum())
            if not _allclose(a, n, rtol, tolerance):
                raise GradcheckError(
                    _notallclose_msg(a, n, j, i)
                    + _slow_mode_error(func, inputs, func_out, i, j, rtol, atol, eps, False)
                )
    return True


def _test_backward_mul_by_grad_output(outputs, inputs):
    """Zero grad_outputs must give zero gradients of the right dtype and size."""
    from torchlet._tensor import wrap
    from torchlet.autograd import grad as autograd_grad

    diff_inputs = _diff_inputs(inputs)
    if not diff_inputs:
        raise GradcheckError("no Tensors requiring grad found in input")
    grads = autograd_grad(
        outputs, diff_inputs, [wrap(np.zeros_like(o._data)) for o in outputs],
        allow_unused=True,
    )
    for gi, di in zip(grads, diff_inputs, strict=True):
        if gi is None:
            continue
        if np.count_nonzero(gi._data) != 0:
            raise GradcheckError("backward not multiplied by grad_output")
        if gi._data.dtype != di._data.dtype:
            raise GradcheckError("grad is incorrect type")
        if gi._data.shape != di._data.shape:
            raise GradcheckError("grad is incorrect size")
    return True


class _UndefinedGrad(Primitive):
    """out = a;  grad_a = undefined (None): torch's ``UndefinedGrad`` test node.

    Placed after an output, it makes the backward of that output's grad_fn receive no
    gradient at all (``None``), as happens when an output is unused.
    """

    node_name = "UndefinedGradBackward"

    @staticmethod
    def forward(ctx, a):
        return a.view()

    @staticmethod
    def backward(ctx, grad):
        return None


def _test_undefined_backward_mode(func, outputs, inputs):
    """Backward formulas must accept undefined (None) output gradients."""
    from torchlet._tensor import Tensor, wrap
    from torchlet.autograd import grad as autograd_grad

    diff_inputs = _diff_inputs(inputs)
    if not diff_inputs:
        raise GradcheckError("no Tensors requiring grad found in input")

    def warn_bc_breaking():
        warnings.warn(
            "Backwards compatibility: New undefined gradient support checking "
            "feature is enabled by default, but it may break existing callers "
            "of this function. If this is true for you, you can call this "
            'function with "check_undefined_grad=False" to disable the feature',
            stacklevel=4,
        )

    def check_undefined_grad_support(output_to_check):
        grads_output = [wrap(np.zeros_like(o._data)) for o in output_to_check]
        try:
            grads_input = autograd_grad(
                output_to_check, diff_inputs, grads_output, allow_unused=True
            )
        except (RuntimeError, TypeError, AttributeError) as e:
            # torch catches RuntimeError; a Python backward that does arithmetic on a
            # None gradient fails with TypeError/AttributeError instead
            warn_bc_breaking()
            raise GradcheckError(
                "Expected backward function to handle undefined output grads. "
                'Please look at "Notes about undefined output gradients" in '
                '"tools/autograd/derivatives.yaml"'
            ) from e
        for gi in grads_input:
            if gi is not None and np.count_nonzero(gi._data) != 0:
                warn_bc_breaking()
                raise GradcheckError(
                    "Expected all input grads to be undefined or zero when all output grads "
                    'are undefined or zero. Please look at "Notes about undefined output '
                    'gradients" in "tools/autograd/derivatives.yaml"'
                )
        return True

    # all output gradients undefined at once ...
    outputs_to_check = [[
        _UndefinedGrad.apply(o) for o in _differentiable_outputs(func(*inputs))
        if isinstance(o, Tensor)
    ]]
    # ... and, with several outputs, one at a time
    if len(outputs_to_check[0]) > 1:
        for undef_grad_idx in range(len(outputs)):
            output_to_check = _differentiable_outputs(func(*inputs))
            outputs_to_check.append([
                _UndefinedGrad.apply(o) if idx == undef_grad_idx else o
                for idx, o in enumerate(output_to_check)
            ])
    return all(check_undefined_grad_support(output) for output in outputs_to_check)


# ---------------------------------------------------------------------------------------
# Numerical Jacobians: central differences


def _numerical_jacobians(func, inputs, func_out, eps, only_requiring_grad=False):
    """``result[i][j]``: (numel of input i, numel of output j), inputs requiring grad.

    Row k is ``(f(x + eps e_k) - f(x - eps e_k)) / (2 eps)``. Only floating-point
    outputs get a Jacobian (``only_requiring_grad``: only those that require grad).
    """
    keep = [
        _requires_grad(o) if only_requiring_grad else _is_float_tensor(o) for o in func_out
    ]
    result = []
    for x in _diff_inputs(inputs):
        data = x._data
        rows = [_central_difference(func, inputs, x, None, eps, idx)
                for idx in np.ndindex(data.shape)]
        per_output = []
        for j, o in enumerate(func_out):
            if not keep[j]:
                continue
            jac = np.zeros((data.size, o._data.size), o._data.dtype)
            for k, row in enumerate(rows):
                jac[k] = row[j]
            per_output.append(jac)
        result.append(per_output)
    return result


def _central_difference(func, inputs, x, direction, eps, idx=None):
    """``(f(x + eps d) - f(x - eps d)) / (2 eps)`` for every output, flattened.

    The direction ``d`` is the one-hot ``e_idx`` when ``idx`` is given (slow mode).

    ``x``'s values are changed in place (and restored): the function sees the very
    tensors it was given, as torch's gradcheck does with ``x.data``. The arithmetic is
    done in ``x``'s dtype, as torch does it.
    """
    data = x._data
    dtype = data.dtype
    orig = data.copy()
    if idx is not None:  # one element: the other values stay bit-identical
        step = dtype.type(eps)
        data[idx] = orig[idx] - step
        outa = _evaluate(func, inputs)
        data[idx] = orig[idx] + step
        outb = _evaluate(func, inputs)
    else:
        step = direction.astype(dtype) * dtype.type(eps)
        np.subtract(orig, step, out=data)
        outa = _evaluate(func, inputs)
        np.add(orig, step, out=data)
        outb = _evaluate(func, inputs)
    np.copyto(data, orig)

    columns = []
    for a, b in zip(outa, outb, strict=False):
        if a.shape != b.shape:
            raise AssertionError(
                "Expected `func` to return outputs with the same shape when inputs are "
                f"perturbed {_on_index(idx)}by {eps}, but got: shapes {_size(a)} and "
                f"{_size(b)}."
            )
        if a.dtype != b.dtype:
            raise AssertionError(
                "Expected `func` to return outputs with the same dtype when inputs are "
                f"perturbed {_on_index(idx)}by {eps}, but got: dtypes {_dtype_name(a)} and "
                f"{_dtype_name(b)}."
            )
        if a.dtype.kind == "f":
            columns.append(((b - a) / a.dtype.type(2 * eps)).reshape(-1))
        else:
            # integer outputs: the difference is still taken, in float64
            columns.append((b.astype(np.float64) - a).reshape(-1) / (2 * eps))
    return columns


def _evaluate(func, inputs):
    """Call ``func`` and copy its outputs' values (the next call must not change them)."""
    return [np.array(o._data, copy=True) for o in _as_tuple(func(*inputs))]


# ---------------------------------------------------------------------------------------
# Analytical Jacobians: one vector-Jacobian product per output element


def _analytical_jacobians(diff_inputs, output, nondet_tol, check_grad_dtypes):
    """``result[i]``: (numel of input i, numel of output), column j = J^T e_j."""
    size = output._data.size
    basis = []
    for j in range(size):
        e_j = np.zeros(size, output._data.dtype)
        e_j[j] = 1
        basis.append(e_j.reshape(output._data.shape))
    return _checked_vjps(diff_inputs, output, basis, nondet_tol, check_grad_dtypes)


def _checked_vjps(diff_inputs, output, vectors, nondet_tol, check_grad_dtypes):
    """``J^T v`` for each v (as columns), computed twice to check it is deterministic."""
    first, sizes_ok, types_ok = _vjp_columns(diff_inputs, output, vectors)
    second, _, _ = _vjp_columns(diff_inputs, output, vectors)
    reentrant = all(
        a.size == 0 or np.abs(a - b).max() <= nondet_tol for a, b in zip(first, second, strict=True)
    )
    if not types_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    if not reentrant:
        raise GradcheckError(
            "Backward is not reentrant, i.e., running backward with "
            "same input and grad_output multiple times gives different values, "
            "although analytical gradient matches numerical gradient."
            f"The tolerance for nondeterminism was {nondet_tol}." + FAILED_NONDET_MSG
        )
    return first


def _vjp_columns(diff_inputs, output, vectors):
    from torchlet._tensor import wrap
    from torchlet.autograd import grad as autograd_grad

    jacobians = [np.zeros((x._data.size, len(vectors)), x._data.dtype) for x in diff_inputs]
    sizes_ok = types_ok = True
    for j, v in enumerate(vectors):
        grads = autograd_grad(output, diff_inputs, wrap(v), retain_graph=True,
                              allow_unused=True)
        for jac, g, x in zip(jacobians, grads, diff_inputs, strict=True):
            if g is None:
                continue  # no path from this input: its column stays zero
            if g._data.shape != x._data.shape:
                sizes_ok = False
                if g._data.size != x._data.size:
                    continue
            elif g._data.dtype != x._data.dtype:
                types_ok = False
            jac[:, j] = g._data.reshape(-1)
    return jacobians, sizes_ok, types_ok


def _forward_jacobians(func, inputs):
    """``result[i][j]``: (numel of input i, numel of output j), row k = J e_k.

    torchlet has no dual numbers; ``J u`` comes from the double-backward trick (see
    ``_forward_jvp``), one input element at a time.
    """
    diff_inputs = _diff_inputs(inputs)
    result = []
    for x in diff_inputs:
        rows = []
        for k in range(x._data.size):
            e_k = np.zeros(x._data.size, x._data.dtype)
            e_k[k] = 1
            rows.append(_forward_jvp(func, inputs, x, e_k))
        per_output = []
        for j in range(len(rows[0]) if rows else 0):
            jac = np.zeros((x._data.size, rows[0][j].size), rows[0][j].dtype)
            for k, row in enumerate(rows):
                jac[k] = row[j]
            per_output.append(jac)
        result.append(per_output)
    return result


def _forward_jvp(func, inputs, x, u):
    """``J u`` for every differentiable output: ``d/dv <J^T v, u>``, linear in v."""
    from torchlet._tensor import wrap
    from torchlet.autograd import grad as autograd_grad

    with enable_grad():
        outputs = _differentiable_outputs(func(*inputs))
        vs = []
        for o in outputs:
            v = wrap(np.zeros_like(o._data))
            v._requires_grad = True
            vs.append(v)
        (vjp,) = autograd_grad(outputs, (x,), vs, create_graph=True, allow_unused=True)
        if vjp is None:
            return [np.zeros(o._data.size, o._data.dtype) for o in outputs]
        if not vjp.requires_grad:
            raise GradcheckError(
                "check_forward_ad: the backward of this function is not differentiable, so "
                "torchlet cannot compute its Jacobian-vector products (torchlet computes "
                "them with the double-backward trick)"
            )
        jvps = autograd_grad(vjp, vs, wrap(u.reshape(x._data.shape)), allow_unused=True)
    return [
        np.zeros(o._data.size, o._data.dtype) if g is None else g._data.reshape(-1)
        for g, o in zip(jvps, outputs, strict=True)
    ]


# ---------------------------------------------------------------------------------------
# Helpers


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _requires_grad(x) -> bool:
    from torchlet._tensor import Tensor

    return isinstance(x, Tensor) and x.requires_grad


def _is_float_tensor(x) -> bool:
    from torchlet._tensor import Tensor

    return isinstance(x, Tensor) and x._data.dtype.kind == "f"


def _diff_inputs(inputs):
    return [x for x in inputs if _requires_grad(x)]


def _differentiable_outputs(x):
    return tuple(o for o in _as_tuple(x) if _requires_grad(o))


def _unit_vector(n, dtype, rng):
    vec = rng.random(n).astype(dtype)
    return vec / np.linalg.norm(vec)


def _allclose(a, n, rtol, atol) -> bool:
    """torch.allclose: ``|a - n| <= atol + rtol * |n|`` everywhere (NaN never passes)."""
    return bool(np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=False))


def _tensor(array):
    from torchlet._tensor import wrap

    return wrap(np.asarray(array))


def _notallclose_msg(analytical, numerical, output_idx, input_idx, is_forward_ad=False):
    mode = "computed with forward mode " if is_forward_ad else ""
    return (
        f"Jacobian {mode}mismatch for output {output_idx:d} with respect to input "
        f"{input_idx:d},\n"
        f"numerical:{_tensor(numerical)}\nanalytical:{_tensor(analytical)}\n"
    )


def _slow_mode_error(func, inputs, func_out, input_idx, output_idx, rtol, atol, eps,
                     is_forward_ad):
    """Fast mode failed: show the full Jacobians of the failing pair."""
    numerical = _numerical_jacobians(func, inputs, func_out, eps, only_requiring_grad=True)
    numerical = numerical[input_idx][output_idx]
    if is_forward_ad:
        analytical = _forward_jacobians(func, inputs)[input_idx][output_idx]
    else:
        output = _differentiable_outputs(func_out)[output_idx]
        analytical = _analytical_jacobians(_diff_inputs(inputs), output, float("inf"), False)
        analytical = analytical[input_idx]
    max_diff = np.abs(numerical - analytical).max()
    msg = (
        "\nThe above quantities relating the numerical and analytical jacobians are computed "
        "\nin fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more "
        "background \nabout fast mode. Below, we recompute numerical and analytical "
        "jacobians in slow mode:\n\n"
        f"Numerical:\n {_tensor(numerical)}\n"
        f"Analytical:\n{_tensor(analytical)}\n\n"
        f"The max per-element difference (slow mode) is: {_tensor(max_diff)}.\n"
    )
    if _allclose(analytical, numerical, rtol, atol):
        msg += FAST_FAIL_SLOW_OK_MSG
    return msg


def _on_index(idx):
    return f"on index {idx} " if idx is not None else ""


def _size(array):
    from torchlet._size import Size

    return Size(array.shape)


def _dtype_name(array):
    from torchlet._dtype import from_numpy_dtype

    return from_numpy_dtype(array.dtype)
