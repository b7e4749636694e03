"""Makes the LISA reference code importable and runnable on a CPU-only machine
without changing what it computes."""

import hashlib
import os
import random
import sys
import types
from pathlib import Path

import numpy as np

LISA_COMMIT = "3cb2d4301f1af4691bd4f3938335ef06e76f155a"

# sha256 of the reference files the goldens depend on, at LISA_COMMIT.
LISA_FILE_SHA256 = {
    "chat.py": "ca4aaa29df12c9aa6a300acfb2079fdb1df9af49f7e0a4b7e4013143e8fb4426",
    "model/LISA.py": "74f6eb516ab62bb415bcc79d7826d358c3d8208f48053c170df8732994574f10",
    "model/llava/model/llava_arch.py": "3cb5251f022c9adc4b9f98fba70e900f87e52268cfa87b4d7c55c5e903efdd86",
    "model/llava/model/language_model/llava_llama.py": "200c1e2e2d54de62f4cf555adb065af0f88892403eaaaef3006d1a135bf12943",
    "model/llava/model/multimodal_encoder/clip_encoder.py": "88c25d9a4fff65885e664e71f5e1a25b0441b044221379ea704d28e8889e2cd0",
    "model/llava/mm_utils.py": "16b60e77f513b87145b82b9c07dc1b4e2c61b4f57ebfa34443d6f03251244b93",
    "model/llava/conversation.py": "82d38a918abb26d4ef43d83bddf19be7ccc5de50f8234488acd8404ef82d24fe",
    "model/segment_anything/modeling/image_encoder.py": "3d03b4299069c08aa7b56a785c57f1844243b1862b76988d0ae12bdecfe59a50",
    "model/segment_anything/modeling/mask_decoder.py": "7dae9c90da300d0df0c415f5f5a814f72ac41c12c53db33eb6cdfcb5e3092f67",
    "model/segment_anything/modeling/prompt_encoder.py": "860343d95a1f0e419ec3b172b9ca673a4c92162e7357e9697adf43625c18e60a",
    "model/segment_anything/modeling/sam.py": "eaff5d3d0c9bf5e31071ccc830d68f136a94a3b67fb3421654f08d86648d0803",
    "model/segment_anything/modeling/transformer.py": "f7a65a95664b3d7c1d1658dcad12d3703110180f922d9ea1307051eee949fd1f",
    "model/segment_anything/modeling/common.py": "09398b9fb6da00a767c1d3214b7cc8d34085ce0322a61fb9486a6d5cea946716",
    "model/segment_anything/utils/transforms.py": "e22f2298806bc3dc5551558fbdfe14c5da2f70ab1325933507004ced187d7275",
    "utils/dataset.py": "f454643f729273b9a67920e5e2247e7474efc3ede40fd7d55e94506ab4232e5c",
    "utils/data_processing.py": "31f13818a2a937b46b0d14cf78a0a3d8437873151167e8f255242eb212ba14f2",
    "utils/utils.py": "8008ac5b7a01e1a9bf2fa642f60ebb756741bedaba47f85c3059fef54aaa1ecb",
    "train_ds.py": "644328e22607bd7bb180158c62d23c8caf791ca47ccca7b158ffb304d2bd7f93",
}


def check_lisa_checkout(lisa_repo):
    """Warns (does not fail) when the checkout is not the pinned commit's content."""
    differing = []
    for rel, expected in LISA_FILE_SHA256.items():
        path = Path(lisa_repo) / rel
        actual = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
        if actual != expected:
            differing.append(rel)
    if differing:
        print(
            f"WARNING: {lisa_repo} differs from LISA commit {LISA_COMMIT} in: "
            + ", ".join(differing)
            + "; the goldens may not match the pinned reference.",
            file=sys.stderr,
        )
    return not differing


def _pil_resize(img, size, interpolation=None, **unused):
    """torchvision.transforms.functional.resize on a PIL image with an explicit
    [h, w]: torchvision returns the image unchanged when the size already matches and
    otherwise calls PIL's resize with (w, h) and BILINEAR."""
    from PIL import Image

    assert isinstance(img, Image.Image), "only the PIL path of resize is stubbed"
    h, w = (int(s) for s in size)
    if (img.height, img.width) == (h, w):
        return img
    return img.resize((w, h), Image.BILINEAR if interpolation is None else interpolation)


def _to_pil_image(pic, mode=None):
    """torchvision's to_pil_image for the only input LISA passes: HxWx3 uint8."""
    from PIL import Image

    assert isinstance(pic, np.ndarray) and pic.dtype == np.uint8 and pic.ndim == 3 and pic.shape[2] == 3
    return Image.fromarray(pic, mode="RGB")


def stub_torchvision():
    """LISA imports torchvision in segment_anything (automatic mask generator: unused
    here) and uses two of its PIL helpers in ResizeLongestSide.apply_image. torchvision
    is not part of this environment; these stand-ins implement exactly the PIL path
    torchvision takes for those calls."""
    import transformers  # noqa: F401  (must see torchvision as absent before the stub)

    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m

    def unavailable(*args, **kwargs):
        raise RuntimeError("torchvision box ops are not used by the LISA inference path")

    boxes = module("torchvision.ops.boxes", batched_nms=unavailable, box_area=unavailable)
    ops = module("torchvision.ops", boxes=boxes)
    functional = module("torchvision.transforms.functional", resize=_pil_resize, to_pil_image=_to_pil_image)
    transforms = module("torchvision.transforms", functional=functional)
    module("torchvision", ops=ops, transforms=transforms)


def make_cuda_calls_noops():
    """LISA hard-codes .cuda() on tensors and modules; on CPU those become identity."""
    import torch

    torch.Tensor.cuda = lambda self, *args, **kwargs: self
    torch.nn.Module.cuda = lambda self, *args, **kwargs: self
    torch.cuda.empty_cache = lambda: None


def load_without_accelerate():
    """LISA passes low_cpu_mem_usage=True (CLIP tower, chat.py), which transformers
    4.31 only accepts with accelerate installed. The flag changes how weights are
    materialised, not their values (the generator checks that every weight comes from
    the checkpoint), so it is dropped instead of adding a dependency."""
    from transformers import PreTrainedModel

    original = PreTrainedModel.from_pretrained.__func__

    def from_pretrained(cls, *args, **kwargs):
        kwargs.pop("low_cpu_mem_usage", None)
        return original(cls, *args, **kwargs)

    PreTrainedModel.from_pretrained = classmethod(from_pretrained)


def histc_accepts_integers():
    """validate() (train_ds.py) passes int tensors to torch.histc, which CUDA accepts
    and CPU rejects; the counted values (0, 1, 255) are exact in float32."""
    import torch

    original = torch.histc

    def histc(input, *args, **kwargs):
        if not input.is_floating_point():
            input = input.float()
        return original(input, *args, **kwargs)

    torch.histc = histc


def accept_packages_newer_than_transformers_431():
    """Where the pinned transformers 4.31 runs beside newer packages (the GPU machine's
    image), two of them need help. Its import-time check refuses tokenizers >= 0.14;
    hiding tokenizers instead is no way out, since 4.31's stand-in AddedToken (used
    without tokenizers) has no __str__ and the slow LlamaTokenizer then re-adds <s>,
    </s> and <unk> as new tokens. So the check is skipped (a stand-in for the module that
    runs it), and the newer tokenizers provides AddedToken; the golden tokenizer cases
    pass that way (see scripts/device/README.md). accelerate is hidden: 4.31 predates
    its API and low_cpu_mem_usage is dropped anyway (load_without_accelerate). Does
    nothing where the pinned versions are installed."""
    from importlib import metadata

    def version(name):
        try:
            return tuple(int(x) for x in metadata.version(name).split(".")[:2])
        except (metadata.PackageNotFoundError, ValueError):
            return None

    def dep_version_check(pkg, hint=None):
        # What the stand-in module keeps of the original: the on-demand checks of
        # other packages (deepspeed, accelerate...).
        from transformers.dependency_versions_table import deps
        from transformers.utils.versions import require_version

        if pkg != "tokenizers":
            require_version(deps[pkg], hint)

    tokenizers = version("tokenizers")
    if tokenizers is not None and tokenizers >= (0, 14):
        check = types.ModuleType("transformers.dependency_versions_check")
        check.dep_version_check = dep_version_check
        sys.modules["transformers.dependency_versions_check"] = check
    if version("accelerate") is not None:
        sys.modules["accelerate"] = None


def setup(lisa_repo, seed, cpu_only=True):
    """cpu_only=False leaves LISA's .cuda() calls alone (a machine with a GPU)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    check_lisa_checkout(lisa_repo)
    accept_packages_newer_than_transformers_431()
    stub_torchvision()
    if cpu_only:
        make_cuda_calls_noops()
    load_without_accelerate()
    histc_accepts_integers()
    sys.path.insert(0, str(Path(lisa_repo).resolve()))
