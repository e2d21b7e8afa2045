"""Shared pieces of the watermark measurements (benchmark and tests): prompts, human text, edits.

Why in the package: the benchmark and the slow test must measure the same thing the same way, and
an auditor re-running the figures needs the exact prompt set and edit procedure.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

EN_TEMPLATES = [
    "Write a short story about {x}.",
    "Explain {x} to a curious twelve-year-old.",
    "Write a descriptive paragraph about {x}.",
    "Write a short news report about {x}.",
    "Give practical advice to someone interested in {x}.",
]
EN_TOPICS = [
    "a lighthouse keeper",
    "a lost cat",
    "the water cycle",
    "a busy train station",
    "learning to cook",
    "volcanoes",
    "a small bakery",
    "the history of paper",
    "a rainy afternoon",
    "saving money",
    "honey bees",
    "a mountain village",
    "electric cars",
    "a chess tournament",
    "the night sky",
    "a community garden",
    "recycling plastic",
    "a violin teacher",
    "desert plants",
    "an old library",
    "the ocean tides",
    "a robot that paints",
    "public libraries",
    "a marathon runner",
    "winter birds",
    "how bridges stand",
    "a street market",
    "the first airplane",
    "a fishing boat",
    "healthy sleep",
    "a school science fair",
    "city parks",
    "the moon landing",
    "a bicycle repair shop",
    "coffee farming",
    "a snowstorm",
    "friendship",
    "a museum at night",
    "solar energy",
    "a forest fire lookout",
]
ZH_TEMPLATES = ["请写一个关于{x}的小故事。", "请用简单的话解释{x}。", "请写一段描写{x}的文字。", "请谈谈你对{x}的看法。"]
ZH_TOPICS = [
    "长城",
    "春节",
    "熊猫",
    "茶文化",
    "高铁",
    "西湖",
    "中秋节",
    "书法",
    "一位老师",
    "下雨天",
    "城市公园",
    "人工智能",
    "环境保护",
    "一只小猫",
    "海边",
    "图书馆",
    "早餐",
    "秋天",
    "运动会",
    "家乡",
]


def prompts(n_en: int, n_zh: int) -> list[tuple[str, str]]:
    """(language, prompt) pairs cycling through the templates × topics grid (deterministic)."""
    en = [t.format(x=x) for x in EN_TOPICS for t in EN_TEMPLATES]
    zh = [t.format(x=x) for x in ZH_TOPICS for t in ZH_TEMPLATES]
    return [("en", en[i % len(en)]) for i in range(n_en)] + [("zh", zh[i % len(zh)]) for i in range(n_zh)]


def human_samples(n_en: int, n_zh: int, chars_en: int = 700, chars_zh: int = 120) -> list[tuple[str, str]]:
    """Non-overlapping human-written text windows: English from Python's bundled documentation
    (pydoc topics), Chinese from the zh summaries of the Tianping catalog. No downloads."""
    import pydoc_data.topics as topics

    en_text = re.sub(r"\s+", " ", " ".join(topics.topics[k] for k in sorted(topics.topics)))
    catalog = Path(__file__).resolve().parents[1] / "catalog" / "data"
    zh_text = "".join(
        "".join(re.findall(r"[\u4e00-\u9fff，。、；：“”（）《》0-9]+", p.read_text(encoding="utf-8")))
        for p in sorted(catalog.rglob("*.yaml"))
    )
    out = [("en", en_text[i * chars_en : (i + 1) * chars_en]) for i in range(n_en)]
    out += [("zh", zh_text[i * chars_zh : (i + 1) * chars_zh]) for i in range(n_zh)]
    short = [lang for lang, s in out if len(s) < 0.9 * (chars_en if lang == "en" else chars_zh)]
    if short:
        raise ValueError(f"not enough human text for {len(short)} samples")
    return out


def is_chinese(text: str) -> bool:
    """Mostly Chinese (a stray CJK character in English text does not count)."""
    return len(re.findall(r"[\u4e00-\u9fff]", text)) > 0.3 * max(1, len(re.sub(r"\s", "", text)))


def words(text: str) -> list[str]:
    """Words: whitespace-separated for Latin text, jieba segments for Chinese."""
    if is_chinese(text):
        import jieba

        jieba.setLogLevel(60)
        return [w for w in jieba.lcut(text) if w.strip()]
    return text.split()


def random_word_edits(text: str, fraction: float, rng: random.Random, vocabulary: list[str]) -> str:
    """Edit `fraction` of the words at random: each edit replaces, deletes or inserts a word (equal odds),
    new words drawn from `vocabulary`. This models light human post-editing, not a targeted attack."""
    ws = words(text)
    zh = is_chinese(text)
    n = round(fraction * len(ws))
    for i in sorted(rng.sample(range(len(ws)), min(n, len(ws))), reverse=True):
        op = rng.randrange(3)
        if op == 0:
            ws[i] = rng.choice(vocabulary)
        elif op == 1:
            del ws[i]
        else:
            ws.insert(i, rng.choice(vocabulary))
    return ("" if zh else " ").join(ws)
