"""The implementations behind ``torchlet.nn.functional``, one module per kind of function;
``torchlet/nn/functional.py`` re-exports them under torch's names. Among them:

* ``activation``, ``smooth_activation``: the elementwise activations (relu, elu, sigmoid,
  ...; gelu, silu, softplus, ...), each one small Primitive whose node name is torch's;
* ``softmax``: softmax, log_softmax and softmin, in torch's order of additions;
* ``loss``: cross_entropy (one fused primitive), nll_loss, one_hot and the other losses;
* ``distance``: normalize, cosine_similarity, pairwise_distance and the losses built on
  them (cosine_embedding_loss, triplet_margin_loss);
* ``padding``: pad (constant, reflect, replicate, circular);
* ``dropout``: dropout and its variants, with torch's random numbers;

and the layers' own modules (convolution, pooling, normalization, embedding, attention).
"""
