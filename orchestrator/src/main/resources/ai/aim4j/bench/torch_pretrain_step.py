"""PyTorch-eager reference for `aim4j bench train`: the same AIM pre-training step (prefix-causal
trunk, MLP pixel head, normalized-pixel loss, global-norm clipping, AdamW) on random data, timed
the same way (median of whole steps after a warm-up). Usage: python3 torch_pretrain_step.py JSON
where JSON holds the geometry, batch size, step counts and thread count; prints one JSON line."""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)
C, S, P = cfg["channels"], cfg["img"], cfg["patch"]
D, DEPTH, HEADS = cfg["dim"], cfg["blocks"], cfg["heads"]
E, HEAD_DEPTH, B = cfg["head_width"], cfg["head_blocks"], cfg["batch"]
G = S // P
N = G * G
EPS = 1e-5


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm_1 = nn.LayerNorm(D, eps=EPS)
        self.qkv = nn.Linear(D, 3 * D, bias=False)
        self.proj = nn.Linear(D, D, bias=False)
        self.norm_2 = nn.LayerNorm(D, eps=EPS)
        self.fc1 = nn.Linear(D, 4 * D, bias=False)
        self.fc2 = nn.Linear(4 * D, D, bias=False)

    def forward(self, x, mask):
        b, n, d = x.shape
        hd = d // HEADS
        q, k, v = self.qkv(self.norm_1(x)).reshape(b, n, 3, HEADS, hd).permute(2, 0, 3, 1, 4)
        attn = ((q * hd ** -0.5) @ k.transpose(-2, -1) + mask).softmax(-1)
        x = x + self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))
        return x + self.fc2(F.gelu(self.fc1(self.norm_2(x))))


class HeadBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm_1 = nn.LayerNorm(E, eps=EPS)
        self.norm_2 = nn.LayerNorm(E, eps=EPS)
        self.fc1 = nn.Linear(E, 4 * E, bias=False)
        self.fc2 = nn.Linear(4 * E, E, bias=False)

    def forward(self, z):
        z = z + self.norm_1(z)
        return z + self.fc2(F.gelu(self.fc1(self.norm_2(z))))


class Aim(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(C * P * P, D)
        self.patch_norm = nn.LayerNorm(D, eps=EPS)
        self.register_buffer("pos", torch.randn(N, D) * 0.02)
        self.blocks = nn.ModuleList(Block() for _ in range(DEPTH))
        self.post_trunk_norm = nn.LayerNorm(D, eps=EPS)
        self.decoder_projection = nn.Linear(D, E)
        self.register_buffer("decoder_pos", torch.randn(N, E) * 0.02)
        self.decoder_blocks = nn.ModuleList(HeadBlock() for _ in range(HEAD_DEPTH))
        self.decoder_norm = nn.LayerNorm(E, eps=EPS)
        self.decoder_pred = nn.Linear(E, C * P * P)

    def forward(self, images, mask):
        b = images.shape[0]
        patches = images.reshape(b, C, G, P, G, P).permute(0, 2, 4, 1, 3, 5).reshape(b, N, C * P * P)
        x = self.patch_norm(self.proj(patches)) + self.pos
        for blk in self.blocks:
            x = blk(x, mask)
        z = self.decoder_projection(self.post_trunk_norm(x)) + self.decoder_pos
        for blk in self.decoder_blocks:
            z = blk(z)
        return self.decoder_pred(self.decoder_norm(z))


def loss_fn(preds, images, prefix):
    b = images.shape[0]
    t = images.reshape(b, C, G, P, G, P).permute(0, 2, 4, 3, 5, 1).reshape(b, N, P * P * C)
    t = (t - t.mean(-1, keepdim=True)) / (t.var(-1, keepdim=True) + 1e-6).sqrt()
    per = ((preds[:, :-1] - t[:, 1:]) ** 2).mean(-1)
    keep = (torch.arange(N)[None, 1:] >= prefix[:, None]).float()
    return (per * keep).sum() / keep.sum()


model = Aim()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.05)
causal = torch.tril(torch.ones(N, N, dtype=torch.bool))
times = []
for step in range(cfg["warmup"] + cfg["steps"]):
    images = torch.randn(B, C, S, S)
    prefix = torch.randint(1, N, (B,))
    allowed = causal[None] | (torch.arange(N)[None, None, :] < prefix[:, None, None])
    mask = torch.zeros(B, 1, N, N).masked_fill(~allowed[:, None], float("-inf"))
    t0 = time.perf_counter()
    loss = loss_fn(model(images, mask), images, prefix)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step >= cfg["warmup"]:
        times.append(time.perf_counter() - t0)
median = statistics.median(times)
print(json.dumps({"median_step_s": median, "images_per_s": B / median, "torch": torch.__version__,
                  "threads": torch.get_num_threads()}))
