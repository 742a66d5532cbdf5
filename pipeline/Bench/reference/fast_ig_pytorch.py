"""Plain PyTorch implementation of the fast (prefix-cached) IG algorithm on a GPT-2-small-shaped random model.
Reference for `pipeline bench attribution`: same shapes, m=20, all layers, first-token target, zero baseline;
the head is a plain log_softmax over the vocabulary and autograd does every backward.
Run: python3 fast_ig_pytorch.py TOKENS QUERIES BATCH   (Debian: apt-get install python3-torch libopenblas0-openmp)
Measured on the 2-core AMD EPYC (Zen 5, AVX-512) dev machine, quiet: 12 tokens, batch 2: 1.075 q/s with
OPENBLAS_CORETYPE=Haswell, 1.172 q/s with OpenBLAS's own kernel choice; `pipeline bench attribution`: 1.748 q/s."""
import math, sys, time, os, resource
import torch
import torch.nn.functional as Fn

torch.set_num_threads(2)
L, D, H, FF, V = 12, 768, 12, 3072, 50257
HD = D // H
T = int(sys.argv[1]) if len(sys.argv) > 1 else 12
NQ = int(sys.argv[2]) if len(sys.argv) > 2 else 4
B = int(sys.argv[3]) if len(sys.argv) > 3 else 2
M = 20
g = torch.Generator().manual_seed(0)
def rn(*s): return torch.randn(*s, generator=g) * 0.02
wte, wpe = rn(V, D), rn(1024, D)
blocks = []
for _ in range(L):
    blocks.append(dict(ln1w=torch.ones(D), ln1b=torch.zeros(D), attn_w=rn(D, 3 * D), attn_b=torch.zeros(3 * D),
                       proj_w=rn(D, D), proj_b=torch.zeros(D), ln2w=torch.ones(D), ln2b=torch.zeros(D),
                       fc_w=rn(D, FF), fc_b=torch.zeros(FF), mproj_w=rn(FF, D), mproj_b=torch.zeros(D)))
lnfw, lnfb = torch.ones(D), torch.zeros(D)

def lin(x, w, b):
    return torch.addmm(b, x.reshape(-1, x.shape[-1]), w).view(*x.shape[:-1], w.shape[1])

def heads(t):  # [.., S, D] -> [.., H, S, HD]
    return t.view(*t.shape[:-1], H, HD).transpose(-2, -3)

def prefix(ids):
    """Full no-grad pass: per layer keys, values, x_mid, act."""
    b, t = ids.shape
    x = wte[ids] + wpe[torch.arange(t)]
    mask = torch.ones(t, t, dtype=torch.bool).tril()
    cache = []
    for p in blocks:
        h = Fn.layer_norm(x, (D,), p['ln1w'], p['ln1b'])
        q, k, v = lin(h, p['attn_w'], p['attn_b']).split(D, -1)
        q, k, v = heads(q), heads(k), heads(v)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(HD)
        s = s.masked_fill(~mask, float('-inf')).softmax(-1)
        ctx = (s @ v).transpose(1, 2).reshape(b, t, D)
        xm = x + lin(ctx, p['proj_w'], p['proj_b'])
        a = Fn.gelu(lin(Fn.layer_norm(xm, (D,), p['ln2w'], p['ln2b']), p['fc_w'], p['fc_b']), approximate='tanh')
        x = xm + lin(a, p['mproj_w'], p['mproj_b'])
        cache.append((k, v, xm, a))
    return cache

def slot_layer(p, x, k_c, v_c):
    """x [B, R, D] rows at the last position; attends to cached keys 0..T-2 and its own key."""
    b, r, _ = x.shape
    h = Fn.layer_norm(x, (D,), p['ln1w'], p['ln1b'])
    q, k, v = lin(h, p['attn_w'], p['attn_b']).split(D, -1)
    q, k, v = q.view(b, r, H, HD), k.view(b, r, H, HD), v.view(b, r, H, HD)
    kc, vc = k_c[:, :, :-1], v_c[:, :, :-1]                     # [B, H, T-1, HD]
    sc = torch.einsum('brhd,bhtd->brht', q, kc)
    so = (q * k).sum(-1, keepdim=True)
    pr = (torch.cat([sc, so], -1) / math.sqrt(HD)).softmax(-1)
    ctx = torch.einsum('brht,bhtd->brhd', pr[..., :-1], vc) + pr[..., -1:] * v
    xm = x + lin(ctx.reshape(b, r, D), p['proj_w'], p['proj_b'])
    a = Fn.gelu(lin(Fn.layer_norm(xm, (D,), p['ln2w'], p['ln2b']), p['fc_w'], p['fc_b']), approximate='tanh')
    return xm + lin(a, p['mproj_w'], p['mproj_b'])

def attribute(ids, targets):
    b, t = ids.shape
    with torch.no_grad():
        cache = prefix(ids)
    alphas = torch.tensor([(k + 1) / M for k in range(M)] + [0.0])
    leaves, x = [], None
    for j in range(L):
        p = blocks[j]
        if x is not None:
            x = slot_layer(p, x, cache[j][0], cache[j][1])
        a = cache[j][3][:, -1]                                     # [B, FF]
        leaf = (alphas.view(1, -1, 1) * a.unsqueeze(1)).detach().requires_grad_(True)
        leaves.append(leaf)
        fresh = cache[j][2][:, -1].unsqueeze(1) + lin(leaf, p['mproj_w'], p['mproj_b'])
        x = fresh if x is None else torch.cat([x, fresh], 1)
    hid = Fn.layer_norm(x, (D,), lnfw, lnfb)
    logp = (hid @ wte.t()).log_softmax(-1)
    f = logp.gather(-1, targets.view(b, 1, 1).expand(b, x.shape[1], 1)).exp()
    grads = torch.autograd.grad(f.sum(), leaves)
    return [(cache[j][3][:, -1] * g[:, :M].sum(1) / M) for j, g in enumerate(grads)]

ids = torch.randint(0, V, (NQ + B, T), generator=g)
attribute(ids[:B], ids[:B, 0])
c0, t0 = time.process_time(), time.perf_counter()
for i in range(0, NQ, B):
    attribute(ids[i:i + B], ids[i:i + B, 0])
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
a = torch.randn(2048, 3072); bm = torch.randn(3072, 768); cm = torch.empty(2048, 768)
for _ in range(3): torch.mm(a, bm, out=cm)
n, t1 = 0, time.perf_counter()
while time.perf_counter() - t1 < 1.5:
    torch.mm(a, bm, out=cm); n += 1
mm = n * 2 * 2048 * 3072 * 768 / (time.perf_counter() - t1) / 1e9
print(f"pytorch {torch.__version__} T={T} B={B}: {NQ / wall:.3f} q/s, cpu/wall {cpu / wall:.2f}, matmul {mm:.1f} GFLOP/s, "
      f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, blas {torch.__config__.show().count('openblas')}")
