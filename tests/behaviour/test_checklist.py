"""CheckList-style behavioural tests of the shipped model, each with the pass rate it must meet.

Invariance: surface changes a normaliser or a reader would shrug off leave the label set unchanged.
Direction: adding an explicit paid-deletion offer raises paid_deletion; appending an official
rebuttal lowers rumor. Minimum functionality: short templated posts per category, varied
fictional names, get their category. Posts here are written for these tests (not from data/).
"""

import random

import pytest

from tests.behaviour.conftest import report

pytestmark = pytest.mark.behaviour

NAMES = ["鑫达科技", "青禾乳业", "云杉汽车", "明川集团", "海岚咖啡", "瑞岭医药", "星澜银行", "丰禾新能源"]
INITIALS = {"鑫达科技": "XD科技", "青禾乳业": "QH乳业", "云杉汽车": "YS汽车", "明川集团": "MC集团",
            "海岚咖啡": "HL咖啡", "瑞岭医药": "RL医药", "星澜银行": "XL银行", "丰禾新能源": "FH新能源"}

BASE_POSTS = [
    "震惊！{n}老板昨晚被带走了，工厂已经全部停工，手里有货的赶紧退！",
    "专业删帖，{n}的负面我们都能处理，48小时见效，价格私聊",
    "你好，我们手上有{n}的负面稿件，明天见报，想撤稿的话可以谈谈合作费用",
    "兄弟们冲{n}官号评论区，骂到他们关评为止，截图领红包",
    "盘点{n}十大黑料，这家公司离倒闭不远了，懂的都懂",
    "{n}官方退款客服，添加微信办理退款，名额有限",
    "{n}发布三季度财报，营收同比下降12%，主要受原材料涨价影响",
    "今天去{n}的门店逛了逛，服务还不错，下次还来",
    "【声明】网传{n}资金链断裂系谣言，公司经营正常，已向公安机关报案",
    "在{n}买的东西坏了，订单号20240312，已经在12315投诉，希望尽快处理",
]


def _variants(text: str, name: str, rng: random.Random) -> dict[str, str]:
    import opencc

    s2t = opencc.OpenCC("s2t")
    full = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    return {
        "traditional": s2t.convert(text),
        "fullwidth": full,
        "spaced_name": text.replace(name, " ".join(name)),
        "split_name": text.replace(name, "/".join(name)),
        "punct_emoji": text.replace("，", rng.choice(["，，", "！", "😂，", "🔥，"]), 1) + rng.choice(["😡", "！！", "🙄", "…"]),
        "pinyin_name": text.replace(name, INITIALS[name]),
    }


def test_invariance(shipped):
    rng = random.Random(0)
    originals, variants, kinds = [], [], []
    for template in BASE_POSTS:
        for name in rng.sample(NAMES, 3):
            text = template.format(n=name)
            for kind, v in _variants(text, name, rng).items():
                originals.append(text)
                variants.append(v)
                kinds.append(kind)
    a = shipped.predict(originals)
    b = shipped.predict(variants)
    same = [set(x.labels) == set(y.labels) for x, y in zip(a, b)]
    by_kind = {}
    for k, ok in zip(kinds, same):
        by_kind.setdefault(k, []).append(ok)
    for k, oks in by_kind.items():
        report(f"invariance/{k}", sum(oks), len(oks), 0.0)
    # what the normaliser undoes must be exactly invariant
    for k in ("traditional", "fullwidth", "spaced_name", "split_name"):
        assert all(by_kind[k]), k
    rate = report("invariance (all)", sum(same), len(same), INVARIANCE_MIN)
    assert rate >= INVARIANCE_MIN


def test_direction_paid_deletion_offer_raises_paid_deletion(shipped):
    posts = [t.format(n=n) for t in BASE_POSTS for n in NAMES[:4]]
    before = shipped.predict_proba(posts)[:, shipped.labels.index("paid_deletion")]
    after = shipped.predict_proba([p + " 付费删帖，价格私聊" for p in posts])[:, shipped.labels.index("paid_deletion")]
    ok = sum(a >= b - 1e-6 for a, b in zip(after, before))
    assert report("direction/paid_deletion up", ok, len(posts), DIRECTION_MIN) >= DIRECTION_MIN


def test_direction_official_rebuttal_lowers_rumor(shipped):
    rumors = [
        "震惊！{n}老板昨晚被带走了，工厂已经全部停工",
        "内部消息：{n}下个月裁员一半，名单已经定了",
        "听说{n}的产品吃出人命了，厂家在压消息",
        "{n}资金链断了，马上就要破产，赶紧去退钱",
        "{n}工厂昨晚爆炸了，死了好几个人，新闻都不敢报",
    ]
    posts = [t.format(n=n) for t in rumors for n in NAMES]
    j = shipped.labels.index("rumor")
    before = shipped.predict_proba(posts)[:, j]
    after = shipped.predict_proba([p + "。官方已辟谣" for p in posts])[:, j]
    ok = sum(a <= b + 1e-6 for a, b in zip(after, before))
    assert report("direction/rumor down after 官方已辟谣", ok, len(posts), DIRECTION_MIN) >= DIRECTION_MIN


MFT = {
    "rumor": ["内部消息：{n}老板已经跑路了，工资都发不出来", "{n}的工厂昨晚爆炸了，死了好几个人，消息被压下来了"],
    "product_smear": ["{n}的东西全是垃圾，谁买谁后悔，还不如买隔壁的", "{n}这种破牌子也配卖这个价？质量差到离谱，垃圾企业"],
    "fake_review": ["接单：可以给{n}出一期差评测评，测试数据按您要求来，价格私聊", "我们测评号收了钱的，{n}的产品怎么测都是不合格，懂的都懂"],
    "astroturfing": ["招水军！每条黑{n}的帖子给5块，统一文案群里发，刷到热搜有奖励", "派单：今晚八点统一去{n}超话刷负面，一人十条，结算日结"],
    "extortion": ["我们掌握了{n}的负面材料，三天内不打20万公关费就全网发布", "给{n}的公关部带个话：不投广告，这篇曝光稿明天就上首页"],
    "paid_deletion": ["专业删帖，{n}相关的负面全平台处理，不成功不收费", "承接负面舆情处理，{n}这种级别的帖子一条800，可压百度搜索"],
    "critical_timing_attack": ["{n}下周就上市了，我手里有猛料，打新的都别去，等着破发吧", "{n}发布会前夜，我们准备了一组黑料，明天一早全网推送"],
    "negative_hype": ["盘点{n}的十大丑闻，这家公司离倒闭不远了", "{n}要完了，整个行业都要完了，赶紧跑"],
    "distortion": ["{n}董事长亲口承认：我们的产品就是不行！（原话是‘不行的产品绝不上市’）", "标题：{n}巨亏倒闭在即！正文：营收同比下降3%"],
    "old_news_rehash": ["突发！{n}又出事了！（其实是十年前已经处理完的事，照样转）", "还记得{n}当年那件事吗？今天再拿出来说说，看它怎么洗"],
    "counterfeit": ["{n}官方客服热线400-123-4567，退款请加微信办理", "{n}官方招聘：在家兼职刷单，日结300，先交押金"],
    "entrepreneur_impersonation": ["{n}董事长最新视频：我们的车不安全，大家别买了（AI合成）", "{n}创始人语录：员工就该007，不愿意的滚蛋"],
    "privacy_leak": ["扒一扒{n}老板，家住XX小区5栋，电话138xxxx5678，女儿在实验小学", "{n}内部文件流出：这是他们下一代产品的配方和报价单"],
    "ideological_smear": ["{n}就是卖国企业，老板是汉奸，民企都该滚出去", "{n}老板是外地人，那边的人都是骗子，这企业早该赶走"],
    "cyberbullying": ["大家一起去{n}官号评论区刷屏，骂到他们关评为止", "都去打{n}的客服电话，一人打十个，让他们没法上班"],
}


def test_minimum_functionality(shipped):
    posts, expect = [], []
    for label, templates in MFT.items():
        for t in templates:
            for n in NAMES[:4]:
                posts.append(t.format(n=n))
                expect.append(label)
    preds = shipped.predict(posts)
    hits = [lab in p.labels for lab, p in zip(expect, preds)]
    for label in MFT:
        sel = [h for h, e in zip(hits, expect) if e == label]
        report(f"MFT/{label}", sum(sel), len(sel), 0.0)
    assert report("MFT (all)", sum(hits), len(hits), MFT_MIN) >= MFT_MIN


def test_normal_posts_stay_normal(shipped):
    posts = [t.format(n=n) for t in BASE_POSTS[6:] for n in NAMES]
    preds = shipped.predict(posts)
    ok = sum(not p.labels for p in preds)
    assert report("MFT/normal stays normal", ok, len(posts), NORMAL_MIN) >= NORMAL_MIN


# Pass rates the shipped model must meet (set after measuring the first shipped model; see the issue notes).
INVARIANCE_MIN = 0.90
DIRECTION_MIN = 0.80
MFT_MIN = 0.70
NORMAL_MIN = 0.90
