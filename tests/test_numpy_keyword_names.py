"""torch's C++ argument parser also takes NumPy's names: axis= for dim, keepdims= for keepdim,
x=/a=/x1= for input, x2= for other (python_arg_parser.cpp, numpy_compatibility_arg_names).
Each call below is run with torch's name and with NumPy's: the results must agree, and agree
with torch (live, when importable), which also confirms that torch accepts the NumPy name."""

import numpy as np
import pytest

import torchlet


def X(L):
    return L.arange(6.0, dtype=L.float64).reshape(2, 3)


def I(L):  # noqa: E743
    return L.tensor([[0, 1, 0], [1, 0, 1]])


def R(L):
    return L.tensor([0, 1])


# name -> call(lib, **dim_kw): dim_kw is {"dim": d} or {"axis": d}
DIM_CALLS = {
    "torch.cat": lambda L, **k: L.cat([X(L), X(L)], **k),
    "torch.concat": lambda L, **k: L.concat([X(L), X(L)], **k),
    "torch.concatenate": lambda L, **k: L.concatenate([X(L), X(L)], **k),
    "torch.stack": lambda L, **k: L.stack([X(L), X(L)], **k),
    "torch.sum": lambda L, **k: L.sum(X(L), **k),
    "torch.mean": lambda L, **k: L.mean(X(L), **k),
    "torch.prod": lambda L, **k: L.prod(X(L), **k),
    "torch.nansum": lambda L, **k: L.nansum(X(L), **k),
    "torch.nanmean": lambda L, **k: L.nanmean(X(L), **k),
    "torch.logsumexp": lambda L, **k: L.logsumexp(X(L), **k),
    "torch.max": lambda L, **k: L.max(X(L), **k).values,
    "torch.min": lambda L, **k: L.min(X(L), **k).indices,
    "torch.amax": lambda L, **k: L.amax(X(L), **k),
    "torch.amin": lambda L, **k: L.amin(X(L), **k),
    "torch.aminmax": lambda L, **k: L.aminmax(X(L), **k).max,
    "torch.argmax": lambda L, **k: L.argmax(X(L), **k),
    "torch.argmin": lambda L, **k: L.argmin(X(L), **k),
    "torch.all": lambda L, **k: L.all(X(L), **k),
    "torch.any": lambda L, **k: L.any(X(L), **k),
    "torch.count_nonzero": lambda L, **k: L.count_nonzero(X(L), **k),
    "torch.std": lambda L, **k: L.std(X(L), **k),
    "torch.var": lambda L, **k: L.var(X(L), **k),
    "torch.std_mean": lambda L, **k: L.std_mean(X(L), **k)[0],
    "torch.var_mean": lambda L, **k: L.var_mean(X(L), **k)[0],
    "torch.median": lambda L, **k: L.median(X(L), **k).values,
    "torch.nanmedian": lambda L, **k: L.nanmedian(X(L), **k).values,
    "torch.mode": lambda L, **k: L.mode(X(L), **k).values,
    "torch.kthvalue": lambda L, **k: L.kthvalue(X(L), 2, **k).values,
    "torch.quantile": lambda L, **k: L.quantile(X(L), 0.5, **k),
    "torch.nanquantile": lambda L, **k: L.nanquantile(X(L), 0.5, **k),
    "torch.cumsum": lambda L, **k: L.cumsum(X(L), **k),
    "torch.cumprod": lambda L, **k: L.cumprod(X(L), **k),
    "torch.cummax": lambda L, **k: L.cummax(X(L), **k).values,
    "torch.cummin": lambda L, **k: L.cummin(X(L), **k).indices,
    "torch.logcumsumexp": lambda L, **k: L.logcumsumexp(X(L), **k),
    "torch.softmax": lambda L, **k: L.softmax(X(L), **k),
    "torch.log_softmax": lambda L, **k: L.log_softmax(X(L), **k),
    "torch.sort": lambda L, **k: L.sort(X(L), **k).values,
    "torch.argsort": lambda L, **k: L.argsort(X(L), **k),
    "torch.topk": lambda L, **k: L.topk(X(L), 2, **k).values,
    "torch.gather": lambda L, **k: L.gather(X(L), index=I(L), **k),
    "torch.take_along_dim": lambda L, **k: L.take_along_dim(X(L), I(L), **k),
    "torch.scatter": lambda L, **k: L.scatter(X(L), index=I(L), src=-X(L), **k),
    "torch.scatter_add": lambda L, **k: L.scatter_add(X(L), index=I(L), src=X(L), **k),
    "torch.scatter_reduce": lambda L, **k: L.scatter_reduce(
        X(L), index=I(L), src=X(L), reduce="amax", **k),
    "torch.index_select": lambda L, **k: L.index_select(X(L), index=R(L), **k),
    "torch.index_add": lambda L, **k: L.index_add(X(L), index=R(L), source=X(L), **k),
    "torch.index_copy": lambda L, **k: L.index_copy(X(L), index=R(L), source=-X(L), **k),
    "torch.index_fill": lambda L, **k: L.index_fill(X(L), index=R(L), value=-1.0, **k),
    "torch.index_reduce": lambda L, **k: L.index_reduce(
        X(L), index=R(L), source=X(L), reduce="prod", **k),
    "torch.narrow": lambda L, **k: L.narrow(X(L), start=0, length=1, **k),
    "torch.narrow_copy": lambda L, **k: L.narrow_copy(X(L), start=0, length=1, **k),
    "torch.select": lambda L, **k: L.select(X(L), index=1, **k),
    "torch.select_scatter": lambda L, **k: L.select_scatter(
        X(L), L.zeros(2, dtype=L.float64), index=1, **k),
    "torch.slice_scatter": lambda L, **k: L.slice_scatter(
        X(L), L.zeros(1, 3, dtype=L.float64), **k, start=1),
    "torch.chunk": lambda L, **k: L.chunk(X(L), 2, **k)[0],
    "torch.unsafe_chunk": lambda L, **k: L.unsafe_chunk(X(L), 2, **k)[0],
    "torch.unsafe_split": lambda L, **k: L.unsafe_split(X(L), 2, **k)[0],
    "torch.tensor_split": lambda L, **k: L.tensor_split(X(L), 2, **k)[1],
    "torch.split_with_sizes": lambda L, **k: L.split_with_sizes(X(L), [1, 2], **k)[1],
    "torch.unsafe_split_with_sizes": lambda L, **k: L.unsafe_split_with_sizes(
        X(L), [1, 2], **k)[1],
    "torch.unbind": lambda L, **k: L.unbind(X(L), **k)[1],
    "torch.squeeze": lambda L, **k: L.squeeze(X(L)[None], **k),
    "torch.unsqueeze": lambda L, **k: L.unsqueeze(X(L), **k),
    "torch.unflatten": lambda L, **k: L.unflatten(X(L), sizes=(3, 1), **k),
    "torch.diff": lambda L, **k: L.diff(X(L), **k),
    "torch.repeat_interleave": lambda L, **k: L.repeat_interleave(X(L), 2, **k),
    "torch.cross": lambda L, **k: L.cross(X(L), X(L).flip(1), **k),
    "torch.renorm": lambda L, **k: L.renorm(X(L), p=2, maxnorm=1.0, **k),
    "torch.cosine_similarity": lambda L, **k: L.cosine_similarity(X(L), X(L) + 1, **k),
    "torch.trapezoid": lambda L, **k: L.trapezoid(X(L), **k),
    "torch.trapz": lambda L, **k: L.trapz(X(L), **k),
    "torch.cumulative_trapezoid": lambda L, **k: L.cumulative_trapezoid(X(L), **k),
    "torch.gradient": lambda L, **k: L.gradient(X(L), **k)[0],
    "torch.norm_except_dim": lambda L, **k: L.norm_except_dim(X(L), 2, **k),
    "torch._weight_norm": lambda L, **k: L._weight_norm(X(L), L.ones(2, 1, dtype=L.float64), **k),
    "Tensor.sum": lambda L, **k: X(L).sum(**k),
    "Tensor.mean": lambda L, **k: X(L).mean(**k),
    "Tensor.prod": lambda L, **k: X(L).prod(**k),
    "Tensor.nansum": lambda L, **k: X(L).nansum(**k),
    "Tensor.nanmean": lambda L, **k: X(L).nanmean(**k),
    "Tensor.logsumexp": lambda L, **k: X(L).logsumexp(**k),
    "Tensor.max": lambda L, **k: X(L).max(**k).values,
    "Tensor.min": lambda L, **k: X(L).min(**k).values,
    "Tensor.amax": lambda L, **k: X(L).amax(**k),
    "Tensor.amin": lambda L, **k: X(L).amin(**k),
    "Tensor.aminmax": lambda L, **k: X(L).aminmax(**k).min,
    "Tensor.argmax": lambda L, **k: X(L).argmax(**k),
    "Tensor.argmin": lambda L, **k: X(L).argmin(**k),
    "Tensor.all": lambda L, **k: X(L).all(**k),
    "Tensor.any": lambda L, **k: X(L).any(**k),
    "Tensor.count_nonzero": lambda L, **k: X(L).count_nonzero(**k),
    "Tensor.std": lambda L, **k: X(L).std(**k),
    "Tensor.var": lambda L, **k: X(L).var(**k),
    "Tensor.median": lambda L, **k: X(L).median(**k).values,
    "Tensor.nanmedian": lambda L, **k: X(L).nanmedian(**k).values,
    "Tensor.mode": lambda L, **k: X(L).mode(**k).values,
    "Tensor.kthvalue": lambda L, **k: X(L).kthvalue(2, **k).values,
    "Tensor.quantile": lambda L, **k: X(L).quantile(0.5, **k),
    "Tensor.nanquantile": lambda L, **k: X(L).nanquantile(0.5, **k),
    "Tensor.cumsum": lambda L, **k: X(L).cumsum(**k),
    "Tensor.cumprod": lambda L, **k: X(L).cumprod(**k),
    "Tensor.cumsum_": lambda L, **k: X(L).cumsum_(**k),
    "Tensor.cumprod_": lambda L, **k: X(L).cumprod_(**k),
    "Tensor.cummax": lambda L, **k: X(L).cummax(**k).values,
    "Tensor.cummin": lambda L, **k: X(L).cummin(**k).values,
    "Tensor.logcumsumexp": lambda L, **k: X(L).logcumsumexp(**k),
    "Tensor.softmax": lambda L, **k: X(L).softmax(**k),
    "Tensor.log_softmax": lambda L, **k: X(L).log_softmax(**k),
    "Tensor.sort": lambda L, **k: X(L).sort(**k).values,
    "Tensor.argsort": lambda L, **k: X(L).argsort(**k),
    "Tensor.topk": lambda L, **k: X(L).topk(2, **k).indices,
    "Tensor.gather": lambda L, **k: X(L).gather(index=I(L), **k),
    "Tensor.take_along_dim": lambda L, **k: X(L).take_along_dim(I(L), **k),
    "Tensor.scatter": lambda L, **k: X(L).scatter(index=I(L), src=-X(L), **k),
    "Tensor.scatter_": lambda L, **k: X(L).scatter_(index=I(L), src=-X(L), **k),
    "Tensor.scatter_add": lambda L, **k: X(L).scatter_add(index=I(L), src=X(L), **k),
    "Tensor.scatter_add_": lambda L, **k: X(L).scatter_add_(index=I(L), src=X(L), **k),
    "Tensor.scatter_reduce": lambda L, **k: X(L).scatter_reduce(
        index=I(L), src=X(L), reduce="sum", **k),
    "Tensor.scatter_reduce_": lambda L, **k: X(L).scatter_reduce_(
        index=I(L), src=X(L), reduce="sum", **k),
    "Tensor.index_select": lambda L, **k: X(L).index_select(index=R(L), **k),
    "Tensor.index_add": lambda L, **k: X(L).index_add(index=R(L), source=X(L), **k),
    "Tensor.index_add_": lambda L, **k: X(L).index_add_(index=R(L), source=X(L), **k),
    "Tensor.index_copy": lambda L, **k: X(L).index_copy(index=R(L), source=-X(L), **k),
    "Tensor.index_copy_": lambda L, **k: X(L).index_copy_(index=R(L), source=-X(L), **k),
    "Tensor.index_fill": lambda L, **k: X(L).index_fill(index=R(L), value=-1.0, **k),
    "Tensor.index_fill_": lambda L, **k: X(L).index_fill_(index=R(L), value=-1.0, **k),
    "Tensor.index_reduce": lambda L, **k: X(L).index_reduce(
        index=R(L), source=X(L), reduce="amin", **k),
    "Tensor.index_reduce_": lambda L, **k: X(L).index_reduce_(
        index=R(L), source=X(L), reduce="amin", **k),
    "Tensor.narrow": lambda L, **k: X(L).narrow(start=1, length=1, **k),
    "Tensor.narrow_copy": lambda L, **k: X(L).narrow_copy(start=1, length=1, **k),
    "Tensor.select": lambda L, **k: X(L).select(index=0, **k),
    "Tensor.select_scatter": lambda L, **k: X(L).select_scatter(
        L.zeros(2, dtype=L.float64), index=0, **k),
    "Tensor.slice_scatter": lambda L, **k: X(L).slice_scatter(
        L.zeros(1, 3, dtype=L.float64), **k, start=1),
    "Tensor.chunk": lambda L, **k: X(L).chunk(2, **k)[0],
    "Tensor.unsafe_chunk": lambda L, **k: X(L).unsafe_chunk(2, **k)[0],
    "Tensor.unsafe_split": lambda L, **k: X(L).unsafe_split(2, **k)[0],
    "Tensor.tensor_split": lambda L, **k: X(L).tensor_split(2, **k)[0],
    "Tensor.split_with_sizes": lambda L, **k: X(L).split_with_sizes([1, 2], **k)[1],
    "Tensor.unsafe_split_with_sizes": lambda L, **k: X(L).unsafe_split_with_sizes(
        [1, 2], **k)[1],
    "Tensor.unbind": lambda L, **k: X(L).unbind(**k)[0],
    "Tensor.squeeze": lambda L, **k: X(L)[None].squeeze(**k),
    "Tensor.squeeze_": lambda L, **k: X(L)[None].squeeze_(**k),
    "Tensor.unsqueeze": lambda L, **k: X(L).unsqueeze(**k),
    "Tensor.unsqueeze_": lambda L, **k: X(L).unsqueeze_(**k),
    "Tensor.diff": lambda L, **k: X(L).diff(**k),
    "Tensor.repeat_interleave": lambda L, **k: X(L).repeat_interleave(2, **k),
    "Tensor.cross": lambda L, **k: X(L).cross(X(L).flip(1), **k),
    "Tensor.renorm": lambda L, **k: X(L).renorm(p=2, maxnorm=1.0, **k),
    "Tensor.renorm_": lambda L, **k: X(L).renorm_(p=2, maxnorm=1.0, **k),
    "Tensor.size": lambda L, **k: L.tensor(X(L).size(**k)),
    "Tensor.stride": lambda L, **k: L.tensor(X(L).stride(**k)),
}
# dims that change the answer (dim 0 vs the default or dim 1)
DIM = {"torch.squeeze": 0, "Tensor.squeeze": 0, "Tensor.squeeze_": 0, "torch.unsqueeze": 2,
       "Tensor.unsqueeze": 2, "Tensor.unsqueeze_": 2, "torch.unflatten": 1,
       "torch.select_scatter": 1, "Tensor.select_scatter": 1, "torch.slice_scatter": 0,
       "Tensor.slice_scatter": 0, "torch._weight_norm": 0, "torch.norm_except_dim": 0,
       **{name: 0 for name in DIM_CALLS if ".index_" in name}}

KEEPDIM = ["sum", "mean", "prod", "nansum", "nanmean", "logsumexp", "amax", "amin", "argmax",
           "argmin", "all", "any", "std", "var", "median", "nanmedian", "mode", "kthvalue",
           "quantile", "nanquantile", "max", "min", "aminmax"]


def _value(r):
    """A tensor or a named tuple's first field as a NumPy array."""
    if isinstance(r, tuple):
        r = r[0]
    return np.asarray(r.detach().numpy() if hasattr(r, "detach") else r)


def _keepdim_call(L, namespace, name, **k):
    x = X(L)
    args = {"kthvalue": (2,), "quantile": (0.5,), "nanquantile": (0.5,)}.get(name, ())
    if name == "aminmax":
        return (L.aminmax(x, dim=1, **k) if namespace == "torch" else x.aminmax(dim=1, **k)).min
    if namespace == "torch":
        return getattr(L, name)(x, *args, 1, **k)
    return getattr(x, name)(*args, 1, **k)


@pytest.mark.parametrize("name", sorted(DIM_CALLS))
def test_axis_is_dim(name):
    call, d = DIM_CALLS[name], DIM.get(name, 1)
    expected = _value(call(torchlet, dim=d))
    got = _value(call(torchlet, axis=d))
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", sorted(DIM_CALLS))
def test_axis_against_torch(name):
    torch = pytest.importorskip("torch")
    call, d = DIM_CALLS[name], DIM.get(name, 1)
    np.testing.assert_allclose(_value(call(torchlet, axis=d)), _value(call(torch, axis=d)),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("namespace", ["torch", "Tensor"])
@pytest.mark.parametrize("name", KEEPDIM)
def test_keepdims_is_keepdim(namespace, name):
    got = _value(_keepdim_call(torchlet, namespace, name, keepdims=True))
    assert got.shape == (2, 1)  # hand-derived: a (2, 3) input reduced over dim 1, kept
    np.testing.assert_array_equal(
        got, _value(_keepdim_call(torchlet, namespace, name, keepdim=True)))
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(
        got, _value(_keepdim_call(torch, namespace, name, keepdims=True)), rtol=1e-12)


def test_numpy_input_names_on_decorated_torch_functions():
    x = torchlet.arange(6.0).reshape(2, 3)
    assert torchlet.sum(a=x, axis=1, keepdims=True).tolist() == [[3.0], [12.0]]
    assert torchlet.cumsum(x=x, axis=1).tolist() == [[0.0, 1.0, 3.0], [3.0, 7.0, 12.0]]
    assert torchlet.cross(x1=x, x2=x.flip(1), axis=1).tolist() == torchlet.cross(
        x, x.flip(1), dim=1).tolist()
    torch = pytest.importorskip("torch")
    t = torch.arange(6.0).reshape(2, 3)
    assert torch.sum(a=t, axis=1, keepdims=True).tolist() == [[3.0], [12.0]]
    assert torch.cumsum(x=t, axis=1).tolist() == [[0.0, 1.0, 3.0], [3.0, 7.0, 12.0]]


@pytest.mark.parametrize("call", [
    lambda L, x: L.sum(x, dim=1, axis=1),  # both names: torch leaves axis unknown
    lambda L, x: x.sum(1, axis=1),  # dim given positionally
    lambda L, x: L.sum(x, 1, keepdim=True, keepdims=True),
    lambda L, x: x.cumsum(dim=1, axis=1),
    lambda L, x: L.cat([x], 0, axis=0),
])
def test_both_names_is_torchs_type_error(call):
    with pytest.raises(TypeError, match="unexpected keyword argument '(axis|keepdims)'"):
        call(torchlet, torchlet.arange(6.0).reshape(2, 3))
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="unexpected keyword argument '(axis|keepdims)'"):
        call(torch, torch.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("call", [
    lambda L, x: L.nn.functional.softmax(x, axis=1),  # defined in Python in torch
    lambda L, x: L.nn.functional.log_softmax(x, axis=1),
    lambda L, x: x.flip(axis=0),  # flip's parameter is dims
    lambda L, x: x.transpose(axis0=0, axis1=1),
    lambda L, x: x.split(1, axis=0),  # Tensor.split is Python in torch
])
def test_python_level_functions_take_only_torch_names(call):
    with pytest.raises(TypeError):
        call(torchlet, torchlet.arange(6.0).reshape(2, 3))
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        call(torch, torch.arange(6.0).reshape(2, 3))


def test_axis_gradient_matches_dim():
    x = torchlet.arange(6.0, dtype=torchlet.float64).reshape(2, 3).requires_grad_()
    assert torchlet.autograd.gradcheck(lambda t: t.softmax(axis=1).std(axis=0), (x,))
    (g,) = torchlet.autograd.grad(x.logsumexp(axis=1, keepdims=True).sum(), x)
    np.testing.assert_allclose(g.numpy(), torchlet.softmax(x, 1).detach().numpy())
