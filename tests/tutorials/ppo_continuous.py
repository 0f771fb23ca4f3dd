"""Proximal policy optimisation with a Gaussian policy on a small continuous-control task
written in torch (a point mass pushed towards a target), in the style of the CleanRL
ppo_continuous_action script: an actor-critic with orthogonal initialisation
(nn.init.orthogonal_ with gains, constant biases), a state-independent log-std
parameter, torch.distributions.Normal wrapped in Independent for joint log-probs and
entropies, generalised advantage estimation computed backwards in a loop, advantage
normalisation, the clipped surrogate objective with the approximate KL and clip fraction
reported, a clipped value loss, minibatch epochs over shuffled indices, global gradient
norm clipping and a linearly annealed learning rate."""

import numpy as np
import torch
import torch.nn as nn
from torch.distributions import Independent, Normal

torch.manual_seed(1)


class PointMass:
    """State (position, velocity) in 2-D; action = force, clipped to [-1, 1]."""

    def __init__(self, n_envs, generator):
        self.n, self.g = n_envs, generator
        self.reset_all()

    def reset_all(self):
        self.pos = torch.rand(self.n, 2, generator=self.g) * 4 - 2
        self.vel = torch.zeros(self.n, 2)
        self.t = torch.zeros(self.n, dtype=torch.long)

    def obs(self):
        return torch.cat([self.pos, self.vel], dim=1)

    def step(self, action):
        a = action.clamp(-1, 1)
        self.vel = 0.9 * self.vel + 0.1 * a
        self.pos = self.pos + 0.1 * self.vel
        self.t += 1
        reward = -self.pos.norm(dim=1) - 0.01 * (a ** 2).sum(dim=1)
        done = self.t >= 50
        if done.any():
            k = int(done.sum())
            self.pos[done] = torch.rand(k, 2, generator=self.g) * 4 - 2
            self.vel[done] = 0
            self.t[done] = 0
        return self.obs(), reward, done


def layer_init(layer, std=2 ** 0.5, bias_const=0.0):
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias_const)
    return layer


class Agent(nn.Module):
    def __init__(self, obs_dim=4, act_dim=2):
        super().__init__()
        self.critic = nn.Sequential(layer_init(nn.Linear(obs_dim, 32)), nn.Tanh(),
                                    layer_init(nn.Linear(32, 32)), nn.Tanh(),
                                    layer_init(nn.Linear(32, 1), std=1.0))
        self.actor_mean = nn.Sequential(layer_init(nn.Linear(obs_dim, 32)), nn.Tanh(),
                                        layer_init(nn.Linear(32, 32)), nn.Tanh(),
                                        layer_init(nn.Linear(32, act_dim), std=0.01))
        self.actor_logstd = nn.Parameter(torch.zeros(1, act_dim))

    def get_value(self, x):
        return self.critic(x)

    def get_action_and_value(self, x, action=None):
        mean = self.actor_mean(x)
        std = self.actor_logstd.expand_as(mean).exp()
        dist = Independent(Normal(mean, std), 1)
        if action is None:
            action = dist.sample()
        return action, dist.log_prob(action), dist.entropy(), self.critic(x)


n_envs, n_steps, updates = 8, 64, 12
gamma, lam, clip_coef, ent_coef, vf_coef = 0.99, 0.95, 0.2, 0.0, 0.5
env = PointMass(n_envs, torch.Generator().manual_seed(3))
agent = Agent()
print(agent)
print("orthogonal rows:", torch.allclose(agent.critic[0].weight.T @ agent.critic[0].weight,
                                         2 * torch.eye(4), atol=1e-5))
x0 = env.obs()
action, logp, ent, value = agent.get_action_and_value(x0)
print("action", tuple(action.shape), "log_prob", tuple(logp.shape), logp.grad_fn.name(),
      "entropy", ent[:2], "value", tuple(value.shape))
print(Independent(Normal(torch.zeros(3, 2), torch.ones(3, 2)), 1))

optimizer = torch.optim.Adam(agent.parameters(), lr=3e-3, eps=1e-5)
obs = torch.zeros(n_steps, n_envs, 4)
actions = torch.zeros(n_steps, n_envs, 2)
logprobs = torch.zeros(n_steps, n_envs)
rewards = torch.zeros(n_steps, n_envs)
dones = torch.zeros(n_steps, n_envs)
values = torch.zeros(n_steps, n_envs)
next_obs, next_done = env.obs(), torch.zeros(n_envs)
for update in range(1, updates + 1):
    optimizer.param_groups[0]["lr"] = (1.0 - (update - 1.0) / updates) * 3e-3
    for step in range(n_steps):
        obs[step], dones[step] = next_obs, next_done
        with torch.no_grad():
            action, logprob, _, value = agent.get_action_and_value(next_obs)
        values[step] = value.flatten()
        actions[step], logprobs[step] = action, logprob
        next_obs, reward, done = env.step(action)
        rewards[step], next_done = reward, done.float()

    with torch.no_grad():
        next_value = agent.get_value(next_obs).reshape(1, -1)
        advantages = torch.zeros_like(rewards)
        lastgaelam = 0
        for t in reversed(range(n_steps)):
            if t == n_steps - 1:
                nextnonterminal, nextvalues = 1.0 - next_done, next_value
            else:
                nextnonterminal, nextvalues = 1.0 - dones[t + 1], values[t + 1]
            delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
            advantages[t] = lastgaelam = delta + gamma * lam * nextnonterminal * lastgaelam
        returns = advantages + values

    b_obs, b_actions = obs.reshape(-1, 4), actions.reshape(-1, 2)
    b_logprobs, b_adv = logprobs.reshape(-1), advantages.reshape(-1)
    b_returns, b_values = returns.reshape(-1), values.reshape(-1)
    clipfracs = []
    for _epoch in range(4):
        b_inds = torch.randperm(n_steps * n_envs)
        for start in range(0, n_steps * n_envs, 128):
            mb = b_inds[start:start + 128]
            _, newlogprob, entropy, newvalue = agent.get_action_and_value(b_obs[mb], b_actions[mb])
            logratio = newlogprob - b_logprobs[mb]
            ratio = logratio.exp()
            with torch.no_grad():
                approx_kl = ((ratio - 1) - logratio).mean()
                clipfracs.append(((ratio - 1.0).abs() > clip_coef).float().mean().item())
            mb_adv = b_adv[mb]
            mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
            pg_loss = torch.max(-mb_adv * ratio,
                                -mb_adv * torch.clamp(ratio, 1 - clip_coef, 1 + clip_coef)).mean()
            newvalue = newvalue.view(-1)
            v_unclipped = (newvalue - b_returns[mb]) ** 2
            v_clipped = b_values[mb] + torch.clamp(newvalue - b_values[mb], -clip_coef, clip_coef)
            v_loss = 0.5 * torch.max(v_unclipped, (v_clipped - b_returns[mb]) ** 2).mean()
            loss = pg_loss - ent_coef * entropy.mean() + v_loss * vf_coef
            optimizer.zero_grad()
            loss.backward()
            grad_norm = nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
            optimizer.step()
    if update % 3 == 0:
        print(f"update {update:2d} lr {optimizer.param_groups[0]['lr']:.5f} "
              f"reward/step {rewards.mean().item():.4f} pg {pg_loss.item():.4f} "
              f"v {v_loss.item():.4f} kl {approx_kl.item():.5f} "
              f"clipfrac {np.mean(clipfracs):.4f} grad-norm {grad_norm.item():.4f} "
              f"std {agent.actor_logstd.exp().detach().squeeze().numpy().round(3)}")

with torch.no_grad():
    test = PointMass(4, torch.Generator().manual_seed(9))
    start = test.pos.norm(dim=1)
    for _ in range(40):
        test.step(agent.actor_mean(test.obs()))
    print("distance to target: start", start.round(decimals=3), "after 40 steps",
          test.pos.norm(dim=1).round(decimals=3))
