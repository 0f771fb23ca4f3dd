"""The VAE of pytorch/examples (reparameterize with randn_like, BCE(reduction='sum') + KLD,
Adam), then the "Saving and loading a general checkpoint" recipe: torch.save of a dict
holding the model's and the optimizer's state_dicts, torch.load(weights_only=True),
load_state_dict into fresh objects, and resuming gives the very same numbers."""

# ruff: noqa: B007, B020  (the tutorial's own loop variables, kept as written)

import os
import tempfile

import torch
import torch.nn.functional as F
import torch.utils.data
from torch import nn, optim

torch.manual_seed(1)
D = 64  # 8x8 images instead of MNIST's 28x28, to stay fast
images = torch.rand(256, 1, 8, 8) * (torch.rand(256, 1, 8, 8) < 0.3)
train_loader = torch.utils.data.DataLoader(
    torch.utils.data.TensorDataset(images, torch.zeros(256, dtype=torch.long)),
    batch_size=32, shuffle=True)


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()

        self.fc1 = nn.Linear(D, 40)
        self.fc21 = nn.Linear(40, 8)
        self.fc22 = nn.Linear(40, 8)
        self.fc3 = nn.Linear(8, 40)
        self.fc4 = nn.Linear(40, D)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, D))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, D), reduction='sum')
    # see Appendix B from VAE paper: https://arxiv.org/abs/1312.6114
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


model = VAE()
optimizer = optim.Adam(model.parameters(), lr=1e-3)


def train(epoch):
    model.train()
    train_loss = 0
    for batch_idx, (data, _) in enumerate(train_loader):
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
    print('====> Epoch: {} Average loss: {:.4f}'.format(
          epoch, train_loss / len(train_loader.dataset)))
    return loss


def test():
    model.eval()
    with torch.no_grad():
        recon, mu, logvar = model(images[:64])
        test_loss = loss_function(recon, images[:64], mu, logvar).item() / 64
        sample = model.decode(torch.randn(4, 8))
    print('====> Test set loss: {:.4f}'.format(test_loss))
    print(sample.view(4, 1, 8, 8)[0, 0, 0])


for epoch in range(1, 4):
    loss = train(epoch)
    test()

# -- Saving and loading a general checkpoint -----------------------------------------------
with tempfile.TemporaryDirectory() as tmp:
    PATH = os.path.join(tmp, "model.pt")
    torch.save({
        'epoch': epoch,
        'model_state_dict': model.state_dict(),
        'optimizer_state_dict': optimizer.state_dict(),
        'loss': loss,
    }, PATH)
    rng_state = torch.get_rng_state()

    for epoch in range(4, 6):
        train(epoch)
    reference = [p.detach().clone() for p in model.parameters()]

    model = VAE()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    checkpoint = torch.load(PATH, weights_only=True)
    print(sorted(checkpoint), checkpoint['epoch'], checkpoint['loss'])
    print(model.load_state_dict(checkpoint['model_state_dict']))
    optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
    print(optimizer.state_dict()['param_groups'][0]['lr'],
          optimizer.state_dict()['state'][0]['step'],
          list(optimizer.state_dict()['state'][0]))
    epoch = checkpoint['epoch']
    torch.set_rng_state(rng_state)

    for epoch in range(epoch + 1, 6):
        train(epoch)
    print(all(torch.equal(a, b) for a, b in zip(reference, model.parameters())))

    # Save/load just the state_dict, the recommended way for inference.
    torch.save(model.state_dict(), PATH)
    inference_model = VAE()
    inference_model.load_state_dict(torch.load(PATH, weights_only=True))
    inference_model.eval()
    print(list(inference_model.state_dict().keys())[:4])
    print(torch.equal(inference_model.fc4.bias, model.fc4.bias))
