"""Advanced: Making Dynamic Decisions and the Bi-LSTM CRF, the tutorial's BiLSTM_CRF as
written there (argmax / log_sum_exp helpers, the forward algorithm with one
log-sum-exp per tag per word, _score_sentence along the gold path, Viterbi decoding
with back-pointers, START/STOP transitions held in a Parameter with -10000 entries,
SGD with weight_decay), trained on its two sentences plus a few more; then a
vectorised CRF: the partition function by logsumexp over a batch with a mask, Viterbi by
max over the transition matrix, checked against the loop version and against brute force
over every tag sequence of a short sentence."""

import itertools

import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(1)


def argmax(vec):
    # return the argmax as a python int
    _, idx = torch.max(vec, 1)
    return idx.item()


def prepare_sequence(seq, to_ix):
    idxs = [to_ix[w] for w in seq]
    return torch.tensor(idxs, dtype=torch.long)


# Compute log sum exp in a numerically stable way for the forward algorithm
def log_sum_exp(vec):
    max_score = vec[0, argmax(vec)]
    max_score_broadcast = max_score.view(1, -1).expand(1, vec.size()[1])
    return max_score + torch.log(torch.sum(torch.exp(vec - max_score_broadcast)))


class BiLSTM_CRF(nn.Module):

    def __init__(self, vocab_size, tag_to_ix, embedding_dim, hidden_dim):
        super(BiLSTM_CRF, self).__init__()
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.vocab_size = vocab_size
        self.tag_to_ix = tag_to_ix
        self.tagset_size = len(tag_to_ix)

        self.word_embeds = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim // 2,
                            num_layers=1, bidirectional=True)

        # Maps the output of the LSTM into tag space.
        self.hidden2tag = nn.Linear(hidden_dim, self.tagset_size)

        # Matrix of transition parameters.  Entry i,j is the score of
        # transitioning *to* i *from* j.
        self.transitions = nn.Parameter(
            torch.randn(self.tagset_size, self.tagset_size))

        # These two statements enforce the constraint that we never transfer
        # to the start tag and we never transfer from the stop tag
        self.transitions.data[tag_to_ix[START_TAG], :] = -10000
        self.transitions.data[:, tag_to_ix[STOP_TAG]] = -10000

        self.hidden = self.init_hidden()

    def init_hidden(self):
        return (torch.randn(2, 1, self.hidden_dim // 2),
                torch.randn(2, 1, self.hidden_dim // 2))

    def _forward_alg(self, feats):
        # Do the forward algorithm to compute the partition function
        init_alphas = torch.full((1, self.tagset_size), -10000.)
        # START_TAG has all of the score.
        init_alphas[0][self.tag_to_ix[START_TAG]] = 0.

        # Wrap in a variable so that we will get automatic backprop
        forward_var = init_alphas

        # Iterate through the sentence
        for feat in feats:
            alphas_t = []  # The forward tensors at this timestep
            for next_tag in range(self.tagset_size):
                # broadcast the emission score: it is the same regardless of
                # the previous tag
                emit_score = feat[next_tag].view(
                    1, -1).expand(1, self.tagset_size)
                # the ith entry of trans_score is the score of transitioning to
                # next_tag from i
                trans_score = self.transitions[next_tag].view(1, -1)
                # The ith entry of next_tag_var is the value for the
                # edge (i -> next_tag) before we do log-sum-exp
                next_tag_var = forward_var + trans_score + emit_score
                # The forward variable for this tag is log-sum-exp of all the
                # scores.
                alphas_t.append(log_sum_exp(next_tag_var).view(1))
            forward_var = torch.cat(alphas_t).view(1, -1)
        terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
        alpha = log_sum_exp(terminal_var)
        return alpha

    def _get_lstm_features(self, sentence):
        self.hidden = self.init_hidden()
        embeds = self.word_embeds(sentence).view(len(sentence), 1, -1)
        lstm_out, self.hidden = self.lstm(embeds, self.hidden)
        lstm_out = lstm_out.view(len(sentence), self.hidden_dim)
        lstm_feats = self.hidden2tag(lstm_out)
        return lstm_feats

    def _score_sentence(self, feats, tags):
        # Gives the score of a provided tag sequence
        score = torch.zeros(1)
        tags = torch.cat([torch.tensor([self.tag_to_ix[START_TAG]], dtype=torch.long), tags])
        for i, feat in enumerate(feats):
            score = score + \
                self.transitions[tags[i + 1], tags[i]] + feat[tags[i + 1]]
        score = score + self.transitions[self.tag_to_ix[STOP_TAG], tags[-1]]
        return score

    def _viterbi_decode(self, feats):
        backpointers = []

        # Initialize the viterbi variables in log space
        init_vvars = torch.full((1, self.tagset_size), -10000.)
        init_vvars[0][self.tag_to_ix[START_TAG]] = 0

        # forward_var at step i holds the viterbi variables for step i-1
        forward_var = init_vvars
        for feat in feats:
            bptrs_t = []  # holds the backpointers for this step
            viterbivars_t = []  # holds the viterbi variables for this step

            for next_tag in range(self.tagset_size):
                # next_tag_var[i] holds the viterbi variable for tag i at the
                # previous step, plus the score of transitioning
                # from tag i to next_tag.
                # We don't include the emission scores here because the max
                # does not depend on them (we add them in below)
                next_tag_var = forward_var + self.transitions[next_tag]
                best_tag_id = argmax(next_tag_var)
                bptrs_t.append(best_tag_id)
                viterbivars_t.append(next_tag_var[0][best_tag_id].view(1))
            # Now add in the emission scores, and assign forward_var to the set
            # of viterbi variables we just computed
            forward_var = (torch.cat(viterbivars_t) + feat).view(1, -1)
            backpointers.append(bptrs_t)

        # Transition to STOP_TAG
        terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
        best_tag_id = argmax(terminal_var)
        path_score = terminal_var[0][best_tag_id]

        # Follow the back pointers to decode the best path.
        best_path = [best_tag_id]
        for bptrs_t in reversed(backpointers):
            best_tag_id = bptrs_t[best_tag_id]
            best_path.append(best_tag_id)
        # Pop off the start tag (we dont want to return that to the caller)
        start = best_path.pop()
        assert start == self.tag_to_ix[START_TAG]  # Sanity check
        best_path.reverse()
        return path_score, best_path

    def neg_log_likelihood(self, sentence, tags):
        feats = self._get_lstm_features(sentence)
        forward_score = self._forward_alg(feats)
        gold_score = self._score_sentence(feats, tags)
        return forward_score - gold_score

    def forward(self, sentence):  # dont confuse this with _forward_alg above.
        # Get the emission scores from the BiLSTM
        lstm_feats = self._get_lstm_features(sentence)

        # Find the best path, given the features.
        score, tag_seq = self._viterbi_decode(lstm_feats)
        return score, tag_seq


START_TAG = "<START>"
STOP_TAG = "<STOP>"
EMBEDDING_DIM = 5
HIDDEN_DIM = 4

# Make up some training data
training_data = [(
    "the wall street journal reported today that apple corporation made money".split(),
    "B I I I O O O B I O O".split()
), (
    "georgia tech is a university in georgia".split(),
    "B I O O O O B".split()
), (
    "apple made money in georgia".split(),
    "B O O O B".split()
)]

word_to_ix = {}
for sentence, _tags in training_data:
    for word in sentence:
        if word not in word_to_ix:
            word_to_ix[word] = len(word_to_ix)

tag_to_ix = {"B": 0, "I": 1, "O": 2, START_TAG: 3, STOP_TAG: 4}

model = BiLSTM_CRF(len(word_to_ix), tag_to_ix, EMBEDDING_DIM, HIDDEN_DIM)
optimizer = optim.SGD(model.parameters(), lr=0.01, weight_decay=1e-4)
print(model)
print(model.transitions)

# Check predictions before training
with torch.no_grad():
    precheck_sent = prepare_sequence(training_data[0][0], word_to_ix)
    precheck_tags = torch.tensor([tag_to_ix[t] for t in training_data[0][1]], dtype=torch.long)
    score, path = model(precheck_sent)
    print(f"{score.item():.4f}", path)
    print(f"nll {model.neg_log_likelihood(precheck_sent, precheck_tags).item():.4f}")

for epoch in range(40):
    total = 0.0
    for sentence, tags in training_data:
        # Step 1. Remember that Pytorch accumulates gradients.
        model.zero_grad()
        # Step 2. Get our inputs ready for the network
        sentence_in = prepare_sequence(sentence, word_to_ix)
        targets = torch.tensor([tag_to_ix[t] for t in tags], dtype=torch.long)
        # Step 3. Run our forward pass.
        loss = model.neg_log_likelihood(sentence_in, targets)
        total += loss.item()
        # Step 4. Compute the loss, gradients, and update the parameters
        loss.backward()
        optimizer.step()
    if epoch % 8 == 0 or epoch == 39:
        print(f"epoch {epoch:2d} nll {total:.4f} trans.grad-norm "
              f"{model.transitions.grad.norm():.4f} loss.grad_fn {loss.grad_fn.name()}")

# Check predictions after training
with torch.no_grad():
    for sentence, tags in training_data:
        score, path = model(prepare_sequence(sentence, word_to_ix))
        print(f"{score.item():.4f}", path, [tag_to_ix[t] for t in tags])
print(model.transitions.detach().round(decimals=3))


# -- a vectorised CRF over a padded batch ------------------------------------------------------
class CRF(nn.Module):
    """Linear-chain CRF with start/end transition vectors, batch_first emissions."""

    def __init__(self, num_tags):
        super().__init__()
        self.start = nn.Parameter(torch.randn(num_tags) * 0.1)
        self.end = nn.Parameter(torch.randn(num_tags) * 0.1)
        self.trans = nn.Parameter(torch.randn(num_tags, num_tags) * 0.1)  # from i to j

    def extra_repr(self):
        return f"num_tags={self.trans.shape[0]}"

    def score(self, emissions, tags, mask):
        batch = torch.arange(emissions.shape[0])
        s = self.start[tags[:, 0]] + emissions[batch, 0, tags[:, 0]]
        for t in range(1, emissions.shape[1]):
            step = self.trans[tags[:, t - 1], tags[:, t]] + emissions[batch, t, tags[:, t]]
            s = s + step * mask[:, t]
        last = tags.gather(1, (mask.sum(1).long() - 1).unsqueeze(1)).squeeze(1)
        return s + self.end[last]

    def log_partition(self, emissions, mask):
        alpha = self.start + emissions[:, 0]
        for t in range(1, emissions.shape[1]):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + self.trans + emissions[:, t].unsqueeze(1),
                                  dim=1)
            alpha = torch.where(mask[:, t:t + 1].bool(), nxt, alpha)
        return torch.logsumexp(alpha + self.end, dim=1)

    def forward(self, emissions, tags, mask):
        return (self.log_partition(emissions, mask) - self.score(emissions, tags, mask)).mean()

    def decode(self, emissions, mask):
        score = self.start + emissions[:, 0]
        history = []
        for t in range(1, emissions.shape[1]):
            nxt, idx = (score.unsqueeze(2) + self.trans + emissions[:, t].unsqueeze(1)).max(dim=1)
            score = torch.where(mask[:, t:t + 1].bool(), nxt, score)
            history.append(idx)
        score = score + self.end
        best_last = score.argmax(dim=1)
        paths = []
        for b in range(emissions.shape[0]):
            length = int(mask[b].sum())
            best = [best_last[b].item()]
            for idx in reversed(history[:length - 1]):
                best.append(idx[b][best[-1]].item())
            paths.append(best[::-1])
        return score.max(dim=1).values, paths


torch.manual_seed(7)
crf = CRF(3)
print(crf)
emissions = torch.randn(4, 5, 3)
mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0], [1, 0, 0, 0, 0]],
                    dtype=torch.float)
tags = torch.randint(0, 3, (4, 5))
print("log Z", crf.log_partition(emissions, mask))
print("gold", crf.score(emissions, tags, mask))
best_scores, best_paths = crf.decode(emissions, mask)
print("viterbi", best_scores, best_paths)

# brute force over all 3**3 paths of the second (length-3) sentence
e = emissions[1, :3]
all_scores = []
for path in itertools.product(range(3), repeat=3):
    p = torch.tensor(path)
    s = (crf.start[p[0]] + e[0, p[0]] + crf.trans[p[:-1], p[1:]].sum()
         + e[1:, :][torch.arange(2), p[1:]].sum() + crf.end[p[-1]])
    all_scores.append(s)
all_scores = torch.stack(all_scores)
print("brute log Z", torch.logsumexp(all_scores, 0), "max", all_scores.max(),
      list(itertools.product(range(3), repeat=3))[all_scores.argmax()])

opt = optim.Adam(crf.parameters(), lr=0.05)
for step in range(30):
    opt.zero_grad()
    nll = crf(emissions, tags, mask)
    nll.backward()
    opt.step()
    if step % 10 == 0 or step == 29:
        print(f"step {step} nll {nll.item():.4f} grad start {crf.start.grad}")
print(crf.decode(emissions, mask)[1], tags.tolist())
