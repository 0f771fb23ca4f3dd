"""torchlet's differentiable operations, one module per kind of operation."""
