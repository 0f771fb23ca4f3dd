"""Indexing: t[...], t[...] = v, gather, scatter, index_select, masked_fill, nonzero, ..."""
