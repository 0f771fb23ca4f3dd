"""Sequence Models and LSTM Networks (the part-of-speech tagger), then a character-level
language model in the style of course material: nn.Embedding, nn.LSTM(batch_first=True),
truncated backprop with detached hidden state, clip_grad_norm_, sampling with multinomial."""

# ruff: noqa: B007  (the tutorial's own loop variables, kept as written)

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(1)

# -- LSTM basics, as in the tutorial -------------------------------------------------------
lstm = nn.LSTM(3, 3)  # Input dim is 3, output dim is 3
inputs = [torch.randn(1, 3) for _ in range(5)]  # make a sequence of length 5

hidden = (torch.randn(1, 1, 3), torch.randn(1, 1, 3))
for i in inputs:
    out, hidden = lstm(i.view(1, 1, -1), hidden)

inputs = torch.cat(inputs).view(len(inputs), 1, -1)
hidden = (torch.randn(1, 1, 3), torch.randn(1, 1, 3))  # clean out hidden state
out, hidden = lstm(inputs, hidden)
# The tutorial prints `out`; its grad_fn name depends on torch's CPU backend
# (MkldnnRnnLayerBackward0 with oneDNN), so the values are printed without it.
print(out.detach())
print(hidden)


# -- The LSTM part-of-speech tagger --------------------------------------------------------
def prepare_sequence(seq, to_ix):
    idxs = [to_ix[w] for w in seq]
    return torch.tensor(idxs, dtype=torch.long)


training_data = [
    ("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("Everybody read that book".split(), ["NN", "V", "DET", "NN"])
]
word_to_ix = {}
for sent, tags in training_data:
    for word in sent:
        if word not in word_to_ix:
            word_to_ix[word] = len(word_to_ix)
print(word_to_ix)
tag_to_ix = {"DET": 0, "NN": 1, "V": 2}

EMBEDDING_DIM = 6
HIDDEN_DIM = 6


class LSTMTagger(nn.Module):

    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super(LSTMTagger, self).__init__()
        self.hidden_dim = hidden_dim
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim)
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
        tag_scores = F.log_softmax(tag_space, dim=1)
        return tag_scores


model = LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, len(word_to_ix), len(tag_to_ix))
loss_function = nn.NLLLoss()
optimizer = optim.SGD(model.parameters(), lr=0.1)

with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix)
    tag_scores = model(inputs)
    print(tag_scores)

for epoch in range(100):  # the tutorial trains for 300 epochs
    for sentence, tags in training_data:
        model.zero_grad()
        sentence_in = prepare_sequence(sentence, word_to_ix)
        targets = prepare_sequence(tags, tag_to_ix)
        tag_scores = model(sentence_in)
        loss = loss_function(tag_scores, targets)
        loss.backward()
        optimizer.step()

with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix)
    tag_scores = model(inputs)
    print(tag_scores)
    print(tag_scores.argmax(dim=1))

# -- Character-level language model --------------------------------------------------------
text = ("the quick brown fox jumps over the lazy dog. " * 4
        + "pack my box with five dozen liquor jugs. " * 4)
chars = sorted(set(text))
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for ch, i in stoi.items()}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
print(len(chars), data.shape, data[:10])


class CharLSTM(nn.Module):
    def __init__(self, vocab_size, embed=16, hidden=32, num_layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=num_layers, batch_first=True, dropout=0.1)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


model = CharLSTM(len(chars))
print(model)
optimizer = optim.Adam(model.parameters(), lr=0.01)
criterion = nn.CrossEntropyLoss()
seq_len, batch_size = 16, 8

for step in range(60):
    model.train()
    starts = torch.randint(0, len(data) - seq_len - 1, (batch_size,))
    x = torch.stack([data[s:s + seq_len] for s in starts])
    y = torch.stack([data[s + 1:s + seq_len + 1] for s in starts])
    logits, _ = model(x)
    loss = criterion(logits.reshape(-1, len(chars)), y.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()
    if step % 20 == 19:
        print(f"step {step + 1}  loss {loss.item():.4f}  grad norm {norm.item():.4f}")

# Truncated backprop through time: carry the state over, detached.
state = None
for chunk in data[:64].view(4, 16):
    logits, state = model(chunk.unsqueeze(0), state)
    state = tuple(s.detach() for s in state)
    loss = criterion(logits.squeeze(0)[:-1], chunk[1:])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"tbptt loss {loss.item():.4f}", [tuple(s.shape) for s in state], state[0].requires_grad)

model.eval()
with torch.no_grad():
    idx = torch.tensor([[stoi["t"]]])
    state = None
    out = "t"
    for _ in range(40):
        logits, state = model(idx, state)
        probs = F.softmax(logits[0, -1] / 0.8, dim=-1)
        idx = torch.multinomial(probs, num_samples=1).view(1, 1)
        out += itos[idx.item()]
print(repr(out))
