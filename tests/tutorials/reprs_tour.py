"""What print() shows for the objects of a training script, as the docs' examples print them:
every common layer's repr with non-default arguments (convolutions with padding modes,
groups, dilation and bias=False; pooling with ceil_mode; normalisation with affine and
track_running_stats; recurrent layers; Transformer pieces; activations with parameters;
Upsample, Flatten/Unflatten, Embedding with padding_idx and max_norm), containers (nested
Sequential with OrderedDict names, ModuleList with repeated blocks collapsed as
'(0-2): 3 x Linear(...)', ModuleDict, ParameterList/ParameterDict), loss modules,
optimizers with several parameter groups, learning-rate schedulers' state_dicts,
distributions (Normal, Categorical, MultivariateNormal, Independent, ...), torch.Size,
dtypes, devices, Generators' seeds, and tensors that carry grad_fn, requires_grad or a
non-default dtype."""

from collections import OrderedDict

import torch
import torch.distributions as D
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)

# -- layers ------------------------------------------------------------------------------------
layers = [
    nn.Linear(3, 4, bias=False),
    nn.Bilinear(2, 3, 4),
    nn.Identity(),
    nn.Conv1d(4, 8, 3, stride=2, padding=1, dilation=2, groups=2, bias=False),
    nn.Conv2d(3, 6, (3, 5), padding="same", padding_mode="reflect"),
    nn.Conv2d(3, 6, 3, stride=(2, 1), padding=(1, 0), padding_mode="circular"),
    nn.Conv3d(1, 2, 3, padding="valid"),
    nn.ConvTranspose2d(6, 3, 4, stride=2, padding=1, output_padding=1, dilation=1),
    nn.ConvTranspose1d(2, 2, 3, groups=2, bias=False),
    nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
    nn.MaxPool1d(2, return_indices=True),
    nn.AvgPool2d(2, count_include_pad=False, divisor_override=3),
    nn.AvgPool1d(3, stride=1, padding=1),
    nn.AdaptiveAvgPool2d((None, 7)),
    nn.AdaptiveMaxPool1d(4, return_indices=True),
    nn.LPPool2d(2, 3),
    nn.MaxUnpool2d(2),
    nn.BatchNorm1d(5, momentum=None),
    nn.BatchNorm2d(6, eps=1e-3, affine=False, track_running_stats=False),
    nn.InstanceNorm2d(4, affine=True),
    nn.LayerNorm([4, 5], elementwise_affine=False),
    nn.LayerNorm(8, bias=False),
    nn.GroupNorm(2, 6),
    nn.RMSNorm([8], eps=1e-5),
    nn.LocalResponseNorm(3),
    nn.Dropout(0.2, inplace=True),
    nn.Dropout2d(),
    nn.AlphaDropout(0.1),
    nn.Embedding(10, 4, padding_idx=0, max_norm=1.0),
    nn.EmbeddingBag(10, 4, mode="max"),
    nn.RNN(4, 8, num_layers=2, nonlinearity="relu", batch_first=True, dropout=0.1),
    nn.LSTM(4, 8, bias=False, bidirectional=True, proj_size=3),
    nn.GRU(4, 8),
    nn.LSTMCell(4, 8),
    nn.GRUCell(4, 8, bias=False),
    nn.RNNCell(4, 8, nonlinearity="tanh"),
    nn.MultiheadAttention(8, 2, dropout=0.1, kdim=4, vdim=6),
    nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
    nn.Upsample(size=(4, 4)),
    nn.PixelShuffle(2),
    nn.PixelUnshuffle(3),
    nn.Flatten(0, 2),
    nn.Unflatten(1, (2, 5)),
    nn.Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=2),
    nn.Fold(output_size=(4, 5), kernel_size=2),
    nn.ZeroPad2d((1, 2, 0, 1)),
    nn.ReflectionPad1d(2),
    nn.ReplicationPad2d(1),
    nn.ConstantPad1d(3, 3.5),
    nn.CosineSimilarity(dim=0),
    nn.PairwiseDistance(p=1.0, keepdim=True),
    nn.ChannelShuffle(2),
]
for layer in layers:
    print(layer)

activations = [nn.ReLU(inplace=True), nn.LeakyReLU(0.2), nn.PReLU(3, 0.1), nn.ELU(alpha=0.5),
               nn.CELU(), nn.SELU(), nn.GELU(approximate="tanh"), nn.SiLU(), nn.Mish(),
               nn.Softplus(beta=2, threshold=10), nn.Hardtanh(-2, 2), nn.ReLU6(),
               nn.Hardsigmoid(), nn.Hardswish(), nn.Threshold(0.1, 20), nn.Softmax(dim=-1),
               nn.LogSoftmax(1), nn.Softmin(0), nn.Softmax2d(), nn.GLU(), nn.Tanhshrink(),
               nn.Softshrink(0.3), nn.Hardshrink(), nn.Sigmoid(), nn.LogSigmoid(), nn.Tanh(),
               nn.Softsign()]
print(nn.Sequential(*activations))

# -- Transformer pieces ------------------------------------------------------------------------
enc_layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0,
                                       batch_first=True, norm_first=True, activation="gelu")
print(nn.TransformerEncoder(enc_layer, num_layers=2, enable_nested_tensor=False))
print(nn.TransformerDecoderLayer(8, 2, 16))

# -- containers --------------------------------------------------------------------------------
block = lambda: nn.Sequential(nn.Linear(4, 4), nn.ReLU())  # noqa: E731
model = nn.Sequential(OrderedDict([
    ("stem", nn.Conv2d(1, 4, 3)),
    ("blocks", nn.ModuleList([nn.Linear(4, 4) for _ in range(3)] + [nn.ReLU()])),
    ("stack", nn.Sequential(*[block() for _ in range(2)], nn.Linear(4, 2))),
    ("heads", nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})),
]))
print(model)
print(model.stack[0], model[1][1:3], len(model), model.heads.keys())
print(nn.ParameterList([nn.Parameter(torch.ones(2)),
                        nn.Parameter(torch.zeros(2, 3).long(), requires_grad=False)]))
print(nn.ParameterDict({"w": nn.Parameter(torch.randn(2, 2)), "b": nn.Parameter(torch.zeros(2))}))
print(nn.Linear(2, 1).state_dict())
print(nn.BatchNorm1d(2).state_dict())

# -- losses ------------------------------------------------------------------------------------
for loss in [nn.MSELoss(), nn.L1Loss(reduction="sum"), nn.CrossEntropyLoss(label_smoothing=0.1),
             nn.CrossEntropyLoss(weight=torch.tensor([1., 2.]), ignore_index=-1),
             nn.NLLLoss(), nn.BCELoss(), nn.BCEWithLogitsLoss(pos_weight=torch.tensor([3.])),
             nn.HuberLoss(delta=0.5), nn.SmoothL1Loss(beta=0.1),
             nn.KLDivLoss(reduction="batchmean", log_target=True),
             nn.PoissonNLLLoss(log_input=False), nn.GaussianNLLLoss(full=True),
             nn.MarginRankingLoss(margin=0.5), nn.TripletMarginLoss(margin=2.0, p=1),
             nn.CosineEmbeddingLoss(), nn.HingeEmbeddingLoss(),
             nn.CTCLoss(blank=0, zero_infinity=True),
             nn.MultiLabelSoftMarginLoss(), nn.MultiMarginLoss(p=2)]:
    print(loss, loss.reduction)

# -- optimizers and schedulers -----------------------------------------------------------------
net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
groups = [{"params": net[0].parameters()},
          {"params": net[1].parameters(), "lr": 0.1, "weight_decay": 0.0}]
for opt in [optim.SGD(groups, lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4),
            optim.Adam(net.parameters(), lr=1e-3, betas=(0.8, 0.9), amsgrad=True),
            optim.AdamW(net.parameters()),
            optim.RMSprop(net.parameters(), centered=True),
            optim.Adagrad(net.parameters(), lr_decay=0.1),
            optim.LBFGS(net.parameters(), history_size=5, line_search_fn="strong_wolfe")]:
    print(opt)

opt = optim.SGD(net.parameters(), lr=0.1)
sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
for _ in range(4):
    opt.step()
    sched.step()
print(sched.state_dict(), sched.get_last_lr())
print(opt.state_dict()["param_groups"])
plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1)
for v in [1.0, 0.9, 0.95, 0.96, 0.97]:
    plateau.step(v)
print({k: v for k, v in plateau.state_dict().items()})

# -- distributions -----------------------------------------------------------------------------
for dist in [D.Normal(0.0, 1.0), D.Normal(torch.zeros(3), torch.ones(3)),
             D.Bernoulli(probs=torch.tensor([0.3, 0.7])), D.Bernoulli(logits=torch.tensor(0.2)),
             D.Categorical(probs=torch.tensor([0.1, 0.2, 0.7])),
             D.Uniform(-1.0, torch.tensor([1., 2.])), D.Beta(torch.tensor(2.0), torch.tensor(3.0)),
             D.Gamma(2.0, 0.5), D.Exponential(torch.tensor([1.5])),
             D.Poisson(torch.tensor([4.0])), D.Dirichlet(torch.ones(3)),
             D.MultivariateNormal(torch.zeros(2), torch.eye(2)),
             D.Independent(D.Normal(torch.zeros(2, 3), 1.0), 1), D.Laplace(0.0, 2.0),
             D.Binomial(10, torch.tensor([0.2, 0.8])), D.Geometric(torch.tensor(0.3)),
             D.LogNormal(0.0, 1.0), D.StudentT(3.0), D.Cauchy(0.0, 1.0), D.HalfNormal(1.0),
             D.Gumbel(0.0, 1.0), D.Multinomial(5, torch.tensor([0.5, 0.5])),
             D.OneHotCategorical(torch.tensor([0.2, 0.8])), D.VonMises(0.0, 1.0)]:
    print(dist, dist.batch_shape, dist.event_shape)
print(D.constraints.positive, D.constraints.interval(0, 1), D.constraints.simplex)

# -- small things ------------------------------------------------------------------------------
x = torch.randn(2, 3, requires_grad=True)
y = (x * 2).sum(1)
print(x.shape, x.size(1), x.dtype, x.device, y, y.grad_fn, repr(y.grad_fn.name()))
print(torch.float32, torch.int64, torch.bool, torch.half, torch.double, torch.device("cpu"))
print(torch.tensor([1, 2], dtype=torch.int16), torch.tensor(3.5, dtype=torch.float64),
      torch.tensor([True]), torch.zeros(0, 3), torch.tensor([[]]))
print(nn.Parameter(torch.tensor([1.0, 2.0])), nn.Parameter(torch.ones(1), requires_grad=False))
print(torch.Generator().manual_seed(7).initial_seed(), torch.initial_seed())
print(torch.finfo(torch.float32), torch.iinfo(torch.int8), sep="\n")
