"""The knowledge-distillation tutorial on synthetic data: a larger teacher trained with
cross-entropy, a small student trained on soft targets (KL divergence between
temperature-softened distributions, nn.KLDivLoss with reduction='batchmean' and
log_target=True, scaled by T**2) plus the hard-label loss, a cosine-embedding hidden
representation loss (nn.CosineEmbeddingLoss), and torch.no_grad evaluation."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(42)

# Data: 4 Gaussian blobs in 10 dimensions.
centres = torch.randn(4, 10) * 2
labels = torch.randint(0, 4, (512,))
inputs = centres[labels] + torch.randn(512, 10)
train_x, test_x = inputs[:384], inputs[384:]
train_y, test_y = labels[:384], labels[384:]
train_loader = torch.utils.data.DataLoader(
    torch.utils.data.TensorDataset(train_x, train_y), batch_size=32, shuffle=True)


class DeepNN(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.classifier = nn.Sequential(nn.Dropout(0.1), nn.Linear(32, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class LightNN(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(10, 8), nn.ReLU())
        self.classifier = nn.Linear(8, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x))


def train(model, epochs, learning_rate):
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=learning_rate)
    model.train()
    for epoch in range(epochs):
        running_loss = 0.0
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
        print(f"Epoch {epoch + 1}/{epochs}, Loss: {running_loss / len(train_loader):.4f}")


def test(model):
    model.eval()
    with torch.no_grad():
        outputs = model(test_x)
        predicted = outputs.argmax(1)
        correct = (predicted == test_y).sum().item()
    accuracy = 100 * correct / len(test_y)
    print(f"Test Accuracy: {accuracy:.2f}%")
    return accuracy


teacher = DeepNN()
train(teacher, epochs=4, learning_rate=0.001)
test_accuracy_deep = test(teacher)

torch.manual_seed(42)
student = LightNN()
torch.manual_seed(42)
student_ce = LightNN()
print("Norm of 1st layer of new_nn_light:", f"{torch.norm(student.features[0].weight).item():.6f}")
print("Norm of 1st layer of nn_light:", f"{torch.norm(student_ce.features[0].weight).item():.6f}")
print(f"DeepNN parameters: {sum(p.numel() for p in teacher.parameters()):,}")
print(f"LightNN parameters: {sum(p.numel() for p in student.parameters()):,}")

train(student_ce, epochs=4, learning_rate=0.01)
test_accuracy_light_ce = test(student_ce)


def train_knowledge_distillation(teacher, student, epochs, learning_rate, T,
                                 soft_target_loss_weight, ce_loss_weight):
    ce_loss = nn.CrossEntropyLoss()
    kl_loss = nn.KLDivLoss(reduction="batchmean", log_target=True)
    optimizer = optim.Adam(student.parameters(), lr=learning_rate)
    teacher.eval()
    student.train()
    for epoch in range(epochs):
        running_loss = 0.0
        for x, y in train_loader:
            optimizer.zero_grad()
            with torch.no_grad():
                teacher_logits = teacher(x)
            student_logits = student(x)
            soft_targets = F.log_softmax(teacher_logits / T, dim=-1)
            soft_prob = F.log_softmax(student_logits / T, dim=-1)
            # the tutorial's hand-written KL, and the same with nn.KLDivLoss
            by_hand = torch.sum(soft_targets.exp() * (soft_targets - soft_prob)) \
                / soft_prob.size()[0] * (T ** 2)
            soft_targets_loss = kl_loss(soft_prob, soft_targets) * (T ** 2)
            label_loss = ce_loss(student_logits, y)
            loss = soft_target_loss_weight * soft_targets_loss + ce_loss_weight * label_loss
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
        print(f"Epoch {epoch + 1}/{epochs}, Loss: {running_loss / len(train_loader):.4f}, "
              f"KL {soft_targets_loss.item():.4f} by hand {by_hand.item():.4f}")


train_knowledge_distillation(teacher=teacher, student=student, epochs=4, learning_rate=0.01,
                             T=2, soft_target_loss_weight=0.25, ce_loss_weight=0.75)
test_accuracy_light_ce_and_kd = test(student)
print(f"Teacher accuracy: {test_accuracy_deep:.2f}%")
print(f"Student accuracy without teacher: {test_accuracy_light_ce:.2f}%")
print(f"Student accuracy with CE + KD: {test_accuracy_light_ce_and_kd:.2f}%")

# KLDivLoss variants on one batch
with torch.no_grad():
    p = F.log_softmax(student(test_x[:5]), dim=1)
    q = F.softmax(teacher(test_x[:5]), dim=1)
    for reduction in ["none", "sum", "mean", "batchmean"]:
        print(reduction, F.kl_div(p, q, reduction=reduction).sum().mul(1e4).round().item())
    print(torch.allclose(F.kl_div(p, q.log(), log_target=True, reduction="none"),
                         F.kl_div(p, q, reduction="none"), atol=1e-6))


# Cosine loss minimisation run: student's hidden features regressed onto the teacher's
class ModifiedDeepNNCosine(DeepNN):
    def forward(self, x):
        flattened = self.features(x)
        return self.classifier(flattened), F.avg_pool1d(flattened.unsqueeze(1), 4).squeeze(1)


class ModifiedLightNNCosine(LightNN):
    def forward(self, x):
        flattened = self.features(x)
        return self.classifier(flattened), flattened


torch.manual_seed(42)
modified_teacher = ModifiedDeepNNCosine()
modified_teacher.load_state_dict(teacher.state_dict())
modified_student = ModifiedLightNNCosine()
logits, hidden = modified_teacher(test_x[:2])
print(logits.shape, hidden.shape)
cosine_loss = nn.CosineEmbeddingLoss()
optimizer = optim.Adam(modified_student.parameters(), lr=0.001)
modified_teacher.eval()
for epoch in range(3):
    running_loss = 0.0
    for x, y in train_loader:
        optimizer.zero_grad()
        with torch.no_grad():
            _, teacher_hidden = modified_teacher(x)
        student_logits, student_hidden = modified_student(x)
        hidden_rep_loss = cosine_loss(student_hidden, teacher_hidden,
                                      target=torch.ones(x.size(0)))
        loss = 0.25 * hidden_rep_loss + 0.75 * F.cross_entropy(student_logits, y)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    print(f"Epoch {epoch + 1}/3, Loss: {running_loss / len(train_loader):.4f}")
print(modified_student.classifier.weight.grad.norm().item() > 0)
