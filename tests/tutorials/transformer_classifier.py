"""A small Transformer classifier in the style of the "Language Modeling with nn.Transformer"
tutorial: sinusoidal PositionalEncoding kept in a register_buffer, nn.TransformerEncoder,
a causal mask from nn.Transformer.generate_square_subsequent_mask, a padding mask,
mean pooling, gradient clipping and a StepLR schedule."""

import math

import torch
from torch import Tensor, nn


class PositionalEncoding(nn.Module):

    def __init__(self, d_model: int, dropout: float = 0.1, max_len: int = 5000):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)

        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer('pe', pe)

    def forward(self, x: Tensor) -> Tensor:
        """
        Arguments:
            x: Tensor, shape ``[seq_len, batch_size, embedding_dim]``
        """
        x = x + self.pe[:x.size(0)]
        return self.dropout(x)


class TransformerModel(nn.Module):

    def __init__(self, ntoken: int, d_model: int, nhead: int, d_hid: int,
                 nlayers: int, nclass: int, dropout: float = 0.5):
        super().__init__()
        self.model_type = 'Transformer'
        self.pos_encoder = PositionalEncoding(d_model, dropout)
        encoder_layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers)
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, nclass)

        self.init_weights()

    def init_weights(self) -> None:
        initrange = 0.1
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.linear.bias.data.zero_()
        self.linear.weight.data.uniform_(-initrange, initrange)

    def forward(self, src: Tensor, src_mask: Tensor = None,
                src_key_padding_mask: Tensor = None) -> Tensor:
        """
        Arguments:
            src: Tensor, shape ``[seq_len, batch_size]``
            src_mask: Tensor, shape ``[seq_len, seq_len]``

        Returns:
            output Tensor of shape ``[batch_size, nclass]``
        """
        src = self.embedding(src) * math.sqrt(self.d_model)
        src = self.pos_encoder(src)
        output = self.transformer_encoder(src, mask=src_mask,
                                          src_key_padding_mask=src_key_padding_mask)
        return self.linear(output.mean(dim=0))


torch.manual_seed(0)
ntokens, seq_len, n = 20, 12, 96
# Task: is token 1 among the sequence's tokens?
data = torch.randint(2, ntokens, (seq_len, n))
labels = torch.randint(0, 2, (n,))
rows = torch.randint(0, seq_len, (n,))
data[rows[labels == 1], torch.arange(n)[labels == 1]] = 1

model = TransformerModel(ntokens, d_model=32, nhead=4, d_hid=64, nlayers=2, nclass=2,
                         dropout=0.1)
print(model.pos_encoder.pe.shape, [name for name, _ in model.named_buffers()])
print(sum(p.numel() for p in model.parameters()))
print(model.transformer_encoder.layers[0])

src_mask = nn.Transformer.generate_square_subsequent_mask(seq_len)
print(src_mask[:4, :4])

criterion = nn.CrossEntropyLoss()
lr = 5.0 / 10
optimizer = torch.optim.SGD(model.parameters(), lr=lr)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)

batch_size = 16
for epoch in range(1, 4):
    model.train()
    total_loss = 0.
    for i in range(0, n, batch_size):
        src, target = data[:, i:i + batch_size], labels[i:i + batch_size]
        output = model(src, src_mask)
        loss = criterion(output, target)

        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        total_loss += loss.item()
    scheduler.step()
    print(f'| epoch {epoch:3d} | lr {scheduler.get_last_lr()[0]:02.4f} | '
          f'loss {total_loss / (n // batch_size):5.4f}')

model.eval()
with torch.no_grad():
    out = model(data, src_mask)
    acc = (out.argmax(1) == labels).float().mean()
    # A padding mask: the last three positions of every sequence are ignored.
    pad = torch.zeros(n, seq_len, dtype=torch.bool)
    pad[:, -3:] = True
    padded = model(data, src_key_padding_mask=pad)
print(f"accuracy {acc.item():.4f}", out[:2], padded[:2], sep="\n")
