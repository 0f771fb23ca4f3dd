"""Linear algebra: matmul (@) with batch broadcasting, mm, bmm, mv, dot, outer, einsum."""
