"""HTML pages: BeautifulSoup (lxml) for metadata and structure, then the shared line classifier.

Structure removes what markup labels as furniture (nav, aside, footer, forms, figures, and elements
whose class/id vocabulary says menu, share, related, comment, ... unless they hold the page's prose);
what is left is flattened, one line per block, for `lines.classify`, with the metadata title, date and
byline as hints. Lines outside the element holding most of the prose (the article's container) are
marked: promos and teasers written as prose live there."""

from __future__ import annotations

import dataclasses
import gc
import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import pairwise
from typing import Any

from bs4 import BeautifulSoup, CData, Comment, NavigableString, PageElement, ProcessingInstruction, Tag
from bs4.builder._lxml import LXMLTreeBuilder
from bs4.element import AttributeDict, AttributeValueList
from lxml import etree

from newsdedup.documents import writable
from newsdedup.extract import metadata, rules
from newsdedup.extract.lines import Line, PageHints, fold_spaces
from newsdedup.sources.urls import url_host

_DROP_TAGS = [
    "script", "style", "noscript", "template", "svg", "iframe", "object", "canvas", "button",
    "select", "input", "video", "audio", "head",
]
_DROP_SET = set(_DROP_TAGS)
_UNBUILT = frozenset(_DROP_SET - {"head"})
_METADATA_TAGS = ("meta", "h1", "h2", "h3", "time", "link", "script", "html", "a")
_FEED_TYPES = {"application/rss+xml", "application/atom+xml"}
_SELF_LINKS = 3  # links to its feed's host that make a page that site's own (not a feed service's)
_FURNITURE_TAGS = {"nav", "aside", "footer", "form", "figure", "figcaption"}
_FURNITURE_WORDS = {
    "nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "footer", "sidebar", "share",
    "sharing", "social", "related", "recommended", "recommendations", "comment", "comments", "subscribe",
    "newsletter", "promo", "advert", "advertisement", "ads", "ad", "cookie", "cookies", "banner", "popup",
    "modal", "teaser", "teasers", "trending", "popular", "widget", "caption", "credit", "tags", "toolbar",
    "outbrain", "taboola", "signup", "login", "masthead", "skip", "hidden", "sr-only", "print",
    "rollover", "tooltip", "popover", "hovercard",  # cards that pop up over a linked name
}
_PROTECTIVE_WORDS = {"article", "content", "body", "story", "embed"}
# Words after these in one class name are a taxonomy slug the author chose, not a layout label
# (WordPress "category-<slug>", "tag-<slug>", TypePad "entry-category-<slug>", Drupal "taxonomy-term-<id>"):
# a post filed under "promo" or "social-media" is no promo box or share bar.
_TAXONOMY_WORDS = {"category", "tag", "author", "topic", "term"}
# Indentation between tags (a newline and spaces) makes a text node per line of markup, a fifth of the
# parse. It is dropped before a closing tag or a block or invisible element, where a browser shows
# nothing for it; before an inline element (a link, a span) it is a word space and stays.
_LAYOUT_WHITESPACE = re.compile(
    r">\s*\n\s*<(?=/|(?:div|p|ul|ol|li|table|thead|tbody|tfoot|tr|td|th|section|article|header|footer|nav|aside"
    r"|main|h[1-6]|blockquote|figure|figcaption|form|dl|dt|dd|hr|br|head|body|meta|link|title|script|style"
    r"|noscript|template|svg|iframe|option|select|button|input|picture|source|video|audio)[\s/>])",
    re.IGNORECASE,
)
_CLASS_SPLIT = re.compile(r"[\s_\-]+")
_TEXT_STRINGS = (NavigableString, CData)  # what a <p>'s get_text() reads (not comments, scripts, ruby notes)
_PARAGRAPH_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "br"}
_BLOCK_TAGS = _PARAGRAPH_TAGS | {
    "div", "section", "article", "main", "header", "ul", "ol", "li", "tr", "dl", "dt", "dd",
    "address", "br", "hr", "body", "html",
}


# lxml builds no tree deeper than this (libxml2's limit) and silently leaves out what lies below; its
# parser, as BeautifulSoup's own builder drives it, reports every element however deep.
_LXML_MAX_DEPTH = 256


def _builder() -> LXMLTreeBuilder:
    # Attributes stay strings (no class lists made for every tag: a sixth of the parse); the few readers
    # of class and rel split them themselves.
    return LXMLTreeBuilder(multi_valued_attributes=None, attribute_dict_class=AttributeDict)


class _DepthCappedBuilder(LXMLTreeBuilder):
    """BeautifulSoup's lxml builder, building no element deeper than `_LXML_MAX_DEPTH`: as a browser's
    parser does past its depth limit, an element that would lie deeper is built beside the deepest one
    (closed for it) instead of inside it. Every element and string is kept, in page order, and every walk
    up the tree stays short: on 20,000 unclosed tags those walks took minutes."""

    def __init__(self) -> None:
        super().__init__(multi_valued_attributes=None, attribute_dict_class=AttributeDict)
        self._built: list[bool] = []  # per open element of the page: still open in the tree being built
        self._open: list[int] = []  # where those still open stand in `_built`

    def start(self, tag: Any, attrib: Any, nsmap: Any = None) -> None:
        assert self.soup is not None
        stack = self.soup.tagStack  # (the soup itself first)
        if len(stack) > _LXML_MAX_DEPTH:
            self._built[self._open.pop()] = False
            super().end(stack[-1].name)
        super().start(tag, attrib, nsmap or {})
        self._open.append(len(self._built))
        self._built.append(True)

    def end(self, tag: Any) -> None:
        if self._built.pop():
            self._open.pop()
            super().end(tag)


def _soup(markup: str, unseen: frozenset[str] = frozenset()) -> BeautifulSoup:
    """The page as BeautifulSoup's lxml builder makes it (the same tags, strings and links between
    them: tested), but for the doctype, left out (with the white space around one misplaced in the
    body merged into one string), and bare boolean attributes, which hold their name.

    Built another way: BeautifulSoup's builder has lxml call back into Python for every tag, string
    and attribute, each call a chain of method calls; here lxml parses the page into its own tree in C,
    and one loop over it makes the BeautifulSoup objects, filling their fields directly: the tree is
    built in half the time. A page nested deeper than lxml's tree goes (`_LXML_MAX_DEPTH`)
    is built by BeautifulSoup's own builder, flattened below that depth (`_DepthCappedBuilder`).

    Elements named in `unseen` are never built, nor anything inside them, and with them comments: what
    never shows on the page (a <script> holding JSON-LD is built: it is the page's metadata)."""
    soup = BeautifulSoup("", builder=_builder())
    parser = etree.HTMLParser(recover=True)
    parser.feed(markup)
    root = parser.close()
    if root is None:
        return soup  # no element at all (an empty page): an empty tree
    builder = soup.builder
    containers, keep_spaces = builder.string_containers, builder.preserve_whitespace_tags
    empty_tags = builder.empty_element_tags or set()
    # What every tag built by BeautifulSoup's HTML builder holds, but its name, attributes and links
    # (`add` sets those).
    shared = {"parser_class": BeautifulSoup, "namespace": None, "_namespaces": {}, "prefix": None,
              "sourceline": None, "sourcepos": None, "attribute_value_list_class": AttributeValueList,
              "known_xml": False, "hidden": False, "cdata_list_attributes": builder.cdata_list_attributes,
              "preserve_whitespace_tags": keep_spaces, "interesting_string_types": Tag.MAIN_CONTENT_STRING_TYPES}
    spaces = BeautifulSoup.ASCII_SPACES
    last: PageElement | None = None  # the node before the next one in document order (the soup is none)
    parents: list[Tag] = [soup]
    string_class: type[NavigableString] = NavigableString  # Script, Stylesheet, ... inside those tags
    outer_classes: list[type[NavigableString]] = []
    preserving = 0  # open <pre> and <textarea>: their white space is kept as written

    def add(node: PageElement, parent: Tag) -> None:
        nonlocal last
        siblings = parent.contents
        before = siblings[-1] if siblings else None
        if before is not None:
            before.next_sibling = node
        fields = node.__dict__
        fields["parent"], fields["previous_element"], fields["previous_sibling"] = parent, last, before
        fields["next_element"] = fields["next_sibling"] = None
        if last is not None:
            last.next_element = node
        siblings.append(node)
        last = node

    def add_string(value: str, parent: Tag, cls: type[NavigableString]) -> None:
        if not preserving and not value.strip(spaces):
            value = "\n" if "\n" in value else " "  # as BeautifulSoup keeps white space between tags
        string = str.__new__(cls, value)
        string.__dict__["hidden"] = False
        add(string, parent)

    def special(node: Any) -> type[NavigableString]:
        return Comment if node.tag is etree.Comment else ProcessingInstruction

    # The document's top level: comments around the root, the root, and what a page puts after its end
    # (lxml, like BeautifulSoup, makes text after </html> a second <html>).
    comments = not unseen
    skipped = None  # the element being left out, whose end comes next
    for top in [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]:
        if not isinstance(top.tag, str):
            if comments:
                add_string(top.text or "", soup, special(top))
            continue
        walk = etree.iterwalk(top, events=("start", "end", "comment", "pi"))
        for event, element in walk:
            if event == "start":
                if len(parents) >= _LXML_MAX_DEPTH:  # lxml's tree stopped here; its parser reads on
                    soup.decompose()
                    return BeautifulSoup(markup, builder=_DepthCappedBuilder())
                name = element.tag
                if name in unseen and not (name == "script" and _is_json_ld(element.get("type"))):
                    walk.skip_subtree()
                    skipped = element
                    continue
                tag = Tag.__new__(Tag)
                fields = tag.__dict__
                fields.update(shared)
                fields["name"], fields["contents"] = name, []
                fields["attrs"] = AttributeDict(element.items())
                fields["can_be_empty_element"] = name in empty_tags
                add(tag, parents[-1])
                parents.append(tag)
                if name in containers:
                    fields["interesting_string_types"] = {containers[name]}
                    outer_classes.append(string_class)
                    string_class = containers[name]
                preserving += name in keep_spaces
                if element.text:
                    add_string(element.text, tag, string_class)
                continue
            if event == "end":
                if element is skipped:
                    skipped = None
                else:
                    name = parents.pop().name
                    if name in containers:
                        string_class = outer_classes.pop()
                    preserving -= name in keep_spaces
            elif comments:
                add_string(element.text or "", parents[-1], special(element))
            if element.tail and element is not top:
                add_string(element.tail, parents[-1], string_class)
    return soup


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a page's tree is built and read. A tree is some thousand
    objects all linked both ways: every few hundred of them made, the collector walked the growing tree
    again (a sixth of the time per page) to find it all still in use (the tree is unlinked when read:
    see _parse_html). Left off if it was off (in any thread: the collector is one per process)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def parse_html(markup: str) -> tuple[list[Line], PageHints]:
    with _collector_paused():
        return _parse_html(markup)


def _parse_html(markup: str) -> tuple[list[Line], PageHints]:
    # What never shows (scripts, styles, comments, ...) is never built; the <head> and JSON-LD scripts
    # are, for the metadata, then removed with the rest before anything else.
    soup = _soup(_LAYOUT_WHITESPACE.sub("><", markup), _UNBUILT)
    # One walk finds the tags metadata comes from (and elements classed as dates), what never shows, and
    # what each element's class and id say (`_class_marks`, by id: read again when the page is flattened).
    found: dict[str, list[Tag]] = {name: [] for name in (*_METADATA_TAGS, "dated")}
    unseen: list[PageElement] = []
    marks: dict[int, int] = {}
    built: list[PageElement] = []
    for node in soup.descendants:
        built.append(node)
        if isinstance(node, Tag):
            if node.name in found:
                found[node.name].append(node)
            if node.attrs:
                attrs = node.attrs
                mark = marks[id(node)] = _class_marks(str(attrs.get("class") or ""), str(attrs.get("id") or ""))
                if mark & 8:
                    found["dated"].append(node)
            if node.name in _DROP_SET:
                unseen.append(node)
        elif isinstance(node, Comment):
            unseen.append(node)
    hints = _metadata(soup, found, marks)
    for node in unseen:
        node.extract()
    # Class vocabulary is a hint, not proof: wrappers named "...-sidebar" or "ad-margins" may hold the
    # whole article, so a labelled element is removed only when it holds little of the page's prose.
    # Prose per element, counted once: elements are visited in document order, so when one is judged
    # none of its descendants has been removed yet and the count is still exact.
    prose, furniture, article = _prose_and_furniture(soup, marks)
    total = prose[id(soup)] or 1
    # A page that marks its one article (see _marked_article) says where the text is: labelled elements
    # around it stay, and those beside it go however much text they hold (a short post beside a long
    # profile or comment thread).
    around = {id(tag) for tag in article.parents} if article is not None else set()
    kept: list[Tag] = []  # labelled, yet holding too much of the prose to go
    for tag in furniture:
        if id(tag) in around:
            continue
        beside = article is not None and tag is not article and all(p is not article for p in tag.parents)
        if not beside and prose[id(tag)] >= 0.3 * total:
            kept.append(tag)
            continue
        # Its prose leaves its ancestors too, so the article's container is found among what stays
        # (a comment thread holding most of the prose is removed, and never names the container).
        # One inside another already removed only reaches the removed one: counted once.
        _set_aside(prose, tag)
        tag.extract()
    root = soup.body or soup
    lines = _flatten(root, _article_container(soup, prose, kept), marks)
    # The tree is all cycles (parent and children, previous and next): unlinked now, every node is freed
    # at once instead of when the cycle collector next walks it (if it runs at all: a caller may have it
    # off). `decompose` costs more, and called on the soup it reaches nothing.
    for node in built:
        node.__dict__.clear()
    soup.__dict__.clear()
    return lines, hints


def _article_container(soup: BeautifulSoup, prose: Counter[int], labelled: list[Tag],
                       rest_share: float = 0.1) -> Tag | None:
    """The main container (below), unless it lies in an element the page labels as furniture that was
    kept for the prose it holds (a comment thread longer than the short post it follows) while
    `rest_share` of the prose or more lies outside every such element: then the container of that
    prose. (A wrapper named "...-sidebar" holding the whole article leaves next to nothing outside.)"""
    container = _main_container(soup, prose)
    held = {id(tag) for tag in labelled}
    if container is None or held.isdisjoint([id(container), *map(id, container.parents)]):
        return container
    rest = Counter(prose)
    for tag in labelled:
        if held.isdisjoint(map(id, tag.parents)):  # (one inside another is counted with it)
            _set_aside(rest, tag)
            rest[id(tag)] = 0
    return _main_container(soup, rest) if rest[id(soup)] >= rest_share * prose[id(soup)] else container


def _set_aside(prose: Counter[int], tag: Tag) -> None:
    """`tag`'s prose taken out of its ancestors' counts."""
    if chars := prose[id(tag)]:
        for ancestor in tag.parents:
            prose[id(ancestor)] -= chars


def _main_container(soup: BeautifulSoup, prose: Counter[int], share: float = 0.8) -> Tag | None:
    """The innermost element holding `share` of the page's prose: the article's own container.
    None when no element but the whole page does (prose spread across the page)."""
    total = prose[id(soup)]
    node: Tag = soup
    while True:
        inner = next((child for child in node.children
                      if isinstance(child, Tag) and prose[id(child)] >= share * total), None)
        if inner is None:
            break
        node = inner
    return None if not total or node is soup or node.name in ("html", "body") else node


def _is_furniture(tag: Tag, marks_of: dict[int, int]) -> bool:
    """Furniture by tag, visibility, role, or class and id words (`marks_of`: `_class_marks` by id)."""
    name, attrs = tag.name, tag.attrs
    if name in _FURNITURE_TAGS:
        return True
    if not attrs or name in ("html", "body", "article", "main"):
        return False
    style = attrs.get("style")
    if "hidden" in attrs or attrs.get("aria-hidden") == "true" or (
            style and "display:none" in str(style).replace(" ", "").lower()):
        return True
    role = attrs.get("role")
    if role and str(role).lower() in ("navigation", "banner", "contentinfo", "complementary", "dialog", "menu"):
        return True
    return bool(marks_of.get(id(tag), 0) & 32)


def _prose_and_furniture(soup: BeautifulSoup, marks: dict[int, int]
                         ) -> tuple[Counter[int], list[Tag], Tag | None]:
    """In one walk: characters of paragraph-length text inside each element (by id) — <p> blocks,
    and long text runs outside any <p> (pages that separate paragraphs with <br> inside one <div>) —,
    the elements labelled as furniture, in document order, and the page's marked article.

    Each element's counts are summed from its children's as the walk leaves it: the time grows with
    the page, not with how deeply its paragraphs nest (a <p>'s text is what `get_text(" ", strip=True)`
    gives: its own strings, stripped, one space between each two)."""
    prose: Counter[int] = Counter()
    furniture: list[Tag] = []
    marked: list[Tag] = []
    # Per open element, innermost last: [prose, characters and number of its stripped strings so far].
    sums: list[list[int]] = [[0, 0, 0]]
    in_paragraph = 0
    stack: list[Any] = list(reversed(soup.contents))  # nodes to enter, and (element,) to leave
    while stack:
        node = stack.pop()
        if node.__class__ is tuple:
            node = node[0]
            chars, letters, strings = sums.pop()
            if node.name == "p":
                in_paragraph -= 1
                if strings and letters + strings - 1 >= 80:
                    chars += letters + strings - 1
            if chars:
                prose[id(node)] = chars
            outer = sums[-1]
            outer[0] += chars
            outer[1] += letters
            outer[2] += strings
        elif isinstance(node, Tag):
            if _is_furniture(node, marks):
                furniture.append(node)
            if node.name == "article" or (node.attrs and _marks_article(node.attrs)):
                marked.append(node)
            if node.contents:  # (an empty element adds nothing to the counts)
                in_paragraph += node.name == "p"
                sums.append([0, 0, 0])
                stack.append((node,))
                stack.extend(reversed(node.contents))
        elif isinstance(node, NavigableString):
            stripped = node.strip()
            if stripped and type(node) in _TEXT_STRINGS:
                sums[-1][1] += len(stripped)
                sums[-1][2] += 1
            if len(stripped) >= 80 and not in_paragraph:
                sums[-1][0] += len(stripped)
    prose[id(soup)] = sums[0][0]
    return prose, furniture, _marked_article(marked, marks)


def _marks_article(attrs: dict[str, Any]) -> bool:
    """Markup standards naming an element the article: schema.org microdata (itemprop articleBody)
    and the hAtom / h-entry microformats (class hentry, h-entry). They hold in any language and on
    any site that uses them, unlike class vocabulary."""
    return "articlebody" in str(attrs.get("itemprop") or "").lower() or not {"hentry", "h-entry"}.isdisjoint(
        str(attrs.get("class") or "").lower().split())


def _marked_article(marked: list[Tag], marks: dict[int, int]) -> Tag | None:
    """The outermost of the page's marked elements (<article>, _marks_article) when they nest in one
    chain: one article (a post's body marked inside its entry, or a reader's comment marked up as an
    article inside the post it answers). Several apart (a list of posts, teasers marked up as articles)
    mark none, and neither does one the page also labels as furniture (a related-posts widget marked
    hentry; an <article> element is never labelled furniture by its class)."""
    for outer, inner in pairwise(marked):
        if all(parent is not outer for parent in inner.parents):
            return None
    return marked[0] if marked and not _is_furniture(marked[0], marks) else None


def _flatten(root: Tag, container: Tag | None, marks_of: dict[int, int]) -> list[Line]:
    """Blocks to lines, as a browser shows them: one line per block, paragraphs followed by a blank.
    With a main container, lines outside it are marked so. Each line also says what the learned line
    classifier reads of its markup: the block it sits in, how deep, how much of it is link text, and
    what the class and id of the elements around it say (`marks_of`, by element id)."""
    lines: list[Line] = []
    current: list[str] = []
    list_item = False
    inside = container is None
    blocks: list[tuple[str, int, int]] = []  # the open block elements (name, serial, path), outermost first
    serial = 0
    in_link = 0
    link_chars = 0
    marked = [0, 0, 0]  # open elements whose class/id says: furniture, article, comments

    def flush(blank: bool) -> None:
        nonlocal list_item, link_chars
        raw = "".join(current)
        text = fold_spaces(raw)
        current.clear()
        if text:
            link_share = min(1.0, link_chars / len(text))
            lines.append(Line(text, blank_after=blank, list_item=list_item, outside=not inside,
                              tag=blocks[-1][0] if blocks else "body", depth=len(blocks), link_share=link_share,
                              group=blocks[-2][1] if len(blocks) > 1 else 0, path=blocks[-1][2] if blocks else 0,
                              marks=sum(1 << bit for bit, open_ in enumerate(marked) if open_)))
        elif blank and lines and not lines[-1].blank_after:
            lines[-1] = dataclasses.replace(lines[-1], blank_after=True)
        list_item = False
        link_chars = 0

    # The tree is walked with a stack of (node, leaving) rather than by recursion: a page nested
    # 20,000 elements deep is flattened like any other (recursion stopped near 1,000).
    stack: list[tuple[PageElement, bool]] = [(child, False) for child in reversed(root.contents)]
    while stack:
        node, leaving = stack.pop()
        if not isinstance(node, Tag):
            text = str(node)
            current.append(text)
            if in_link:
                link_chars += len(text.strip())
            continue
        block = node.name in _BLOCK_TAGS or node is container
        marks = marks_of.get(id(node), 0)
        if leaving:
            in_link -= node.name == "a"
            for bit in range(3):
                marked[bit] -= marks >> bit & 1
            if block:
                flush(node.name in _PARAGRAPH_TAGS)
                blocks.pop()
            if node is container:
                inside = False
            elif node.name in ("td", "th"):
                current.append(" ")  # the cells of a row make one line, as a browser shows them
            continue
        if block:
            flush(False)
            list_item = node.name == "li"
            serial += 1
            shape = _class_shape(str(node.attrs.get("class") or ""))
            blocks.append((node.name, serial, hash((blocks[-1][2] if blocks else 0, node.name, shape))))
        if node is container:
            inside = True
        in_link += node.name == "a"
        for bit in range(3):
            marked[bit] += marks >> bit & 1
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    flush(True)
    return lines


_ARTICLE_WORDS = _PROTECTIVE_WORDS | {"entry", "post", "text", "main", "blog", "page"}
_COMMENT_WORDS = {"comment", "comments", "reply", "replies", "respond", "discussion", "disqus"}
# Elements that hold other texts than the page's article: their dates are those texts'.
_OTHER_STORIES = {"sidebar", "widget", "related", "recommended", "popular", "trending", "teaser", "teasers"}
_DATE_WORDS = {"date", "dateline", "datestamp", "pubdate", "published", "posted", "timestamp"}
# Listed words of six letters or more, looked for at either end of a name written as one word and
# followed or preceded by three letters or more ("commentlist", "postcomments"; not "articles").
_LISTED_WORDS = _FURNITURE_WORDS | _PROTECTIVE_WORDS | _ARTICLE_WORDS | _COMMENT_WORDS | _OTHER_STORIES | _DATE_WORDS
_LISTED_ALTERNATIVES = "|".join(sorted((w for w in _LISTED_WORDS if len(w) >= 6), key=len, reverse=True))
_LISTED_START = re.compile(f"(?:{_LISTED_ALTERNATIVES})(?=.{{3}})")
_LISTED_END = re.compile(f"(?<=.{{3}})(?:{_LISTED_ALTERNATIVES})$")


@lru_cache(maxsize=1 << 14)
def _class_shape(class_: str) -> str:
    """An element's class without its figures: "comment c-101" and "comment c-102" sit in alike places."""
    return rules.DIGIT.sub("", class_)


@lru_cache(maxsize=1 << 14)
def _class_marks(class_: str, id_: str) -> int:
    """What an element's class and id words say of what it holds, as bits: for the line classifier
    1 furniture, 2 article, 4 readers' comments (any may hold the others: a hint, never a verdict); for
    the published date 8 a date, 16 other stories (a sidebar, a widget, related posts) and not the article
    as well ("content-sidebar-wrap"); for `_is_furniture` 32 furniture and no wrapper of the article
    ("share-enabled article": an article wrapper may carry such classes; an embed inside the article is
    part of it, whatever else it is called)."""
    if not class_ and not id_:
        return 0
    words = _class_words(class_, id_)
    return (not words.isdisjoint(_FURNITURE_WORDS)) | (not words.isdisjoint(_ARTICLE_WORDS)) << 1 \
        | (not words.isdisjoint(_COMMENT_WORDS)) << 2 | (not words.isdisjoint(_DATE_WORDS)) << 3 \
        | (not words.isdisjoint(_OTHER_STORIES) and words.isdisjoint(_PROTECTIVE_WORDS)) << 4 \
        | (not words.isdisjoint(_FURNITURE_WORDS) and words.isdisjoint(_PROTECTIVE_WORDS)) << 5


@lru_cache(maxsize=1 << 14)
def _class_words(class_: str, id_: str) -> frozenset[str]:
    """The words of an element's class names and id, lower-cased, taxonomy slugs left out; a name
    written as one word ("commentlist", "postcomments", "articlebody") also gives the listed words it
    begins or ends with."""
    words = _CLASS_SPLIT.split(f"{class_} {id_}".lower())
    if not _TAXONOMY_WORDS.isdisjoint(words):
        kept: list[str] = []
        for name in f"{class_} {id_}".lower().split():
            parts = _CLASS_SPLIT.split(name)
            cut = next((n + 1 for n, part in enumerate(parts) if part in _TAXONOMY_WORDS), len(parts))
            kept.extend(parts[:cut])
        words = kept
    found = set(words)
    for word in words:
        if len(word) >= 9 and word not in _LISTED_WORDS:
            found.update(m.group() for m in (_LISTED_START.match(word), _LISTED_END.search(word)) if m)
    return frozenset(found)


def _metadata(soup: BeautifulSoup, found: dict[str, list[Tag]], marks: dict[int, int]) -> PageHints:
    """Title, date, byline, language and canonical URL from the page's tags (`found`: by name, those
    of `_METADATA_TAGS` in document order, and the elements classed as dates; `marks`: each element's
    `_class_marks`, by id)."""

    def first(name: str) -> Tag | None:
        return found[name][0] if found[name] else None

    # Every <meta> read once: property=, name= and itemprop= all name a value (first one wins), in any
    # case (HTML's meta names are case-blind: <meta name="Date">, "DC.Date.Issued").
    metas: dict[str, str] = {}
    for tag in found["meta"]:
        content = tag.get("content")
        if not content:
            continue
        for attribute in ("property", "name", "itemprop"):
            key = tag.get(attribute)
            if key:
                metas.setdefault(str(key).lower(), fold_spaces(str(content)))

    def meta(*names: str) -> str | None:
        return next((metas[name] for name in map(str.lower, names) if metas.get(name)), None)

    ld = _json_ld(found["script"])
    # The candidates for title, date and byline; metadata.py chooses among them.
    candidates = metadata.PageMetadata(
        meta_titles=_present(meta("og:title"), meta("twitter:title"), _str(ld.get("headline"))),
        document_title=fold_spaces(soup.title.get_text(" ")) or None if soup.title else None,
        headings=tuple(_heading(tag) for name in ("h1", "h2", "h3") for tag in found[name][:metadata.HEADING_SEARCH]),
        site_names=_present(meta("og:site_name"), meta("application-name"), _publisher_name(ld.get("publisher"))),
        dates=_present(_str(ld.get("datePublished")), meta("article:published_time", "datePublished"),
                       *(str(t.get("datetime") or t.get_text(" ", strip=True))
                         for t in _article_times(found["time"], marks))),
        loose_dates=_present(meta("date", "pubdate", "publishdate", "dc.date.issued", "dc.date"),
                             *(text for tag in _marked_dates(found["dated"], marks) for text in _date_texts(tag))),
        authors=_present(meta("author"), meta("article:author"), *_author_names(ld.get("author"))),
    )
    canonical = None
    for link in found["link"]:
        if link.get("href") and "canonical" in str(link.get("rel") or "").lower().split():
            canonical = str(link["href"]).strip()
            break
    html_tag = first("html")
    site_name = meta("og:site_name") or _publisher_name(ld.get("publisher"))
    named = site_name or "://" in (canonical or meta("og:url") or "")
    language = _language_code(str(html_tag.get("lang") or "")) if isinstance(html_tag, Tag) else None
    return PageHints(
        byline=metadata.choose_byline(candidates),
        metadata=candidates,
        language=language,
        canonical_url=canonical or meta("og:url"),
        site_name=site_name,
        site_host=None if named else _site_host(found["link"], found["a"]),
        article_body=_str(ld.get("articleBody")),
    )


def _language_code(lang: str) -> str | None:
    """The language of a lang attribute ("en-GB", "pt_BR", "fil"): its first subtag when that is a
    language code (two or three letters), else None ("englishlanguage" names none: the text is read)."""
    code = re.match(r"\s*([A-Za-z]{2,3})(?:[-_\s]|$)", lang)
    return code.group(1).lower() if code else None


def _site_host(links: list[Tag], anchors: list[Tag]) -> str | None:
    """For a page naming neither itself nor its URL: the host of the feed it announces, when the page
    also links to that host's other pages (a site links to its own pages dozens of times; "subscribe"
    links to a feed service's copy of the feed do not make the page the service's)."""
    feeds = {href for link in links if "alternate" in str(link.get("rel") or "").lower().split()
             and str(link.get("type") or "").strip().lower() in _FEED_TYPES
             and (href := str(link.get("href") or "").strip())}
    host = next((host for href in sorted(feeds) if (host := url_host(href))), None)
    if host is None:
        return None
    self_links = 0
    for anchor in anchors:
        href = str(anchor.get("href") or "").strip()
        if href.startswith("http") and href not in feeds:
            self_links += url_host(href) == host
    return host if self_links >= _SELF_LINKS else None


def _is_json_ld(script_type: Any) -> bool:
    return str(script_type or "").strip().lower() == "application/ld+json"


def _json_ld(scripts: list[Tag]) -> dict[str, Any]:
    """The first schema.org article object in the page's JSON-LD scripts, if any."""
    for script in scripts:
        if not _is_json_ld(script.get("type")):
            continue
        try:
            data = json.loads(script.string or "")
        except (ValueError, TypeError):
            continue
        items = data if isinstance(data, list) else data.get("@graph", [data]) if isinstance(data, dict) else []
        for item in items:
            if isinstance(item, dict) and not {"headline", "datePublished", "articleBody"}.isdisjoint(item):
                return item
    return {}


def _present(*values: str | None) -> tuple[str, ...]:
    return tuple(v for v in values if v)


def _heading(tag: Tag) -> metadata.Heading:
    """A heading, and whether it links to a site's front page (a masthead or a logo does)."""
    link = tag.find("a", href=True) if tag.name else None
    if link is None:
        parent = tag.parent
        link = parent if parent is not None and parent.name == "a" else None
    home = isinstance(link, Tag) and metadata.is_front_page(str(link.get("href") or ""))
    return metadata.Heading(fold_spaces(tag.get_text(" ")), int(tag.name[1]), home)


def _article_times(times: list[Tag], marks: dict[int, int], wanted: int = 3) -> list[Tag]:
    """The first <time> elements outside furniture: a time in a comment or a teaser dates something else."""
    kept: list[Tag] = []
    for tag in times:
        if not any(_is_furniture(parent, marks) for parent in tag.parents if isinstance(parent, Tag)):
            kept.append(tag)
            if len(kept) == wanted:
                break
    return kept


def _marked_dates(marked: list[Tag], marks_of: dict[int, int], wanted: int = 2) -> list[Tag]:
    """The first elements whose class or id says they hold a date ("date", "post-date", "entry-date") and
    that do; none in a sidebar, widget, menu, footer or list of other stories, and no comment's
    ("comment-date", or inside an element named for comments, not for dates as well): those date other
    texts. (A box named for all it lists, "by-line-comments-views-date", holds the article's own date;
    so may one named "post-footer".)"""
    kept: list[Tag] = []
    for tag in marked:
        if marks_of[id(tag)] & 4 or any(
                parent.name in _FURNITURE_TAGS or (marks_of.get(id(parent), 0) & 12) == 4
                or marks_of.get(id(parent), 0) & 16 for parent in [tag, *tag.parents] if isinstance(parent, Tag)):
            continue
        if not any(metadata.parse_date(text) for text in _date_texts(tag)):
            continue  # ("posted-in": the post's categories)
        kept.append(tag)
        if len(kept) == wanted:
            break
    return kept


def _date_texts(tag: Tag) -> list[str]:
    """What a date element says, most exact first: a machine-readable value (<time datetime>, the
    hAtom <abbr class="published" title="2012-08-09T12:13:00">), then its text."""
    return [str(tag.get("datetime") or ""), str(tag.get("title") or ""), tag.get_text(" ", strip=True)[:80]]


def _author_names(author: Any) -> list[str]:
    """JSON-LD author: a name, a person object, or a list of either."""
    names = []
    for item in author if isinstance(author, list) else [author]:
        name = _str(item.get("name")) if isinstance(item, dict) else _str(item)
        if name:
            names.append(name)
    return names


def _publisher_name(publisher: Any) -> str | None:
    """The name of a JSON-LD publisher: an organisation object (or the first of a list), or a plain name."""
    if isinstance(publisher, list):
        publisher = publisher[0] if publisher else None
    if isinstance(publisher, dict):
        publisher = publisher.get("name")
    return _str(publisher)


def _str(value: Any) -> str | None:
    """A JSON-LD string value, stripped, and `writable`: its escapes may hold a NUL or a lone surrogate
    ("\\u0000", "\\ud800")."""
    return writable(value.strip()) if isinstance(value, str) and value.strip() else None
