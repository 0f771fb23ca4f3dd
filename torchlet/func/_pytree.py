"""Nested tuples, lists and dicts of tensors ("pytrees") flattened to a list of leaves and
rebuilt, as torch.utils._pytree does for the torch.func transforms."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TreeSpec:
    """The shape of a pytree: its container type, keys (dicts) and children's specs; a leaf
    is ``TreeSpec(None, None, ())``."""

    type: type | None
    context: tuple | None
    children: tuple

    def is_leaf(self) -> bool:
        return self.type is None

    @property
    def num_leaves(self) -> int:
        return 1 if self.is_leaf() else sum(child.num_leaves for child in self.children)

    def __repr__(self, indent: int = 0) -> str:
        """torch's form: children after the first on their own lines, indented 2 per level."""
        if self.type is None:
            return "*"
        name = "namedtuple" if _is_namedtuple(self.type) else self.type.__name__
        context = list(self.context) if self.context else None
        indent += 2
        children = ",".join(
            (child.__repr__(indent) if i == 0 else "\n" + " " * indent + child.__repr__(indent))
            for i, child in enumerate(self.children)
        )
        return f"TreeSpec({name}, {context}, [{children}])"

    def pprint(self) -> str:
        """The structure written as Python would print it with ``*`` for each leaf, e.g.
        ``(*, {'q': *})`` (torch's ``treespec_pprint``)."""
        return repr(tree_unflatten([_STAR] * self.num_leaves, self))


LEAF = TreeSpec(None, None, ())


class _Star:
    def __repr__(self) -> str:
        return "*"


_STAR = _Star()


def _is_namedtuple(cls) -> bool:
    return issubclass(cls, tuple) and hasattr(cls, "_fields")


def tree_flatten(tree):
    """(the leaves, left to right, and the TreeSpec to rebuild ``tree`` from them)."""
    if isinstance(tree, (tuple, list)):
        flat = [tree_flatten(child) for child in tree]
        leaves = [leaf for child_leaves, _ in flat for leaf in child_leaves]
        return leaves, TreeSpec(type(tree), None, tuple(spec for _, spec in flat))
    if isinstance(tree, dict):
        keys = tuple(tree)
        flat = [tree_flatten(tree[key]) for key in keys]
        leaves = [leaf for child_leaves, _ in flat for leaf in child_leaves]
        return leaves, TreeSpec(type(tree), keys, tuple(spec for _, spec in flat))
    return [tree], LEAF


def tree_unflatten(leaves, spec: TreeSpec):
    """The pytree of shape ``spec`` holding ``leaves`` in order."""
    leaves = iter(leaves)

    def build(spec):
        if spec.is_leaf():
            return next(leaves)
        children = [build(child) for child in spec.children]
        if spec.context is not None:
            return spec.type(zip(spec.context, children))
        if _is_namedtuple(spec.type):
            return spec.type(*children)
        return spec.type(children)

    return build(spec)


def tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(leaf) for leaf in leaves], spec)


def broadcast_prefix(prefix, tree, spec: TreeSpec | None = None):
    """One value of ``prefix`` per leaf of ``tree``: ``prefix`` is a tree whose leaves stand
    for whole subtrees of ``tree`` (as vmap's ``in_dims``); None if the shapes disagree."""
    if spec is None:
        spec = tree_flatten(tree)[1]
    if not isinstance(prefix, (tuple, list, dict)):
        return [prefix] * spec.num_leaves
    if spec.type is None or not isinstance(prefix, spec.type) \
            or len(prefix) != len(spec.children):
        return None
    if isinstance(prefix, dict):
        assert spec.context is not None  # a dict's spec holds its keys
        if set(prefix) != set(spec.context):
            return None
        prefix = [prefix[key] for key in spec.context]
    result = []
    for child_prefix, child_spec in zip(prefix, spec.children, strict=True):
        child = broadcast_prefix(child_prefix, None, child_spec)
        if child is None:
            return None
        result.extend(child)
    return result
