"""Adversarial Example Generation (the FGSM tutorial) on synthetic 12x12 "digits": a small
LeNet-style classifier (Conv2d, max_pool2d, Dropout, log_softmax) trained with nll_loss,
then the tutorial's fgsm_attack (data_grad.sign(), clamp to [0, 1]) and its test loop over
a list of epsilons with data.requires_grad = True, the accuracy-vs-epsilon table and a few
adversarial examples' predictions; then the iterative variants (PGD with projection onto
the L-inf ball, a targeted step), adversarial training for a few epochs, and the
gradient-times-input saliency of the trained model. Everything runs in float64
(torch.set_default_dtype): the attack takes the sign of each pixel's gradient, and float32
rounding in the training sums would flip the sign of the near-zero ones."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

torch.set_default_dtype(torch.float64)
torch.manual_seed(42)

# -- data: 4 classes of 12x12 images, each a noisy bar pattern ----------------------------------
def make_images(n, generator):
    labels = torch.randint(0, 4, (n,), generator=generator)
    images = torch.rand(n, 1, 12, 12, generator=generator) * 0.3
    for i, c in enumerate(labels.tolist()):
        if c == 0:
            images[i, 0, 5:7, 2:10] += 0.7      # horizontal bar
        elif c == 1:
            images[i, 0, 2:10, 5:7] += 0.7      # vertical bar
        elif c == 2:
            images[i, 0].diagonal().add_(0.7)   # diagonal
        else:
            images[i, 0, 3:9, 3:9] += 0.35      # square
    return images.clamp(0, 1), labels


g = torch.Generator().manual_seed(0)
train_x, train_y = make_images(256, g)
test_x, test_y = make_images(64, g)
print(train_x.shape, train_y.bincount(), test_y.bincount())
print(train_x[0, 0, 4:8, :6])


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 12, 3)
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(12 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        x = F.relu(self.conv1(x))          # 10x10
        x = F.max_pool2d(x, 2)             # 5x5
        x = F.relu(self.conv2(x))          # 3x3
        x = F.adaptive_avg_pool2d(x, 2)    # 2x2 (overlapping windows)
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


model = Net()
print(model)
optimizer = optim.Adam(model.parameters(), lr=0.01)
loader = DataLoader(TensorDataset(train_x, train_y), batch_size=32, shuffle=True,
                    generator=torch.Generator().manual_seed(1))


def test_accuracy(x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


for epoch in range(6):
    model.train()
    for data, target in loader:
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f} test acc {test_accuracy(test_x, test_y):.4f}")


# FGSM attack code
def fgsm_attack(image, epsilon, data_grad):
    # Collect the element-wise sign of the data gradient
    sign_data_grad = data_grad.sign()
    # Create the perturbed image by adjusting each pixel of the input image
    perturbed_image = image + epsilon * sign_data_grad
    # Adding clipping to maintain [0,1] range
    perturbed_image = torch.clamp(perturbed_image, 0, 1)
    # Return the perturbed image
    return perturbed_image


def test(model, epsilon):
    correct = 0
    adv_examples = []
    for data, target in zip(test_x, test_y):
        data, target = data.unsqueeze(0), target.unsqueeze(0)
        data.requires_grad = True
        output = model(data)
        init_pred = output.max(1, keepdim=True)[1]
        if init_pred.item() != target.item():
            continue
        loss = F.nll_loss(output, target)
        model.zero_grad()
        loss.backward()
        data_grad = data.grad.data
        perturbed_data = fgsm_attack(data, epsilon, data_grad)
        output = model(perturbed_data)
        final_pred = output.max(1, keepdim=True)[1]
        if final_pred.item() == target.item():
            correct += 1
            if epsilon == 0 and len(adv_examples) < 3:
                adv_ex = perturbed_data.squeeze().detach()
                adv_examples.append((init_pred.item(), final_pred.item(), adv_ex.sum().item()))
        else:
            if len(adv_examples) < 3:
                adv_ex = perturbed_data.squeeze().detach()
                adv_examples.append((init_pred.item(), final_pred.item(),
                                     round(adv_ex.sum().item(), 2)))
    final_acc = correct / float(len(test_x))
    print(f"Epsilon: {epsilon}\tTest Accuracy = {correct} / {len(test_x)} = {final_acc}")
    return final_acc, adv_examples


model.eval()
accuracies = []
examples = []
epsilons = [0, .05, .1, .15, .2, .25, .3]
for eps in epsilons:
    acc, ex = test(model, eps)
    accuracies.append(acc)
    examples.append(ex)
print(accuracies)
print(examples[3])


# -- PGD: several small signed steps, projected back onto the eps-ball -------------------------
def pgd(x, y, eps, alpha, steps, targeted=False):
    x_adv = x.clone()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = F.nll_loss(model(x_adv), y)
        grad, = torch.autograd.grad(loss, x_adv)
        with torch.no_grad():
            x_adv = x_adv - alpha * grad.sign() if targeted else x_adv + alpha * grad.sign()
            x_adv = torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0, 1)
    return x_adv.detach()


for eps in (0.05, 0.1, 0.2):
    adv = pgd(test_x, test_y, eps, eps / 4, 8)
    print(f"PGD eps {eps}: acc {test_accuracy(adv, test_y):.4f} "
          f"max|delta| {(adv - test_x).abs().max():.4f}")
target = torch.full_like(test_y, 3)
adv = pgd(test_x, target, 0.2, 0.05, 10, targeted=True)
print("targeted -> class 3:", (model(adv).argmax(1) == 3).sum().item(), "of", len(test_y))

# -- adversarial training ----------------------------------------------------------------------
for epoch in range(3):
    model.train()
    for data, target in loader:
        data_adv = data.clone().requires_grad_(True)
        loss = F.nll_loss(model(data_adv), target)
        grad, = torch.autograd.grad(loss, data_adv)
        data_adv = fgsm_attack(data, 0.1, grad)
        optimizer.zero_grad()
        loss = 0.5 * F.nll_loss(model(data), target) + 0.5 * F.nll_loss(model(data_adv), target)
        loss.backward()
        optimizer.step()
    model.eval()
    adv = pgd(test_x, test_y, 0.1, 0.025, 8)
    print(f"adv epoch {epoch} loss {loss.item():.4f} clean {test_accuracy(test_x, test_y):.4f} "
          f"PGD(0.1) {test_accuracy(adv, test_y):.4f}")

# -- saliency: gradient x input ----------------------------------------------------------------
x = test_x[:2].clone().requires_grad_(True)
out = model(x)
out.gather(1, test_y[:2].unsqueeze(1)).sum().backward()
saliency = (x.grad * x).abs().squeeze(1)
print(test_y[:2], saliency.flatten(1).argmax(1), saliency.sum(dim=(1, 2)))
print(saliency[0, 4:8, 2:8])
