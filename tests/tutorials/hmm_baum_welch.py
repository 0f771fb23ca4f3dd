"""A hidden Markov model end to end: sequences sampled from a known 3-state HMM with
torch.distributions.Categorical, the forward algorithm in log space (logsumexp) checked
against brute-force enumeration of every state path on a short sequence, the backward
algorithm, state posteriors (forward-backward) and their agreement with
torch.autograd.grad of log p(x) with respect to the emission log-probabilities, Viterbi
decoding, Baum-Welch (EM) re-estimation over a batch of sequences with the
log-likelihood never decreasing, and the same model fitted by gradient ascent on
softmax-parameterised logits with Adam."""

import itertools

import torch
from torch.distributions import Categorical

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
torch.set_printoptions(precision=4)

true_pi = torch.tensor([0.6, 0.3, 0.1])
true_A = torch.tensor([[0.8, 0.15, 0.05], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])
true_B = torch.tensor([[0.7, 0.2, 0.1, 0.0], [0.1, 0.6, 0.2, 0.1], [0.05, 0.05, 0.2, 0.7]])
print(Categorical(probs=true_A), Categorical(probs=true_B).batch_shape)


def sample(n_seq, length, gen_seed):
    torch.manual_seed(gen_seed)
    states = torch.empty(n_seq, length, dtype=torch.long)
    obs = torch.empty(n_seq, length, dtype=torch.long)
    states[:, 0] = Categorical(probs=true_pi).sample((n_seq,))
    for t in range(length):
        if t > 0:
            states[:, t] = Categorical(probs=true_A[states[:, t - 1]]).sample()
        obs[:, t] = Categorical(probs=true_B[states[:, t]]).sample()
    return states, obs


states, obs = sample(20, 30, 1)
print(states[0], obs[0], sep="\n")
print("state counts", torch.bincount(states.flatten()),
      "symbol counts", torch.bincount(obs.flatten()))


def forward(log_pi, log_A, log_B, x):
    """alpha_t(j) = log sum_i exp(alpha_{t-1}(i) + log A_ij) + log B_j(x_t)."""
    alpha = log_pi + log_B[:, x[..., 0]].movedim(0, -1)
    alphas = [alpha]
    for t in range(1, x.shape[-1]):
        emit = log_B[:, x[..., t]].movedim(0, -1)
        alpha = torch.logsumexp(alpha.unsqueeze(-1) + log_A, dim=-2) + emit
        alphas.append(alpha)
    return torch.stack(alphas, -2), torch.logsumexp(alpha, -1)


def backward(log_A, log_B, x):
    beta = torch.zeros(x.shape[:-1] + (log_A.shape[0],))
    betas = [beta]
    for t in range(x.shape[-1] - 1, 0, -1):
        emit = log_B[:, x[..., t]].movedim(0, -1)
        beta = torch.logsumexp(log_A + (emit + beta).unsqueeze(-2), dim=-1)
        betas.append(beta)
    return torch.stack(betas[::-1], -2)


log_pi, log_A, log_B = true_pi.log(), true_A.log(), true_B.log()
short = obs[0, :5]
_, ll = forward(log_pi, log_A, log_B, short)
brute = []
for path in itertools.product(range(3), repeat=5):
    p = torch.tensor(path)
    brute.append(log_pi[p[0]] + log_A[p[:-1], p[1:]].sum() + log_B[p, short].sum())
brute = torch.stack(brute)
print(f"forward log p(x) {ll.item():.12f} brute force {torch.logsumexp(brute, 0).item():.12f}")
best_brute = list(itertools.product(range(3), repeat=5))[brute.argmax()]

alphas, lls = forward(log_pi, log_A, log_B, obs)
betas = backward(log_A, log_B, obs)
print("per-sequence log-likelihoods", lls[:5], "total", f"{lls.sum().item():.6f}")
gamma = (alphas + betas - lls[:, None, None]).exp()
print("posterior rows sum to 1:", torch.allclose(gamma.sum(-1), torch.ones(20, 30)),
      "\nposteriors of sequence 0, t = 0..4\n", gamma[0, :5])
print("check: log p(x) from every time step", (alphas + betas).logsumexp(-1)[0, ::10])

# posteriors are the gradient of log p(x) w.r.t. the per-step emission log-probs
emis = log_B[:, obs[0]].T.clone().requires_grad_(True)          # (T, K)
alpha = log_pi + emis[0]
for t in range(1, 30):
    alpha = torch.logsumexp(alpha.unsqueeze(-1) + log_A, dim=0) + emis[t]
(grad,) = torch.autograd.grad(torch.logsumexp(alpha, 0), emis)
print("autograd posteriors agree:", torch.allclose(grad, gamma[0], rtol=0, atol=1e-12))


def viterbi(log_pi, log_A, log_B, x):
    delta = log_pi + log_B[:, x[0]]
    back = []
    for t in range(1, len(x)):
        scores = delta.unsqueeze(1) + log_A
        delta, idx = scores.max(0)
        delta = delta + log_B[:, x[t]]
        back.append(idx)
    path = [int(delta.argmax())]
    for idx in reversed(back):
        path.append(int(idx[path[-1]]))
    return path[::-1], delta.max()


path5, score5 = viterbi(log_pi, log_A, log_B, short)
print("Viterbi on 5 steps", path5, f"{score5.item():.10f}", "brute", list(best_brute),
      f"{brute.max().item():.10f}")
path, _ = viterbi(log_pi, log_A, log_B, obs[0])
print("Viterbi accuracy on sequence 0:", (torch.tensor(path) == states[0]).float().mean().item())

# -- Baum-Welch --------------------------------------------------------------------------------
torch.manual_seed(5)
pi = torch.softmax(torch.randn(3), 0)
A = torch.softmax(torch.randn(3, 3), 1)
B = torch.softmax(torch.randn(3, 4), 1)
prev = -float("inf")
for it in range(25):
    la, lb, lpi = A.log(), B.log(), pi.log()
    alphas, lls = forward(lpi, la, lb, obs)
    betas = backward(la, lb, obs)
    total = lls.sum()
    assert total >= prev - 1e-9
    prev = total
    gamma = (alphas + betas - lls[:, None, None]).exp()                       # (N, T, K)
    xi = (alphas[:, :-1, :, None] + la + lb[:, obs[:, 1:]].permute(1, 2, 0)[:, :, None, :]
          + betas[:, 1:, None, :] - lls[:, None, None, None]).exp()           # (N, T-1, K, K)
    pi = gamma[:, 0].mean(0)
    A = xi.sum((0, 1)) / gamma[:, :-1].sum((0, 1)).unsqueeze(1)
    onehot = torch.nn.functional.one_hot(obs, 4).double()                      # (N, T, M)
    B = torch.einsum("ntk,ntm->km", gamma, onehot) / gamma.sum((0, 1)).unsqueeze(1)
    if it % 6 == 0 or it == 24:
        print(f"EM iter {it:2d} log-likelihood {total.item():.6f}")
print("EM pi", pi, "\nA", A, "\nB", B)
print("rows stochastic:", torch.allclose(A.sum(1), torch.ones(3)),
      torch.allclose(B.sum(1), torch.ones(3)))

# -- gradient ascent on logits -----------------------------------------------------------------
torch.manual_seed(5)
logits = [torch.randn(3, requires_grad=True), torch.randn(3, 3, requires_grad=True),
          torch.randn(3, 4, requires_grad=True)]
opt = torch.optim.Adam(logits, lr=0.1)
for step in range(60):
    lpi, la, lb = (torch.log_softmax(logits[0], 0), torch.log_softmax(logits[1], 1),
                   torch.log_softmax(logits[2], 1))
    _, lls = forward(lpi, la, lb, obs)
    loss = -lls.mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 20 == 0 or step == 59:
        print(f"Adam step {step:2d} mean log-likelihood {-loss.item():.6f} "
              f"grad norm {torch.cat([p.grad.flatten() for p in logits]).norm().item():.6f}")
print("EM mean log-likelihood", f"{(prev / 20).item():.6f}")
