"""Property-based (hypothesis) reliability tests of the normaliser and of inference.

Invariants of `normalize(x)` checked on random input:
  no crash; idempotent (normalising the clean text changes nothing); len(offsets) == len(text);
  offsets non-decreasing and inside the original; `original_span` over the whole clean text valid;
  each clean character traces back to a plausible original character.
Invariants of `predict` / `predict_proba` (tiny random model):
  no crash; one result per post; (n, 15) finite scores in [0, 1]; predict and predict_proba agree;
  posts with nothing left after normalisation are flagged empty, score 0 and need no window.

The number of generated cases each test ran is printed at the end of the module (and the
budgets are the `max_examples` below). The example database is off (failures are not replayed
from disk; hypothesis still keeps its self-gitignored .hypothesis/ cache in the working directory).
"""

from __future__ import annotations

import collections
import random
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rumorclf.normalize import _WIDTH_TABLE, has_cjk, normalize

N_LABELS = 15

# Regression tests at the end of this file pin the defects these fuzzers found (topic offsets,
# idempotence, a quadratic scan), all fixed.
NORM_BUDGET = 200   # examples per normaliser test
MODEL_BUDGET = 40   # examples per model test

norm_settings = settings(max_examples=NORM_BUDGET, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
model_settings = settings(max_examples=MODEL_BUDGET, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.function_scoped_fixture])

CASES: collections.Counter = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_case_counts(request):
    """One torch thread while this module runs (on a shared, busy machine torch's thread pool spins
    far more than it works: 30x slower here); at the end, print how many generated cases each test
    ran (visible without -s)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
    lines = [f"  {name}: {n}" for name, n in sorted(CASES.items())]
    say(request, f"[test_fuzz] generated cases run: {sum(CASES.values())} in total", *lines)


def say(request, *lines: str) -> None:
    """Write lines to the terminal even while pytest captures output (no -s needed)."""
    capman = request.config.pluginmanager.getplugin("capturemanager")
    rep = request.config.pluginmanager.getplugin("terminalreporter")
    if rep is None or capman is None:  # pragma: no cover
        print(*lines, sep="\n")
        return
    with capman.global_and_fixture_disabled():
        rep.write_line("")
        for line in lines:
            rep.write_line(line)


# ----------------------------------------------------------------------------- strategies

# Every Unicode category except surrogates (Cs): controls, format chars, private use, unassigned,
# all planes (astral included).
any_char = st.characters(exclude_categories=("Cs",))
CONTROL = [chr(c) for c in list(range(0x20)) + list(range(0x7F, 0xA0))]
ZERO_WIDTH = list("\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u034f\u180e\u3164\uffa0")
BIDI = list("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
SPACES = list(" \t\n\r\u000b\u000c\u00a0\u1680\u2000\u2001\u2002\u2003\u2009\u200a\u2028\u2029"
              "\u202f\u205f\u3000\u0085")
VARIATION = list("\ufe00\ufe0e\ufe0f") + ["\U000e0100", "\U000e0001", "\U000e0067"]
noise_char = st.one_of(st.sampled_from(CONTROL + ZERO_WIDTH + BIDI + SPACES + VARIATION),
                       st.characters(categories=("Mn", "Mc", "Me")))  # combining marks
cjk_char = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF),
    st.characters(min_codepoint=0xF900, max_codepoint=0xFAFF),
    st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),  # extension B (astral)
    st.sampled_from("寧德時代網絡謠言發產業鑫達科技老闆跑路倒閉乾隆乾燥後麵髮"),
)
latin_char = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
fullwidth_char = st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E)
punct_char = st.sampled_from(list("，。、；：！？（）《》「」『』“”…—～·•,.;:!?()[]<>/\\|-_~^+=*#@&%$'\""))
EMOJI_SEQS = ["😂", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "🇨🇳", "🏳\ufe0f\u200d🌈", "1\ufe0f\u20e3",
              "❤\ufe0f", "🤷\u200d♀\ufe0f", "🧑🏿\u200d💻", "☺", "©\ufe0f", "🫠"]
emoji_char = st.one_of(st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),
                       st.characters(min_codepoint=0x2600, max_codepoint=0x27BF))
emoji = st.one_of(st.sampled_from(EMOJI_SEQS), emoji_char)  # a sequence or a single code point
# Fragments that trigger each normaliser step (and their combinations).
STEP_FRAGMENTS = ["http://t.cn/A6x", "https://x.cn/中", "www.abc.com", "ｈｔｔｐ：／／ｘ．ｃｎ", "[URL]",
                  "@ ", "@", "# ", " #", "#", "##", ",,", ",", ",。", "，", "(wǎng)", "(ma1)", "(apple)",
                  " / ", "/", ".", " . ", "-", "·", "  ", "\u3000", "\u200b", "\n", "\t", "(", ")"]
fragment = st.one_of(
    st.text(cjk_char, min_size=1, max_size=6),
    st.text(latin_char, min_size=1, max_size=6),
    st.text(fullwidth_char, min_size=1, max_size=4),
    st.text(punct_char, min_size=1, max_size=3),
    st.text(noise_char, min_size=1, max_size=3),
    st.lists(emoji, min_size=1, max_size=3).map("".join),
    st.sampled_from(STEP_FRAGMENTS),
)
random_unicode = st.text(any_char, max_size=300)
mixed_post = st.lists(fragment, max_size=40).map("".join)
emoji_only = st.lists(emoji, min_size=1, max_size=30).map("".join)
noise_only = st.text(noise_char, max_size=30)
whitespace_only = st.text(st.sampled_from(SPACES), max_size=10)
any_post = st.one_of(random_unicode, mixed_post, emoji_only, noise_only, whitespace_only, st.just(""))

_GENERATED = set("，#[URL] ")  # characters the normaliser inserts itself


def _big_post(seed: int, n: int = 100_000) -> str:
    """A reproducible 100,000-character post mixing every kind of character above."""
    rnd = random.Random(seed)
    pools = [
        "鑫达科技老板跑路了工厂停工寧德時代網絡謠言付费删帖价格私聊",
        "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789",
        "，。、；：！？（）《》“”,.;:!?()/\\|-_~#@",
        "".join(EMOJI_SEQS),
        "".join(CONTROL + ZERO_WIDTH + BIDI + SPACES + VARIATION) + "\u0301\u0336\u20dd",
        "ＡＢＣ１２３！？＃＠",
        "".join(chr(c) for c in range(0x0590, 0x0600)),  # Hebrew (RTL)
    ]
    parts, size = [], 0
    while size < n:
        pool = rnd.choice(pools)
        piece = "".join(rnd.choice(pool) for _ in range(rnd.randint(1, 12)))
        if rnd.random() < 0.05:
            piece = rnd.choice(STEP_FRAGMENTS)
        parts.append(piece)
        size += len(piece)
    return "".join(parts)[:n]


# ----------------------------------------------------------------------------- normaliser

def _clip(s: str, at: int, width: int = 30) -> str:
    """A short repr of s around index `at` (failure messages of 100,000-character posts stay readable)."""
    lo = max(at - width, 0)
    return f"...[{lo}:]{s[lo:at + width]!r}... (len {len(s)})" if len(s) > 2 * width else repr(s)


def check_basic(x: str) -> None:
    """Every invariant except the two that known bugs break (monotone offsets, idempotence)."""
    nt = normalize(x)
    text, offs = nt.text, nt.offsets
    assert nt.original == x
    assert len(offs) == len(text)
    assert all(0 <= o < len(x) for o in offs), "offset outside the original"
    assert text == text.strip()
    if not nt.changed:
        assert text == x, "text changed but no step was recorded"
    if text:
        start, end = nt.original_span(0, len(text))
        assert 0 <= start < end <= len(x)
        assert (start, end) == (offs[0], offs[-1] + 1)
    else:
        with pytest.raises(ValueError):
            nt.original_span(0, 1)
    for ch, o in zip(text, offs):  # each clean character comes from its original character
        orig = x[o]
        assert (ch == orig or ch in _GENERATED or ch == orig.translate(_WIDTH_TABLE)
                or has_cjk(ch) or ord(orig) >= 0x2E80), (ch, orig, o, _clip(x, o))


def check_monotone(x: str) -> None:
    nt = normalize(x)
    text, offs = nt.text, nt.offsets
    bad = next((i for i in range(1, len(offs)) if offs[i] < offs[i - 1]), None)
    assert bad is None, (f"offsets decrease at clean[{bad}]: {offs[max(bad - 8, 0):bad + 2]} for clean "
                         f"{_clip(text, bad)} of original {_clip(x, offs[bad])}")


def check_idempotent(x: str) -> None:
    nt = normalize(x)
    text, offs = nt.text, nt.offsets
    again = normalize(text)
    if again.text != text:
        i = next((i for i, (a, b) in enumerate(zip(text, again.text)) if a != b), min(len(text), len(again.text)))
        raise AssertionError(f"not idempotent: clean {_clip(text, i)} -> {_clip(again.text, i)} "
                             f"(original {_clip(x, offs[min(i, len(offs) - 1)])})")
    assert again.changes == (), f"normalising clean text {_clip(text, 0)} reports changes {again.changes}"


def check_normalized(x: str) -> None:
    check_basic(x)
    check_monotone(x)
    check_idempotent(x)




@norm_settings
@given(random_unicode)
def test_normalize_random_unicode(x):
    CASES["normalize_random_unicode"] += 1
    check_normalized(x)


@norm_settings
@given(mixed_post)
def test_normalize_mixed_cjk_latin_emoji(x):
    CASES["normalize_mixed_cjk_latin_emoji"] += 1
    check_normalized(x)


@norm_settings
@given(st.one_of(mixed_post, random_unicode))
def test_normalize_offsets_never_decrease(x):
    CASES["normalize_offsets_never_decrease"] += 1
    check_monotone(x)


@norm_settings
@given(st.one_of(mixed_post, random_unicode))
def test_normalize_is_idempotent(x):
    CASES["normalize_is_idempotent"] += 1
    check_idempotent(x)


@norm_settings
@given(emoji_only)
def test_normalize_emoji_only(x):
    CASES["normalize_emoji_only"] += 1
    check_normalized(x)
    nt = normalize(x)
    assert nt.text, "an emoji-only post must not normalise to nothing"


@norm_settings
@given(noise_only)
def test_normalize_control_zero_width_bidi_combining(x):
    CASES["normalize_noise_only"] += 1
    check_normalized(x)


@settings(max_examples=5, deadline=None, database=None)
@given(st.text(st.one_of(any_char, cjk_char, emoji_char), min_size=1, max_size=50))
def test_normalize_100k_post_repeated(unit):
    CASES["normalize_100k_repeated"] += 1
    x = (unit * (100_000 // len(unit) + 1))[:100_000]
    check_basic(x)  # a unit such as '# 中' reaches the known bugs


@pytest.mark.parametrize("seed", [0, 1])
def test_normalize_100k_post_mixed(seed):
    CASES["normalize_100k_mixed"] += 1
    check_normalized(_big_post(seed))


# ----------------------------------------------------------------------------- inference

def check_predictions(clf, texts: list[str]) -> None:
    n = len(texts)
    preds = clf.predict(texts)
    proba = clf.predict_proba(texts)
    assert len(preds) == n
    assert proba.shape == (n, N_LABELS) and proba.dtype == np.float32
    assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
    for t, p, row in zip(texts, preds, proba):
        assert list(p.scores) == clf.labels
        scores = np.array([p.scores[lab] for lab in clf.labels])
        assert np.isfinite(scores).all() and (scores >= 0).all() and (scores <= 1).all()
        np.testing.assert_allclose(scores, row, atol=1e-6)
        assert set(p.labels) <= set(clf.labels)
        assert set(p.families) == {clf.taxonomy.family_of(lab) for lab in p.labels}
        empty = normalize(t).text == ""
        assert p.empty == empty, (t, normalize(t).text)
        if empty:
            assert p.labels == [] and p.windows == 0 and not row.any()
        else:
            assert p.windows >= 1
            assert p.labels == [lab for lab in clf.labels if p.scores[lab] >= clf.thresholds[lab]]


@model_settings
@given(st.lists(any_post, max_size=8))
def test_predict_random_lists(tiny_clf, texts):
    CASES["predict_random_lists"] += 1
    check_predictions(tiny_clf, texts)


@model_settings
@given(st.lists(st.one_of(st.just(""), whitespace_only, noise_only, emoji_only), min_size=1, max_size=8))
def test_predict_empty_whitespace_and_emoji_lists(tiny_clf, texts):
    CASES["predict_empty_whitespace_emoji"] += 1
    check_predictions(tiny_clf, texts)


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(mixed_post, min_size=1, max_size=6))
def test_score_of_a_post_does_not_depend_on_its_batch(tiny_clf, texts):
    CASES["predict_batch_independence"] += 1
    together = tiny_clf.predict_proba(texts, batch_size=3)
    alone = np.stack([tiny_clf.predict_proba([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-3)


def test_predict_100k_post(tiny_clf):
    CASES["predict_100k_post"] += 1
    big = _big_post(7)
    texts = ["", big, "   ", "鑫达科技老板跑路了"]
    check_predictions(tiny_clf, texts)
    p = tiny_clf.predict(texts)
    assert p[1].windows > 100, "a 100,000-character post needs many windows"
    assert p[0].empty and p[2].empty and not p[1].empty and not p[3].empty


# ----------------------------------------------------------------------------- regressions found by the fuzzers

def test_topic_closing_hash_maps_back_to_the_closing_hash():
    """'# 话题 #' -> '#话题#': the inserted closing '#' is mapped to the *opening* '#' (offset 0), so
    offsets decrease and original_span over the whole topic returns (0, 1) instead of (0, 6)."""
    x = "看 # 话题 # 了"
    nt = normalize(x)
    assert nt.text == "看 #话题# 了"
    assert list(nt.offsets) == sorted(nt.offsets), nt.offsets
    start, end = nt.original_span(2, 6)  # the clean '#话题#'
    assert x[start:end] == "# 话题 #"


@pytest.mark.parametrize("x", [
    "网(wǎng)(mā)",        # a second gloss becomes adjacent to the character once the first is removed
    "中  .  文  .  字",      # 5-character separators are collapsed to 3 by `whitespace`, after `spaced_cjk` ran
    "中 -  文 - 字",
    "# " + "中 " * 25 + "#",  # a topic over 40 characters until spaced_cjk shortens it (topic runs first)
    "# a   " + "b" * 38 + " #",  # ... or until whitespace collapses it
])
def test_normalize_is_idempotent_on_fuzzer_findings(x):
    once = normalize(x).text
    assert normalize(once).text == once, f"{x!r} -> {once!r} -> {normalize(once).text!r}"


def test_normalize_is_linear_on_long_spaced_cjk_posts():
    """`_join_cjk_space` calls text.rfind('\u3000', 0, pos) for every space between two CJK
    characters; '\u3000' never occurs there (the width step turned it into ' '), so each call scans
    the whole prefix: quadratic. 100,000 characters of '中\u2003' take seconds; linear code, ~0.05 s."""
    x = "中\u2003" * 50_000
    t = time.perf_counter()
    normalize(x)
    seconds = time.perf_counter() - t
    assert seconds < 0.5, f"normalising 100,000 characters took {seconds:.1f} s"
