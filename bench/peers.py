#!/usr/bin/env python3
"""trfpipe's encoder beside its peers on the same weights and inputs (issue #18).

Run through bench/peers.sh, which prepares the Debian sid chroot that holds the peers. This file
has two sides:
  orchestrate  (the host) makes the random base-shape checkpoints with `trfpipe init model`,
               exports them to ONNX (in the chroot), then starts every engine as its own child
               process, interleaved (A B C A B C ...), and prints the table;
  engine       (inside the chroot, or trfpipe's own binaries on the host) one engine on every
               shape, or end to end on SOTU docs; prints RESULT / E2E lines and PEAK_RSS_MB.
Engines: trfpipe (bench encoder_bench, `trfpipe apply`), hf-eager and hf-sdpa (transformers on
PyTorch, attn_implementation "eager" / "sdpa"), ort (python3-onnxruntime, the CPU execution
provider, an opset-17 export with dynamic batch and length axes).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

STARTED = time.time()  # the engine's process start, near enough (python3 starts in ~50 ms)
SHAPES_DEFAULT = "1x128,32x128,8x512"
ENGINES = ["trfpipe", "hf-eager", "hf-sdpa", "ort"]
PEERS = {"hf-eager": "transformers on PyTorch, eager attention",
         "hf-sdpa": "transformers on PyTorch, SDPA attention",
         "ort": "ONNX Runtime (python3-onnxruntime, CPUExecutionProvider)"}


def parse_shapes(text):
    shapes = []
    for item in text.split(","):
        b, l = item.split("x")
        shapes.append((int(b), int(l)))
    return shapes


def shape_name(shape):
    return "%dx%d" % shape


def forward_flops(cfg, batch, length):
    """Multiply-adds x 2 of one forward: the linear layers per token and the two attention
    products (the count encoder_bench uses)."""
    h, inter, layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    per_token_layer = 2.0 * (4.0 * h * h + 2.0 * h * inter) + 2.0 * 2.0 * length * h
    return per_token_layer * layers * batch * length


# ---------------------------------------------------------------- engine side (in the chroot)

def peak_rss_mb():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def load_torch_model(model_dir, engine):
    import torch
    import transformers
    model = transformers.AutoModel.from_pretrained(
        model_dir, attn_implementation="sdpa" if engine == "hf-sdpa" else "eager")
    return model.eval(), torch


def make_inputs(cfg, batch, length, seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, 1000, size=(batch, length), dtype=np.int64)
    return {"input_ids": ids, "attention_mask": np.ones((batch, length), dtype=np.int64),
            "token_type_ids": np.zeros((batch, length), dtype=np.int64)}


class Runner:
    """One engine's forward on numpy inputs (padded rows, attention mask)."""

    def __init__(self, engine, model_dir, onnx_path, threads):
        self.engine = engine
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = json.load(f)
        self.uses_token_types = self.cfg["model_type"] == "bert"
        if engine == "ort":
            import onnxruntime as ort
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self.session = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])
            self.input_names = [i.name for i in self.session.get_inputs()]
        else:
            self.model, self.torch = load_torch_model(model_dir, engine)
            self.torch.set_num_threads(threads)

    def forward(self, inputs):
        if self.engine == "ort":
            return self.session.run(["last_hidden_state"], {k: inputs[k] for k in self.input_names})[0]
        torch = self.torch
        feed = {k: torch.from_numpy(v) for k, v in inputs.items()
                if k != "token_type_ids" or self.uses_token_types}
        with torch.inference_mode():
            return self.model(**feed).last_hidden_state


def engine_shapes(args):
    runner = Runner(args.engine, args.model, args.onnx, args.threads)
    for batch, length in parse_shapes(args.shapes):
        inputs = make_inputs(runner.cfg, batch, length)
        runner.forward({k: v[:1] for k, v in inputs.items()})  # warm-up: one row of this length
        t0 = time.perf_counter()
        for _ in range(args.iters):
            runner.forward(inputs)
        secs = time.perf_counter() - t0
        print("RESULT %dx%d %.3f" % (batch, length, batch * length * args.iters / secs), flush=True)
    print("PEAK_RSS_MB %.1f" % peak_rss_mb())


def fast_tokenizer(model_dir):
    """The Hugging Face fast tokenizer of the folder: ids per text, truncated to 512 pieces.
    Debian sid's transformers 5.12 cannot build RobertaTokenizer on its tokenizers 0.23
    (RobertaProcessing's keywords changed), so a byte-level BPE folder gets the same pipeline
    built with `tokenizers` directly (what RobertaTokenizerFast wraps)."""
    try:
        import transformers
        tok = transformers.AutoTokenizer.from_pretrained(model_dir)
        return lambda texts: tok(texts, truncation=True, max_length=512)["input_ids"], 0
    except TypeError:
        from tokenizers import Tokenizer, models, pre_tokenizers, processors, decoders
        bpe = models.BPE.from_file(os.path.join(model_dir, "vocab.json"),
                                   os.path.join(model_dir, "merges.txt"))
        tok = Tokenizer(bpe)
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        vocab = tok.get_vocab()
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A </s>", special_tokens=[("<s>", vocab["<s>"]), ("</s>", vocab["</s>"])])
        tok.enable_truncation(512)
        return lambda texts: [e.ids for e in tok.encode_batch(texts)], vocab.get("<pad>", 1)


def engine_e2e(args):
    """A plain script a user would write: the fast tokenizer, length-sorted batches of 32, the
    model; the outputs are dropped."""
    import numpy as np
    runner = Runner(args.engine, args.model, args.onnx, args.threads)
    encode, pad_id = fast_tokenizer(args.model)
    print("E2E loaded_at %.3f" % (time.time() - STARTED), flush=True)
    with open(args.docs) as f:
        texts = [json.loads(line)["text"] for line in f]
    ids = encode(texts)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    pieces = 0
    for start in range(0, len(order), 32):
        rows = [ids[i] for i in order[start:start + 32]]
        width = max(len(r) for r in rows)
        batch = {"input_ids": np.full((len(rows), width), pad_id, dtype=np.int64),
                 "attention_mask": np.zeros((len(rows), width), dtype=np.int64),
                 "token_type_ids": np.zeros((len(rows), width), dtype=np.int64)}
        for j, r in enumerate(rows):
            batch["input_ids"][j, :len(r)] = r
            batch["attention_mask"][j, :len(r)] = 1
            pieces += len(r)
        runner.forward(batch)
    print("E2E pieces %d" % pieces)
    print("PEAK_RSS_MB %.1f" % peak_rss_mb())


def engine_ceiling(args):
    """One 4096 x 768 x 3072 float32 product on PyTorch's matmul, best of 3."""
    import torch
    torch.set_num_threads(args.threads)
    x, w = torch.randn(4096, 768), torch.randn(768, 3072)
    torch.mm(x, w)
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        torch.mm(x, w)
        best = max(best, 2.0 * 4096 * 768 * 3072 / (time.perf_counter() - t0) / 1e9)
    print("CEILING %.3f" % best)


def engine_export(args):
    """torch.onnx.export of the model's last_hidden_state, opset 17, dynamic batch and length."""
    import torch
    model, _ = load_torch_model(args.model, "hf-eager")
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if model.config.model_type == "bert" else [])

    class LastHidden(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *inputs):
            return self.m(**dict(zip(names, inputs))).last_hidden_state

    # The reference outputs before exporting (the exporter leaves the module changed).
    inputs = make_inputs(model.config.to_dict(), 2, 24)
    with torch.inference_mode():
        want = model(**{n: torch.from_numpy(inputs[n]) for n in names}).last_hidden_state.numpy()
    example = tuple(torch.ones(2, 16, dtype=torch.long) for _ in names)
    axes = {n: {0: "batch", 1: "length"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "length"}
    tmp = args.onnx + ".tmp"
    torch.onnx.export(LastHidden(model), example, tmp, input_names=names,
                      output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17,
                      dynamo=False)
    os.replace(tmp, args.onnx)
    # Same weights, same outputs: checked once here against the eager model.
    import onnxruntime as ort
    sess = ort.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
    got = sess.run(["last_hidden_state"], {n: inputs[n] for n in names})[0]
    print("EXPORT max |ort - eager| = %.2e" % abs(got - want).max())


# ---------------------------------------------------------------- orchestrator (the host)

class Child:
    """A finished engine process: its output lines, wall time, CPU time and peak RSS."""

    def __init__(self, cmd, env=None):
        import tempfile
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, text=True)
            # wait4, not wait: the child's own CPU time and peak RSS (ru_maxrss covers what the
            # child itself waited for: chroot execs python3, so it is the same process).
            _, status, ru = os.wait4(proc.pid, 0)
            self.wall = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            self.out, self.err = out.read(), err.read()
        self.returncode = proc.returncode
        self.cpu = ru.ru_utime + ru.ru_stime
        self.rss = ru.ru_maxrss / 1024.0
        self.results = {}
        for line in self.out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "RESULT":
                self.results[parts[1]] = float(parts[2])
            elif len(parts) == 2 and parts[0] == "CEILING":
                self.results["ceiling"] = float(parts[1])
            elif len(parts) == 3 and parts[0] == "E2E" and parts[1] == "loaded_at":
                self.results["load"] = float(parts[2])

    def check(self, what):
        if self.returncode != 0:
            sys.exit("peers: %s failed (exit %s):\n%s%s" % (what, self.returncode, self.out, self.err[-4000:]))
        return self


class Orchestrator:
    def __init__(self, args):
        self.a = args
        self.work = args.work
        self.chroot = args.chroot
        self.trfpipe = os.path.join(args.build, "bin", "trfpipe")
        self.encoder_bench = os.path.join(args.build, "bin", "encoder_bench")
        self.cpu_before = 0.0

    # Paths as the chroot sees them: the work folder is bind-mounted at /peers.
    def inside(self, path):
        return "/peers/" + os.path.relpath(path, self.work)

    def in_chroot(self, argv, threads):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), HF_HUB_OFFLINE="1",
                   TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONWARNINGS="ignore")
        return ["chroot", self.chroot, "python3", "/peers/peers.py"] + argv, env

    def available_peers(self):
        if not self.chroot:
            print("skipped: hf-eager, hf-sdpa, ort (no Debian sid chroot; bash bench/peers.sh --setup)")
            return []
        probe = subprocess.run(["chroot", self.chroot, "python3", "-c",
                                "import importlib.util as u;"
                                "print(' '.join(m for m in ['torch','transformers','onnxruntime','onnx']"
                                " if u.find_spec(m)))"], capture_output=True, text=True)
        have = set(probe.stdout.split())
        engines = []
        for engine in ["hf-eager", "hf-sdpa", "ort"]:
            need = {"torch", "transformers"} | ({"onnxruntime", "onnx"} if engine == "ort" else set())
            if need <= have:
                engines.append(engine)
            else:
                print("skipped: %s (%s not installed in %s)" % (engine, ", ".join(sorted(need - have)), self.chroot))
        return engines

    def model_dir(self, arch):
        path = os.path.join(self.work, "models", arch + "-base")
        if not os.path.exists(os.path.join(path, "model.safetensors")):
            tok = {"bert": "bert-base-uncased-vocab.txt", "roberta": "gpt2-encoder.json"}[arch]
            Child([self.trfpipe, "init", "model", path, "--arch", arch, "--layers", "12", "--width", "768",
                   "--heads", "12", "--seed", "0", "--tokenizer",
                   os.path.join(self.a.shared, "data", "tokenizers", tok)]).check("trfpipe init model")
        return path

    def onnx_path(self, arch, model):
        path = os.path.join(self.work, "onnx", arch + "-base.onnx")
        if not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(os.path.join(model, "model.safetensors")):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            cmd, env = self.in_chroot(["engine", "--mode", "export", "--model", self.inside(model),
                                       "--onnx", self.inside(path)], 1)
            c = Child(cmd, env).check("ONNX export of " + arch)
            print("ONNX export of %s-base: %s" % (arch, c.out.strip().splitlines()[-1]))
        return path

    def pipeline_dir(self, arch, model):
        """A `transformer` pipeline on the folder: strided spans 128/96, as spacy-transformers'
        default config."""
        path = os.path.join(self.work, "pipelines", arch + "-base")
        if not os.path.exists(os.path.join(path, "config.cfg")):
            cfg = os.path.join(self.work, "pipelines", arch + "-base.cfg")
            os.makedirs(os.path.dirname(cfg), exist_ok=True)
            with open(cfg, "w") as f:
                f.write('[nlp]\nlang = "en"\npipeline = ["transformer"]\nbatch_size = 256\n\n'
                        '[components]\n\n[components.transformer]\nfactory = "transformer"\n'
                        'max_batch_items = 4096\n\n[components.transformer.model]\n'
                        '@architectures = "spacy-transformers.TransformerModel.v3"\nname = "%s"\n\n'
                        '[components.transformer.model.get_spans]\n'
                        '@span_getters = "spacy-transformers.strided_spans.v1"\nwindow = 128\nstride = 96\n'
                        % model)
            Child([self.trfpipe, "assemble", cfg, path]).check("trfpipe assemble")
        return path

    def sotu_docs(self):
        """SOTU speeches cut after a '.' once a doc has 80 words (as bench/bench_util.hpp)."""
        path = os.path.join(self.work, "sotu-%d.jsonl" % self.a.docs)
        docs, words = [], 0
        with open(os.path.join(self.a.shared, "data", "text", "sotu.jsonl")) as f:
            for line in f:
                cur = []
                for w in json.loads(line)["text"].split():
                    cur.append(w)
                    if len(cur) >= 80 and w.endswith("."):
                        docs.append(" ".join(cur))
                        words += len(cur)
                        cur = []
                        if len(docs) == self.a.docs:
                            break
                if len(docs) == self.a.docs:
                    break
        with open(path, "w") as f:
            for d in docs:
                f.write(json.dumps({"text": d}) + "\n")
        return path, words

    def run_shapes(self, engine, arch, model, onnx, threads):
        if engine.startswith("trfpipe"):  # trfpipe, or trfpipe-bf16 / trfpipe-int8 (--dtypes)
            dtype = engine.partition("-")[2] or "fp32"
            # encoder_bench links libtrfpipe.so, so libgomp starts before trfpipe could set its
            # short spin (registry/torch_library.cpp): given here as the trfpipe binary has it.
            env = dict(os.environ)
            if "OMP_WAIT_POLICY" not in env:
                env.setdefault("GOMP_SPINCOUNT", "1000")
            return Child([self.encoder_bench, "--model", model, "--shapes", self.a.shapes, "--iters",
                          str(self.a.iters), "--threads", str(threads), "--dtype", dtype, "--child", "1"],
                         env).check(engine)
        cmd, env = self.in_chroot(["engine", "--mode", "shapes", "--engine", engine, "--model", self.inside(model),
                                   "--onnx", self.inside(onnx) if onnx else "", "--shapes", self.a.shapes,
                                   "--iters", str(self.a.iters), "--threads", str(threads)], threads)
        return Child(cmd, env).check(engine)

    def run_e2e(self, engine, model, onnx, pipeline, docs, threads):
        if engine == "trfpipe":
            apply = [self.trfpipe, "apply", pipeline, docs, "-", "-q", "-n", "1", "-b", "256", "--threads", str(threads)]
            c = Child(apply).check("trfpipe apply")
            # Its start-up and load: the same command on one short doc, right after.
            apply[3] = os.path.join(self.work, "one-doc.jsonl")
            with open(apply[3], "w") as f:
                f.write(json.dumps({"text": "One short doc."}) + "\n")
            c.results["load"] = Child(apply).check("trfpipe apply (load only)").wall
            return c
        cmd, env = self.in_chroot(["engine", "--mode", "e2e", "--engine", engine, "--model", self.inside(model),
                                   "--onnx", self.inside(onnx) if onnx else "", "--docs", self.inside(docs),
                                   "--threads", str(threads)], threads)
        return Child(cmd, env).check(engine + " end to end")

    def ceiling(self, threads):
        best = Child([self.encoder_bench, "--ceiling", "--threads", str(threads)]).check("GEMM ceiling")
        values = {"trfpipe's linear path (" + self.backend + ")": best.results["ceiling"]}
        if self.chroot:
            cmd, env = self.in_chroot(["engine", "--mode", "ceiling", "--threads", str(threads)], threads)
            c = Child(cmd, env)
            if c.returncode == 0:
                values["PyTorch torch.mm (sid)"] = c.results["ceiling"]
        return values

    def run(self):
        a = self.a
        info = subprocess.run([self.trfpipe, "info"], capture_output=True, text=True).stdout
        m = re.search(r"Inference GEMM\s+(.*?)\s*$", info, re.M)
        self.backend = m.group(1) if m else "unknown"
        engines = ["trfpipe"] + ["trfpipe-" + d for d in a.dtypes if d != "fp32"] + self.available_peers()
        shapes = [shape_name(s) for s in parse_shapes(a.shapes)]
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
        print("machine: %s, %d cores, load average %.1f at the start%s" % (
            cpu, os.cpu_count(), os.getloadavg()[0], "; " + a.note if a.note else ""))
        print("trfpipe inference GEMM: %s" % self.backend)
        print("engines: %s; rounds %d (interleaved), %d timed forward(s) per shape after a one-row warm-up"
              % (", ".join(engines), a.rounds, a.iters))
        rows, e2e_rows, last = [], [], None
        for threads in a.threads:
            # The ceiling is measured again in every round (the machine's load changes under a long
            # run): the best of all measurements is the ceiling of this thread count.
            samples = {}
            for arch in a.archs:
                model = self.model_dir(arch)
                with open(os.path.join(model, "config.json")) as f:
                    cfg = json.load(f)
                onnx = self.onnx_path(arch, model) if "ort" in engines else None
                results = {e: {s: [] for s in shapes} for e in engines}
                rss = {e: 0.0 for e in engines}
                for _ in range(a.rounds):
                    for name, value in self.ceiling(threads).items():
                        samples.setdefault(name, []).append(value)
                    for engine in engines:
                        c = self.run_shapes(engine, arch, model, onnx, threads)
                        for s in shapes:
                            results[engine][s].append(c.results[s])
                        rss[engine] = max(rss[engine], c.rss)
                for s in shapes:
                    b, l = map(int, s.split("x"))
                    ours = sum(results["trfpipe"][s]) / a.rounds
                    for engine in engines:
                        tps = sum(results[engine][s]) / a.rounds
                        gflops = forward_flops(cfg, b, l) / (b * l) * tps / 1e9
                        rows.append([arch + "-base", threads, s, engine, tps, gflops, gflops, ours / tps, rss[engine]])
                        if engine == "ort" and s == "32x128" and last is None:
                            last = ours / tps
                if a.docs > 0:
                    docs, words = self.sotu_docs()
                    pipeline = self.pipeline_dir(arch, model)
                    e2e_engines = [e for e in engines if e != "hf-eager" and not e.startswith("trfpipe-")]
                    runs = {e: [] for e in e2e_engines}
                    for _ in range(a.rounds):
                        for engine in e2e_engines:
                            runs[engine].append(self.run_e2e(engine, model, onnx, pipeline, docs, threads))
                    ours = sum(c.wall for c in runs["trfpipe"]) / a.rounds
                    def after_load(c):
                        return c.wall - c.results.get("load", 0.0)
                    ours_run = sum(after_load(c) for c in runs["trfpipe"]) / a.rounds
                    for engine in e2e_engines:
                        wall = sum(c.wall for c in runs[engine]) / a.rounds
                        run = sum(after_load(c) for c in runs[engine]) / a.rounds
                        cpu = sum(c.cpu for c in runs[engine]) / a.rounds
                        e2e_rows.append((arch + "-base", threads, engine, a.docs, words, wall, wall - run, cpu,
                                         words / wall, wall / ours, words / run, run / ours_run,
                                         max(c.rss for c in runs[engine])))
            ceiling = max(max(v) for v in samples.values())
            for name, values in samples.items():
                print("GEMM ceiling, %d thread(s), 4096 x 768 x 3072 fp32, on %s: best %.1f GFLOP/s (%s)"
                      % (threads, name, max(values), ", ".join("%.1f" % v for v in values)))
            for r in rows:
                if r[1] == threads:
                    r[6] = 100 * r[5] / ceiling
        print()
        print("Encoder alone, fp32 (trfpipe-bf16/-int8: --dtype), random weights of the same safetensors file for every engine "
              "(tokens/s: mean of the rounds; ratio = trfpipe tokens/s / the engine's):")
        print()
        print("| model | threads | batch x length | engine | tokens/s | GFLOP/s | % of GEMM ceiling | trfpipe / engine | peak RSS MB |")
        print("|---|---:|---|---|---:|---:|---:|---:|---:|")
        for r in rows:
            print("| %s | %d | %s | %s | %.0f | %.1f | %.0f%% | %.2fx | %.0f |" % tuple(r))
        if e2e_rows:
            print()
            print("End to end on SOTU docs of ~80 words (whole process; words = whitespace words; trfpipe: "
                  "`trfpipe apply` with a transformer pipe, strided spans 128/96, its start-up and load measured "
                  "by the same command on one short doc; peers: a script with the fast tokenizer and "
                  "length-sorted batches of 32, its start-up and load up to the tokenizer being ready):")
            print()
            print("| model | threads | engine | docs | words | wall s | of which start-up and load | CPU s "
                  "| words/s | trfpipe / engine | words/s after load | trfpipe / engine after load | peak RSS MB |")
            print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for r in e2e_rows:
                print("| %s | %d | %s | %d | %d | %.1f | %.1f | %.1f | %.1f | %.2fx | %.1f | %.2fx | %.0f |" % r)
        print()
        why = "n/a (onnxruntime skipped)" if "ort" not in engines else "n/a (32x128 not measured)"
        print("trfpipe/onnxruntime fp32 32x128: %s" % ("%.2f" % last if last is not None else why))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="side", required=True)
    e = sub.add_parser("engine")
    e.add_argument("--mode", choices=["shapes", "e2e", "ceiling", "export"], required=True)
    e.add_argument("--engine", choices=ENGINES[1:], default="hf-eager")
    e.add_argument("--model", default="")
    e.add_argument("--onnx", default="")
    e.add_argument("--docs", default="")
    e.add_argument("--shapes", default=SHAPES_DEFAULT)
    e.add_argument("--iters", type=int, default=1)
    e.add_argument("--threads", type=int, default=1)
    o = sub.add_parser("orchestrate")
    o.add_argument("--build", required=True)
    o.add_argument("--shared", required=True)
    o.add_argument("--work", required=True)
    o.add_argument("--chroot", default="")
    o.add_argument("--threads", default="1,2")
    o.add_argument("--archs", default="bert,roberta")
    o.add_argument("--shapes", default=SHAPES_DEFAULT)
    o.add_argument("--iters", type=int, default=1)
    o.add_argument("--rounds", type=int, default=2)
    o.add_argument("--docs", type=int, default=300)
    o.add_argument("--note", default="")
    o.add_argument("--dtypes", default="fp32")
    args = p.parse_args()
    if args.side == "engine":
        {"shapes": engine_shapes, "e2e": engine_e2e, "ceiling": engine_ceiling, "export": engine_export}[args.mode](args)
        return
    args.threads = [int(t) for t in args.threads.split(",")]
    args.archs = [x for x in args.archs.split(",") if x]
    args.dtypes = [x for x in args.dtypes.split(",") if x]
    for d in args.dtypes:
        if d not in ("fp32", "bf16", "int8"):
            sys.exit("peers: --dtypes must list fp32, bf16 and/or int8, not %r" % d)
    for arch in args.archs:
        if arch not in ("bert", "roberta"):
            sys.exit("peers: --arch must be bert and/or roberta, not %r" % arch)
    Orchestrator(args).run()


if __name__ == "__main__":
    main()
