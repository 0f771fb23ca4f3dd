"""The DCGAN tutorial's convolutional generator and discriminator at a small size:
ConvTranspose2d upsampling from a (nz, 1, 1) latent, BatchNorm2d, LeakyReLU, strided Conv2d,
weights_init through model.apply, BCEWithLogitsLoss, Adam(betas=(0.5, 0.999)), and the
generator's output shapes at every stage."""

import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(999)

nz, ngf, ndf, nc = 8, 8, 8, 1
batch_size = 16

# Data: 16x16 images of a bright square at a random place, in [-1, 1].
real = -torch.ones(64, nc, 16, 16)
corners = torch.randint(0, 10, (64, 2))
for k in range(64):
    r, c = corners[k].tolist()
    real[k, :, r:r + 6, c:c + 6] = 1.0
dataloader = torch.utils.data.DataLoader(real, batch_size=batch_size, shuffle=True)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            # nz x 1 x 1 -> (ngf*4) x 4 x 4
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # -> (ngf*2) x 8 x 8
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # -> nc x 16 x 16
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
            nn.Tanh()
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),           # 8 x 8
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),      # 4 x 4
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),        # 1 x 1 logit
        )

    def forward(self, input):
        return self.main(input)


netG = Generator()
netG.apply(weights_init)
print(netG)
netD = Discriminator()
netD.apply(weights_init)
print(netD)
print(sum(p.numel() for p in netG.parameters()), sum(p.numel() for p in netD.parameters()))

x = torch.randn(2, nz, 1, 1)
for layer in netG.main:
    x = layer(x)
    print(type(layer).__name__, tuple(x.shape))

criterion = nn.BCEWithLogitsLoss()
fixed_noise = torch.randn(4, nz, 1, 1)
optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))

print("Starting Training Loop...")
for epoch in range(2):
    for i, data in enumerate(dataloader):
        netD.zero_grad()
        b_size = data.size(0)
        label = torch.full((b_size,), 1., dtype=torch.float)
        output = netD(data).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.sigmoid().mean().item()

        noise = torch.randn(b_size, nz, 1, 1)
        fake = netG(noise)
        label.fill_(0.)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.sigmoid().mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()

        netG.zero_grad()
        label.fill_(1.)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.sigmoid().mean().item()
        optimizerG.step()

        print('[%d/2][%d/%d]\tLoss_D: %.4f\tLoss_G: %.4f\tD(x): %.4f\tD(G(z)): %.4f / %.4f'
              % (epoch, i, len(dataloader), errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))

print(netG.main[0].weight.grad.shape, netG.main[0].weight.grad.abs().max().item() > 0)
print(netG.main[1].running_mean[:4])
print(netG.main[1].running_var[:4])
print(netG.main[1].num_batches_tracked)
netG.eval()
with torch.no_grad():
    fake = netG(fixed_noise)
print(fake.shape, fake.dtype, fake.requires_grad)
print(fake[0, 0, :4, :4])
print(fake.mean(dim=(1, 2, 3)))
