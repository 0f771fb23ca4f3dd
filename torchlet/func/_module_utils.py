"""torch.func's helpers for modules: stacking the state of several models for ensembling
with ``vmap``, and turning off BatchNorm's running statistics (which ``vmap`` cannot
update per model)."""

from __future__ import annotations

from torchlet._tensor import Tensor

__all__ = ["replace_all_batch_norm_modules_", "stack_module_state"]


def stack_module_state(models) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """(params, buffers): each parameter and buffer of ``models`` stacked along a new first
    dim, by name. Stacked parameters are new leaves that require grad (unrelated to the
    models' own), so they can be handed to an optimizer."""
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode."
        )
    model0_type = type(models[0])
    if not all(type(m) is model0_type for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    all_params = [dict(model.named_parameters()) for model in models]
    params = {
        name: _stacked_leaf([p[name] for p in all_params], name) for name in all_params[0]
    }
    all_buffers = [dict(model.named_buffers()) for model in models]
    buffers = {
        name: _stacked_leaf([b[name] for b in all_buffers], name) for name in all_buffers[0]
    }
    return params, buffers


def _stacked_leaf(tensors: list[Tensor], name: str) -> Tensor:
    import torchlet

    all_requires_grad = all(t.requires_grad for t in tensors)
    none_requires_grad = all(not t.requires_grad for t in tensors)
    if not all_requires_grad and not none_requires_grad:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    result = torchlet.stack(tensors)
    if all_requires_grad:
        result = result.detach().requires_grad_()
    return result


def replace_all_batch_norm_modules_(root):
    """In place: every BatchNorm module in ``root`` stops tracking running statistics
    (``running_mean``, ``running_var`` and ``num_batches_tracked`` become None, so it
    always normalises with the batch's statistics). Returns ``root``."""
    for module in root.modules():
        _batch_norm_without_running_stats(module)
    return root


def _batch_norm_without_running_stats(module) -> None:
    from torchlet.nn.modules.batchnorm import _BatchNorm

    if isinstance(module, _BatchNorm) and module.track_running_stats:
        module.running_mean = None
        module.running_var = None
        module.num_batches_tracked = None
        module.track_running_stats = False
