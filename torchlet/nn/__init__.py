"""torchlet.nn: neural-network layers, parameters, initialisation, as torch.nn.

``import torchlet.nn as nn``: ``nn.Module``, ``nn.Linear``, ``nn.Sequential``, ...;
``nn.functional`` (``F``) holds the functions behind the layers, ``nn.init`` the
initialisers, ``nn.utils`` gradient clipping.

Adding a kind of layer: one import line in ``modules/__init__.py`` and its names here.
"""

from torchlet.nn import functional, init, utils
from torchlet.nn.modules import (
    Bilinear,
    Flatten,
    Identity,
    LazyLinear,
    Linear,
    Module,
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
    Unflatten,
)
from torchlet.nn.parameter import (
    Buffer,
    Parameter,
    UninitializedBuffer,
    UninitializedParameter,
)

__all__ = [
    # submodules
    "functional", "init", "utils",
    # parameters
    "Buffer", "Parameter", "UninitializedBuffer", "UninitializedParameter",
    # containers and the base class
    "Module", "ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential",
    # layers
    "Bilinear", "Flatten", "Identity", "LazyLinear", "Linear", "Unflatten",
]

# recurrent layers, attention and transformers
from torchlet.nn.modules.activation_attention import MultiheadAttention  # noqa: E402
from torchlet.nn.modules.rnn import (  # noqa: E402
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    RNNBase,
    RNNCell,
    RNNCellBase,
)
from torchlet.nn.modules.transformer import (  # noqa: E402
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ += [
    "GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "MultiheadAttention", "RNNBase", "RNNCell",
    "RNNCellBase", "Transformer", "TransformerDecoder", "TransformerDecoderLayer",
    "TransformerEncoder", "TransformerEncoderLayer",
]

# activations, losses, dropout and distances
from torchlet.nn.modules.activation import (  # noqa: E402
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    RReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softmax2d,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from torchlet.nn.modules.distance import (  # noqa: E402
    CosineSimilarity,
    PairwiseDistance,
)
from torchlet.nn.modules.dropout import (  # noqa: E402
    AlphaDropout,
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
    FeatureAlphaDropout,
)
from torchlet.nn.modules.loss import (  # noqa: E402
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss,
    NLLLoss2d,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
    TripletMarginWithDistanceLoss,
)

__all__ += [
    "AlphaDropout", "BCELoss", "BCEWithLogitsLoss", "CELU", "CosineEmbeddingLoss",
    "CosineSimilarity", "CrossEntropyLoss", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
    "ELU", "FeatureAlphaDropout", "GELU", "GLU", "GaussianNLLLoss", "Hardshrink", "Hardsigmoid",
    "Hardswish", "Hardtanh", "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss", "L1Loss",
    "LeakyReLU", "LogSigmoid", "LogSoftmax", "MSELoss", "MarginRankingLoss", "Mish",
    "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "NLLLoss",
    "NLLLoss2d", "PReLU", "PairwiseDistance", "PoissonNLLLoss", "RReLU", "ReLU", "ReLU6",
    "SELU", "SiLU", "Sigmoid", "SmoothL1Loss", "SoftMarginLoss", "Softmax", "Softmax2d",
    "Softmin", "Softplus", "Softshrink", "Softsign", "Tanh", "Tanhshrink", "Threshold",
    "TripletMarginLoss", "TripletMarginWithDistanceLoss",
]

# normalization and embeddings
from torchlet.nn.modules import (  # noqa: E402
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    Embedding,
    EmbeddingBag,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LayerNorm,
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyBatchNorm3d,
    LazyInstanceNorm1d,
    LazyInstanceNorm2d,
    LazyInstanceNorm3d,
    LocalResponseNorm,
    RMSNorm,
    SyncBatchNorm,
)

__all__ += [
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "Embedding", "EmbeddingBag",
    "GroupNorm",
    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LayerNorm", "LazyBatchNorm1d",
    "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
    "LazyInstanceNorm3d", "LocalResponseNorm", "RMSNorm",
]

# convolution, pooling, padding, resampling, fold
from torchlet.nn.modules import (  # noqa: E402
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AdaptiveMaxPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    CircularPad1d,
    CircularPad2d,
    CircularPad3d,
    ConstantPad1d,
    ConstantPad2d,
    ConstantPad3d,
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    Fold,
    LPPool1d,
    LPPool2d,
    LPPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    MaxUnpool1d,
    MaxUnpool2d,
    MaxUnpool3d,
    PixelShuffle,
    PixelUnshuffle,
    ReflectionPad1d,
    ReflectionPad2d,
    ReflectionPad3d,
    ReplicationPad1d,
    ReplicationPad2d,
    ReplicationPad3d,
    Unfold,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
    ZeroPad1d,
    ZeroPad2d,
    ZeroPad3d,
)

__all__ += [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
    "ConstantPad3d", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
    "ConvTranspose3d", "Fold", "LPPool1d", "LPPool2d", "LPPool3d", "MaxPool1d", "MaxPool2d",
    "MaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "PixelShuffle",
    "PixelUnshuffle", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "Unfold", "Upsample",
    "UpsamplingBilinear2d", "UpsamplingNearest2d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
]

# lazy convolutions and channel shuffling
from torchlet.nn.modules import (  # noqa: E402
    ChannelShuffle,
    LazyConv1d,
    LazyConv2d,
    LazyConv3d,
    LazyConvTranspose1d,
    LazyConvTranspose2d,
    LazyConvTranspose3d,
)

__all__ += [
    "ChannelShuffle", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
    "LazyConvTranspose2d", "LazyConvTranspose3d",
]

# CTC loss, fractional max pooling, adaptive log-softmax, cross-map LRN
from torchlet.nn.modules.adaptive import AdaptiveLogSoftmaxWithLoss  # noqa: E402
from torchlet.nn.modules.extra_layers import (  # noqa: E402
    CrossMapLRN2d,
    CTCLoss,
    FractionalMaxPool2d,
    FractionalMaxPool3d,
)

__all__ += [
    "AdaptiveLogSoftmaxWithLoss", "CTCLoss", "CrossMapLRN2d", "FractionalMaxPool2d",
    "FractionalMaxPool3d",
]

# end of sections

# torch.nn.parallel (DataParallel) and torch.nn.attention (sdpa_kernel), for CPU scripts
from torchlet.nn import attention, parallel  # noqa: E402
from torchlet.nn.parallel import DataParallel  # noqa: E402

__all__ += ["DataParallel"]

# torch.nn.grad, nn.common_types, the deprecated nn.Container, and the linear +
# cross-entropy loss of torch 2.13
from torchlet.nn import common_types, grad  # noqa: E402
from torchlet.nn._functional.linear_cross_entropy import LinearCrossEntropyOptions  # noqa: E402
from torchlet.nn.modules.deprecated_container import Container  # noqa: E402
from torchlet.nn.modules.loss import LinearCrossEntropyLoss  # noqa: E402

__all__ += ["Container", "LinearCrossEntropyLoss", "LinearCrossEntropyOptions"]
