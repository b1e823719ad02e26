"""Extraction heuristics in one place: what page furniture looks like, in any outlet.

Every pattern here describes a *kind* of boilerplate (prompts, credits, teaser headings, dates), never
a particular site: extraction is judged on pages we have not seen."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from datetime import date
from functools import lru_cache

WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
# Final stops of Latin, Greek, Cyrillic (.), CJK (。！？), Arabic (؟ ۔), Devanagari (। ॥) and Armenian (։)
# scripts, maybe closed by quotes (」』 in CJK) or followed by a wire tag.
SENTENCE_END = re.compile(
    r"""[.!?:;…。！？｡؟۔।॥։]["'”’»)\]」』）]*$|[.!?]["'”’»)\]]*\s*\(?[A-Z]{0,6}\)?$""")
TRUNCATED = re.compile(r"(?:\.\.\.|…)\s*$")
# "» " and "› " mark links as bullets do ("»Zitat«" with no space is a German quotation).
LIST_ITEM = re.compile(r"^\s*(?:[-•*·▪►»›]\s+|[-•*·▪►]$)")

# Calls to action and widgets: short lines that tell the reader to do something other than read.
# English, except reading time and the share/like buttons (pt, es, fr, it, de, id).
PROMPT = re.compile(
    r"""^(?:
        read\s+(?:more|also|next|the\s+full)|also\s*:?\s*(?:on|read|see)\b|see\s+(?:also|more)\b|related\b|more\s+(?:from|on|stories|news)\b
        |click\s+here|sign\s+up|subscribe|log\s*in\b|sign\s+in\b|register\b|follow\s+us|share\b|like\s+this
        |leave\s+a\s+(?:reply|comment)|comments?\b|\d+\s+comments?|add\s+a\s+comment|join\s+the\s+(?:discussion|conversation)
        |to\s+participate\s+in|advertisement|sponsored|newsletter|download\s+(?:our|the)\s+app|watch\b|listen\b
        |other\s+news|featured\s+(?:news|stories)|top\s+stories|latest\s+news|most\s+(?:read|popular|viewed)|trending
        |recommended|you\s+(?:may|might)\s+(?:also\s+)?like|don'?t\s+miss|editor'?s\s+picks?|popular\b
        |tags?:|topics?:|filed\s+under|skip\s+to|back\s+to\s+top|cookie|accept\b|privacy\s+policy|terms\s+of
        |all\s+rights\s+reserved|copyright\b|©|support\s+(?:independent|our)|donate|contribute\b|loading|loader
        |previous\s+(?:article|post)|next\s+(?:article|post)|print\b|email\b|whatsapp|facebook|twitter|linkedin
        |sharing\s+is\s+caring|(?:reading\s+time|tempo\s+de\s+leitura|tiempo\s+de\s+lectura|temps\s+de\s+lecture|lesezeit)\b
        |\d+\s+min(?:ute)?s?\s+read\b
        |(?:compartilhe|compartir|partager|condividi|teilen|bagikan|curtir|sukai|gefällt\s+mir|mi\s+piace|j[’']aime|me\s+gusta)
            (?:\s+(?:isso|esto|ceci|questo|mit|ini))?\s*:?\s*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# The heading of a readers' comment section: what follows is discussion, however on-topic.
# Multilingual: en, pt, es, it, fr, de; the word "comments" alone in nl, sv/da/no, pl, cs, ro, tr, id, ru,
# ja, zh, ko, ar.
COMMENTS_HEADING = re.compile(
    r"""^(?:\d+\s+)?(?:(?:top[\s-]rated\s+|readers?'?\s+|latest\s+|all\s+)?comments
        |(?:join|start)\s+the\s+(?:discussion|conversation)|leave\s+a\s+(?:reply|comment)|add\s+your\s+comment
        |coment[aá]rios|comentarios|commenti|commentaires|kommentare
        |reacties|kommentarer|komentarze|komentáře|comentarii|yorumlar|komentar|комментарии|コメント|评论|評論|留言|댓글|تعليقات
        |deixe\s+(?:uma\s+resposta|um\s+coment[aá]rio|seu\s+coment[aá]rio)|deja\s+(?:una\s+respuesta|un\s+comentario|tu\s+comentario)
        |lascia\s+(?:un\s+commento|una\s+risposta)|laissez?\s+un\s+commentaire|laisser\s+un\s+commentaire
        |hinterlasse\s+einen\s+kommentar|kommentar\s+schreiben)\s*[:(]?.{0,12}$""",
    re.IGNORECASE | re.VERBOSE,
)
# The author's note that closes an article: "Jane Doe is a freelance writer living in Leeds." English-only.
AUTHOR_BIO = re.compile(
    r"""^(?:[A-Z][\w.'’-]*\s+){1,4}is\s+(?:an?|the)\s+(?:[\w-]+\s+){0,5}?
        (?:writer|reporter|journalist|correspondent|editor|columnist|contributor|blogger)\b""",
    re.VERBOSE,
)
# The heading of an author box: "About the author", or "About Jane Doe" over a note naming her.
# Multilingual: en, pt, es, fr, de.
AUTHOR_HEADING = re.compile(
    r"""^(?:about\s+the\s+author|sobre\s+(?:o|el)\s+autor|à\s+propos\s+de\s+l[’']auteur|über\s+den\s+autor
        |(?:about|sobre|über|à\s+propos\s+de)\s+(?P<name>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,2}))\s*:?$""",
    re.VERBOSE | re.IGNORECASE,
)
# Site notices written as sentences (cookie consent, subscription pitches, browser warnings): prose in
# shape, furniture in content. Phrases specific enough not to occur in reporting about the subject.
# English, except comment moderation (pt, fr, de).
SITE_NOTICE = re.compile(
    r"""\b(?:(?:this|our)\s+(?:web\s?)?site\s+uses\s+cookies|we\s+use\s+cookies|uses\s+cookies\s+to\s+improve
        |by\s+(?:continuing\s+to\s+(?:use|browse)|using)\s+(?:this|our)\s+(?:web\s?)?site
        |(?:please\s+)?enable\s+javascript|(?:disable|turn\s+off)\s+(?:your\s+)?ad\s?-?blocker
        |click\s+here\s+(?:for|to)\s+(?:more|subscribe|sign|register|read)|delivered\s+(?:to|through)\s+your\s+(?:letterbox|inbox|door)
        |sign\s+up\s+(?:for|to)\s+(?:our|the)\s+(?:free\s+)?newsletter|subscribe\s+(?:now|today)\s+(?:for|and|to)
        |subscribe\s+to\s+(?:our|the|[\w.]+['’]s)\s+(?:\w+\s+)?newsletter|want\s+more\s+stories\s+like\s+this
        |(?:updates|news|headlines|stories)\s+(?:delivered\s+)?(?:right\s+|straight\s+)?(?:in|to)\s+your\s+inbox
        |\b(?:may|can)\s+be\s+reached\s+at\b|^have\s+a\s+(?:news\s+)?tip\b
        |(?:log\s*in|sign\s+in)\b.{0,40}\bto\s+(?:post|leave|add|write)\s+(?:a\s+|your\s+)?comment
        |(?:comments?|coment[aá]rios?|commentaires?|kommentare?)\s+(?:\S+\s+){0,12}?(?:will|may|serão|seront|werden)
            \s+(?:not\s+|não\s+|nicht\s+)?(?:be\s+)?(?:moderated|approved|published|aprovados|publicados|modérés|moderiert)
        |thanks?\s+(?:you\s+)?for\s+(?:signing\s+up|subscribing)|keep\s+an\s+eye\s+on\s+your\s+inbox
        |error\s+processing\s+your\s+(?:subscription|request)|^i\s+agree\s+(?:that|to)\b.{0,80}\b(?:send|e-?mail|newsletter|terms)
        |subscribe\s+to\s+our\b|is\s+a\s+registered\s+trademark\s+of|visit\s+our\s+corporate\s+site
        |(?:^|[.!?]\s+)follow\s+(?:him|her|them|me)\s+on\s+(?:twitter|facebook|instagram)
        |we\s+(?:will\s+)?send\s+(?:you\s+)?an?\s+e-?mail\s+with|email\s+with\s+an\s+activation\s+link
        |(?:review|read|see|updated|accept|agree\s+to|about|regarding)\s+our\s+(?:privacy|cookie)\s+policy
        |\bour\s+terms\s+of\s+(?:use|service)|community\s+(?:rules|guidelines)\s+apply
        |material\s+on\s+this\s+site\s+may\s+not\s+be|all\s+rights\s+reserved)""",
    re.VERBOSE,  # matched against the lower-cased line: see is_site_notice
)
# Photo captions and credits. English-only.
CREDIT = re.compile(
    r"""(?:^(?:©|\(c\)|photo|image|picture|video|credit|source|file\s+photo|pictured|above|below|top|caption)\b\s*[:/|—–-]?
        |\b(?:getty\s+images|shutterstock|afp\s+photo|ap\s+photo|reuters\s*/|epa\b|photo\s+by|image\s+credit|photograph:)
        |©)""",
    re.VERBOSE,  # matched against the lower-cased line: see has_credit
)
# A teaser block starts with one of these headings; its headlines follow. English-only.
TEASER_HEADING = re.compile(
    r"^(?:other|featured|related|more|latest|top|recommended|popular|trending|editor'?s)\b.{0,40}"
    r"(?:news|stories|articles|posts|reads|picks|from\b.*|on\b.*)?$",
    re.IGNORECASE,
)
# An item of a numbered list: "1) …", "2. …", "3 - …".
NUMBERED_ITEM = re.compile(r"^(\d{1,3})\s?[.):-]\s+\S")
# What a teaser headline may end with after the words it borrows from the story: a tag or an ellipsis.
TEASER_TAIL = re.compile(r"\s*(?:[-–—|]\s*\w+|\.\.\.|…)\s*$")
# A quantity opening a list item: "2 cups flour", "1/2 tsp salt", "½ lemon", "8-9 ripe pears".
# (A capital after the number makes a listicle's headline instead: "15 Amazing Images of Stars".)
QUANTITY = re.compile(r"^(?:\d+(?:[-/.,]\d+)?(?:\s+\d/\d)?|[½¼¾⅓⅔⅛])\s+[^\W\d_A-Z]")
# A price: "$40", "€ 12.50", "£9".
PRICE = re.compile(r"[$€£¥]\s?\d")
# An interview set as questions and answers.
QUESTION = re.compile(r"^(?:Q|Question)\s?[:.]\s")
ANSWER = re.compile(r"^(?:A|Answer)\s?[:.]\s")
# A wire dateline opens an article paragraph: "WASHINGTON (Reuters) — ...", "LONDON: ...".
DATELINE = re.compile(r"^[A-Z][A-Z .,'’-]{2,40}(?:\s*\([^)]{2,30}\))?\s*(?:[—–:]|-\s)\s*\S")
# The signature under an embedded social post, as its markup falls back to text:
# "— Display Name (@handle) November 18, 2019".
POST_SIGNATURE = re.compile(r"^[—–-]\s*\S.{0,80}\(@\w{1,30}\)\s*(.{6,40})$")
# "By Jane Doe", or "By" alone on its line with the name on the next. English-only.
BYLINE = re.compile(r"^(?:(?:by|written\s+by|reporting\s+by|author:)\s+[^\W\d_]|by:?$)", re.IGNORECASE)
SITE_SUFFIX = re.compile(r"\s[-–—|]\s([^-–—|]{2,40})$")

# Month names and their usual abbreviations, by month: en, fr, de, es, pt, it, nl, ru (genitive, as
# dates write them); abbreviations that are also English words ("set", "out", "ago") are left out. Dates
# in digits, and the year-month-day dates of Chinese, Japanese and Korean, are read in any language.
_MONTH_NAMES = [
    "january jan janvier janv januar jän enero ene janeiro gennaio gen januari января янв",
    "february feb février févr fevrier februar febrero febr fevereiro fev febbraio februari февраля фев",
    "march mar mars märz mär maerz marzo março marco maart марта мар",
    "april apr avril abril aprile апреля апр",
    "may mai mayo maio maggio mag mei мая",
    "june jun juin juni junio junho giugno giu июня июн",
    "july jul juillet juil juli julio julho luglio lug июля июл",
    "august aug août aout agosto augustus августа авг",
    "september sep sept septembre septiembre setembro settembre сентября сен",
    "october oct octobre oktober octubre outubro ottobre ott okt октября окт",
    "november nov novembre noviembre novembro ноября ноя",
    "december dec décembre déc decembre dezember dez diciembre dic dezembro dicembre декабря дек",
]
MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names.split()}
_MONTH = "(" + "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True)) + r")\.?"
# "7th November 2012", "7. November 2012", "7 de noviembre de 2012", "7 ноября 2012 г."
_DAY_MONTH_YEAR = rf"\b(\d{{1,2}})(?:st|nd|rd|th|er|º|\.)?\s+(?:de\s+)?{_MONTH},?\s+(?:de\s+|del\s+)?(\d{{4}})\b"
_DATE_PATTERNS = [
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?!\d)"), ("y", "m", "d")),
    (re.compile(_DAY_MONTH_YEAR, re.IGNORECASE), ("d", "M", "y")),
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE), ("M", "d", "y")),
    (re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b"), ("d", "m", "y")),
    (re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?"), ("y", "m", "d")),
]

STOPWORDS = {
    "en": "the of and to in a is that for it on was with as he be by at are said his from this have has an but not",
    "de": "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an werden aus",
    "fr": "le la les de des et en un une du est que pour dans qui sur au par pas plus ce il sont avec",
    "es": "el la de que y en los del se las por un para con no una su al es lo como más pero sus",
    "it": "il di che la e per un in del non è una sono della con si da al le dei gli nel",
    "pt": "de que e o da do em para com um uma os no se na por mais as dos como mas não",
    "nl": "de het een van en in is dat op te voor met zijn niet aan er om ook als bij",
    "ru": "и в не на что с по как а это из он к у то за но от для о же",
}
_STOP_SETS = {lang: set(words.split()) for lang, words in STOPWORDS.items()}
# Function words that say nothing about a line's topic when comparing it with the article.
FUNCTION_WORDS = _STOP_SETS["en"] | {
    "a", "an", "or", "its", "it's", "who", "what", "why", "how", "will", "can", "could", "would", "should",
    "into", "over", "after", "before", "about", "than", "their", "they", "them", "there", "these", "those",
    "we", "you", "your", "our", "i", "my", "she", "her", "him", "do", "does", "did", "been", "being",
    "were", "which", "when", "where", "while", "so", "if", "up", "out", "new", "more", "all", "s",
}


@lru_cache(maxsize=1 << 16)
def words(line: str) -> tuple[str, ...]:
    """The words of a line (cached: a line's shape is judged by several rules, each asking for them)."""
    return tuple(WORD.findall(line))


@lru_cache(maxsize=1 << 16)
def content_words(line: str) -> frozenset[str]:
    """Lower-cased words that carry meaning (cached: classification asks for a line several times)."""
    lowered = (w.lower() for w in words(line) if not w.isdigit())
    return frozenset(w for w in lowered if w not in FUNCTION_WORDS)


# Scripts written without spaces between words: Chinese, Japanese kana, Thai, Lao, Khmer, Myanmar (and
# Hangul, whose spaced words are long). Their length is counted in characters, three to a word.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
CHARS_PER_WORD = 3


@lru_cache(maxsize=1 << 16)
def units(line: str) -> int:
    """A line's length in words, the same in any script: spaced words are counted as words, characters of
    scripts written without spaces at three to a word (150 Chinese characters weigh as 50 words)."""
    unspaced = len(_UNSPACED.findall(line))
    if not unspaced:
        return len(words(line))
    return len(WORD.findall(_UNSPACED.sub(" ", line))) + unspaced // CHARS_PER_WORD


# A line of this many words (units) or more is as long as a paragraph: article text or a comment, never
# a menu entry, a label or a heading.
PARAGRAPH_UNITS = 15

_FIGURE = re.compile(r"^[-+]?\d[\d.,:/%]*$")
# A time of day or a date written in figures ("11:06", "07.15.12", "3/11/2024"): a comment's or a post's
# timestamp in any language, four-digit year or not.
STAMP = re.compile(r"(?<!\d)(?:\d{1,2}:\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})(?!\d)")
DIGIT = re.compile(r"\d")


def is_squashed_list(line: str) -> bool:
    """A numbered list run into one line ("1 Storm closes harbour 2 Council votes … 3 …"): a widget of
    headlines whose line breaks were lost. Bare numbers counting 1, 2, 3 between runs of words."""
    if not line.startswith("1 "):
        return False
    tokens = line.split()
    expected, gap = 1, 0
    for token in tokens:
        if token == str(expected) and (expected == 1 or gap >= 3):
            expected, gap = expected + 1, 0
        else:
            gap += 1
    return expected > 3


def is_data_row(line: str) -> bool:
    """A table row of figures: several numbers, making up a good share of the line's tokens."""
    if not DIGIT.search(line):  # most lines hold no figure at all: out before splitting them
        return False
    tokens = line.split()
    if not 3 <= len(tokens) <= 30:
        return False
    figures = sum(is_figure(t) for t in tokens)
    return figures >= 2 and figures >= 0.3 * len(tokens)


def is_figure(text: str) -> bool:
    """A cell that is a number: 17, 5,040, 3:45, -1.62, 5.4%."""
    return bool(_FIGURE.match(text.strip()))


@lru_cache(maxsize=1 << 16)
def is_site_notice(line: str) -> bool:
    """A site notice written as a sentence. (The phrases are matched in lower case: twice as fast as
    a case-blind search, which cannot skip ahead to the letters that start them.)"""
    return bool(SITE_NOTICE.search(line.lower()))


@lru_cache(maxsize=1 << 16)
def has_credit(line: str) -> bool:
    """A photo credit or caption marker in the line."""
    return bool(CREDIT.search(line.lower()))


def signed_by(line: str, names: Collection[str]) -> bool:
    """The line ends signed with one of `names` (" - Outlet"): a photo's caption, as outlets sign them."""
    suffix = SITE_SUFFIX.search(line)
    return bool(suffix and suffix.group(1).strip().lower() in names)


# Emoji and other pictographs a writer may put after a sentence's final stop ("See you soon! 🙂").
_TRAILING_SYMBOLS = re.compile(r"[\s\u200d\ufe0f\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]+$")


@lru_cache(maxsize=1 << 16)
def ends_sentence(line: str) -> bool:
    """The line ends as a sentence does: a final stop, maybe closing quotes or a tag, maybe an emoji.
    (Only the line's tail is searched: a pattern anchored at the end still tries every position.)"""
    return bool(SENTENCE_END.search(_TRAILING_SYMBOLS.sub("", line[-40:])))


@lru_cache(maxsize=1 << 16)
def title_case_ratio(line: str) -> float:
    """Share of content words that start with a capital: high for headlines, low for prose. Figures
    count for neither: a market report's sentences are full of them."""
    content = [w for w in words(line) if w.lower() not in FUNCTION_WORDS and not w[0].isdigit()]
    if not content:
        return 0.0
    return sum(w[0].isupper() for w in content) / len(content)


_YEAR = re.compile(r"\d{4}")


def find_date(text: str) -> date | None:
    if not _YEAR.search(text):  # every form read has a four-digit year: most lines are out at once
        return None
    for pattern, order in _DATE_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        parts = dict(zip(order, match.groups(), strict=True))
        try:
            month = MONTHS[parts["M"].lower()] if "M" in parts else int(parts["m"])
            return date(int(parts["y"]), month, int(parts["d"]))
        except (KeyError, ValueError):
            continue
    return None


_DATE_LABEL = re.compile(r"^(?:published|updated|posted|last\s+updated|first\s+published)\b", re.IGNORECASE)


@lru_cache(maxsize=1 << 16)
def is_date_line(line: str) -> bool:
    """A short line whose point is a date (with perhaps a time, weekday, 'Updated', a byline); one
    that says "Published …" may be longer ("Published: November 19 at 8:59 pm | Updated: …")."""
    n = len(words(line))
    return (n <= 14 or (n <= 24 and bool(_DATE_LABEL.match(line)))) and find_date(line) is not None


def detect_language(text: str) -> str | None:
    """The language whose stopwords make up most of the text (at least 8 % of its words)."""
    tokens = Counter(WORD.findall(text[:20000].lower()))  # the whole text: not worth a cache entry
    if tokens.total() < 20:
        return None
    # Each word counted once, then looked up per language: not every token against every list.
    scores = {lang: sum(tokens[w] for w in stops if w in tokens) for lang, stops in _STOP_SETS.items()}
    lang, hits = max(scores.items(), key=lambda kv: kv[1])
    return lang if hits >= 0.08 * tokens.total() else None
