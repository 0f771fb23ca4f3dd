"""A small ResNet in the style of torchvision's resnet.py and the CIFAR-10 training
tutorial: BasicBlock with conv3x3 / BatchNorm2d / ReLU(inplace=True) and a downsample
shortcut, kaiming_normal_ init, AdaptiveAvgPool2d, SGD with momentum, weight decay and
nesterov, MultiStepLR, train()/eval() switching (running statistics), state_dict saved to
and loaded from io.BytesIO with torch.save/torch.load, an optimizer checkpoint, a
frozen-backbone fine-tune (requires_grad_(False), a new head), and BatchNorm's buffers."""

import io
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)


def conv3x3(in_planes, out_planes, stride=1):
    """3x3 convolution with padding"""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    """1x1 convolution"""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x

        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)

        out = self.conv2(out)
        out = self.bn2(out)

        if self.downsample is not None:
            identity = self.downsample(x)

        out += identity
        out = self.relu(out)

        return out


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=4, zero_init_residual=False):
        super().__init__()
        self.inplanes = 8
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 8, layers[0])
        self.layer2 = self._make_layer(block, 16, layers[1], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)

        x = self.layer1(x)
        x = self.layer2(x)

        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.fc(x)
        return x


model = ResNet(BasicBlock, [2, 1])
print(model)
print(sum(p.numel() for p in model.parameters()), sum(b.numel() for b in model.buffers()))
print([name for name, _ in model.named_buffers()][:4])
print(list(model.state_dict().keys())[:8], len(model.state_dict()))

# -- synthetic 'images': the class decides which colour channel is brighter --------------------
def make_data(n):
    labels = torch.randint(0, 4, (n,))
    images = torch.randn(n, 3, 12, 12) * 0.5
    images[labels == 0, 0] += 0.8
    images[labels == 1, 1] += 0.8
    images[labels == 2, 2] += 0.8
    images[labels == 3] -= 0.5
    return images, labels


train_x, train_y = make_data(64)
test_x, test_y = make_data(32)
print(train_x.shape, torch.bincount(train_y))

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4,
                      nesterov=True)
scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2, 3], gamma=0.1)
print(optimizer)

for epoch in range(4):
    model.train()
    running_loss = 0.0
    for i in range(0, 64, 16):
        inputs, labels = train_x[i:i + 16], train_y[i:i + 16]
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    scheduler.step()
    model.eval()
    with torch.no_grad():
        outputs = model(test_x)
        _, predicted = torch.max(outputs, 1)
        correct = (predicted == test_y).sum().item()
    print(f"[{epoch + 1}] loss: {running_loss / 4:.4f} test acc: {correct}/32 "
          f"lr {scheduler.get_last_lr()[0]:.5f}")

bn = model.bn1
print(bn)
print(bn.num_batches_tracked, bn.running_mean[:4], bn.running_var[:4])
print(model.layer1[0].bn1.weight.grad is not None, model.fc.bias.grad.shape)

# -- train and eval modes give different outputs --------------------------------------------------
x = test_x[:4]
model.eval()
with torch.no_grad():
    eval_out = model(x)
model.train()
with torch.no_grad():
    train_out = model(x)
print(torch.allclose(eval_out, train_out), model.training, model.layer1[0].bn1.training)
print(eval_out.argmax(1), train_out.argmax(1))
model.eval()
with torch.no_grad():
    print(torch.equal(model(x), eval_out))  # the train-mode pass updated the running stats
    eval_out = model(x)

# -- save and load a checkpoint via io.BytesIO -----------------------------------------------------
buffer = io.BytesIO()
torch.save({"epoch": 4, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "scheduler_state_dict": scheduler.state_dict()}, buffer)
print(buffer.tell() > 0)
buffer.seek(0)
checkpoint = torch.load(buffer)
print(sorted(checkpoint), checkpoint["epoch"], checkpoint["scheduler_state_dict"]["last_epoch"])
print(checkpoint["optimizer_state_dict"]["param_groups"][0]["lr"],
      len(checkpoint["optimizer_state_dict"]["state"]),
      sorted(checkpoint["optimizer_state_dict"]["state"][0]))

torch.manual_seed(123)
model2 = ResNet(BasicBlock, [2, 1])
model2.eval()
with torch.no_grad():
    print(torch.equal(model2(x), eval_out))
print(model2.load_state_dict(checkpoint["model_state_dict"]))
with torch.no_grad():
    print(torch.equal(model2(x), eval_out))
print(model2.bn1.num_batches_tracked, torch.equal(model2.bn1.running_var, bn.running_var))
optimizer2 = optim.SGD(model2.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4,
                       nesterov=True)
optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
print(optimizer2.param_groups[0]["lr"], optimizer2.param_groups[0]["initial_lr"])

# a state_dict alone, loaded non-strictly into a model with a different head
state = OrderedDict((k, v) for k, v in model.state_dict().items() if not k.startswith("fc."))
buffer = io.BytesIO()
torch.save(state, buffer)
buffer.seek(0)
model3 = ResNet(BasicBlock, [2, 1], num_classes=2)
result = model3.load_state_dict(torch.load(buffer, weights_only=True), strict=False)
print(result.missing_keys, result.unexpected_keys)
try:
    model3.load_state_dict(model.state_dict())
except RuntimeError as e:
    print("RuntimeError:", str(e).splitlines()[0])
    print(str(e).splitlines()[1].strip())

# -- fine-tune a new head on a frozen backbone -----------------------------------------------------
for param in model3.parameters():
    param.requires_grad_(False)
model3.fc = nn.Linear(16, 2)
print([n for n, p in model3.named_parameters() if p.requires_grad])
opt = optim.SGD(filter(lambda p: p.requires_grad, model3.parameters()), lr=0.1)
binary_y = (train_y < 2).long()
model3.train()
for epoch in range(3):
    opt.zero_grad()
    loss = F.cross_entropy(model3(train_x), binary_y)
    loss.backward()
    opt.step()
    print(f"fine-tune {epoch} {loss.item():.4f}", model3.conv1.weight.grad is None)

# -- BatchNorm details -----------------------------------------------------------------------------
m = nn.BatchNorm2d(3, momentum=None, affine=False, track_running_stats=True)
for _ in range(3):
    m(torch.randn(4, 3, 2, 2) * 2 + 1)
print(m, m.num_batches_tracked, m.running_mean, m.running_var)
m = nn.BatchNorm1d(5, track_running_stats=False)
print(m(torch.arange(10.).view(2, 5)), m.running_mean)
fused = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4)).eval()
print(fused(torch.ones(1, 3, 2, 2))[0, :, 0, 0])
