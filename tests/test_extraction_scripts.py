"""Never empty, in any script: a short article yields a body whether its words are spaced or not, and
when the main path finds little, the densest text or the page's JSON-LD articleBody is taken.
Every page here is invented."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from newsdedup.documents import Article, RawDocument
from newsdedup.extract import extract, rules

# About 160 characters of prose each in scripts written without spaces; about 50 words in the others.
PROSE = {
    "ja": ["港湾局は火曜日、嵐で二つの桟橋が損傷し漁船一隻が沈没したため、港を三日間閉鎖すると発表した。",
           "島へのフェリーは金曜日まで運休となり、沿岸警備隊は技術者が桟橋と防波堤を点検する間、住民に海岸に近づかないよう求めた。",
           "修理費は数百万ユーロに上る見通しで、漁業者は一年で最も忙しい時期に一週間分の漁獲を失うと訴えている。"],
    "zh": ["港务局周二宣布，由于暴风雨损坏了两座码头并击沉一艘渔船，港口将关闭三天，官员表示修复工作可能需要整个月。",
           "前往各岛屿的渡轮停航至周五，海岸警卫队要求居民在工程师检查受损码头和港口防波堤期间远离海滨地区。",
           "初步估计维修费用将达数百万欧元，渔民们表示，在一年中最繁忙的时候关闭港口将使他们损失一周的渔获。"],
    "th": ["การท่าเรือประกาศปิดท่าเรือเป็นเวลาสามวันเมื่อวันอังคาร "
           "หลังพายุทำให้ท่าเทียบเรือเสียหายสองแห่งและเรือประมงจมหนึ่งลำ",
           "เรือข้ามฟากไปยังเกาะต่างๆ ถูกยกเลิกจนถึงวันศุกร์ และหน่วยยามฝั่ง"
           "ขอให้ประชาชนอยู่ห่างจากชายฝั่งระหว่างที่วิศวกรตรวจสอบความเสียหาย",
           "ค่าซ่อมแซมคาดว่าจะสูงถึงหลายล้านยูโร ชาวประมงกล่าวว่าการปิ"
           "ดท่าเรือจะทำให้พวกเขาสูญเสียรายได้ในช่วงที่ยุ่งที่สุดของปี"],
    "ar": ["أغلقت سلطة الميناء الميناء يوم الثلاثاء لمدة ثلاثة أيام بعد "
           "أن ألحقت عاصفة أضرارا برصيفين وأغرقت قارب صيد، وفق ما قال مسؤولون.",
           "وألغيت رحلات العبارات إلى الجزر حتى يوم الجمعة، وطلب خفر السواحل من "
           "السكان الابتعاد عن الواجهة البحرية أثناء فحص المهندسين للأرصفة.",
           "ومن المتوقع أن تبلغ تكلفة الإصلاحات عدة ملايين من اليورو، وقال الصيادون "
           "إن الإغلاق سيكلفهم أسبوعا من الصيد في أكثر أوقات السنة ازدحاما."],
    "ru": ["Администрация порта во вторник закрыла порт на три дня после того, как "
           "шторм повредил два причала и потопил рыболовное судно, сообщили чиновники.",
           "Паромы на острова отменены до пятницы, а береговая охрана попросила жителей "
           "не подходить к набережной, пока инженеры осматривают причалы.",
           "Ремонт обойдётся в несколько миллионов евро, а рыбаки говорят, что "
           "закрытие лишит их недели улова в самое напряжённое время года."],
    "pt": ["A autoridade portuária fechou o porto na terça-feira por três dias, "
           "depois que uma tempestade danificou dois cais e afundou um barco de pesca.",
           "As balsas para as ilhas foram canceladas até sexta-feira, e a guarda costeira "
           "pediu aos moradores que se afastassem da orla durante a inspeção.",
           "Os reparos devem custar vários milhões de euros, e os pescadores dizem que "
           "o fechamento lhes custará uma semana de pesca na época mais movimentada."],
}
NAVIGATION = ["Home", "World", "Business", "Sport", "Contact"]
HEADLINE = "Storm closes harbour"


def _html(lang: str, paragraphs: list[str], head: str = "") -> bytes:
    nav = "".join(f"<li><a href='/{n.lower()}'>{n}</a></li>" for n in NAVIGATION)
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html lang='{lang}'><head><meta charset='utf-8'>{head}</head><body><nav><ul>{nav}</ul></nav>"
            f"<div class='story'><h1>{HEADLINE}</h1>{body}</div>"
            "<footer>© 2026 Coast News</footer></body></html>").encode()


def _extract(name: str, content: bytes, media_type: str | None = None) -> Article:
    article = extract(RawDocument.from_bytes(name, content, datetime(2026, 3, 5, tzinfo=UTC), media_type))
    assert isinstance(article, Article), article
    return article


@pytest.mark.parametrize("lang", sorted(PROSE))
def test_a_short_article_in_any_script_yields_its_body(lang: str) -> None:
    paragraphs = PROSE[lang]
    assert 45 <= sum(map(rules.units, paragraphs)) <= 120  # ~50 words, or ~150 characters / 3 and more
    for article in (_extract(f"coast/{lang}.html", _html(lang, paragraphs)),
                    _extract(f"coast/{lang}.txt", "\n".join([*NAVIGATION, "", *(f"{p}\n" for p in paragraphs),
                                                             "© 2026 Coast News"]).encode(), "text/plain")):
        body = "\n".join(article.paragraphs)
        for paragraph in paragraphs:
            assert paragraph in body, (lang, paragraph[:20])
        assert "Business" not in body and "Coast News" not in body


def test_length_is_counted_per_script_not_by_spaces() -> None:
    chinese = PROSE["zh"][0]
    assert len(rules.words(chinese)) <= 4  # one "word" per run between punctuation marks
    assert rules.units(chinese) == sum(not c.isspace() and c not in "，。" for c in chinese) // 3
    assert rules.units("The port closed on Tuesday.") == 5
    assert rules.ends_sentence(PROSE["ja"][0]) and rules.ends_sentence("هل أغلق الميناء؟")


def test_when_the_page_yields_little_its_json_ld_article_body_is_taken() -> None:
    # The text is drawn by a script: the markup holds only a teaser, the JSON-LD the article.
    article_body = "\n".join(PROSE["pt"])
    # (An object holding the article's text is the article's, whether or not it names a headline or date.)
    for declared in ({"headline": "Porto fechado"}, {}):
        head = ("<script type='application/ld+json'>"
                + json.dumps({"@type": "NewsArticle", **declared, "articleBody": article_body})
                + "</script>")
        article = _extract("coast/ld.html", _html("pt", ["Leia a reportagem completa."], head))
        assert article.paragraphs == PROSE["pt"]


def test_prose_in_an_unusual_shape_is_still_found() -> None:
    # Phrases a line, none ending a sentence (verse, notes, a transcript): the rules see no paragraph;
    # the densest run of text is the article, and the menu around it is not.
    phrases = [phrase.strip().rstrip(".") for p in PROSE["pt"] for phrase in p.split(",")]
    assert all(rules.units(p) >= 8 and not rules.ends_sentence(p) for p in phrases)
    page = "\n".join([*NAVIGATION, *phrases, "Fale conosco", "Assine"]).encode()
    article = _extract("coast/verse.txt", page, "text/plain")
    assert article.paragraphs == phrases
