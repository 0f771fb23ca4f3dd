"""NLP From Scratch: Classifying Names with a Character-Level RNN, shrunk: made-up 'names'
whose letters depend on their 'language' (drawn with torch.multinomial after manual_seed,
no download), letterToTensor / lineToTensor one-hot encoding, the tutorial's hand-written
RNN module (i2h, h2o, LogSoftmax) trained one example at a time with NLLLoss and a manual
SGD update, categoryFromOutput with topk, a confusion matrix, predict(); then the newer
version of the tutorial: nn.RNN over a padded batch, nn.utils.rnn.pack_sequence, and
torch.optim.SGD with clip_grad_norm_."""

# ruff: noqa: B007  (the tutorial's own loop variables, kept as written)

import math
import string

import torch
import torch.nn as nn

torch.manual_seed(0)

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)
print(n_letters)

# -- the data: each 'language' prefers its own letters -----------------------------------------
all_categories = ["English", "French", "Greek", "Japanese"]
n_categories = len(all_categories)
letter_probs = torch.rand(n_categories, 26) ** 4
letter_probs /= letter_probs.sum(1, keepdim=True)
category_lines = {}
for c, category in enumerate(all_categories):
    names = []
    for _ in range(30):
        length = torch.randint(3, 8, (1,)).item()
        letters = torch.multinomial(letter_probs[c], length, replacement=True)
        names.append("".join(string.ascii_lowercase[i] for i in letters).capitalize())
    category_lines[category] = names
print({k: v[:4] for k, v in category_lines.items()})


# Find letter index from all_letters, e.g. "a" = 0
def letterToIndex(letter):
    return all_letters.find(letter)


# Just for demonstration, turn a letter into a <1 x n_letters> Tensor
def letterToTensor(letter):
    tensor = torch.zeros(1, n_letters)
    tensor[0][letterToIndex(letter)] = 1
    return tensor


# Turn a line into a <line_length x 1 x n_letters>,
# or an array of one-hot letter vectors
def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


print(letterToTensor("J"))
print(lineToTensor("Jones").size(), lineToTensor("Jones").nonzero()[:, 2])


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()

        self.hidden_size = hidden_size

        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.h2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.h2o(combined)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


n_hidden = 32
rnn = RNN(n_letters, n_hidden, n_categories)
print(rnn)

input = letterToTensor("A")
hidden = torch.zeros(1, n_hidden)
output, next_hidden = rnn(input, hidden)
print(output)

input = lineToTensor("Albert")
hidden = torch.zeros(1, n_hidden)
output, next_hidden = rnn(input[0], hidden)
print(output)


def categoryFromOutput(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


print(categoryFromOutput(output))


def randomChoice(items):
    return items[torch.randint(0, len(items), (1,)).item()]


def randomTrainingExample():
    category = randomChoice(all_categories)
    line = randomChoice(category_lines[category])
    category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
    line_tensor = lineToTensor(line)
    return category, line, category_tensor, line_tensor


for i in range(5):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    print("category =", category, "/ line =", line)

criterion = nn.NLLLoss()
learning_rate = 0.005  # If you set this too high, it might explode. If too low, it might not learn


def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()

    rnn.zero_grad()

    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)

    loss = criterion(output, category_tensor)
    loss.backward()

    # Add parameters' gradients to their values, multiplied by learning rate
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)

    return output, loss.item()


n_iters = 1500
print_every = 250
current_loss = 0
all_losses = []
for iter in range(1, n_iters + 1):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    output, loss = train(category_tensor, line_tensor)
    current_loss += loss

    # Print iter number, loss, name and guess
    if iter % print_every == 0:
        guess, guess_i = categoryFromOutput(output)
        correct = "✓" if guess == category else "✗ (%s)" % category
        print("%d %d%% %.4f %s / %s %s" % (iter, iter / n_iters * 100, loss, line, guess,
                                           correct))
        all_losses.append(current_loss / print_every)
        current_loss = 0
print(["%.4f" % loss for loss in all_losses])


# Just return an output given a line
def evaluate(line_tensor):
    hidden = rnn.initHidden()

    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)

    return output


# Keep track of correct guesses in a confusion matrix
confusion = torch.zeros(n_categories, n_categories)
n_confusion = 200
for i in range(n_confusion):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    output = evaluate(line_tensor)
    guess, guess_i = categoryFromOutput(output)
    category_i = all_categories.index(category)
    confusion[category_i][guess_i] += 1
print(confusion)
# Normalize by dividing every row by its sum
for i in range(n_categories):
    confusion[i] = confusion[i] / confusion[i].sum()
print(confusion)


def predict(input_line, n_predictions=3):
    print("\n> %s" % input_line)
    with torch.no_grad():
        output = evaluate(lineToTensor(input_line))

        # Get top N categories
        topv, topi = output.topk(n_predictions, 1, True)
        predictions = []

        for i in range(n_predictions):
            value = topv[0][i].item()
            category_index = topi[0][i].item()
            print("(%.2f) %s" % (value, all_categories[category_index]))
            predictions.append([value, all_categories[category_index]])


predict(category_lines["Greek"][0])
predict(category_lines["Japanese"][1])
predict("Satoshi")


# -- the newer tutorial: nn.RNN, batches, torch.optim ---------------------------------------------
class CharRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(CharRNN, self).__init__()

        self.rnn = nn.RNN(input_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, line_tensor):
        rnn_out, hidden = self.rnn(line_tensor)
        output = self.h2o(hidden[0])
        output = self.softmax(output)

        return output


torch.manual_seed(0)
model = CharRNN(n_letters, 24, n_categories)
print(model)
data = [(lineToTensor(line).squeeze(1), c) for c, cat in enumerate(all_categories)
        for line in category_lines[cat]]
labels = torch.tensor([c for _, c in data])
optimizer = torch.optim.SGD(model.parameters(), lr=0.15)
for epoch in range(1, 9):
    batches = torch.randperm(len(data)).split(16)
    current_loss = 0
    for batch in batches:
        batch_loss = 0
        for i in batch.tolist():
            output = model(data[i][0].unsqueeze(1))
            batch_loss = batch_loss + criterion(output, labels[i:i + 1])
        batch_loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 3)
        optimizer.step()
        optimizer.zero_grad()
        current_loss += batch_loss.item() / len(batch)
    if epoch % 2 == 0:
        print(f"Epoch {epoch}: average batch loss = {current_loss / len(batches):.4f}")

# the same network over a packed batch of all names at once
packed = nn.utils.rnn.pack_sequence([line for line, _ in data], enforce_sorted=False)
print(packed.data.shape, packed.batch_sizes[:8], packed.sorted_indices[:6])
with torch.no_grad():
    _, hidden = model.rnn(packed)
    log_probs = model.softmax(model.h2o(hidden[0]))
    single = model(data[5][0].unsqueeze(1))
print(log_probs.shape, torch.allclose(log_probs[5], single[0], atol=1e-6))
accuracy = (log_probs.argmax(1) == labels).float().mean().item()
nll = -log_probs.gather(1, labels[:, None]).mean()
print(f"train accuracy {accuracy:.4f}", f"ppl {math.exp(nll):.3f}")
