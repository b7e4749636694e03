#!/usr/bin/env python3
"""Times LISA's own inference code per stage, with the semantics of `lisa bench`.

    reference_bench.py --model DIR --vision-tower DIR --image IMG [--prompt P]
        [--answer-tokens N[,N...]] [-r R] [-w W] [--precision fp32|bf16] [--device cpu|cuda]
        [--threads T] [--kv-cache off|on|off,on] [-o md|json] [--json-dir DIR]

Several answer lengths and both generation variants share one model load (the 7B
reference takes a minute to load); the warm-up runs only before the first length of each
variant (the process is warm after it). --json-dir then also writes, per length,
DIR/reference-n<N>.json (no KV cache) and DIR/reference-kv-n<N>.json (KV cache).

What runs is the reference at its pinned versions, loaded and called as the golden
generator does (scripts/reference: chat.py's loading and per-request preprocessing, then
LISAForCausalLM.evaluate()). Two variants of its generation (--kv-cache):

  off  evaluate() as LISA ships it: generate() WITHOUT a KV cache (LISA's model config
       has use_cache=False), so every step re-runs CLIP and the whole sequence.
  on   the same evaluate() call, with its generate() call given use_cache=True (greedy,
       num_beams=1 and the token limits unchanged, plus the all-ones attention mask
       LLaVA's cached steps need): CLIP and the prompt run once, then one position per
       step. evaluate() takes the [SEG] states from the last step's hidden states, which
       without a cache cover every position but with one only the newest; so the per-step
       hidden states generate() returns (the prompt's, then one per token, each the
       final-norm output LISA's forward returns) are joined along the sequence before
       evaluate() reads them. That is the tensor the uncached last step computes, so the
       [SEG] selection, text_hidden_fcs, SAM and postprocessing run unchanged. (On the
       golden chat cases that answer with [SEG], fp32 CPU, both variants generated the
       same ids and mask logits within 2e-7.)

Each JSON's "answer_ids" are the ids the last repetition generated, so that the two
variants can be checked to agree; its "implementation" and "kv_cache" say which ran.

Stages are read with forward hooks on LISA's modules:

  preprocess   chat.py's CLIP and SAM preprocessing, tokenizer_image_token, to device
               (decoding the image file is timed apart, as image_read, and is not in total)
  clip         the first CLIP tower + mm_projector call (later calls fall in decode)
  prefill      generate() up to the end of its first step, less that first CLIP call
               (+ the teacher-forced pass when a mask is forced)
  decode       the rest of generate(): N-1 steps, each with its CLIP call (with the
               KV cache: one position each, no CLIP)
  sam_encoder  SAM's image encoder
  sam_decode   text_hidden_fcs, prompt encoder, mask decoder
  postprocess  postprocess_masks, then chat.py's logits > 0 on the CPU
  total        preprocess start to the masks on the CPU

As in `lisa bench`: every repetition decodes and encodes the image afresh; with
--answer-tokens N > 0 exactly N tokens are generated (min_new_tokens = max_new_tokens = N,
so EOS is never chosen); when the answer has no [SEG], the mask of the teacher-forced
answer "Sure, [SEG]." is taken, through LISA's own teacher-forced path (model_forward
with inference=True, as train_ds.validate uses it) with the SAM embedding of this
repetition reused instead of encoding the image a second time (the same for both
variants: that pass never used a cache).

Peak memory (each JSON's "peak_memory_gib", "peak_memory_kind"): the peak is reset when a
variant's length starts (warm-up included) and read when it ends, so it covers that run
alone plus what stays allocated, the weights first: on CUDA torch.cuda.max_memory_allocated()
("cuda allocated"), on the CPU the process's VmHWM ("cpu resident", reset through
/proc/self/clear_refs to the resident size then, which includes memory the allocator kept
from earlier runs; where the reset is refused the peak is the whole process's, said on
stderr). `lisa bench` reports the same two keys for its process, which runs one length.
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "scripts" / "reference"))

STAGES = ["preprocess", "clip", "sam_encoder", "prefill", "decode", "sam_decode", "postprocess", "total"]
FORCED_ANSWER = "Sure, [SEG]."
GIB = float(1 << 30)
DEFAULT_PROMPT = "Can you segment the object in this image? Please output segmentation mask."
SEED = 0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path, help="LISA checkpoint directory")
    parser.add_argument("--vision-tower", required=True, type=Path, help="CLIP directory")
    parser.add_argument("--image", required=True, type=Path)
    parser.add_argument("--prompt", default=DEFAULT_PROMPT)
    parser.add_argument("-n", "--answer-tokens", type=answer_lengths, default=[0],
                        help="exactly N answer tokens (0: until EOS); a comma-separated list runs each")
    parser.add_argument("--max-new-tokens", type=int, default=512, help="limit when --answer-tokens is 0 (chat.py: 512)")
    parser.add_argument("-r", "--repetitions", type=int, default=5)
    parser.add_argument("-w", "--warmup", type=int, default=1)
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: all cores)")
    parser.add_argument("--kv-cache", type=kv_cache_variants, default=[False], metavar="off|on|off,on",
                        help="generate without LISA's disabled KV cache (off, default), with it (on), or both")
    parser.add_argument("--conv-type", choices=["llava_v1", "llava_llama_2"], default="llava_v1")
    parser.add_argument("-o", "--output", choices=["md", "json"], default="md")
    parser.add_argument("--json-dir", type=Path,
                        help="also write reference-n<N>.json (off) / reference-kv-n<N>.json (on) here for each N")
    parser.add_argument("--lisa-repo", type=Path, default=Path(os.environ.get("LISA_REPO", "/work/ref/LISA")),
                        help="checkout of dvlab-research/LISA")
    args = parser.parse_args()
    if args.repetitions < 1 or args.warmup < 0:
        parser.error("need --repetitions >= 1 and --warmup >= 0")
    return args


def answer_lengths(text):
    values = [int(v) for v in text.split(",")]
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"answer lengths must be integers >= 0: {text!r}")
    return values


def kv_cache_variants(text):
    names = text.split(",")
    if not names or any(n not in ("off", "on") for n in names) or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"--kv-cache takes off, on or off,on: {text!r}")
    return [n == "on" for n in names]


class PeakMemory:
    """The allocator's (CUDA) or the process's resident (CPU) peak since reset()."""

    def __init__(self, device):
        import torch

        self.torch = torch
        self.cuda = device == "cuda"
        self.kind = "cuda allocated" if self.cuda else "cpu resident"

    def reset(self):
        if self.cuda:
            self.torch.cuda.reset_peak_memory_stats()
            return
        try:
            Path("/proc/self/clear_refs").write_text("5")  # 5: reset VmHWM to the current RSS
        except OSError as error:
            print(f"peak memory: cannot reset VmHWM ({error}); reporting the whole process's peak",
                  file=sys.stderr)

    def gib(self):
        if self.cuda:
            return self.torch.cuda.max_memory_allocated() / GIB
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / GIB
        raise RuntimeError("/proc/self/status has no VmHWM line")


class Clock:
    """Wall-clock reads that first wait for the GPU, so that a stage owns its kernels."""

    def __init__(self, device):
        import torch

        self.sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def now(self):
        self.sync()
        return time.perf_counter()


class Intervals:
    """(start, end) of every call of the watched modules and methods, by name."""

    def __init__(self, clock):
        self.clock = clock
        self.events = defaultdict(list)
        self.outputs = {}
        self.undo = []

    def watch_module(self, name, module, keep_output=False):
        starts = []

        def before(mod, args):
            starts.append(self.clock.now())

        def after(mod, args, out):
            self.events[name].append((starts.pop(), self.clock.now()))
            if keep_output:
                self.outputs[name] = out

        handles = [module.register_forward_pre_hook(before), module.register_forward_hook(after)]
        self.undo += [h.remove for h in handles]

    def watch_method(self, name, owner, attribute, wrap_kwargs=lambda kwargs: kwargs, wrap_output=lambda out: out):
        """wrap_kwargs changes the call's keyword arguments; wrap_output, applied after the
        call's end is taken, its result."""
        original = getattr(owner, attribute)

        def timed(*args, **kwargs):
            start = self.clock.now()
            out = original(*args, **wrap_kwargs(kwargs))
            self.events[name].append((start, self.clock.now()))
            return wrap_output(out)

        setattr(owner, attribute, timed)
        self.undo.append(lambda: delattr(owner, attribute))

    def clear(self):
        self.events.clear()
        self.outputs.clear()

    def ms(self, name, within=None):
        """Milliseconds spent in `name`, all calls or those inside the interval `within`."""
        calls = self.events.get(name, [])
        if within is not None:
            calls = [(s, e) for s, e in calls if s >= within[0] and e <= within[1]]
        return 1000.0 * sum(e - s for s, e in calls)

    def close(self):
        for undo in reversed(self.undo):
            undo()


def checkpoint_shapes(model_dir):
    """name -> shape of every tensor in a safetensors checkpoint directory."""
    from safetensors import safe_open

    files = sorted(Path(model_dir).glob("*.safetensors"))
    if not files:
        raise SystemExit(f"{model_dir}: no *.safetensors files (this bench reads safetensors checkpoints)")
    shapes = {}
    for path in files:
        with safe_open(str(path), "pt") as f:
            for key in f.keys():
                shapes[key] = f.get_slice(key).get_shape()
    return shapes


def use_sam_of_checkpoint(model_dir):
    """LISA builds SAM ViT-H unconditionally; a random checkpoint of another size is
    loaded with the same classes at the sizes its tensors have (tiny_models' builder,
    as the golden generator does)."""
    import model.LISA
    import tiny_models
    from model.segment_anything import modeling

    size = tiny_models.sam_size_from_shapes(checkpoint_shapes(model_dir))
    model.LISA.build_sam_vit_h = tiny_models.make_tiny_sam_builder(modeling, size)


@contextmanager
def checkpoint_weights_only(torch):
    """Skips torch's random initialisation while the model is built for loading: every
    parameter is then overwritten from the checkpoint (reload_like_chat fails on a
    missing key), and the 7B reference would otherwise spend a minute drawing numbers
    nobody reads. Buffers are computed, not drawn, and are untouched."""
    init = torch.nn.init
    names = ["kaiming_uniform_", "kaiming_normal_", "xavier_uniform_", "xavier_normal_",
             "uniform_", "normal_", "trunc_normal_"]
    saved = {name: getattr(init, name) for name in names}
    for name in names:
        setattr(init, name, lambda tensor, *args, **kwargs: tensor)
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(init, name, fn)


class ReferenceBench:
    def __init__(self, args):
        import reference_env

        reference_env.setup(args.lisa_repo.resolve(), SEED, cpu_only=args.device == "cpu")
        import torch

        # setup() pins one thread and deterministic kernels for the goldens; a timing run
        # wants the kernels and threads a user of chat.py gets.
        torch.use_deterministic_algorithms(False)
        torch.set_num_threads(args.threads if args.threads > 0 else os.cpu_count())
        import make_goldens

        use_sam_of_checkpoint(args.model)
        self.args = args
        self.torch = torch
        self.answer_tokens = args.answer_tokens[0]
        self.kv_cache = False
        with checkpoint_weights_only(torch):
            self.tokenizer, self.model, self.clip_processor = make_goldens.reload_like_chat(
                args.model, args.vision_tower, args.precision
            )
        self.dtype = torch.bfloat16 if args.precision == "bf16" else torch.float32
        self.clock = Clock(args.device)
        self.peak = PeakMemory(args.device)
        self.watch = self._watch_stages()

    def _watch_stages(self):
        model = self.model
        inner = model.get_model()
        sam = inner.visual_model
        watch = Intervals(self.clock)
        watch.watch_module("step", model)
        watch.watch_module("clip", inner.get_vision_tower())
        watch.watch_module("projector", inner.mm_projector)
        watch.watch_module("sam_encoder", sam.image_encoder, keep_output=True)
        watch.watch_module("text_hidden_fcs", inner.text_hidden_fcs[0])
        watch.watch_module("prompt_encoder", sam.prompt_encoder)
        watch.watch_module("mask_decoder", sam.mask_decoder)
        watch.watch_method("postprocess_masks", sam, "postprocess_masks")
        watch.watch_method("generate", model, "generate", self._generation_settings, self._all_hidden_states)
        return watch

    def _generation_settings(self, kwargs):
        """evaluate()'s generate() arguments, with exactly N tokens when N > 0 and the KV
        cache on in the cached variant. LISA's forward() takes **kwargs, so generate() does
        not see that it accepts an attention mask and passes none; LLaVA's cached steps need
        one (they rebuild it from the cache length), so the cached variant passes the mask
        generate() makes for an unpadded prompt: all ones."""
        n = self.answer_tokens
        if n > 0:
            kwargs = dict(kwargs, max_new_tokens=n, min_new_tokens=n)
        if not self.kv_cache:
            return kwargs
        return dict(kwargs, use_cache=True, attention_mask=self.torch.ones_like(kwargs["input_ids"]))

    def _all_hidden_states(self, out):
        """With the cache each step's hidden states [1, new positions, H] cover only its
        new positions; joined they are [1, prompt + N - 1, H], the last uncached step's,
        which is what evaluate() reads as hidden_states[-1]."""
        if self.kv_cache:
            out.hidden_states = (self.torch.cat(out.hidden_states, dim=1),)
        return out

    def conversation(self, answer):
        from model.llava import conversation as conversation_lib
        from utils.utils import DEFAULT_IM_END_TOKEN, DEFAULT_IM_START_TOKEN, DEFAULT_IMAGE_TOKEN

        conv = conversation_lib.conv_templates[self.args.conv_type].copy()
        conv.messages = []
        prompt = DEFAULT_IMAGE_TOKEN + "\n" + self.args.prompt
        prompt = prompt.replace(DEFAULT_IMAGE_TOKEN, DEFAULT_IM_START_TOKEN + DEFAULT_IMAGE_TOKEN + DEFAULT_IM_END_TOKEN)
        conv.append_message(conv.roles[0], prompt)
        conv.append_message(conv.roles[1], answer)
        return conv.get_prompt()

    def query(self):
        """One chat.py request; returns the stage times in ms and facts about the run."""
        import cv2
        import chat
        from model.llava.mm_utils import tokenizer_image_token
        from model.segment_anything.utils.transforms import ResizeLongestSide

        torch, model, device, watch = self.torch, self.model, self.args.device, self.watch
        watch.clear()
        read_start = self.clock.now()
        image_np = cv2.cvtColor(cv2.imread(str(self.args.image)), cv2.COLOR_BGR2RGB)
        start = self.clock.now()
        original_size_list = [image_np.shape[:2]]
        image_clip = self.clip_processor.preprocess(image_np, return_tensors="pt")["pixel_values"][0]
        image_clip = image_clip.unsqueeze(0).to(device, self.dtype)
        image = ResizeLongestSide(1024).apply_image(image_np)
        resize_list = [image.shape[:2]]
        image = chat.preprocess(torch.from_numpy(image).permute(2, 0, 1).contiguous()).unsqueeze(0)
        image = image.to(device, self.dtype)
        input_ids = tokenizer_image_token(self.conversation(""), self.tokenizer, return_tensors="pt")
        input_ids = input_ids.unsqueeze(0).to(device)
        preprocessed = self.clock.now()

        n = self.answer_tokens
        output_ids, pred_masks = model.evaluate(
            image_clip, image, input_ids, resize_list, original_size_list,
            max_new_tokens=n if n > 0 else self.args.max_new_tokens, tokenizer=self.tokenizer,
        )
        generated = output_ids.shape[1] - input_ids.shape[1]
        (generate,) = watch.events["generate"]
        first_step_end = watch.events["step"][0][1]
        first_clip = 1000.0 * sum(e - s for s, e in (watch.events["clip"][0], watch.events["projector"][0]))

        forced = not bool((output_ids == model.seg_token_idx).any())
        forced_prefill = 0.0
        if forced:
            pred_masks, forced_prefill = self.forced_masks(image_clip, image, resize_list, original_size_list)

        masks_start = self.clock.now()
        binary = [m.detach().cpu().numpy() > 0 for m in pred_masks]
        end = self.clock.now()

        stages = {
            "preprocess": 1000.0 * (preprocessed - start),
            "clip": first_clip,
            "sam_encoder": watch.ms("sam_encoder"),
            "prefill": 1000.0 * (first_step_end - generate[0]) - first_clip + forced_prefill,
            "decode": 1000.0 * (generate[1] - first_step_end),
            "sam_decode": watch.ms("text_hidden_fcs") + watch.ms("prompt_encoder") + watch.ms("mask_decoder"),
            "postprocess": watch.ms("postprocess_masks") + 1000.0 * (end - masks_start),
            "total": 1000.0 * (end - start),
        }
        facts = {
            "image_read_ms": 1000.0 * (start - read_start),
            "answer_tokens": generated,
            "decode_tokens": generated - 1,
            "clip_calls": len(watch.events["clip"]),
            "clip_repeat_ms": watch.ms("clip") + watch.ms("projector") - first_clip,
            "forced_seg": forced,
            "masks": sum(int(b.shape[0]) for b in binary),
            "answer_ids": output_ids[0, input_ids.shape[1]:].tolist(),
        }
        return stages, facts

    def forced_masks(self, image_clip, image, resize_list, original_size_list):
        """The teacher-forced answer "Sure, [SEG]." through LISA's model_forward
        (inference=True), reusing this repetition's SAM embedding. Returns the masks and
        the ms of the pass outside mask decoding and postprocessing."""
        from model.llava.mm_utils import tokenizer_image_token

        torch, model, device, watch = self.torch, self.model, self.args.device, self.watch
        ids = tokenizer_image_token(self.conversation(FORCED_ANSWER), self.tokenizer, return_tensors="pt")
        ids = ids.unsqueeze(0).to(device)
        embedding = watch.outputs["sam_encoder"]
        model.get_visual_embs = lambda pixel_values: embedding
        try:
            start = self.clock.now()
            out = model.model_forward(
                images=image,
                images_clip=image_clip,
                input_ids=ids,
                labels=None,
                attention_masks=ids.ne(self.tokenizer.pad_token_id),
                offset=torch.tensor([0, 1], device=device),
                masks_list=[None],
                label_list=[torch.zeros(()).expand(*original_size_list[0])],
                resize_list=resize_list,
                inference=True,
            )
            end = self.clock.now()
        finally:
            del model.get_visual_embs
        within = (start, end)
        outside = sum(watch.ms(name, within) for name in
                      ("text_hidden_fcs", "prompt_encoder", "mask_decoder", "postprocess_masks"))
        return out["pred_masks"], 1000.0 * (end - start) - outside

    def run(self, answer_tokens, warmup, kv_cache):
        """The repetitions' (stages, facts) and the peak memory in GiB over this run."""
        import torch

        self.answer_tokens = answer_tokens
        self.kv_cache = kv_cache
        variant = "kv on" if kv_cache else "kv off"
        runs = []
        self.peak.reset()
        with torch.no_grad():
            for i in range(warmup + self.args.repetitions):
                stages, facts = self.query()
                kind = "warm-up" if i < warmup else f"repetition {i - warmup + 1}/{self.args.repetitions}"
                print(f"{variant} n={answer_tokens} {kind}: total {stages['total']:.0f} ms", file=sys.stderr, flush=True)
                if i >= warmup:
                    runs.append((stages, facts))
        return runs, self.peak.gib()


def mean_sd(values):
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def report(args, answer_tokens, kv_cache, runs, peak_gib, peak_kind):
    stages = {}
    for stage in STAGES:
        mean, sd = mean_sd([s[stage] for s, _ in runs])
        stages[stage] = {"mean_ms": mean, "sd_ms": sd}
    rates = [1000.0 * f["decode_tokens"] / s["decode"] for s, f in runs if f["decode_tokens"] > 0 and s["decode"] > 0]
    rate, rate_sd = mean_sd(rates) if rates else (0.0, 0.0)
    facts = [f for _, f in runs]
    return {
        "implementation": ("reference (LISA evaluate() with generate(use_cache=True), transformers 4.31, KV cache)"
                           if kv_cache else "reference (LISA evaluate(), transformers 4.31, no KV cache)"),
        "kv_cache": kv_cache,
        "model": str(args.model),
        "device": args.device,
        "precision": args.precision,
        "threads": args.threads,
        "requested_answer_tokens": answer_tokens,
        "stages": stages,
        "decode_tokens_per_s": {"mean": rate, "sd": rate_sd},
        "answer_tokens": facts[-1]["answer_tokens"],
        "repetitions": args.repetitions,
        "image_read_ms": mean_sd([f["image_read_ms"] for f in facts])[0],
        "clip_calls": facts[-1]["clip_calls"],
        "clip_repeat_ms": mean_sd([f["clip_repeat_ms"] for f in facts])[0],
        "forced_seg": facts[-1]["forced_seg"],
        "masks": facts[-1]["masks"],
        "answer_ids": facts[-1]["answer_ids"],
        "peak_memory_gib": peak_gib,
        "peak_memory_kind": peak_kind,
    }


def markdown(result):
    lines = ["| stage | mean ms | sd ms |", "|---|---:|---:|"]
    lines += [f"| {k} | {v['mean_ms']:.2f} | {v['sd_ms']:.2f} |" for k, v in result["stages"].items()]
    rate = result["decode_tokens_per_s"]
    lines.append(f"| decode tok/s | {rate['mean']:.1f} | {rate['sd']:.1f} |")
    lines.append("")
    lines.append(
        f"{result['repetitions']} repetitions, {result['answer_tokens']} answer tokens per query, "
        f"{result['clip_calls']} CLIP calls per query ({result['clip_repeat_ms']:.1f} ms after the first), "
        f"forced mask: {result['forced_seg']}, image read {result['image_read_ms']:.1f} ms (not in total)"
    )
    lines.append(f"peak memory: {result['peak_memory_gib']:.2f} GiB ({result['peak_memory_kind']})")
    return "\n".join(lines)


def main():
    args = parse_args()
    bench = ReferenceBench(args)
    results = []
    for kv_cache in args.kv_cache:
        for i, n in enumerate(args.answer_tokens):
            runs, peak_gib = bench.run(n, args.warmup if i == 0 else 0, kv_cache)
            result = report(args, n, kv_cache, runs, peak_gib, bench.peak.kind)
            results.append(result)
            if args.json_dir:
                args.json_dir.mkdir(parents=True, exist_ok=True)
                name = f"reference-kv-n{n}.json" if kv_cache else f"reference-n{n}.json"
                (args.json_dir / name).write_text(json.dumps(result, indent=2) + "\n")
    if args.output == "json":
        print(json.dumps(results[0] if len(results) == 1 else results, indent=2))
    else:
        print(f"reference bench: {args.model}, {args.device}, {args.precision}")
        for result in results:
            cache = "on" if result["kv_cache"] else "off"
            print(f"\n--kv-cache {cache} --answer-tokens {result['requested_answer_tokens']}\n")
            print(markdown(result))


if __name__ == "__main__":
    main()
