"""Recurrent layers opened up: nn.RNN/GRU/LSTM parameter names and shapes (gate order
i,f,g,o and r,z,n), one LSTM/GRU step by hand matching LSTMCell/GRUCell and the full layer,
bidirectional multi-layer outputs vs h_n (which slice is which direction), proj_size,
batch_first, nonlinearity='relu', dropout between layers, packed sequences with
enforce_sorted=False and pad_packed_sequence(total_length=), and a tiny sequence-sum
regression trained for a few steps."""

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

torch.manual_seed(0)

lstm = nn.LSTM(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)
print(lstm)
for name, p in lstm.named_parameters():
    print(f"  {name:26s} {tuple(p.shape)}")
print("all_weights groups:", len(lstm.all_weights), [len(g) for g in lstm.all_weights])

# -- one LSTM step by hand -------------------------------------------------------------------------
cell = nn.LSTMCell(3, 4)
x = torch.randn(2, 3)
h = torch.randn(2, 4)
c = torch.randn(2, 4)
gates = x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
i, f, g, o = gates.chunk(4, dim=1)
c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
h_new = torch.sigmoid(o) * torch.tanh(c_new)
h_cell, c_cell = cell(x, (h, c))
print(
    "LSTMCell by hand:",
    torch.allclose(h_cell, h_new, atol=1e-6),
    torch.allclose(c_cell, c_new, atol=1e-6),
)
print(h_cell.round(decimals=4))

gru_cell = nn.GRUCell(3, 4)
gi = x @ gru_cell.weight_ih.T + gru_cell.bias_ih
gh = h @ gru_cell.weight_hh.T + gru_cell.bias_hh
r = torch.sigmoid(gi[:, :4] + gh[:, :4])
z = torch.sigmoid(gi[:, 4:8] + gh[:, 4:8])
n = torch.tanh(gi[:, 8:] + r * gh[:, 8:])
h_gru = (1 - z) * n + z * h
print("GRUCell by hand:", torch.allclose(gru_cell(x, h), h_gru, atol=1e-6))
rnn_cell = nn.RNNCell(3, 4, nonlinearity="relu")
print(
    "RNNCell relu:",
    torch.allclose(
        rnn_cell(x, h),
        torch.relu(
            x @ rnn_cell.weight_ih.T
            + rnn_cell.bias_ih
            + h @ rnn_cell.weight_hh.T
            + rnn_cell.bias_hh
        ),
    ),
)
print("cell without state:", cell(x)[0].shape, gru_cell(x[0]).shape)

# -- the layer is the cell in a loop ---------------------------------------------------------------
one = nn.LSTM(3, 4)
seq = torch.randn(5, 2, 3)
out, (h_n, c_n) = one(seq)
cell.weight_ih, cell.weight_hh = one.weight_ih_l0, one.weight_hh_l0
cell.bias_ih, cell.bias_hh = one.bias_ih_l0, one.bias_hh_l0
state = (torch.zeros(2, 4), torch.zeros(2, 4))
steps = []
for t in range(5):
    state = cell(seq[t], state)
    steps.append(state[0])
print(
    "layer == loop of cells:",
    torch.allclose(torch.stack(steps), out, atol=1e-6),
    torch.allclose(h_n[0], state[0], atol=1e-6),
)
print("out/h_n/c_n:", out.shape, h_n.shape, c_n.shape)

# -- bidirectional, multi-layer --------------------------------------------------------------------
out, (h_n, c_n) = lstm(seq)
print("bidirectional out:", out.shape, "h_n:", h_n.shape)
print("forward half of last step is h_n[-2]:", torch.equal(out[-1, :, :4], h_n[-2]))
print("backward half of first step is h_n[-1]:", torch.equal(out[0, :, 4:], h_n[-1]))
print("h_n viewed (layers, directions, batch, hidden):", h_n.view(2, 2, 2, 4).shape)
print(out[0].round(decimals=4))
h0 = torch.zeros(4, 2, 4)
out2, _ = lstm(seq, (h0, h0))
print("explicit zero state is the default:", torch.equal(out, out2))
try:
    lstm(seq, (torch.zeros(2, 2, 4), torch.zeros(2, 2, 4)))
except RuntimeError as e:
    print("wrong h0 shape ->", type(e).__name__)

proj = nn.LSTM(3, 6, proj_size=2, batch_first=True)
print("proj_size params:", [(n, tuple(p.shape)) for n, p in proj.named_parameters()])
out, (h_n, c_n) = proj(seq.transpose(0, 1))
print("proj_size outputs:", out.shape, h_n.shape, c_n.shape)
gru = nn.GRU(3, 5, num_layers=3, batch_first=True, dropout=0.0)
out, h_n = gru(seq.transpose(0, 1))
print("GRU 3 layers:", out.shape, h_n.shape, torch.equal(out[:, -1], h_n[-1]))
rnn = nn.RNN(3, 4, nonlinearity="relu", bias=False)
out, h_n = rnn(seq)
print(
    "RNN relu no bias:", out.shape, (out >= 0).all().item(), [n for n, _ in rnn.named_parameters()]
)
print(
    "unbatched input:",
    nn.GRU(3, 4)(torch.randn(5, 3))[0].shape,
    nn.LSTM(3, 4)(torch.randn(5, 3))[1][0].shape,
)
drop = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
drop.eval()
print("dropout off in eval:", torch.equal(drop(seq)[0], drop(seq)[0]))

# -- packed sequences ------------------------------------------------------------------------------
lengths = torch.tensor([2, 5, 3])
seqs = [torch.randn(int(n), 3) for n in lengths]
padded = pad_sequence(seqs)
print("pad_sequence:", padded.shape, padded[:, 0, 0])
print(
    "batch_first, padding_value:", pad_sequence(seqs, batch_first=True, padding_value=-1.0)[0, :, 0]
)
packed = pack_padded_sequence(padded, lengths, enforce_sorted=False)
print(
    "packed batch_sizes:",
    packed.batch_sizes,
    "sorted_indices:",
    packed.sorted_indices,
    "unsorted_indices:",
    packed.unsorted_indices,
)
print("packed data:", packed.data.shape)
out_packed, (h_n, _) = one(packed)
out, out_lengths = pad_packed_sequence(out_packed, total_length=7)
print("unpacked:", out.shape, out_lengths)
print("padding positions are zero:", out[2:, 0].abs().sum().item(), out[5:].abs().sum().item())
for k, n in enumerate(lengths.tolist()):
    alone, (h_alone, _) = one(seqs[k].unsqueeze(1))
    print(
        f"  sequence {k}: packed == alone {torch.allclose(out[:n, k], alone[:, 0], atol=1e-6)}, "
        f"h_n is last valid step {torch.allclose(h_n[0, k], h_alone[0, 0], atol=1e-6)}"
    )
try:
    pack_padded_sequence(padded, lengths)
except RuntimeError as e:
    print("unsorted with enforce_sorted=True ->", type(e).__name__)

# -- a tiny training run: predict the running sum --------------------------------------------------
torch.manual_seed(1)


class Summer(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(1, 8, batch_first=True)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out)


model = Summer()
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for step in range(1, 31):
    xs = torch.rand(16, 6, 1) - 0.5
    ys = xs.cumsum(dim=1)
    loss = nn.functional.mse_loss(model(xs), ys)
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % 10 == 0:
        grad_norm = model.rnn.weight_hh_l0.grad.norm().item()
        print(f"step {step} loss {loss.item():.5f} |grad W_hh| {grad_norm:.5f}")
test = torch.tensor([[[0.1], [0.2], [-0.3], [0.4]]])
print(
    "prediction:",
    model(test).detach().flatten().round(decimals=3),
    "truth:",
    test.cumsum(1).flatten(),
)
