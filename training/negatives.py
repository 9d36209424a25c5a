"""Real unlabelled text in fine-tuning: sampled negatives, and written posts embedded in real text.

Why both (issue: a default model that is right on real posts): a model fine-tuned only on posts we
wrote flags ordinary real news; adding real lines as `normal` fixes that but teaches the shortcut
"our written style = infringing, real text = normal". So written posts, positives *and* normals
alike, are also shown inside real text (after or before real sentences, inside a review, in a
//@ repost chain), labels kept: then style says nothing about the label, only content does.

Sampling is deterministic (seeded per shard), stratified (an equal quota from every shard, the
rest spread over the larger ones), normalised like inference input, and drops near-duplicates of
the labelled posts. Lines are *noisy* negatives: a few real lines may be real rumours or smears;
`training.train --negative-weight` down-weights them in the loss rather than trusting them fully.

Names: every company in a written post is invented, while real lines name real ones, so a model can
learn "a real brand name = an ordinary post" (training/README.md, "Do real brand names tell the
model normal?"). `swap_real_names` replaces the real company, brand and entrepreneur names of
`names/real_names.txt` in real lines by invented ones, so a name's being real says nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger("rumorclf.negatives")

# cut long real lines to one window-sized piece: the classifier scores long posts window by window
MAX_PIECE_CHARS = 200
MIN_CHARS = 6
_SENT_END = re.compile(r"(?<=[。！？!?；;…])")
_HANDLES = ["小鹿不迷路", "江城老李", "吃瓜群众甲", "momo酱", "晚风吹过", "路人乙", "今天也要加油鸭",
            "一颗柠檬", "老王说事", "北漂十年", "夜猫子", "橘子汽水", "山海", "阿杰", "糖糖"]


def negative_sources(path: str | Path) -> list[Path]:
    """The text files behind --negatives: a folder of *.txt / *.jsonl, or one such file."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"--negatives {p}: no such file or folder")
    files = sorted(f for f in p.iterdir() if f.suffix in (".txt", ".jsonl")) if p.is_dir() else [p]
    if not files:
        raise ValueError(f"--negatives {p}: no *.txt or *.jsonl files in it")
    return files


def _lines(path: Path) -> list[str]:
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if path.suffix == ".jsonl":
                try:
                    line = str(json.loads(line).get("text") or "")
                except (ValueError, AttributeError):
                    continue
            out.append(line)
    return out


def _piece(text: str, rng: random.Random) -> str:
    """A sentence-aligned piece of at most MAX_PIECE_CHARS characters of a long line."""
    if len(text) <= MAX_PIECE_CHARS:
        return text
    sents = [s for s in _SENT_END.split(text) if s]
    start = rng.randrange(len(sents))
    out = ""
    for s in sents[start:]:
        if len(out) + len(s) > MAX_PIECE_CHARS:
            break
        out += s
    return out or text[:MAX_PIECE_CHARS]


def read_real_lines(path: str | Path) -> list[tuple[str, list[str]]]:
    """(file name, its lines) for each source file of `path`: normalised like inference input, at
    least MIN_CHARS long, pre-training held-out lines dropped. The costly part of sampling: read a
    corpus once and pass it to every `sample_negatives` call on it."""
    from rumorclf.normalize import normalize_text

    from .pretraining.corpus import is_heldout

    return [(f.name, [t for t in (normalize_text(x) for x in _lines(f)) if len(t) >= MIN_CHARS and not is_heldout(t)])
            for f in negative_sources(path)]


def fingerprint(lines: Sequence[str]) -> str:
    """A short hash of a negatives pool, so a later run can tell it re-sampled the same lines."""
    return hashlib.sha1("\n".join(lines).encode("utf-8")).hexdigest()[:16]


def sample_negatives(path: str | Path, n: int, seed: int = 13, exclude: Sequence[str] = (),
                     corpus: list[tuple[str, list[str]]] | None = None, swap_names: float = 0.0) -> list[str]:
    """n real lines, stratified over the source files, normalised; near-duplicates of `exclude` dropped;
    real names invented in a `swap_names` share of them (`swap_real_names`).

    corpus: `read_real_lines(path)` when the caller has already read it (the same lines, not re-read).
    """
    from .data import near_duplicates

    pools = []
    for name, lines in (corpus if corpus is not None else read_real_lines(path)):
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        pools.append([lines[i] for i in rng.permutation(len(lines))])
    # equal quota per file; what a small file cannot fill goes to the others
    quota = [0] * len(pools)
    left = n
    open_ = [i for i in range(len(pools)) if pools[i]]
    while left > 0 and open_:
        share = max(left // len(open_), 1)
        for i in list(open_):
            take = min(share, len(pools[i]) - quota[i], left)
            quota[i] += take
            left -= take
            if quota[i] >= len(pools[i]):
                open_.remove(i)
            if left == 0:
                break
    rng = random.Random(seed)
    picked, seen = [], set()
    for i, pool in enumerate(pools):
        for t in pool[:quota[i]]:
            t = _piece(t, rng)
            if t not in seen:
                seen.add(t)
                picked.append(t)
    if exclude:
        drop = {i for i, _, _ in near_duplicates(picked, list(exclude))}
        picked = [t for i, t in enumerate(picked) if i not in drop]
    random.Random(seed).shuffle(picked)
    return swap_real_names(picked, swap_names, seed)


def _sentences(text: str) -> list[str]:
    return [s for s in _SENT_END.split(text) if s.strip()]


def embed_in_real_text(post: str, real: Sequence[str], rng: random.Random, max_chars: int = 120) -> str:
    """`post` placed inside real text: after or before real sentences, inside a review, or in a //@ chain.

    The real context is capped so that post + context stays within about one window of the
    classifier (`max_chars`), so the label of the whole piece is the label of the post.
    """
    room = max(max_chars - len(post), 0)
    if room < 8:
        return post
    ctx = _sentences(rng.choice(real)) or [rng.choice(real)]
    k = rng.randint(1, min(5, len(ctx)))
    start = rng.randrange(len(ctx) - k + 1)
    context = "".join(ctx[start:start + k])[:room]
    form = rng.random()
    if form < 0.3:
        return context + post
    if form < 0.5:
        return post + context
    if form < 0.75:  # inside: split the real text at a sentence boundary
        cut = len(context) // 2
        m = _SENT_END.search(context, cut)
        cut = m.end() if m else cut
        return context[:cut] + post + context[cut:]
    # a repost chain: a real comment reposting the post, or the post reposting real text
    user = rng.choice(_HANDLES)
    if rng.random() < 0.5:
        return f"{context[:40]}//@{user}:{post}"
    return f"{post}//@{user}:{context}"


REAL_NAMES_FILE = Path(__file__).parent / "names" / "real_names.txt"
# invented names are built from these syllables (no real brand intended); persons get a surname first
_NAME_HEADS = "鑫云栖宏远皓清翠沐岚澜晟锦睿骏瀚恒嘉昱霁珩璟"
_NAME_TAILS = "达岫梧泰川月风岭湖光舟源禾邦序澄曜岑朗"
_SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦许何吕施张孔曹严华金魏陶姜"
_GIVEN = "建国志强海涛晓明丽华文斌子轩浩然雨桐思远嘉怡俊杰"


def read_real_names(path: str | Path = REAL_NAMES_FILE) -> dict[str, bool]:
    """{name: is_person} from a names file: one name a line, `# ` lines name the section that follows
    (a section whose title mentions entrepreneurs, executives or 企业家 holds persons)."""
    names, person = {}, False
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#"):
            title = line.lower()
            person = any(k in title for k in ("entrepreneur", "executive", "founder", "企业家", "人物"))
        elif len(line) >= 2:
            names[line] = person
    return names


class RealNameSwapper:
    """Replaces listed real names in a text by invented ones; one real name keeps one invented name
    within a text. Deterministic for a given rng state."""

    def __init__(self, names: dict[str, bool]):
        if not names:
            raise ValueError("no names to swap")
        self.names = names
        self.pattern = re.compile("|".join(sorted(map(re.escape, names), key=len, reverse=True)))

    @staticmethod
    def invent(person: bool, rng: random.Random) -> str:
        if person:
            return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
        return rng.choice(_NAME_HEADS) + rng.choice(_NAME_TAILS)

    def __call__(self, text: str, rng: random.Random) -> str:
        chosen: dict[str, str] = {}

        def repl(m: re.Match) -> str:
            real = m.group(0)
            if real not in chosen:
                chosen[real] = self.invent(self.names[real], rng)
            return chosen[real]

        return self.pattern.sub(repl, text)


def invent_written_names(text: str, rng: random.Random) -> str:
    """The company-like names of a written post (`augment.find_entities`: a stem before 科技, 乳业, 集团...)
    with stems from the generator that invents the real negatives' names: positives and negatives then
    name companies from one distribution, and no name shape is evidence of a label."""
    from .augment import swap_entity_stems

    return swap_entity_stems(text, lambda _stem: RealNameSwapper.invent(False, rng))


def invent_names_in_share(texts: Sequence[str], share: float, seed: int, epoch: int) -> list[str]:
    """`share` of the texts with invented company names (`invent_written_names`), drawn from the
    stream of (seed, epoch) alone: fine-tuning's epoch `epoch` and a baseline fitted on the same
    data (`training.evaluate.fit_tfidf`, epoch 1) invent the same names."""
    rng = random.Random(f"written-names|{seed}|{epoch}")
    return [invent_written_names(t, rng) if rng.random() < share else t for t in texts]


def swap_real_names(lines: Sequence[str], share: float, seed: int = 13,
                    names: dict[str, bool] | None = None) -> list[str]:
    """`share` of the lines (those naming a listed real name among them) with their real names invented.
    Deterministic in (lines, share, seed), so training, evaluate and combine build the same pool."""
    if share <= 0:
        return list(lines)
    swap = RealNameSwapper(names if names is not None else read_real_names())
    rng = random.Random(seed * 7907 + 1)
    out = [swap(t, rng) if rng.random() < share else t for t in lines]
    log.info("real names replaced by invented ones in %d of %d real negatives",
             sum(a != b for a, b in zip(lines, out)), len(out))
    return out
