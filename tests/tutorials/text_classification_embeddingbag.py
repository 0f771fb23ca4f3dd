"""The torchtext text-classification tutorial without torchtext: a tokenizer and vocabulary
built by hand over a synthetic news corpus, collate_batch producing one flat tensor of
token ids with offsets, nn.EmbeddingBag(mode='mean') + Linear, uniform_ init, SGD with
StepLR, clip_grad_norm_, random_split, DataLoader(collate_fn=...), and prediction on new
text; plus EmbeddingBag's sum/max modes, per_sample_weights, padding_idx and 2-D input."""

import time  # noqa: F401  (the tutorial times epochs; this script prints no timings)

import torch
from torch import nn
from torch.utils.data import DataLoader
from torch.utils.data.dataset import random_split

torch.manual_seed(1)

topics = {
    0: "world government minister election war country president talks peace border",
    1: "sports game team season win coach player score league cup",
    2: "business market shares company profit bank oil prices stocks deal",
    3: "technology software computer internet phone chip data users web science",
}
common = "the a of to in and on for with says new year after over".split()
topic_words = {k: v.split() for k, v in topics.items()}


def make_sentence(label):
    n = int(torch.randint(4, 12, ()).item())
    words = []
    for _ in range(n):
        if torch.rand(()) < 0.5:
            pool = topic_words[label]
        else:
            pool = common
        words.append(pool[int(torch.randint(0, len(pool), ()).item())])
    return " ".join(words)


labels = torch.randint(0, 4, (400,)).tolist()
corpus = [(label + 1, make_sentence(label)) for label in labels]  # AG_NEWS labels are 1..4
print(corpus[:3])


def tokenizer(text):
    return text.lower().split()


vocab = {"<unk>": 0}
for _, text in corpus:
    for token in tokenizer(text):
        vocab.setdefault(token, len(vocab))
print(len(vocab), [vocab.get(t, 0) for t in ["here", "is", "an", "example", "game"]])

text_pipeline = lambda x: [vocab.get(t, 0) for t in tokenizer(x)]  # noqa: E731
label_pipeline = lambda x: int(x) - 1  # noqa: E731


def collate_batch(batch):
    label_list, text_list, offsets = [], [], [0]
    for _label, _text in batch:
        label_list.append(label_pipeline(_label))
        processed_text = torch.tensor(text_pipeline(_text), dtype=torch.int64)
        text_list.append(processed_text)
        offsets.append(processed_text.size(0))
    label_list = torch.tensor(label_list, dtype=torch.int64)
    offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
    text_list = torch.cat(text_list)
    return label_list, text_list, offsets


dataloader = DataLoader(corpus[:8], batch_size=4, shuffle=False, collate_fn=collate_batch)
label, text, offsets = next(iter(dataloader))
print(label, text, offsets)


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        embedded = self.embedding(text, offsets)
        return self.fc(embedded)


num_class = 4
vocab_size = len(vocab)
emsize = 16
model = TextClassificationModel(vocab_size, emsize, num_class)
print(model)


def train(dataloader, epoch):
    model.train()
    total_acc, total_count = 0, 0
    for idx, (label, text, offsets) in enumerate(dataloader):  # noqa: B007
        optimizer.zero_grad()
        predicted_label = model(text, offsets)
        loss = criterion(predicted_label, label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        total_acc += (predicted_label.argmax(1) == label).sum().item()
        total_count += label.size(0)
    print(f"| epoch {epoch:3d} | {idx:5d}/{len(dataloader):5d} batches "
          f"| accuracy {total_acc / total_count:8.3f} | last loss {loss.item():.4f}")


def evaluate(dataloader):
    model.eval()
    total_acc, total_count = 0, 0
    with torch.no_grad():
        for _idx, (label, text, offsets) in enumerate(dataloader):
            predicted_label = model(text, offsets)
            total_acc += (predicted_label.argmax(1) == label).sum().item()
            total_count += label.size(0)
    return total_acc / total_count


EPOCHS = 6
LR = 5
BATCH_SIZE = 16
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=LR)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
total_accu = None
train_dataset, test_dataset = corpus[:320], corpus[320:]
num_train = int(len(train_dataset) * 0.95)
split_train_, split_valid_ = random_split(train_dataset,
                                          [num_train, len(train_dataset) - num_train])
print(len(split_train_), len(split_valid_), split_train_.indices[:8])
train_dataloader = DataLoader(split_train_, batch_size=BATCH_SIZE, shuffle=True,
                              collate_fn=collate_batch)
valid_dataloader = DataLoader(split_valid_, batch_size=BATCH_SIZE, shuffle=True,
                              collate_fn=collate_batch)
test_dataloader = DataLoader(test_dataset, batch_size=BATCH_SIZE, shuffle=True,
                             collate_fn=collate_batch)

for epoch in range(1, EPOCHS + 1):
    train(train_dataloader, epoch)
    accu_val = evaluate(valid_dataloader)
    if total_accu is not None and total_accu > accu_val:
        scheduler.step()
    else:
        total_accu = accu_val
    print("-" * 59)
    print(f"| end of epoch {epoch:3d} | valid accuracy {accu_val:8.3f} "
          f"| lr {scheduler.get_last_lr()[0]}")
    print("-" * 59)

print("Checking the results of test dataset.")
accu_test = evaluate(test_dataloader)
print(f"test accuracy {accu_test:8.3f}")

ag_news_label = {1: "World", 2: "Sports", 3: "Business", 4: "Sci/Tec"}


def predict(text, text_pipeline):
    with torch.no_grad():
        text = torch.tensor(text_pipeline(text))
        output = model(text, torch.tensor([0]))
        return output.argmax(1).item() + 1


for ex_text_str in ["the team won the cup after a great season",
                    "oil prices and bank shares fell on the market",
                    "new phone chip for internet users"]:
    print("This is a %s news" % ag_news_label[predict(ex_text_str, text_pipeline)])

# EmbeddingBag on its own: the documentation examples
embedding_sum = nn.EmbeddingBag(10, 3, mode="sum")
input = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9], dtype=torch.long)
offsets = torch.tensor([0, 4], dtype=torch.long)
print(embedding_sum(input, offsets))
embedding_sum = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=2)
input = torch.tensor([2, 2, 2, 2, 4, 3, 2, 9], dtype=torch.long)
print(embedding_sum(input, offsets))
embedding_max = nn.EmbeddingBag(10, 3, mode="max")
print(embedding_max(torch.tensor([[1, 2, 4], [4, 3, 9]])))
weights = torch.tensor([0.5, 1.0, 2.0, 0.0, 1.0, 1.0, 1.0, 1.0])
bag = nn.EmbeddingBag.from_pretrained(torch.arange(30.).reshape(10, 3), mode="sum")
print(bag(input, offsets, per_sample_weights=weights))
print(nn.EmbeddingBag(10, 3, mode="mean")(input, torch.tensor([0, 4, 8]),).shape)
out = nn.EmbeddingBag(10, 3, mode="mean", include_last_offset=True)(input, torch.tensor([0, 3, 8]))
print(out.shape)
bag = nn.EmbeddingBag(10, 3, mode="mean")
bag(input, offsets).sum().backward()
print(bag.weight.grad)
