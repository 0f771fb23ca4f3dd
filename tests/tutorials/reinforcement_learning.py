"""Reinforcement learning in the style of the REINFORCE example and the DQN tutorial, on a
tiny corridor environment written in torch: a policy network sampled through
torch.distributions.Categorical (sample, log_prob, entropy), discounted returns
normalised by their std with eps, the policy-gradient loss; then DQN with a replay
memory (collections.deque + random.sample seeded), epsilon-greedy actions, Q-values
gathered with .gather(1, actions), a target network updated by a soft update of its
state_dict, SmoothL1Loss and clip_grad_value_ on an AdamW optimizer (amsgrad)."""

import math
import random
from collections import deque, namedtuple
from itertools import count

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical

torch.manual_seed(543)
random.seed(543)


class Corridor:
    """States 0..6; start at 3; action 0 moves left, 1 moves right; reward 1 at 6, -1 at 0;
    the observation is a one-hot row with the step count appended."""
    n_states, n_actions = 7, 2

    def reset(self):
        self.pos, self.t = 3, 0
        return self.obs()

    def obs(self):
        o = torch.zeros(self.n_states + 1)
        o[self.pos] = 1.0
        o[-1] = self.t / 10.0
        return o

    def step(self, action):
        self.pos += 1 if action == 1 else -1
        self.t += 1
        done = self.pos in (0, 6) or self.t >= 12
        reward = 1.0 if self.pos == 6 else (-1.0 if self.pos == 0 else -0.01)
        return self.obs(), reward, done


env = Corridor()
eps = torch.finfo(torch.float32).eps
print(eps, env.reset())


# -- REINFORCE ------------------------------------------------------------------------------------
class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(8, 32)
        self.dropout = nn.Dropout(p=0.2)
        self.affine2 = nn.Linear(32, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
gamma = 0.99


def select_action(state):
    state = state.unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode():
    R = 0
    policy_loss = []
    returns = deque()
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.appendleft(R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    return policy_loss


running_reward = 0
for i_episode in range(1, 41):
    state, ep_reward = env.reset(), 0
    for _t in range(1, 100):
        action = select_action(state)
        state, reward, done = env.step(action)
        policy.rewards.append(reward)
        ep_reward += reward
        if done:
            break
    running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
    n_steps = len(policy.rewards)
    loss = finish_episode()
    if i_episode % 5 == 0:
        print(f"Episode {i_episode}\tsteps {n_steps:2d}\tLast reward: {ep_reward:.2f}\t"
              f"Average reward: {running_reward:.4f}\tloss {loss.item():.4f}")
policy.eval()
with torch.no_grad():
    probs = policy(torch.stack([env.reset()]))
    dist = Categorical(probs=probs)
    print(probs, dist.entropy(), dist.log_prob(torch.tensor([1])))
logits_dist = Categorical(logits=torch.tensor([[0.0, 1.0, 2.0]]))
print(logits_dist.probs, logits_dist.sample((4,)).squeeze(1), logits_dist.entropy())

# -- DQN ------------------------------------------------------------------------------------------
Transition = namedtuple("Transition", ("state", "action", "next_state", "reward"))


class ReplayMemory:
    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)

    def push(self, *args):
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)

    def __len__(self):
        return len(self.memory)


class DQN(nn.Module):
    def __init__(self, n_observations, n_actions):
        super().__init__()
        self.layer1 = nn.Linear(n_observations, 32)
        self.layer2 = nn.Linear(32, 32)
        self.layer3 = nn.Linear(32, n_actions)

    def forward(self, x):
        x = F.relu(self.layer1(x))
        x = F.relu(self.layer2(x))
        return self.layer3(x)


BATCH_SIZE, GAMMA, EPS_START, EPS_END, EPS_DECAY, TAU, LR = 16, 0.9, 0.9, 0.05, 100, 0.05, 1e-3
policy_net = DQN(8, 2)
target_net = DQN(8, 2)
target_net.load_state_dict(policy_net.state_dict())
optimizer = optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
memory = ReplayMemory(500)
steps_done = 0


def select_action_dqn(state):
    global steps_done
    sample = random.random()
    eps_threshold = EPS_END + (EPS_START - EPS_END) * math.exp(-1. * steps_done / EPS_DECAY)
    steps_done += 1
    if sample > eps_threshold:
        with torch.no_grad():
            return policy_net(state).max(1).indices.view(1, 1)
    return torch.tensor([[random.randrange(2)]], dtype=torch.long)


def optimize_model():
    if len(memory) < BATCH_SIZE:
        return None
    transitions = memory.sample(BATCH_SIZE)
    batch = Transition(*zip(*transitions))
    non_final_mask = torch.tensor(tuple(map(lambda s: s is not None, batch.next_state)),
                                  dtype=torch.bool)
    non_final_next_states = torch.cat([s for s in batch.next_state if s is not None])
    state_batch = torch.cat(batch.state)
    action_batch = torch.cat(batch.action)
    reward_batch = torch.cat(batch.reward)
    state_action_values = policy_net(state_batch).gather(1, action_batch)
    next_state_values = torch.zeros(BATCH_SIZE)
    with torch.no_grad():
        next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
    expected_state_action_values = (next_state_values * GAMMA) + reward_batch
    criterion = nn.SmoothL1Loss()
    loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
    optimizer.step()
    return loss


episode_durations = []
for i_episode in range(30):
    state = env.reset().unsqueeze(0)
    for t in count():
        action = select_action_dqn(state)
        observation, reward, terminated = env.step(action.item())
        reward = torch.tensor([reward])
        next_state = None if terminated else observation.unsqueeze(0)
        memory.push(state, action, next_state, reward)
        state = next_state
        loss = optimize_model()
        target_net_state_dict = target_net.state_dict()
        policy_net_state_dict = policy_net.state_dict()
        for key in policy_net_state_dict:
            target_net_state_dict[key] = (policy_net_state_dict[key] * TAU
                                          + target_net_state_dict[key] * (1 - TAU))
        target_net.load_state_dict(target_net_state_dict)
        if terminated:
            episode_durations.append(t + 1)
            break
    if i_episode % 5 == 4:
        print(f"episode {i_episode} duration {episode_durations[-1]} steps_done {steps_done} "
              f"loss {loss.item() if loss is not None else float('nan'):.5f}")
print(episode_durations)
durations_t = torch.tensor(episode_durations, dtype=torch.float)
print(durations_t.unfold(0, 10, 1).mean(1).view(-1))
with torch.no_grad():
    states = torch.eye(8)[:7]
    states[:, -1] = 0.0
    q = policy_net(states)
print(q, q.max(1).indices)
print(target_net.layer3.bias, policy_net.layer3.bias)
