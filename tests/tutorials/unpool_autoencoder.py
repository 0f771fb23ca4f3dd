"""A convolutional autoencoder (SegNet-style) whose decoder undoes the encoder's pooling
with nn.MaxUnpool2d and the indices from MaxPool2d(return_indices=True), including the
output_size argument for odd sizes; F.max_unpool1d, AdaptiveAvgPool2d, Upsample,
PixelShuffle, nn.Flatten/nn.Unflatten, MSELoss and L1Loss, Adam with weight_decay, and
reconstruction error on held-out images."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(7)

# -- the documentation examples --------------------------------------------------------------
pool = nn.MaxPool2d(2, stride=2, return_indices=True)
unpool = nn.MaxUnpool2d(2, stride=2)
input = torch.tensor([[[[1., 2., 3., 4.],
                        [5., 6., 7., 8.],
                        [9., 10., 11., 12.],
                        [13., 14., 15., 16.]]]])
output, indices = pool(input)
print(output, indices)
print(unpool(output, indices))
input = torch.tensor([[[[1., 2., 3., 4., 5.],
                        [6., 7., 8., 9., 10.],
                        [11., 12., 13., 14., 15.],
                        [16., 17., 18., 19., 20.]]]])
output, indices = pool(input)
print(unpool(output, indices, output_size=input.size()))
try:  # without output_size the 5 columns come back as 4, too few for index 18
    print(unpool(output, indices))
except RuntimeError as e:
    print("RuntimeError:", e)
pool1 = nn.MaxPool1d(2, stride=2, return_indices=True)
output, indices = pool1(torch.tensor([[[1., 2, 3, 4, 5, 6, 7, 8]]]))
print(F.max_unpool1d(output, indices, 2, stride=2))
print(nn.MaxUnpool1d(2, stride=2)(output, indices, output_size=[1, 1, 9]))
print(nn.PixelShuffle(2)(torch.arange(16.).reshape(1, 4, 2, 2)))
print(nn.PixelUnshuffle(2)(torch.arange(16.).reshape(1, 1, 4, 4)).shape)


# -- an autoencoder on 12x12 images of crosses at random places ------------------------------
def make_images(n):
    images = torch.zeros(n, 1, 12, 12)
    pos = torch.randint(2, 10, (n, 2))
    for k in range(n):
        r, c = pos[k].tolist()
        images[k, 0, r, c - 2:c + 3] = 1.0
        images[k, 0, r - 2:r + 3, c] = 1.0
    return images + 0.05 * torch.randn_like(images)


class SegNetAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU())
        self.enc2 = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2, 2)
        self.bottleneck = nn.Sequential(nn.Flatten(), nn.Linear(16 * 3 * 3, 12), nn.ReLU(),
                                        nn.Linear(12, 16 * 3 * 3), nn.Unflatten(1, (16, 3, 3)))
        self.dec2 = nn.Sequential(nn.Conv2d(16, 8, 3, padding=1), nn.ReLU())
        self.dec1 = nn.Conv2d(8, 1, 3, padding=1)

    def forward(self, x):
        x = self.enc1(x)
        size1 = x.size()
        x, idx1 = self.pool(x)
        x = self.enc2(x)
        size2 = x.size()
        x, idx2 = self.pool(x)
        x = self.bottleneck(x)
        x = self.unpool(x, idx2, output_size=size2)
        x = self.dec2(x)
        x = self.unpool(x, idx1, output_size=size1)
        return self.dec1(x)


train_images = make_images(48)
test_images = make_images(8)
model = SegNetAE()
print(model)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-5)
criterion = nn.MSELoss()
for epoch in range(8):
    for start in range(0, 48, 16):
        batch = train_images[start:start + 16]
        optimizer.zero_grad()
        recon = model(batch)
        loss = criterion(recon, batch)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} mse {loss.item():.5f}")

model.eval()
with torch.no_grad():
    recon = model(test_images)
    print(recon.shape)
    print(f"test mse {F.mse_loss(recon, test_images).item():.5f} "
          f"l1 {nn.L1Loss()(recon, test_images).item():.5f}")
    print(recon[0, 0, 4:8, 4:8])
    per_image = F.mse_loss(recon, test_images, reduction="none").mean(dim=(1, 2, 3))
    print(per_image.argsort(), per_image.shape)

# pooling building blocks used by other decoders
x = torch.arange(36.).reshape(1, 1, 6, 6)
print(nn.AdaptiveAvgPool2d((2, 3))(x))
print(nn.AdaptiveMaxPool2d(2, return_indices=True)(x))
print(nn.Upsample(scale_factor=2, mode="nearest")(x[:, :, :2, :2]))
print(nn.Upsample(size=(3, 3), mode="bilinear", align_corners=True)(x[:, :, :2, :2]))
out, idx = F.max_pool2d(x, 3, stride=2, padding=1, return_indices=True)
print(out, idx)
print(F.max_unpool2d(out, idx, 3, stride=2, padding=1, output_size=(6, 6)))
x.requires_grad_()
out, idx = F.max_pool2d(x, 2, return_indices=True)
F.max_unpool2d(out * 2, idx, 2).sum().backward()
print(x.grad)
