"""torch.func's autodiff transforms, computed with torchlet's ordinary (tape) autograd.

torch's functorch runs each transform at its own "level", so ``grad(grad(f))`` or a
transform applied to tensors that already require grad just work. Here a transform makes
fresh inputs for ``func`` (a detached copy, or an alias ``x.view_as(x)`` when ``x`` already
takes part in an outer graph), calls ``func`` and differentiates with ``autograd.grad``.
When the result depends on anything outside the transform (an outer transform's inputs,
or user tensors that require grad) the derivative is recorded with ``create_graph=True``,
so outer transforms and ``backward`` see through it; otherwise results are detached, as
torch's are.

* ``grad(f)(x)``            = d f / d x for a scalar f (``grad_and_value`` also returns f).
* ``vjp(f, x)``             = (f(x), v -> v^T J).
* ``jvp(f, (x,), (t,))``    = (f(x), J t), by the double-backward trick (torchlet has no
  forward mode; see ``_linearize_at``).
* ``jacrev`` / ``jacfwd``   = J, block shape ``output.shape + input.shape``; jacrev row by
  row (vjp with e_i), jacfwd column by column (J e_j), as torch builds them.
* ``hessian(f)``            = ``jacfwd(jacrev(f))``.

Arguments and results may be nested tuples, lists and dicts of tensors.
"""

from __future__ import annotations

import functools
import weakref

from torchlet._dtype import promote_types
from torchlet._tensor import Tensor
from torchlet.autograd.function import AccumulateGrad, grad_accumulator
from torchlet.autograd.grad_mode import enable_grad, is_grad_enabled
from torchlet.func._pytree import tree_flatten, tree_map, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian",
           "functional_call"]


# ---------------------------------------------------------------------------------------
# helpers


def _check_argnums(argnums, num_args: int):
    """``argnums`` validated as torch's ``_slice_argnums`` does, negatives wrapped."""
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    wrapped = tuple(_wrap_argnum(a, num_args) for a in
                    (argnums if isinstance(argnums, tuple) else (argnums,)))
    if isinstance(argnums, int):
        return wrapped[0]
    if not wrapped:
        raise RuntimeError("argnums must be non-empty")
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"argnums elements must be unique, got {wrapped}")
    return wrapped


def _wrap_argnum(argnum, num_args: int) -> int:
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if not -num_args <= argnum < num_args:
        raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")
    return argnum % num_args


def _fresh_input(x) -> Tensor:
    """What ``func`` receives for ``x``: a new differentiable tensor, tied to ``x``'s graph
    when ``x`` is part of an outer one."""
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    if x.requires_grad and is_grad_enabled():
        return x.view_as(x)
    return x.detach().requires_grad_(True)


def _make_inputs(args, argnums):
    """(args with the differentiated ones replaced by fresh inputs, the flat fresh inputs,
    their tree spec)."""
    argnums = _check_argnums(argnums, len(args))
    picked = argnums if isinstance(argnums, tuple) else (argnums,)
    chosen = tuple(args[a] for a in picked)
    leaves, spec = tree_flatten(chosen if isinstance(argnums, tuple) else chosen[0])
    fresh = [_fresh_input(x) for x in leaves]
    new_chosen = tree_unflatten(fresh, spec)
    if not isinstance(argnums, tuple):
        new_chosen = (new_chosen,)
    new_args = list(args)
    for a, value in zip(picked, new_chosen, strict=True):
        new_args[a] = value
    return tuple(new_args), fresh, spec


# The AccumulateGrad nodes of leaves made by transforms that have finished running their
# function (fresh inputs, jvp's dummy cotangents). torch's level of such a transform is
# gone, so a graph through them ties no enclosing transform's result to the outside.
_FINISHED_LEAVES: weakref.WeakSet = weakref.WeakSet()


def _retire(leaves) -> None:
    """``leaves`` (the fresh inputs or dummies of a transform whose function has returned)
    stop counting as "outside" for the transforms around it."""
    for x in leaves:
        if x.requires_grad and x.grad_fn is None:
            _FINISHED_LEAVES.add(grad_accumulator(x))


def _depends_on_outside(outputs, fresh) -> bool:
    """Whether the graph of ``outputs`` reaches a leaf other than the transform's own fresh
    inputs and those of finished inner transforms (then the derivatives must stay
    differentiable for whoever owns that leaf)."""
    if not is_grad_enabled():
        return False
    own = {id(x) for x in fresh}
    outputs = [out for out in outputs if isinstance(out, Tensor) and out.requires_grad]
    if any(out.grad_fn is None and id(out) not in own for out in outputs):
        return True  # an outside leaf returned as it is
    for node in _graph_nodes(out.grad_fn for out in outputs if out.grad_fn is not None):
        if (isinstance(node, AccumulateGrad) and id(node.variable) not in own
                and node not in _FINISHED_LEAVES):
            return True
    return False


def _reaches(output: Tensor, fresh) -> bool:
    """Whether ``output`` is computed from the transform's inputs ``fresh`` (in torch's
    forward mode: whether it carries a tangent)."""
    if any(output is x for x in fresh):
        return True
    own = {id(x) for x in fresh}
    own_nodes = {id(x.grad_fn) for x in fresh if x.grad_fn is not None}  # (views)
    roots = [output.grad_fn] if output.grad_fn is not None else []
    return any(id(node) in own_nodes or (isinstance(node, AccumulateGrad)
                                         and id(node.variable) in own)
               for node in _graph_nodes(roots))


def _graph_nodes(roots):
    """Each node reachable from the nodes ``roots``, once."""
    stack, seen = list(roots), set()
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            yield node
            stack.extend(n for n, _ in node.next_functions if n is not None)


def _grads(outputs, inputs, grad_outputs, create_graph: bool, retain_graph: bool = True):
    """d outputs / d inputs, zeros for inputs the outputs do not depend on."""
    from torchlet import autograd
    from torchlet._ops.creation import zeros_like

    needs = [out for out in outputs if out.requires_grad]
    if not needs or not inputs:
        return [zeros_like(x) for x in inputs]
    grad_outputs = [g for out, g in zip(outputs, grad_outputs, strict=True) if out.requires_grad]
    # (grad_outputs uncast: a tangent wider than the function keeps its precision)
    result = autograd._grad(needs, inputs, grad_outputs, retain_graph=retain_graph,
                            create_graph=create_graph, allow_unused=True,
                            cast_grad_outputs=False)
    return [zeros_like(x) if g is None else g for g, x in zip(result, inputs, strict=True)]


def _detach_tree(tree, keep_graph: bool):
    if keep_graph:
        return tree
    return tree_map(lambda t: t.detach() if isinstance(t, Tensor) else t, tree)


def _split_aux(output, has_aux: bool, api: str):
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(
            f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    return output


def _check_aux(aux) -> None:
    """torch hands ``aux`` back through its transform levels, which takes tensors only
    (in any nesting of tuples, lists and dicts): None, numbers and strings are refused."""
    for leaf in tree_flatten(aux)[0]:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(leaf)}")


# ---------------------------------------------------------------------------------------
# grad, vjp, jvp


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """A function returning ``(grad, value)`` (``(grad, (value, aux))`` with ``has_aux``):
    the gradient of the scalar ``func(*args)`` with respect to ``args[argnums]``."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        api = "grad_and_value(f)(*args)"
        with enable_grad():
            new_args, fresh, spec = _make_inputs(args, argnums)
            output, aux = _split_aux(func(*new_args, **kwargs), has_aux, api)
            if not isinstance(output, Tensor):
                raise RuntimeError(
                    f"{api}: Expected f(*args) to return a Tensor, got {type(output)}"
                )
            if output.dim() != 0:
                raise RuntimeError(
                    f"{api}: Expected f(*args) to return a scalar Tensor, got tensor with "
                    f"{output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs "
                    "instead?"
                )
            keep_graph = _depends_on_outside([output], fresh)
            _retire(fresh)
            grads = _grads([output], fresh, [None], create_graph=keep_graph)
            if has_aux:
                _check_aux(aux)
        grads = _detach_tree(tree_unflatten(grads, spec), keep_graph)
        value = _detach_tree(output, keep_graph)
        if has_aux:
            return grads, (value, _detach_tree(aux, keep_graph))
        return grads, value

    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """A function returning the gradient of the scalar ``func(*args)`` with respect to
    ``args[argnums]`` (``(grad, aux)`` with ``has_aux``)."""
    with_value = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = with_value(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def _flat_tensor_outputs(output, api: str):
    """The leaves of ``output`` and its spec; torch's errors for no output or a leaf that
    is not a tensor (``api``: "vjp(f, *primals)" or "jvp(f, primals, tangents)", which
    jacrev and jacfwd, built on them, report too)."""
    leaves, spec = tree_flatten(output)
    if not leaves or (len(leaves) == 1 and leaves[0] is None):
        raise RuntimeError(
            f"{api}: Expected f to be a function that has non-empty output (got output = "
            f"{leaves})"
        )
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(
                f"{api}: expected f(*primals) to return only tensors, got unsupported type "
                f"{type(leaf)}"
            )
    return leaves, spec


def _check_float_outputs(out_leaves) -> None:
    """torch's vjp (so jacrev too) differentiates floating-point or complex outputs only."""
    for out in out_leaves:
        if not (out.is_floating_point() or out.is_complex()):
            raise RuntimeError(
                "vjp(f, ...): All outputs of f must be floating-point or complex Tensors, "
                f"got Tensor with dtype {out.dtype}"
            )


def vjp(func, *primals, has_aux: bool = False):
    """``(func(*primals), vjp_fn)`` (and ``aux``): ``vjp_fn(cotangents)`` returns the tuple
    ``cotangents^T J``, one entry per primal, shaped like the primals."""
    api = "vjp(f, *primals)"
    with enable_grad():
        if primals:
            new_args, fresh, spec = _make_inputs(primals, tuple(range(len(primals))))
        else:  # nothing to differentiate: vjp_fn returns ()
            new_args, fresh, spec = (), [], tree_flatten(())[1]
        output, aux = _split_aux(func(*new_args), has_aux, api)
        if has_aux:
            _check_aux(aux)
        out_leaves, out_spec = _flat_tensor_outputs(output, api)
        _check_float_outputs(out_leaves)
        keep_graph = _depends_on_outside(out_leaves, fresh)
        _retire(fresh)

    def vjp_fn(cotangents, *, retain_graph=True, create_graph=None):
        from torchlet._ops.creation import zeros_like

        cot_leaves, cot_spec = tree_flatten(cotangents)
        if cot_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure "
                f"of outputs to the function. cotangents: {cot_spec.pprint()}, primal output: "
                f"{out_spec.pprint()}"
            )
        for cot, out in zip(cot_leaves, out_leaves, strict=True):
            if cot.shape != out.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {cot.shape} and "
                    f"output[0] has a shape of {out.shape}."
                )
        if create_graph is None:
            create_graph = is_grad_enabled()
        # torch records the backward with create_graph; it shows on the results only where
        # something outside the transform requires grad (the function or the cotangents)
        record = create_graph and (keep_graph or any(c.requires_grad for c in cot_leaves))
        with enable_grad():
            grads = _grads(out_leaves, fresh, [c.to(o.dtype) for c, o in
                                               zip(cot_leaves, out_leaves, strict=True)],
                           create_graph=record, retain_graph=retain_graph)
        grads = [g if g is not None else zeros_like(x) for g, x in zip(grads, fresh,
                                                                        strict=True)]
        return _detach_tree(tree_unflatten(grads, spec), record)

    result = _detach_tree(output, keep_graph)
    if has_aux:
        return result, vjp_fn, _detach_tree(aux, keep_graph)
    return result, vjp_fn


def _tangent_dtype(out: Tensor, primal_dtypes, tangent_dtypes):
    """The dtype of ``J t`` for the output ``out``. torch's comes from each op's forward
    formula (``t * cos(x)`` for sin); for the usual case, tangents typed as their primals,
    that is ``out``'s dtype, and a tangent of another dtype promotes with it."""
    if not (out.is_floating_point() or out.is_complex()):
        return out.dtype
    dtype = out.dtype
    for p, t in zip(primal_dtypes, tangent_dtypes, strict=True):
        if p != t:
            dtype = promote_types(dtype, t)
    return dtype


def _linearize_at(func, args, kwargs, argnums, has_aux, api, randomness, tangent_dtypes,
                  strict: bool = False):
    """Call ``func`` once at ``args`` and return ``(output, aux, out_leaves, keep_graph,
    push)``, where ``push(tangents, create_graph)`` is ``J tangents`` for each output leaf
    (``tangents``: one per flattened ``args[argnums]``).

    Double-backward trick: the backward ``u -> u^T J`` is linear in ``u``, so its own vjp
    with ``t`` is ``J t``. It is recorded once; each ``push`` is one more backward pass, and
    computes every entry as torch's forward mode does (``t * f'(x)``: zeros keep torch's
    signs). ``randomness='error'`` raises torch's vmap error if ``func`` draws random
    numbers (jacfwd runs it under vmap)."""
    from torchlet._ops.creation import zeros_like
    from torchlet.func._vmap import _call

    with enable_grad():
        new_args, fresh, _ = _make_inputs(args, argnums)
        output, aux = _split_aux(_call(func, new_args, kwargs, randomness, None), has_aux, api)
        if has_aux:
            _check_aux(aux)
        out_leaves, _ = _flat_tensor_outputs(output, api)
        if strict and not all(_reaches(out, fresh) for out in out_leaves):
            raise RuntimeError(
                "jvp(f, primals, tangents, strict=True): The output of f is independent of "
                "the inputs. This is not allowed with strict=True."
            )
        keep_graph = _depends_on_outside(out_leaves, fresh)
        _retire(fresh)
        primal_dtypes = [x.dtype for x in fresh]
        us = [zeros_like(out, dtype=_tangent_dtype(out, primal_dtypes, tangent_dtypes),
                         requires_grad=out.requires_grad) for out in out_leaves]
        _retire(us)
        grads = _grads(out_leaves, fresh, us, create_graph=True)

    def push(tangents, create_graph: bool):
        pairs = [(g, t) for g, t in zip(grads, tangents, strict=True) if g.requires_grad]
        live = [u for u in us if u.requires_grad]
        if not (pairs and live):
            return [zeros_like(u) for u in us]
        with enable_grad():
            pushed = iter(_grads([g for g, _ in pairs], live, [t for _, t in pairs],
                                 create_graph))
        return [next(pushed) if u.requires_grad else zeros_like(u) for u in us]

    return output, aux, out_leaves, keep_graph, push


def _check_duals(primals, tangents) -> None:
    """torch's ``make_dual`` checks for each (primal, tangent) pair, in order."""
    for p, t in zip(primals, tangents, strict=True):
        for what, x in (("primal", p), ("tangent", t)):
            if not (x.is_floating_point() or x.is_complex()):
                raise ValueError(
                    f"Expected {what} to be floating point or complex, but got: {x.dtype}"
                )
        if p.shape != t.shape:
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                "original Tensor, this is not supported. Tensor is of size "
                f"{list(p.shape)} while the given forward gradient is of size {list(t.shape)}."
            )


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """``(func(*primals), J tangents)`` (and ``aux``), by ``_linearize_at``'s
    double-backward trick."""
    api = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(
            f"{api}: Expected primals to be a tuple. E.g. it should be valid to call "
            "f(*primals)."
        )
    primal_leaves, primal_spec = tree_flatten(primals)
    tangent_leaves, tangent_spec = tree_flatten(tangents)
    if primal_spec != tangent_spec:
        raise RuntimeError(
            f"{api}: Expected primals and tangents to have the same python structure. For "
            f"example, if primals is a tuple of 3 tensors, tangents also must be. Got "
            f"primals with structure {primal_spec} and tangents with structure {tangent_spec}"
        )
    for leaves, argname in ((primal_leaves, "primals"), (tangent_leaves, "tangents")):
        if not leaves:
            raise RuntimeError(f"{api}: Expected {argname} to contain at least one Tensor.")
        for leaf in leaves:
            if not isinstance(leaf, Tensor):
                raise RuntimeError(
                    f"{api}: Expected {argname} to only contain Tensors, got {type(leaf)}"
                )
    _check_duals(primal_leaves, tangent_leaves)
    output, aux, out_leaves, keep_graph, push = _linearize_at(
        func, primals, {}, tuple(range(len(primals))), has_aux, api, "same",
        [t.dtype for t in tangent_leaves], strict)
    keep_graph = keep_graph or any(t.requires_grad for t in tangent_leaves)
    tangents_out = push(tangent_leaves, keep_graph)
    result = (_detach_tree(output, keep_graph),
              _detach_tree(tree_unflatten(tangents_out, tree_flatten(output)[1]), keep_graph))
    if has_aux:
        return (*result, _detach_tree(aux, keep_graph))
    return result


# ---------------------------------------------------------------------------------------
# Jacobians and the Hessian


def _jacobian_blocks(outs, fresh, create_graph: bool):
    """``blocks[i][j]`` = d outs[i] / d fresh[j], shaped ``outs[i].shape + x.shape``, as
    torch's vmap'd vjp lays them out: row k is one vjp through every output together (the
    one-hot e_k in its output, zeros in the others, whose zero terms fix the signs of
    zeros), the rows of input j stacked into one tensor and split per output (so the
    blocks of an input keep history together)."""
    import torchlet

    flats = [out.reshape(-1) for out in outs]
    numels = [flat.numel() for flat in flats]
    rows: list[list[Tensor]] = [[] for _ in fresh]
    for i, numel in enumerate(numels):
        for k in range(numel):
            cotangents = [torchlet.zeros_like(f) for f in flats]
            cotangents[i][k] = 1
            for row, g in zip(rows, _grads(flats, fresh, cotangents, create_graph),
                              strict=True):
                row.append(g)
    per_input = []
    for row, x in zip(rows, fresh, strict=True):
        whole = torchlet.stack(row) if row else torchlet.zeros(0, *x.shape, dtype=x.dtype)
        if create_graph and not _depends_on_outside([whole], fresh):
            whole = whole.detach()  # (history only through this transform's own inputs)
        per_input.append([part.view(tuple(out.shape) + tuple(x.shape))
                          for part, out in zip(whole.split(numels), outs, strict=True)])
    return [[per_input[j][i] for j in range(len(fresh))] for i in range(len(outs))]


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None,
           _preallocate_and_copy: bool = False):
    """A function returning the Jacobian of ``func`` with respect to ``args[argnums]``: for
    each output, a block shaped ``output.shape + input.shape`` (a tuple over ``argnums``
    when it is a tuple, structured like the argument when that is a pytree)."""
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args):  # (torch's jacrev takes no keyword arguments)
        api = "vjp(f, *primals)"  # torch's jacrev is a vjp and reports as one
        with enable_grad():
            new_args, fresh, spec = _make_inputs(args, argnums)
            output, aux = _split_aux(func(*new_args), has_aux, api)
            if has_aux:
                _check_aux(aux)
            out_leaves, out_spec = _flat_tensor_outputs(output, api)
            _check_float_outputs(out_leaves)
            keep_graph = _depends_on_outside(out_leaves, fresh)
            _retire(fresh)
            jac = [tree_unflatten(blocks, spec)
                   for blocks in _jacobian_blocks(out_leaves, fresh, keep_graph)]
        result = _detach_tree(tree_unflatten(jac, out_spec), keep_graph)
        if has_aux:
            return result, _detach_tree(aux, keep_graph)
        return result

    return wrapper


def _standard_basis(primals):
    """torch's ``_construct_standard_basis_for``: for each primal a tensor of shape
    ``(N, *primal.shape)``, N the total number of elements, whose row j is the one-hot
    e_j over all primals' elements taken together."""
    import torchlet

    total = sum(p.numel() for p in primals)
    chunks, offset = [], 0
    for p in primals:
        chunk = torchlet.zeros(total, p.numel(), dtype=p.dtype)
        chunk[offset:offset + p.numel()] = torchlet.eye(p.numel(), dtype=p.dtype)
        chunks.append(chunk.reshape((total, *p.shape)))
        offset += p.numel()
    return chunks


def _blocks_from_columns(out: Tensor, columns, primals):
    """[d out / d p for p in primals], shaped ``out.shape + p.shape``, from the columns
    ``J e_j`` (each shaped like ``out``)."""
    import torchlet

    if columns:
        jac = torchlet.stack(columns, dim=-1)
    else:
        jac = torchlet.zeros(*out.shape, 0, dtype=out.dtype)
    parts = jac.split([p.numel() for p in primals], dim=-1)
    # (torch's safe_unflatten: a view, or a squeeze for a 0-d primal)
    return [part.unflatten(-1, tuple(p.shape)) if p.ndim else part.squeeze(-1)
            for part, p in zip(parts, primals, strict=True)]


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """A function returning the Jacobian of ``func`` (blocks as ``jacrev``'s), built column
    by column in forward mode as torch does: column j is ``J e_j``. torch pushes the whole
    basis through one vmap'd call, so ``randomness`` is vmap's: 'error' raises if ``func``
    draws, 'same' shares one draw (``func`` runs once here), 'different' gives each column
    its own draws (``func`` runs once per column, in order)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}"
        )

    @functools.wraps(func)
    def wrapper(*args):
        api = "jvp(f, primals, tangents)"  # torch's jacfwd is a jvp and reports as one
        picked = _check_argnums(argnums, len(args))
        chosen = tuple(args[a] for a in picked) if isinstance(picked, tuple) else args[picked]
        primals, primals_spec = tree_flatten(chosen)
        basis = _standard_basis(primals)
        _check_duals(primals, primals)  # the basis tangents: the primals' dtypes and shapes
        dtypes = [p.dtype for p in primals]
        n = basis[0].shape[0] if basis else 0

        def linearize():
            return _linearize_at(func, args, {}, argnums, has_aux, api, randomness, dtypes)

        if randomness == "different" and n > 1:
            # every column gets its own draws: one call of func per column, in order
            calls = [linearize() for _ in range(n)]
            columns = [push([b[j] for b in basis], keep)
                       for j, (*_, keep, push) in enumerate(calls)]
        else:
            calls = [linearize()]
            *_, keep, push = calls[0]
            columns = [push([b[j] for b in basis], keep) for j in range(n)]
        output, aux, out_leaves, _, _ = calls[0]
        keep_graph = any(keep for *_, keep, _ in calls)
        jac = [tree_unflatten(_blocks_from_columns(out, [c[k] for c in columns], primals),
                              primals_spec)
               for k, out in enumerate(out_leaves)]
        result = _detach_tree(tree_unflatten(jac, tree_flatten(output)[1]), keep_graph)
        if has_aux:
            return result, _detach_tree(aux, keep_graph)
        return result

    return wrapper


def hessian(func, argnums=0):
    """A function returning the Hessian of ``func`` (``jacfwd(jacrev(func))``): for a scalar
    output, shape ``input.shape + input.shape``."""
    return jacfwd(jacrev(func, argnums), argnums)


# ---------------------------------------------------------------------------------------
# functional_call


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced by the
    given tensors (one dict, or several with distinct keys) for the duration of the call."""
    from torchlet.nn.utils.stateless import _functional_call

    if isinstance(parameter_and_buffer_dicts, dict):
        parameters_and_buffers = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError(
                "Expected all elements of parameter_and_buffer_dicts to be dictionaries"
            )
        all_keys = [k for d in parameter_and_buffer_dicts for k in d]
        seen, repeated_keys = set(), []
        for key in all_keys:
            if key in seen and key not in repeated_keys:
                repeated_keys.append(key)
            seen.add(key)
        if repeated_keys:
            raise ValueError(
                f"{repeated_keys} appeared in multiple dictionaries; behavior of functional "
                "call is ambiguous"
            )
        parameters_and_buffers = {k: v for d in parameter_and_buffer_dicts
                                  for k, v in d.items()}
    else:
        raise ValueError(
            "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, "
            f"but got {type(parameter_and_buffer_dicts)}"
        )
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)
