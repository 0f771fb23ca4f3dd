"""pytorch/examples word_language_model, shrunk: a corpus made of a synthetic vocabulary,
batchify/get_batch, an RNNModel (nn.Embedding -> dropout -> nn.LSTM / nn.GRU with dropout
between layers -> nn.Linear with tied weights), truncated backprop through time with the
hidden state repackaged (detached) between batches, clip_grad_norm_, a manual SGD update
(p.data.add_(p.grad, alpha=-lr)), evaluation with perplexity, learning-rate annealing, and
the model saved and restored with torch.save/torch.load."""

# ruff: noqa: B007  (the example's own loop variables, kept as written)

import io
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1111)

# -- data: a corpus of word ids, as data.Corpus would produce ------------------------------------
ntokens = 50
words = [f"w{i}" for i in range(ntokens)]
# a Markov chain over the vocabulary so that there is something to learn
transition = torch.softmax(torch.randn(ntokens, ntokens) * 3, dim=1)
ids = [0]
for _ in range(1599):
    ids.append(torch.multinomial(transition[ids[-1]], 1).item())
train_ids = torch.tensor(ids[:1200], dtype=torch.long)
val_ids = torch.tensor(ids[1200:1400], dtype=torch.long)
test_ids = torch.tensor(ids[1400:], dtype=torch.long)
print(" ".join(words[i] for i in ids[:12]))
print(train_ids.shape, val_ids.shape, test_ids.shape, torch.bincount(train_ids).topk(3))


def batchify(data, bsz):
    # Work out how cleanly we can divide the dataset into bsz parts.
    nbatch = data.size(0) // bsz
    # Trim off any extra elements that wouldn't cleanly fit (remainders).
    data = data.narrow(0, 0, nbatch * bsz)
    # Evenly divide the data across the bsz batches.
    data = data.view(bsz, -1).t().contiguous()
    return data


eval_batch_size = 10
train_data = batchify(train_ids, 20)
val_data = batchify(val_ids, eval_batch_size)
test_data = batchify(test_ids, eval_batch_size)
print(train_data.shape, val_data.shape, test_data.shape, train_data.is_contiguous())

bptt = 15


def get_batch(source, i):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


data, targets = get_batch(train_data, 0)
print(data.shape, targets.shape, data[:2, :5], targets[:5])


# -- the model ---------------------------------------------------------------------------------
class RNNModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ["LSTM", "GRU"]:
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("When using the tied flag, nhid must be equal to emsize")
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))
        else:
            return weight.new_zeros(self.nlayers, bsz, self.nhid)


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    else:
        return tuple(repackage_hidden(v) for v in h)


criterion = nn.NLLLoss()


def evaluate(model, data_source):
    # Turn on evaluation mode which disables dropout.
    model.eval()
    total_loss = 0.
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train(model, lr, clip, epoch):
    # Turn on training mode which enables dropout.
    model.train()
    total_loss = 0.
    hidden = model.init_hidden(20)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
        data, targets = get_batch(train_data, i)
        # Starting each batch, we detach the hidden state from how it was previously produced.
        # If we didn't, the model would try backpropagating all the way to start of the dataset.
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()

        # `clip_grad_norm` helps prevent the exploding gradient problem in RNNs / LSTMs.
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)

        total_loss += loss.item()
        if batch % 2 == 1:
            cur_loss = total_loss / 2
            print(f"| epoch {epoch:3d} | {batch:3d}/{len(train_data) // bptt:3d} batches | "
                  f"lr {lr:02.2f} | grad norm {norm.item():6.3f} | loss {cur_loss:5.2f} | "
                  f"ppl {math.exp(cur_loss):8.2f}")
            total_loss = 0


for rnn_type, tied, lr in [("LSTM", True, 20.0), ("GRU", False, 20.0), ("RNN_TANH", False, 2.0)]:
    torch.manual_seed(1111)
    model = RNNModel(rnn_type, ntokens, 16, 16, 2, dropout=0.2, tie_weights=tied)
    if rnn_type == "LSTM":
        print(model)
        print(model.decoder.weight is model.encoder.weight, len(list(model.parameters())),
              sum(p.numel() for p in model.parameters()))
    best_val_loss = None
    for epoch in range(1, 4):
        train(model, lr, 0.25, epoch)
        val_loss = evaluate(model, val_data)
        print("-" * 89)
        print(f"| end of epoch {epoch:3d} | valid loss {val_loss:5.2f} | "
              f"valid ppl {math.exp(val_loss):8.2f}")
        print("-" * 89)
        # Save the model if the validation loss is the best we've seen so far.
        if not best_val_loss or val_loss < best_val_loss:
            buffer = io.BytesIO()
            torch.save(model, buffer)
            best_val_loss = val_loss
        else:
            # Anneal the learning rate if no improvement has been seen in the validation dataset.
            lr /= 4.0

    # Load the best saved model.
    buffer.seek(0)
    model = torch.load(buffer, weights_only=False)
    # after load the rnn params are not a continuous chunk of memory
    # this makes them a continuous chunk, and will speed up forward pass
    model.rnn.flatten_parameters()
    test_loss = evaluate(model, test_data)
    print("=" * 89)
    print(f"| {rnn_type} End of training | test loss {test_loss:5.2f} | "
          f"test ppl {math.exp(test_loss):8.2f}")
    print("=" * 89)

# -- generate, as generate.py does -----------------------------------------------------------------
model.eval()
hidden = model.init_hidden(1)
input = torch.randint(ntokens, (1, 1), dtype=torch.long)
out_words = []
with torch.no_grad():
    for i in range(20):
        output, hidden = model(input, hidden)
        word_weights = output.squeeze().div(1.0).exp()
        word_idx = torch.multinomial(word_weights, 1)[0]
        input.fill_(word_idx)
        out_words.append(words[word_idx])
print(" ".join(out_words))
