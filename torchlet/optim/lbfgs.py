"""L-BFGS (torch.optim.LBFGS), with torch's optional strong-Wolfe line search.

The algorithm works on one flat vector holding every parameter. Vectors are NumPy arrays
and the scalars computed from them (dot products, step lengths) are NumPy scalars of the
parameters' dtype, which round like torch's 0-d tensors; plain Python floats stay Python
floats, as in torch. Between steps the state holds tensors, in torch's format.
"""

from __future__ import annotations

import numpy as np

from torchlet._tensor import Tensor, wrap
from torchlet.autograd.grad_mode import enable_grad, no_grad
from torchlet.optim._kernels import _add_
from torchlet.optim.optimizer import Optimizer, _bump, _validate, _value

__all__ = ["LBFGS"]


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clipped
    to ``bounds`` (the interval itself by default)."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Find a step ``t`` along ``d`` satisfying the strong Wolfe conditions: first bracket
    an interval containing one, then zoom in by cubic interpolation."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    # bracketing phase
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = [t_prev, t]
            bracket_f = [f_prev, f_new]
            bracket_g = [g_prev, g_new.copy()]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket = [t]
            bracket_f = [f_new]
            bracket_g = [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket = [t_prev, t]
            bracket_f = [f_prev, f_new]
            bracket_g = [g_prev, g_new.copy()]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        # interpolate towards a longer step
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        t_prev = tmp
        f_prev = f_new
        g_prev = g_new.copy()
        gtd_prev = gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

    if ls_iter == max_ls:  # reached the maximum number of evaluations
        bracket = [0, t]
        bracket_f = [f, f_new]
        bracket_g = [g, g_new]

    # zoom phase: shrink the bracket until a point satisfies the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0],
            bracket[1], bracket_f[1], bracket_gtd[1],
        )
        # if the new point is too close to a bracket end, move it towards the middle
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # Armijo condition fails, or no lower than the lowest point: shrink from above
            bracket[high_pos] = t
            bracket_f[high_pos] = f_new
            bracket_g[high_pos] = g_new.copy()
            bracket_gtd[high_pos] = gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True  # the Wolfe conditions hold
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos] = t
            bracket_f[low_pos] = f_new
            bracket_g[low_pos] = g_new.copy()
            bracket_gtd[low_pos] = gtd_new

    t = bracket[low_pos]
    f_new = bracket_f[low_pos]
    g_new = bracket_g[low_pos]
    return f_new, g_new, t, ls_func_evals


class LBFGS(Optimizer):
    """L-BFGS (after minFunc), as torch implements it. ``step(closure)`` runs up to
    ``max_iter`` iterations, re-evaluating the loss with ``closure()``. One parameter
    group only; memory grows with ``history_size`` copies of the parameters."""

    def __init__(
        self,
        params,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        _validate(lr=lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change, history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache: int | None = None

    def _numel(self) -> int:
        if self._numel_cache is None:
            self._numel_cache = sum(p.numel() for p in self._params)
        return self._numel_cache

    def _gather_flat_grad(self) -> np.ndarray:
        views = [
            np.zeros(p.numel(), p._data.dtype) if p.grad is None else p.grad._data.reshape(-1)
            for p in self._params
        ]
        return np.concatenate(views, 0)

    def _add_grad(self, step_size, update) -> None:
        """p += step_size * update, for each parameter's slice of the flat ``update``."""
        offset = 0
        for p in self._params:
            numel = p.numel()
            _add_(p._data, update[offset:offset + numel].reshape(p._data.shape),
                  float(step_size))
            _bump(p)
            offset += numel

    def _clone_param(self):
        return [p._data.copy() for p in self._params]

    def _set_param(self, params_data) -> None:
        for p, pdata in zip(self._params, params_data, strict=True):
            np.copyto(p._data, pdata)
            _bump(p)

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    @no_grad()
    def step(self, closure):
        """Perform a single optimization step (up to ``max_iter`` iterations); ``closure``
        re-evaluates the model and returns the loss. Returns the first loss."""
        closure = enable_grad()(closure)
        group = self.param_groups[0]
        lr = _value(group["lr"])
        max_iter = group["max_iter"]
        max_eval = group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        line_search_fn = group["line_search_fn"]
        history_size = group["history_size"]

        # the state is kept under the first parameter (torch's layout)
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._gather_flat_grad()
        dtype = flat_grad.dtype.type
        opt_cond = np.abs(flat_grad).max() <= dtype(tolerance_grad)
        if opt_cond:  # already at an optimum
            return orig_loss

        d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad, al = _unpack_state(state)
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # compute the direction
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                # update the memory with the last step s and change of gradient y
                y = flat_grad - prev_flat_grad
                s = d * dtype(t)
                ys = y.dot(s)
                if ys > dtype(1e-10):
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(dtype(1.0) / ys)
                    H_diag = ys / y.dot(y)  # an approximation of the inverse Hessian

                # two-loop recursion: d = -H g
                num_old = len(old_dirs)
                if al is None:
                    al = state["al"] = [None] * history_size
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    _add_(q, old_dirs[i], float(-al[i]))
                d = r = q * dtype(H_diag)
                for i in range(num_old):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    _add_(r, old_stps[i], float(al[i] - be_i))

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                np.copyto(prev_flat_grad, flat_grad)
            prev_loss = loss

            # the step length: shorter on the very first iteration
            if state["n_iter"] == 1:
                t = min(1.0, dtype(1.0) / np.abs(flat_grad).sum()) * lr
                t = dtype(t) if isinstance(t, np.floating) else t
            else:
                t = lr

            gtd = flat_grad.dot(d)  # directional derivative
            if gtd > dtype(-tolerance_change):
                break  # not a descent direction

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals,
                )
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= dtype(tolerance_grad)
            else:
                # no line search: a fixed step, then re-evaluate the loss and gradient
                self._add_grad(t, d)
                if n_iter != max_iter:
                    loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= dtype(tolerance_grad)
                    ls_func_evals = 1

            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # stopping conditions
            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            if opt_cond:
                break
            if np.abs(d * dtype(t)).max() <= dtype(tolerance_change):
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        _pack_state(state, d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad, prev_loss,
                    al)
        return orig_loss


# ---------------------------------------------------------------------------------------
# the state between steps: torch keeps tensors (0-d ones for the scalars)


def _tensor_or_none(x):
    """NumPy arrays and scalars become tensors; Python numbers and None stay as they are."""
    if isinstance(x, (np.ndarray, np.generic)):
        return wrap(np.asarray(x))
    return x


def _array_or_none(x):
    """Tensors become their arrays (0-d ones NumPy scalars); anything else stays."""
    if isinstance(x, Tensor):
        data = x._data
        return data[()] if data.ndim == 0 else data
    return x


def _pack_state(state, d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad, prev_loss, al):
    state["d"] = _tensor_or_none(d)
    state["t"] = _tensor_or_none(t)
    state["old_dirs"] = [wrap(y) for y in old_dirs]
    state["old_stps"] = [wrap(s) for s in old_stps]
    state["ro"] = [_tensor_or_none(r) for r in ro]
    state["H_diag"] = _tensor_or_none(H_diag)
    state["prev_flat_grad"] = _tensor_or_none(prev_flat_grad)
    state["prev_loss"] = prev_loss
    if al is not None:
        state["al"] = [_tensor_or_none(a) for a in al]


def _unpack_state(state):
    old_dirs = state.get("old_dirs")
    old_stps = state.get("old_stps")
    ro = state.get("ro")
    al = state.get("al")
    return (
        _array_or_none(state.get("d")),
        _array_or_none(state.get("t")),
        None if old_dirs is None else [_array_or_none(y) for y in old_dirs],
        None if old_stps is None else [_array_or_none(s) for s in old_stps],
        None if ro is None else [_array_or_none(r) for r in ro],
        _array_or_none(state.get("H_diag")),
        _array_or_none(state.get("prev_flat_grad")),
        None if al is None else [_array_or_none(a) for a in al],
    )
