"""torch.distributions beyond Normal: sampling and log_prob of Gamma, Beta, Dirichlet,
Poisson, Binomial, Geometric, NegativeBinomial, StudentT, Laplace, Exponential, LogNormal and
von Mises under a fixed seed; moments checked by Monte Carlo; constraints and support checks
with validate_args; TransformedDistribution built from AffineTransform, ExpTransform,
SigmoidTransform, TanhTransform and ComposeTransform with log_abs_det_jacobian;
biject_to / transform_to for constrained optimisation; a Beta posterior fitted by
reparameterised variational inference (rsample of Beta, kl_divergence to the exact posterior);
expand, batch and event shapes, Independent reinterpretation, and enumerate_support."""

import torch
import torch.distributions as D
from torch.distributions import constraints
from torch.distributions import transforms as T

torch.manual_seed(0)
torch.set_printoptions(precision=4)

# -- a zoo of distributions ----------------------------------------------------------------------
zoo = {
    "Gamma(2, 3)": D.Gamma(torch.tensor(2.0), torch.tensor(3.0)),
    "Beta(2, 5)": D.Beta(torch.tensor(2.0), torch.tensor(5.0)),
    "Poisson(4)": D.Poisson(torch.tensor(4.0)),
    "Binomial(10, .3)": D.Binomial(10, torch.tensor(0.3)),
    "Geometric(.25)": D.Geometric(torch.tensor(0.25)),
    "NegBinomial(3, .4)": D.NegativeBinomial(torch.tensor(3.0), torch.tensor(0.4)),
    "StudentT(5)": D.StudentT(torch.tensor(5.0)),
    "Laplace(1, 2)": D.Laplace(torch.tensor(1.0), torch.tensor(2.0)),
    "Exponential(.5)": D.Exponential(torch.tensor(0.5)),
    "LogNormal(0, .5)": D.LogNormal(torch.tensor(0.0), torch.tensor(0.5)),
    "Uniform(-1, 3)": D.Uniform(torch.tensor(-1.0), torch.tensor(3.0)),
    "Gumbel(0, 1)": D.Gumbel(torch.tensor(0.0), torch.tensor(1.0)),
    "HalfNormal(2)": D.HalfNormal(torch.tensor(2.0)),
    "Chi2(3)": D.Chi2(torch.tensor(3.0)),
}
for name, d in zoo.items():
    s = d.sample((4000,))
    print(
        f"{name:18s} first {[round(v, 4) for v in s[:3].tolist()]} "
        f"mean {d.mean.item():.4f} mc {s.mean().item():.4f} "
        f"var {d.variance.item():.4f} mc {s.var().item():.4f} "
        f"log_prob(first) {d.log_prob(s[0]).item():.4f}"
    )
print(
    "entropies",
    {
        k: round(d.entropy().item(), 4)
        for k, d in zoo.items()
        if k not in ("Poisson(4)", "NegBinomial(3, .4)", "Binomial(10, .3)", "Geometric(.25)")
    },
)
print("Binomial entropy", round(zoo["Binomial(10, .3)"].entropy().item(), 4))

dir_ = D.Dirichlet(torch.tensor([1.0, 2.0, 3.0]))
ds = dir_.sample((5,))
print(
    "Dirichlet samples\n",
    ds,
    "\nrow sums",
    ds.sum(1),
    "mean",
    dir_.mean,
    "log_prob",
    dir_.log_prob(ds),
)
vm = D.VonMises(torch.tensor(0.5), torch.tensor(2.0))
print("VonMises", vm.sample((4,)), vm.log_prob(torch.tensor([0.0, 0.5, 3.0])), vm.mean, vm.variance)
cat = D.Categorical(probs=torch.tensor([0.2, 0.5, 0.3]))
print(
    "Categorical enumerate_support",
    cat.enumerate_support(),
    "Bernoulli",
    D.Bernoulli(0.3).enumerate_support(),
)
print(
    "Binomial support",
    D.Binomial(3, torch.tensor([0.5, 0.2])).enumerate_support(expand=False).shape,
)

# -- shapes --------------------------------------------------------------------------------------
n = D.Normal(torch.zeros(3), torch.ones(3))
print("Normal batch", n.batch_shape, "event", n.event_shape, "sample", n.sample((2,)).shape)
ind = D.Independent(n, 1)
print(
    "Independent batch",
    ind.batch_shape,
    "event",
    ind.event_shape,
    "log_prob shape",
    ind.log_prob(torch.zeros(3)).shape,
)
ex = D.Gamma(torch.tensor(2.0), torch.tensor(1.0)).expand((2, 3))
print("expanded", ex.batch_shape, ex.sample().shape, ex.log_prob(torch.ones(2, 3))[0])
mvn = D.MultivariateNormal(torch.zeros(2), scale_tril=torch.tensor([[1.0, 0.0], [0.5, 2.0]]))
print(
    "MVN cov\n",
    mvn.covariance_matrix,
    "precision\n",
    mvn.precision_matrix,
    "entropy",
    mvn.entropy(),
)
lr = D.LowRankMultivariateNormal(torch.zeros(3), torch.tensor([[1.0], [0.5], [0.0]]), torch.ones(3))
print(
    "LowRank cov\n", lr.covariance_matrix, "log_prob", lr.log_prob(torch.tensor([0.5, -0.5, 1.0]))
)

# -- support checks ------------------------------------------------------------------------------
for bad in [
    lambda: D.Normal(0.0, -1.0),
    lambda: D.Beta(torch.tensor(0.0), torch.tensor(1.0)),
    lambda: D.Categorical(probs=torch.tensor([0.5, -0.5])),
    lambda: D.Poisson(torch.tensor(-1.0)),
]:
    try:
        bad()
        print("accepted")
    except ValueError as e:
        print("ValueError:", str(e).split(" found invalid")[0][:60])
try:
    D.Exponential(torch.tensor(1.0)).log_prob(torch.tensor(-1.0))
except ValueError:
    print("log_prob outside support: ValueError")
print(
    "without validation",
    D.Exponential(torch.tensor(1.0), validate_args=False).log_prob(torch.tensor(-1.0)),
)
print(
    "constraints",
    constraints.positive.check(torch.tensor([-1.0, 0.0, 2.0])),
    constraints.simplex.check(ds[:2]),
    constraints.unit_interval.check(torch.tensor([0.0, 1.0, 1.5])),
    constraints.integer_interval(0, 3).check(torch.tensor([0.0, 3.0, 2.5])),
)
print(
    "support of Beta",
    D.Beta(torch.tensor(1.0), torch.tensor(1.0)).support,
    "of Poisson",
    D.Poisson(torch.tensor(1.0)).support,
)

# -- transformed distributions ---------------------------------------------------------------------
base = D.Normal(torch.tensor(0.0), torch.tensor(1.0))
ln = D.TransformedDistribution(base, [T.AffineTransform(0.2, 0.5), T.ExpTransform()])
ref = D.LogNormal(torch.tensor(0.2), torch.tensor(0.5))
pts = torch.tensor([0.5, 1.0, 2.0])
print(
    "affine+exp == LogNormal", torch.allclose(ln.log_prob(pts), ref.log_prob(pts)), ln.log_prob(pts)
)
logit_normal = D.TransformedDistribution(base, T.SigmoidTransform())
print("logit-normal log_prob", logit_normal.log_prob(torch.tensor([0.1, 0.5, 0.9])))
tanh_n = D.TransformedDistribution(
    D.Normal(torch.tensor(0.0), torch.tensor(2.0)), [T.TanhTransform(cache_size=1)]
)
a = tanh_n.rsample((3,))
print("tanh-squashed rsample", a, "log_prob", tanh_n.log_prob(a))
comp = T.ComposeTransform([T.AffineTransform(1.0, 2.0), T.ExpTransform()])
x = torch.tensor([-1.0, 0.0, 1.0])
y = comp(x)
# (the inverse is compared with allclose: torch's float32 log is an ulp off now and then)
print(
    "compose",
    y,
    "inverse recovers x",
    torch.allclose(comp.inv(y), x, atol=1e-6),
    "log|det J|",
    comp.log_abs_det_jacobian(x, y),
)
print(
    "stick breaking",
    T.StickBreakingTransform()(torch.tensor([0.0, 1.0])),
    "softmax",
    T.SoftmaxTransform()(torch.tensor([0.0, 1.0])),
)
print(
    "power",
    T.PowerTransform(torch.tensor(2.0))(torch.tensor([3.0])),
    "abs",
    T.AbsTransform()(torch.tensor([-2.0])),
)

# -- biject_to: optimise constrained parameters in unconstrained space -------------------------
data = D.Gamma(torch.tensor(3.0), torch.tensor(2.0)).sample((500,))
print("data mean", data.mean(), "var", data.var())
to_pos = D.transform_to(constraints.positive)
raw = torch.zeros(2, requires_grad=True)
opt = torch.optim.Adam([raw], lr=0.05)
for step in range(300):
    conc, rate = to_pos(raw)
    nll = -D.Gamma(conc, rate).log_prob(data).mean()
    opt.zero_grad()
    nll.backward()
    opt.step()
    if step % 75 == 0 or step == 299:
        print(
            f"gamma MLE step {step:3d} nll {nll.item():.4f} "
            f"conc {conc.item():.4f} rate {rate.item():.4f}"
        )
print(
    "biject_to(simplex)",
    D.biject_to(constraints.simplex)(torch.tensor([0.0, 0.0])),
    "transform_to(interval)",
    D.transform_to(constraints.interval(-1.0, 1.0))(torch.tensor([0.0, 10.0])),
)

# -- variational inference for a coin: Beta posterior by reparameterisation ------------------------
flips = torch.bernoulli(torch.full((40,), 0.7))
heads = flips.sum()
print("heads", heads.item(), "of", len(flips))
posterior = D.Beta(1 + heads, 1 + len(flips) - heads)
log_a = torch.tensor(0.0, requires_grad=True)
log_b = torch.tensor(0.0, requires_grad=True)
opt = torch.optim.Adam([log_a, log_b], lr=0.1)
prior = D.Beta(torch.tensor(1.0), torch.tensor(1.0))
for step in range(200):
    q = D.Beta(log_a.exp(), log_b.exp())
    theta = q.rsample((16,))
    elbo = (D.Bernoulli(probs=theta.unsqueeze(1)).log_prob(flips).sum(1)).mean() - D.kl_divergence(
        q, prior
    )
    opt.zero_grad()
    (-elbo).backward()
    opt.step()
    if step % 50 == 0 or step == 199:
        print(
            f"VI step {step:3d} elbo {elbo.item():.4f} "
            f"q = Beta({log_a.exp().item():.3f}, {log_b.exp().item():.3f})"
        )
print(
    "exact posterior",
    posterior.concentration1.item(),
    posterior.concentration0.item(),
    "KL(q || exact)",
    round(D.kl_divergence(q, posterior).item(), 4),
)
print(
    "Beta rsample has grad_fn",
    q.rsample().grad_fn is not None,
    "has_rsample",
    q.has_rsample,
    D.Poisson(1.0).has_rsample,
)
