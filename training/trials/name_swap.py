"""Trial: do real brand names tell the model "this is normal"? (issue 14, a shortcut check)

    python -m training.trials.name_swap /work/runs/comb-s6-e12

Every labelled infringing post we write names a fictional company, while the real negatives of
fine-tuning (corpus lines) name real ones; a model can learn "a real brand name = an ordinary
post". This trial scores the real Weibo posts of real_dev (evaluation only) twice: as they are,
and with every name from a list of well-known real brands and entrepreneurs replaced by a
fictional name (deterministic, in memory, both true news and rumours). If the shortcut exists,
real rumours about brands are flagged more often once their names are fictional. Printed for the
BERT half, the n-gram half and their mix (a combined model directory) or the BERT alone: real
false alarms, real enterprise rumours flagged, the same for the rumours that name a listed brand,
and the threshold-free figure at 3% real false alarms. Results: training/README.md.
"""

from __future__ import annotations

import argparse
import random
import zlib

import numpy as np

from ..data import default_real_dev, read_real_dev
from ..evaluate import real_post_groups, rumours_flagged_at_false_alarms
from ..negatives import RealNameSwapper

# Well-known brands, companies and entrepreneurs (names only: nothing is claimed about them). Written
# for this evaluation after reading real_dev posts, so it fits real_dev's names: never use it in training.
REAL_BRANDS = (
    "娃哈哈 蒙牛 伊利 康师傅 可口可乐 百事可乐 肯德基 麦当劳 星巴克 华为 小米 腾讯 阿里巴巴 百度 京东 美团 拼多多 "
    "苹果公司 三星 富士康 联想 格力 海尔 万科 恒大 碧桂园 万达 茅台 五粮液 农夫山泉 加多宝 王老吉 雅培 多美滋 美赞臣 "
    "三鹿 光明乳业 金龙鱼 海底捞 喜茶 瑞幸 比亚迪 吉利 特斯拉 宝马 奔驰 奥迪 丰田 中国移动 中国联通 中国电信 工商银行 "
    "建设银行 农业银行 中国银行 招商银行 民生银行 支付宝 安利 欧莱雅 宝洁 云南白药 同仁堂 滴滴 顺丰 携程 网易 新浪 搜狐 "
    "唯品会 苏宁 国美 沃尔玛 家乐福 大润发 红牛 旺仔 雀巢 达能 爽歪歪 美汁源 果粒橙 微信 QQ 淘宝 天猫 索尼 诺基亚 iPhone 苹果"
).split()
REAL_PEOPLE = "马云 马化腾 雷军 刘强东 王健林 许家印 董明珠 任正非 李彦宏 宗庆后 王石 李嘉诚".split()
# the same invention as --negatives-swap-names (training.negatives), with a per-post seed
SWAPPER = RealNameSwapper({**dict.fromkeys(REAL_BRANDS, False), **dict.fromkeys(REAL_PEOPLE, True)})


def swap_names(text: str) -> str:
    """Every listed real name replaced by an invented one (deterministic per post)."""
    return SWAPPER(text, random.Random(zlib.crc32(text.encode("utf-8"))))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a fine-tuned or combined rumorclf model directory")
    p.add_argument("--real-dev", default=default_real_dev())
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    import torch

    from rumorclf import RumorClassifier
    from rumorclf.normalize import normalize_text

    torch.set_num_threads(a.threads)
    clf = RumorClassifier.from_pretrained(a.model)
    real = read_real_dev(a.real_dev)
    non, ent = real_post_groups(real)
    texts = [r["text"] for r in real]
    names = np.array([bool(SWAPPER.pattern.search(t)) for t in texts])
    print(f"real_dev posts naming a listed name: true news {names[non].mean():.1%}, "
          f"enterprise rumours {names[ent].mean():.1%}")
    cut = np.array([clf.thresholds[x] for x in clf.labels])
    thr = np.log(cut / (1 - cut))  # the model's thresholds in logit space
    print("\n| real_dev names | system | real FA | real ER | ER, rumours naming a listed name | ER at 3% FA |")
    print("|---|---|---|---|---|---|")
    for title, tx in (("as posted", texts), ("listed names -> fictional", [swap_names(t) for t in texts])):
        clean = [normalize_text(t) for t in tx]
        bert = clf.score_normalized(clean, 32, logits=True)[0] / clf.temperature
        systems = {"BERT": bert}
        if clf.ngram is not None:
            gram = clf.ngram.logits(clean)
            w, t = clf.ngram_weight, clf.mix_temperature
            systems = {"BERT half": bert, "n-gram half": gram, f"mix (w {w})": ((1 - w) * bert + w * gram) / t}
        for name, z in systems.items():
            # the shipped thresholds belong to the whole model: the halves get only the threshold-free figure
            shipped = name.startswith("mix") or clf.ngram is None
            f = (z >= thr).any(1)
            cells = (f"{f[non].mean():.1%} | {f[ent].mean():.1%} | {f[ent & names].mean():.1%}" if shipped
                     else "- | - | -")
            print(f"| {title} | {name} | {cells} | {rumours_flagged_at_false_alarms(z, real):.1%} |", flush=True)


if __name__ == "__main__":
    main()
