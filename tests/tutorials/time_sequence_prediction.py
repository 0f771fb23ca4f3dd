"""pytorch/examples time_sequence_prediction, shrunk: sine waves made by torch itself
(generate_sine_wave.py used NumPy), a Sequence of two nn.LSTMCell layers unrolled by hand in
float64, trained with optim.LBFGS and its closure, predicting future values; then the same
model trained a few steps with LBFGS's strong-Wolfe line search, and a float32 run with Adam."""

# ruff: noqa: B007  (the example's own loop variables, kept as written)

import torch
import torch.nn as nn
import torch.optim as optim

# -- generate_sine_wave.py ------------------------------------------------------------------------
T = 20
L = 100
N = 20
torch.manual_seed(2)
x = torch.empty(N, L, dtype=torch.long)
x[:] = torch.arange(L) + torch.randint(-4 * T, 4 * T, (N, 1))
data = torch.sin(x.double() / T)  # NumPy's x / 1.0 / T was float64
print(data.shape, data.dtype, data[0, :5])


class Sequence(nn.Module):
    def __init__(self):
        super(Sequence, self).__init__()
        self.lstm1 = nn.LSTMCell(1, 21)
        self.lstm2 = nn.LSTMCell(21, 21)
        self.linear = nn.Linear(21, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), 21, dtype=input.dtype)
        c_t = torch.zeros(input.size(0), 21, dtype=input.dtype)
        h_t2 = torch.zeros(input.size(0), 21, dtype=input.dtype)
        c_t2 = torch.zeros(input.size(0), 21, dtype=input.dtype)

        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):  # if we should predict the future
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = torch.cat(outputs, dim=1)
        return outputs


# -- train.py ----------------------------------------------------------------------------------
# set random seed to 0
torch.manual_seed(0)
# load data and make training set
input = data[3:, :-1]
target = data[3:, 1:]
test_input = data[:3, :-1]
test_target = data[:3, 1:]
# build the model
seq = Sequence()
seq.double()
print(seq)
criterion = nn.MSELoss()
# use LBFGS as optimizer since we can load the whole data to train
optimizer = optim.LBFGS(seq.parameters(), lr=0.8)
print(optimizer)
# begin to train
for i in range(2):  # the example takes 15 steps
    print("STEP: ", i)

    def closure():
        optimizer.zero_grad()
        out = seq(input)
        loss = criterion(out, target)
        print("loss:", round(loss.item(), 10))
        loss.backward()
        return loss

    optimizer.step(closure)
    # begin to predict, no need to track gradient here
    with torch.no_grad():
        future = 20
        pred = seq(test_input, future=future)
        loss = criterion(pred[:, :-future], test_target)
        print("test loss:", round(loss.item(), 10))
        y = pred.detach()
    print(y.shape, y[0, -5:])

state = optimizer.state[optimizer._params[0]]
print(sorted(state), state["func_evals"], state["n_iter"], len(state["old_dirs"]))

# -- LBFGS with the strong-Wolfe line search -------------------------------------------------------
torch.manual_seed(0)
seq = Sequence().double()
optimizer = optim.LBFGS(seq.parameters(), lr=1, max_iter=10, history_size=5,
                        line_search_fn="strong_wolfe")


def closure():
    optimizer.zero_grad()
    loss = criterion(seq(input[:, :40]), target[:, :40])
    loss.backward()
    return loss


for i in range(2):
    loss = optimizer.step(closure)
    print("strong_wolfe step", i, round(loss.item(), 10),
          optimizer.state[optimizer._params[0]]["func_evals"])

# -- the same model in float32 with Adam ---------------------------------------------------------
torch.manual_seed(0)
seq = Sequence()
optimizer = optim.Adam(seq.parameters(), lr=0.01)
input32, target32 = input[:, :40].float(), target[:, :40].float()
for i in range(10):
    optimizer.zero_grad()
    loss = criterion(seq(input32), target32)
    loss.backward()
    optimizer.step()
    print("adam", i, f"{loss.item():.5f}")
