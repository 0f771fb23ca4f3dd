"""Variable-length sequences and model surgery: pad_sequence, pack_padded_sequence
(enforce_sorted both ways), pack_sequence, pad_packed_sequence, a bidirectional GRU
classifier over packed batches with the final hidden states of both directions, an LSTM
with proj_size; then the pruning tutorial (prune.random_unstructured, l1_unstructured,
ln_structured, global_unstructured, PruningContainer history, prune.remove), and a spatial
transformer's affine_grid/grid_sample with nn.Unfold/nn.Fold patches."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune
from torch.nn.utils.rnn import (
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
)

torch.manual_seed(31)

# -- padding and packing ------------------------------------------------------------------------
a, b, c = torch.ones(25, 3), torch.ones(22, 3), torch.ones(15, 3)
print(pad_sequence([a, b, c]).size(), pad_sequence([a, b, c], batch_first=True).size())
print(pad_sequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5])], batch_first=True,
                   padding_value=-1))
print(pad_sequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5])], batch_first=True,
                   padding_side="left"))
packed = pack_sequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5]), torch.tensor([6])])
print(packed)
seq = torch.tensor([[1, 2, 0], [3, 0, 0], [4, 5, 6]])
lens = [2, 1, 3]
packed = pack_padded_sequence(seq, lens, batch_first=True, enforce_sorted=False)
print(packed)
seq_unpacked, lens_unpacked = pad_packed_sequence(packed, batch_first=True)
print(seq_unpacked, lens_unpacked)
print(pad_packed_sequence(packed, batch_first=True, total_length=5)[0].shape)
try:
    pack_padded_sequence(seq, lens, batch_first=True)
except RuntimeError as e:
    print("RuntimeError:", str(e)[:70])

# -- a bidirectional GRU over packed batches: is a sequence's first digit above its last? ----
vocab, emb_dim, hidden = 10, 8, 16


def make_batch(n):
    lengths = torch.randint(2, 9, (n,))
    seqs = [torch.randint(1, vocab, (int(k),)) for k in lengths]
    labels = torch.tensor([int(s[0] > s[-1]) for s in seqs])
    return pad_sequence(seqs, batch_first=True), lengths, labels


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb_dim, padding_idx=0)
        self.rnn = nn.GRU(emb_dim, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, 2)

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(self.embedding(padded), lengths, batch_first=True,
                                      enforce_sorted=False)
        output, h_n = self.rnn(packed)
        return self.fc(torch.cat([h_n[-2], h_n[-1]], dim=1)), output


model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
padded, lengths, labels = make_batch(4)
logits, output = model(padded, lengths)
print(padded, lengths, labels)
print(type(output).__name__, output.data.shape, output.batch_sizes, output.sorted_indices)
unpacked, unpacked_lens = pad_packed_sequence(output, batch_first=True)
print(unpacked.shape, unpacked_lens, unpacked[0, -1].abs().sum().item() == 0.0
      or int(lengths[0]) == unpacked.shape[1])
for step in range(60):
    padded, lengths, labels = make_batch(32)
    optimizer.zero_grad()
    logits, _ = model(padded, lengths)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    if step % 10 == 0:
        acc = (logits.argmax(1) == labels).float().mean().item()
        print(f"step {step:2d} loss {loss.item():.4f} acc {acc:.3f}")
print(model.embedding.weight.grad[0])

lstm = nn.LSTM(4, 6, num_layers=2, proj_size=3, batch_first=True)
packed = pack_padded_sequence(torch.randn(3, 5, 4), torch.tensor([5, 3, 2]), batch_first=True)
out, (h, c) = lstm(packed)
print(out.data.shape, h.shape, c.shape, pad_packed_sequence(out)[0].shape)

# -- pruning ------------------------------------------------------------------------------------
class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, int(x.nelement() / x.shape[0]))
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


model = LeNet()
module = model.conv1
print(list(module.named_parameters())[1][0], list(module.named_buffers()))
prune.random_unstructured(module, name="weight", amount=0.3)
print([n for n, _ in module.named_parameters()], [n for n, _ in module.named_buffers()])
print(module.weight_mask[0], int(module.weight_mask.sum().item()))
print([type(h).__name__ for h in module._forward_pre_hooks.values()])
prune.l1_unstructured(module, name="bias", amount=3)
print(module.bias, module.bias_mask)
prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
print(module.weight_mask.sum(dim=(1, 2, 3)))
for hook in module._forward_pre_hooks.values():
    if hook._tensor_name == "weight":
        break
print(type(hook).__name__, [type(h).__name__ for h in hook])
print(model.state_dict().keys())
prune.remove(module, "weight")
print([n for n, _ in module.named_parameters()], [n for n, _ in module.named_buffers()])
new_model = LeNet()
for _name, mod in new_model.named_modules():
    if isinstance(mod, torch.nn.Conv2d):
        prune.l1_unstructured(mod, name="weight", amount=0.2)
    elif isinstance(mod, torch.nn.Linear):
        prune.l1_unstructured(mod, name="weight", amount=0.4)
print(dict(new_model.named_buffers()).keys())
model = LeNet()
parameters_to_prune = ((model.conv1, "weight"), (model.conv2, "weight"),
                       (model.fc1, "weight"), (model.fc2, "weight"), (model.fc3, "weight"))
prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured,
                          amount=0.2)
for m, _ in parameters_to_prune:
    print("Sparsity in {}: {:.2f}%".format(
        type(m).__name__, 100. * float(torch.sum(m.weight == 0)) / float(m.weight.nelement())))
total = sum(float(torch.sum(m.weight == 0)) for m, _ in parameters_to_prune)
print("Global sparsity: {:.2f}%".format(
    100. * total / sum(float(m.weight.nelement()) for m, _ in parameters_to_prune)))
out = model(torch.randn(2, 1, 28, 28))
out.sum().backward()
print(out.shape, model.conv1.weight_orig.grad.eq(0).sum().item()
      >= model.conv1.weight_mask.eq(0).sum().item())
print(prune.is_pruned(model), prune.is_pruned(nn.Linear(2, 2)))

# -- affine_grid / grid_sample (the spatial transformer tutorial) and Unfold/Fold ---------------
img = torch.arange(16.).reshape(1, 1, 4, 4)
theta = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
grid = F.affine_grid(theta, img.size(), align_corners=False)
print(grid.shape, grid[0, 0])
print(torch.allclose(F.grid_sample(img, grid, align_corners=False), img))
angle = torch.tensor(0.3)
theta = torch.stack([torch.stack([angle.cos(), -angle.sin(), torch.tensor(0.1)]),
                     torch.stack([angle.sin(), angle.cos(), torch.tensor(-0.2)])]).unsqueeze(0)
theta.requires_grad_()
grid = F.affine_grid(theta, (1, 1, 4, 4), align_corners=False)
warped = F.grid_sample(img, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
print(warped)
warped.sum().backward()
print(theta.grad)
print(F.grid_sample(img, grid.detach(), mode="nearest", padding_mode="border",
                    align_corners=True))
unfold = nn.Unfold(kernel_size=(2, 3))
inp = torch.randn(2, 5, 3, 4)
output = unfold(inp)
print(output.size())
fold = nn.Fold(output_size=(4, 5), kernel_size=(2, 2))
print(fold(torch.randn(1, 3 * 2 * 2, 12)).size())
inp = torch.randn(1, 3, 10, 12)
w = torch.randn(2, 3, 4, 5)
inp_unf = F.unfold(inp, (4, 5))
out_unf = inp_unf.transpose(1, 2).matmul(w.view(w.size(0), -1).t()).transpose(1, 2)
out = F.fold(out_unf, (7, 8), (1, 1))
print((F.conv2d(inp, w) - out).abs().max().item() < 1e-4)
ones = torch.ones(1, 1, 4, 4)
print(F.fold(F.unfold(ones, 2, stride=1), (4, 4), 2, stride=1))
