"""A small LLaMA-style SentencePiece tokenizer, wrapped the way LISA wraps LLaMA's.

The engine must reproduce transformers 4.31's slow LlamaTokenizer (legacy mode) on
top of a SentencePiece BPE model with LLaMA's trainer settings. A 1000-piece model
trained here exercises the same code paths (byte fallback, dummy prefix, digit
splitting, whitespace-only pieces) at a size that fits in the repository.
"""

import io
import json
from pathlib import Path

import sentencepiece as spm

VOCAB_SIZE = 1000

# Subjects, places and relations combined into many sentences, so that BPE has enough
# material for VOCAB_SIZE pieces.
_OBJECTS = [
    "cat", "dog", "cup of coffee", "rocket", "astronaut", "camera", "tripod", "horse",
    "coin", "brick wall", "flag", "helmet", "saucer", "spoon", "table", "window",
    "tree", "cloud", "person", "car", "bicycle", "motorcycle", "chair", "laptop",
    "bottle", "plate", "building", "door", "lamp", "book", "keyboard", "mountain",
]
_PLACES = [
    "on the left", "on the right", "in the center", "near the top", "at the bottom",
    "behind the table", "in front of the window", "next to the door", "under the lamp",
]
_COLOURS = ["red", "green", "blue", "white", "black", "grey", "orange", "brown", "yellow"]

_FREE_TEXT = [
    "A chat between a curious human and an artificial intelligence assistant.",
    "The assistant gives helpful, detailed, and polite answers to the human's questions.",
    "You are a helpful language and vision assistant.",
    "You are able to understand the visual content that the user provides, and assist the user with a variety of tasks using natural language.",
    "USER: ASSISTANT: [INST] [/INST] <<SYS>> <</SYS>>",
    "Please output segmentation mask.",
    "Please respond with segmentation mask.",
    "Please output segmentation mask and explain why.",
    "Can you segment the object in this image?",
    "What is the thing in this image? Please output segmentation mask.",
    "Sure, the segmentation result is shown.",
    "Sure, it is here.",
    "It is the one that people use to drink hot liquids in the morning.",
    "Which part of the picture would you sit on after a long walk?",
    "Where would a tired traveller put a heavy bag in this room?",
    "The astronaut holds a helmet and smiles at the camera.",
    "A cat with striped fur looks at the photographer.",
    "The rocket stands on the launch pad before the flight.",
    "A man with a camera on a tripod stands in a field.",
    "The coffee is served in a white cup on a saucer with a spoon.",
    "Numbers: 0 1 2 3 4 5 6 7 8 9 10 42 100 2023 3.14 1,000 12:30 50% #7 (9) [3]",
    "Dates like 2023-07-14 and times like 08:15 appear in captions.",
    "Café, naïve, résumé, façade, déjà vu, Zürich, São Paulo, jalapeño.",
    "Tabs\tand  double  spaces   and\nnew lines\nare kept.",
    "Questions? Answers! Quotes \"like this\" and 'like that'; colons: semicolons;",
    "Symbols: + - * / = < > @ & $ ~ ^ _ | \\ { } ` ...",
]


def corpus_lines(lisa_prompt_lists):
    """Deterministic training text: handwritten sentences, LISA's own prompt lists,
    and generated object/place/colour sentences."""
    lines = list(_FREE_TEXT)
    for template in lisa_prompt_lists:
        lines.append(template.replace("<image>\n", "").format(class_name="the cat", sent="Where is the cat?"))
    for i, obj in enumerate(_OBJECTS):
        for j, place in enumerate(_PLACES):
            colour = _COLOURS[(i + j) % len(_COLOURS)]
            lines.append(f"The {colour} {obj} is {place} of the image.")
            lines.append(f"Can you segment the {obj} {place}? It is {colour}.")
        lines.append(f"What is {obj} in this image? Please output segmentation mask.")
        lines.append(f"There are {i + 2} {obj}s, {i * 7 % 13} of them are {_COLOURS[i % len(_COLOURS)]}.")
    return lines


def train_sentencepiece(lines):
    """Trains with LLaMA's trainer settings; single thread and no sampling keep the
    result byte-identical between runs."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        model_type="bpe",
        vocab_size=VOCAB_SIZE,
        character_coverage=0.99995,
        byte_fallback=True,
        split_digits=True,
        split_by_unicode_script=True,
        split_by_number=True,
        split_by_whitespace=True,
        treat_whitespace_as_suffix=False,
        allow_whitespace_only_pieces=True,
        add_dummy_prefix=True,
        remove_extra_whitespaces=False,
        normalization_rule_name="identity",
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        unk_surface=" \u2047 ",
        max_sentencepiece_length=16,
        vocabulary_output_piece_score=True,
        hard_vocab_limit=True,
        num_threads=1,
        input_sentence_size=0,
        shuffle_input_sentence=False,
        seed_sentencepiece_size=1000000,
        minloglevel=2,
    )
    return model.getvalue()


def build_lisa_tokenizer(sp_model_path, special):
    """LISA's tokenizer setup (train_ds.py / merge script): slow LlamaTokenizer, pad =
    unk, then "[SEG]" as a normal added token and <im_start>/<im_end> as special ones."""
    from transformers import LlamaTokenizer

    tokenizer = LlamaTokenizer(
        vocab_file=str(sp_model_path), model_max_length=512, padding_side="right"
    )
    tokenizer.pad_token = tokenizer.unk_token
    tokenizer.add_tokens("[SEG]")
    tokenizer.add_tokens([special["im_start"], special["im_end"]], special_tokens=True)
    return tokenizer


_ENCODE_TEXTS = [
    "", " ", "  ", "   ", "\n", "\n\n", "\t", " \t ", "a", "A", "hello", " hello", "hello ",
    "  hello  world  ", "Hello, world!", "hello\nworld", "hello\tworld", "line one\r\nline two",
    "0", "7", "42", "2023", "3.14159", "1,000,000", "12:30 pm", "-5 + 3 = -2", "x1y2z3",
    "Café", "naïve résumé", "déjà vu", "Zürich", "São Paulo", "ñandú", "Ångström", "Œuvre",
    "日本語", "中文测试", "한국어", "Привет мир", "Γειά σου", "שלום", "مرحبا", "हिन्दी",
    "🙂", "🚀 rocket", "cat 🐱 dog 🐶", "👨‍👩‍👧", "✓ ✗ → ← ∞", "€100", "£5", "¥500", "©®™",
    "\u00a0nbsp", "zero\u200bwidth", "tab\u000bvt", "\u2047", "▁", "▁▁", "<unk>", "<s>", "</s>",
    "<s>hello</s>", "hello <s> world", "<pad>", "<image>", "<im_patch>",
    "It's", "don't", "U.S.A.", "e-mail", "state-of-the-art", "C++ and C#", "a_b_c",
    "http://example.com/path?x=1", "user@example.com", "#hashtag", "@mention",
    "((nested (brackets)))", "\"quoted\"", "'single'", "`code`", "...", "!!!", "???",
    "ALL CAPS SENTENCE", "MiXeD CaSe", "camelCaseWord", "snake_case_word",
    "The quick brown fox jumps over the lazy dog.",
    "supercalifragilisticexpialidocious",
    "a" * 40, "ab" * 25, " " * 10 + "indented", "trailing" + " " * 7,
]

_ADDED_TOKEN_TEMPLATES = [
    "{t}", " {t}", "{t} ", " {t} ", "  {t}  ", "a{t}b", "a {t} b", "a  {t}  b", "{t}{t}",
    "{t} {t}", "{t}\n{t}", "\n{t}\n", "x{t}", "{t}.", "{t}, ", "It is {t}.", "Sure, {t}.",
    "Sure, it is {t}.", "Sure, the segmentation result is {t}.", "{t}</s>", "<s>{t}",
    "{t}\tdone", "日本{t}語", "🙂{t}🙂", "{t}123", "123 {t} 456",
]

_DECODE_EXTRA_IDS = [
    [], [1], [2], [0], [1, 2], [3], [3, 4, 5], [100, 101, 102], [259, 260, 261],
]


def _generated_texts():
    """Systematic variations: numbers, spacing around words and punctuation, case."""
    texts = []
    for n in [0, 1, 9, 10, 11, 99, 100, 101, 255, 256, 1000, 1024, 65535, 123456789]:
        texts += [str(n), f" {n}", f"{n} ", f"x{n}", f"{n}px", f"-{n}", f"{n}.5", f"#{n}"]
    for word in ["cat", "Cat", "CAT", "coffee", "segmentation", "mask", "the", "image", "Please", "ASSISTANT"]:
        texts += [word, f" {word}", f"{word} ", f"  {word}", f"{word}\n", f"\n{word}", f"{word}.", f"{word},{word}",
                  f"{word}?", f"({word})", f"{word}'s", f"{word}-{word}"]
    for i, obj in enumerate(_OBJECTS):
        texts.append(f"Where is the {obj}?{' ' * (i % 3)}")
    return texts


def encode_texts(prompts, special):
    texts = list(_ENCODE_TEXTS) + _generated_texts()
    for token in ["[SEG]", special["im_start"], special["im_end"]]:
        texts += [template.format(t=token) for template in _ADDED_TOKEN_TEMPLATES]
    texts += [
        f"{special['im_start']}<image>{special['im_end']}",
        f"{special['im_start']} <image> {special['im_end']}",
        "[SEG][SEG] [SEG]", "[seg]", "[SEG", "SEG]", "[ SEG ]", "<im_start", "im_end>",
    ]
    texts += prompts
    # Keep order, drop repeats: every case is a distinct string.
    return list(dict.fromkeys(texts))


def decode_id_lists(tokenizer, encoded):
    vocab = len(tokenizer)
    lists = [list(ids) for ids in _DECODE_EXTRA_IDS]
    # Byte-fallback pieces (<0x..>) alone, valid UTF-8 sequences of them, and broken ones.
    byte_id = {tokenizer.convert_tokens_to_ids(f"<0x{b:02X}>"): b for b in range(256)}
    by_byte = {b: i for i, b in byte_id.items()}
    lists += [[by_byte[0x41]], [by_byte[0x0A]], [by_byte[0xE2], by_byte[0x82], by_byte[0xAC]],
              [by_byte[0xE2], by_byte[0x82]], [by_byte[0xF0], by_byte[0x9F], by_byte[0x99], by_byte[0x82]],
              [by_byte[0xFF]], [by_byte[0xC3], by_byte[0xA9], by_byte[0x20]]]
    lists += [[vocab - 3], [vocab - 2], [vocab - 1], [vocab - 3, vocab - 3], [vocab - 2, vocab - 1],
              [1, vocab - 2, vocab - 1, vocab - 3, 2]]
    # A spread of ordinary pieces, and every encode case's ids (with and without BOS).
    lists += [list(range(start, start + 12)) for start in range(3, vocab - 3, 97)]
    lists += [ids for ids in encoded]
    return lists


def tokenizer_cases(tokenizer, prompts, special, seg_token_id):
    texts = encode_texts(prompts, special)
    encode = [{"text": t, "ids": tokenizer(t).input_ids} for t in texts]
    encode_no_bos = [
        {"text": t, "ids": tokenizer(t, add_special_tokens=False).input_ids} for t in texts
    ]
    decode = []
    for ids in decode_id_lists(tokenizer, [c["ids"] for c in encode] + [c["ids"] for c in encode_no_bos[:40]]):
        text = tokenizer.decode(ids, skip_special_tokens=False)
        decode.append(
            {"ids": ids, "text": text, "display_text": text.replace("\n", "").replace("  ", " ")}
        )
    return {
        "encode": encode,
        "encode_no_bos": encode_no_bos,
        "decode": decode,
        "seg_token_id": seg_token_id,
        "vocab_size": len(tokenizer),
    }


def _compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def golden_json(obj):
    """Top-level keys one per line; a list of records one record per line; everything
    else on one line. Keeps the files small and their diffs readable."""
    lines = []
    for key, value in obj.items():
        if isinstance(value, list) and value and isinstance(value[0], (dict, list)):
            body = ",\n".join("  " + _compact(item) for item in value)
            lines.append(f" {_compact(key)}: [\n{body}\n ]")
        else:
            lines.append(f" {_compact(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write_json(path, obj):
    Path(path).write_text(golden_json(obj), encoding="utf-8")
