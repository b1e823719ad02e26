"""The learned line classifier: its numpy tree walker, the shipped model, and where it may overrule the rules."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from newsdedup.config import ExtractionSettings
from newsdedup.extract import classifier, rules
from newsdedup.extract.lines import Line, PageHints, classify

# Two trees over two features. Tree 0: x0 <= 0.5 ? (x1 <= 2 ? -1 : 0.5) : 2. Tree 1: a constant 0.25.
# Node j's children: a non-negative number is an inner node, -1-j is leaf j.
TREES = classifier.Trees.from_json({
    "feature": [[0, 1], [0, 0]], "threshold": [[0.5, 2.0], [0.0, 0.0]],
    "left": [[1, -1], [-1, -1]], "right": [[-3, -2], [-1, -1]],
    "leaf": [[-1.0, 0.5, 2.0], [0.25, 0.0, 0.0]], "depth": 2, "band": [0.5, 0.5],
})


def _sigmoid(margin: float) -> float:
    return 1 / (1 + math.exp(-margin))


def test_the_tree_walker_follows_each_split_to_its_leaf() -> None:
    x = np.array([[0.0, 1.0], [0.0, 3.0], [1.0, 0.0], [0.5, 2.0]])
    expected = [_sigmoid(-1.0 + 0.25), _sigmoid(0.5 + 0.25), _sigmoid(2.0 + 0.25), _sigmoid(-1.0 + 0.25)]
    assert np.allclose(TREES.predict(x), expected)


def _walk_one(trees: classifier.Trees, row: np.ndarray) -> float:
    """The ensemble's probability for one row, each tree followed split by split."""
    margin = trees.bias
    for t in range(trees.feature.shape[0]):
        node = 0
        while node >= 0:
            go_left = row[trees.feature[t, node]] <= trees.threshold[t, node]
            node = int(trees.left[t, node] if go_left else trees.right[t, node])
        margin += trees.leaf[t, -1 - node]
    return _sigmoid(margin)


def test_the_walk_over_all_rows_agrees_with_one_row_at_a_time_on_uneven_trees() -> None:
    rng = np.random.default_rng(3)
    trees = classifier.models().html
    assert trees is not None  # 160 trees of uneven depth, leaves at every level
    x = rng.normal(size=(40, int(trees.feature.max()) + 1)) * rng.choice([0.1, 1.0, 10.0], size=(40, 1))
    assert np.allclose(trees.predict(x), [_walk_one(trees, row) for row in x], rtol=0, atol=1e-12)


def test_a_long_page_is_walked_a_slice_of_lines_at_a_time_with_the_same_verdicts(monkeypatch: Any) -> None:
    rng = np.random.default_rng(5)
    trees = classifier.models().html
    assert trees is not None
    x = rng.normal(size=(50, int(trees.feature.max()) + 1)) * rng.choice([0.1, 1.0, 10.0], size=(50, 1))
    whole = trees.predict(x)
    monkeypatch.setattr(classifier, "_ROWS_AT_ONCE", 7)  # 50 lines: eight slices, the last of one line
    assert np.array_equal(trees.predict(x), whole)
    assert np.allclose(whole, [_walk_one(trees, row) for row in x], rtol=0, atol=1e-12)


class _OneSplitBooster:
    """What train_extraction.Averaged reads of a LightGBM booster (its tree dump, its raw scores), for
    an ensemble of one tree: x0 <= threshold ? low : high."""

    def __init__(self, threshold: float, low: float, high: float) -> None:
        self.threshold, self.low, self.high = threshold, low, high

    def dump_model(self) -> dict[str, Any]:
        split = {"split_feature": 0, "threshold": self.threshold, "left_child": {"leaf_value": self.low},
                 "right_child": {"leaf_value": self.high}}
        return {"tree_info": [{"tree_structure": split}]}

    def predict(self, x: np.ndarray, raw_score: bool = False) -> np.ndarray:
        assert raw_score
        return np.where(x[:, 0] <= self.threshold, self.low, self.high)


def test_averaged_ensembles_ship_as_one_whose_walk_gives_their_mean() -> None:
    """Ensembles averaged in training (the out-of-fold verdicts the second stage learns from) and their
    trees shipped as one, each leaf divided by their number, must say the same at run time."""
    from benchmarks.train_extraction import Averaged

    averaged = Averaged([_OneSplitBooster(0.0, -2.0, 1.0), _OneSplitBooster(1.0, 0.5, 3.0),
                         _OneSplitBooster(-1.0, 4.0, -1.0)])
    shipped = classifier.Trees.from_json({**averaged.arrays(), "band": [0.5, 0.5]})
    x = np.array([[-2.0], [-0.5], [0.5], [2.0]])
    expected = [_sigmoid((-2.0 + 0.5 + 4.0) / 3), _sigmoid((-2.0 + 0.5 - 1.0) / 3), _sigmoid((1.0 + 0.5 - 1.0) / 3),
                _sigmoid((1.0 + 3.0 - 1.0) / 3)]
    assert np.allclose(averaged.predict(x), expected)
    assert np.allclose(shipped.predict(x), expected)


def _page() -> tuple[list[Line], PageHints]:
    prose = ("The harbour authority closed the port on Tuesday after a storm damaged two piers and sank a "
             "fishing boat, officials said.")
    lines = [Line("Home"), Line("News"), Line(prose, blank_after=True), Line(prose.replace("Tuesday", "Friday"),
                                                                          blank_after=True), Line("Contact us")]
    return lines, PageHints()


def test_the_shipped_model_reads_every_feature_column() -> None:
    lines, hints = _page()
    labels = classify(lines, ExtractionSettings(), hints, learned=False).labels
    x = classifier.features(lines, labels, [rules.units(ln.text) for ln in lines], hints)
    models = classifier.models()
    assert models.html is not None and models.text is not None
    for trees in (models.html, models.text):
        assert int(trees.feature.max()) < x.shape[1]
        p = trees.predict(x)
        assert p.shape == (len(lines),) and ((p >= 0) & (p <= 1)).all()


def _constant(margin: float, band: tuple[float, float] = (0.5, 0.5)) -> dict[str, object]:
    """One tree of one leaf: the same margin for every line."""
    return {"feature": [[0]], "threshold": [[0.0]], "left": [[-1]], "right": [[-1]], "leaf": [[margin]], "depth": 1,
            "band": list(band)}


def test_a_model_that_only_removes_never_adds_a_line() -> None:
    lines, hints = _page()
    always_body = classifier.Trees.from_json(_constant(9.0, (0.3, 1.01)))  # a large margin: "body" for every line
    with classifier.using(classifier.Models(None, always_body)):
        result = classify(lines, ExtractionSettings(), hints)
    assert "Home" not in result.paragraphs and "Contact us" not in result.paragraphs
    assert len(result.paragraphs) == 2


def test_a_model_asked_within_the_body_adds_lines_running_on_inside_it_and_paragraphs_anywhere() -> None:
    # Between three paragraphs: a list entry and a heading set apart by blank lines, both dropped by the
    # rules; a menu around, and below it a paragraph the rules drop for ending in an ellipsis, then a
    # caption. A model that calls every line body adds the entry and the paragraph; the heading (judged by
    # its words), the caption (its photo credit) and the menu only when asked about every line.
    lines, hints = _page()
    lines.insert(3, Line("Two piers closed", list_item=True))
    lines.insert(5, Line("Ferry Guide For Summer Travellers", blank_after=True))
    lines.insert(6, Line(lines[2].text.replace("Tuesday", "Sunday"), blank_after=True))
    cut = ("Divers inspected the damaged piers on Wednesday and found cracks along the northern wall that the "
           "engineers said would take weeks to mend…")
    caption = ("Waves break over the northern pier on Monday as the storm reaches the coast and the wind tears "
               "at the cranes. Photo by Jane Staff")
    lines += [Line(cut, blank_after=True), Line(caption, blank_after=True)]
    labels = classify(lines, ExtractionSettings(), hints, learned=False).labels
    assert labels == ["drop", "drop", "body", "drop", "body", "drop", "body", "drop", "drop", "drop"]
    units = [rules.units(ln.text) for ln in lines]
    assert [a.tolist() for a in classifier.asked_lines(lines, labels, units, within_body=True)] == [[2, 4, 6],
                                                                                                 [2, 3, 4, 6, 8]]
    for within_body in (True, False):
        always_body = classifier.Trees.from_json({**_constant(9.0, (0.3, 0.7)), "within_body": within_body})
        with classifier.using(classifier.Models(None, always_body)):
            kept = classify(lines, ExtractionSettings(), hints).paragraphs
        assert "Two piers closed" in kept and cut in kept
        assert ("Ferry Guide For Summer Travellers" in kept, caption in kept, "Home" in kept) == (not within_body,) * 3


def test_a_model_asked_within_the_body_never_adds_a_caption_signed_with_the_outlets_name() -> None:
    # A photo's caption between two paragraphs, running on into the next line and signed " - Coastal
    # Times", the name the page also shows alone (its logo): the rules drop it as a caption; a model that
    # calls every line body, asked within the body, leaves it out, and adds the list entry beside it.
    lines, hints = _page()
    caption = "Waves break over the northern pier on Monday as the storm reaches the coast - Coastal Times"
    lines[:0] = [Line("Coastal Times")]
    lines[4:4] = [Line(caption), Line("Two piers closed", list_item=True)]
    labels = classify(lines, ExtractionSettings(), hints, learned=False).labels
    assert labels[3:7] == ["body", "drop", "drop", "body"]
    units = [rules.units(ln.text) for ln in lines]
    asked = classifier.asked_lines(lines, labels, units, True, {"coastal times"})[1].tolist()
    assert 5 in asked and 4 not in asked
    assert 4 in classifier.asked_lines(lines, labels, units, True)[1].tolist()  # (not knowing the name)
    always_body = classifier.Trees.from_json({**_constant(9.0, (0.3, 0.6)), "within_body": True})
    with classifier.using(classifier.Models(None, always_body)):
        kept = classify(lines, ExtractionSettings(), hints).paragraphs
    assert "Two piers closed" in kept and caption not in kept


def _commented_page() -> list[Line]:
    """An article, then a comment thread: each comment a name, a timestamp, prose and a "Reply" prompt."""
    article = [
        "The regional council approved a new cycle path along the river on Monday, after two years of "
        "consultation with residents and shop owners along the route.",
        "Construction is due to start in the spring and the path should open before the end of next year, "
        "the council's transport committee said in a statement.",
        "Shop owners had asked for the loading bays to stay, and the final plan keeps all of them.",
    ]
    lines = [Line("Cycle path approved"), *(Line(p, blank_after=True) for p in article)]
    comments = [("Marta", "Finally, this took far too long but it is good news for everyone who rides."),
                ("Jon", "I hope they light it properly, the old towpath was dark and unsafe at night."),
                ("Ines", "Will the bridge at the north end be widened too, or only the path itself?"),
                ("Piet", "Great to see the loading bays kept, the shops needed them badly enough.")]
    for n, (name, text) in enumerate(comments):
        lines += [Line(name), Line(f"Posted March {n + 3}, 2024 at 1{n}:0{n} pm"), Line(text, blank_after=True),
                  Line("Reply")]
    return lines


def test_what_repeats_within_the_page_is_a_feature() -> None:
    lines = _commented_page()
    labels = classify(lines, ExtractionSettings(), PageHints(), learned=False).labels
    x = classifier.features(lines, labels, [rules.units(ln.text) for ln in lines], PageHints())
    occurs, above = x[:, -14], x[:, -13]  # classifier._repeats, in its order (then 4 of paths, 3 of timestamps)
    reply = [k for k, ln in enumerate(lines) if ln.text == "Reply"]
    stamps = [k for k, ln in enumerate(lines) if ln.text.startswith("Posted")]
    assert np.allclose(occurs[reply], math.log1p(4)) and np.allclose(occurs[stamps], math.log1p(4))
    assert (above[:4] == 0).all()  # nothing repeats above the article's text
    comments = [k - 1 for k in reply]
    assert all(a < b for a, b in zip(above[comments], above[comments[1:]], strict=False))  # deeper and deeper


def test_the_shipped_text_model_leaves_a_comment_thread_out() -> None:
    lines = _commented_page()
    assert len(classify(lines, ExtractionSettings(), PageHints(), learned=False).paragraphs) == 7  # rules: prose
    result = classify(lines, ExtractionSettings(), PageHints())
    assert len(result.paragraphs) == 3 and all("council" in p or "loading bays" in p for p in result.paragraphs)


def test_the_shipped_text_model_leaves_out_a_comment_thread_in_a_language_no_phrase_list_knows() -> None:
    # Finnish: no prompt, heading or month name of rules.py matches; what is left is shape and repetition.
    article = [
        "Aluevaltuusto hyväksyi maanantaina uuden pyörätien joen varteen kahden vuoden asukaskuulemisten "
        "jälkeen, ja reitin varrella olevat kauppiaat ovat tyytyväisiä.",
        "Rakentaminen alkaa keväällä ja tien pitäisi avautua ennen ensi vuoden loppua, valtuuston "
        "liikennevaliokunta kertoi tiedotteessaan.",
        "Kauppiaat olivat pyytäneet lastauspaikkojen säilyttämistä, ja lopullinen suunnitelma säilyttää ne kaikki.",
        "Hankkeen kustannukset jaetaan kaupungin ja valtion kesken, ja urakoitsija valitaan kilpailutuksella "
        "vielä tämän talven aikana.",
    ]
    comments = ["Vihdoinkin, tämä kesti aivan liian kauan mutta on hyvä uutinen kaikille pyöräilijöille.",
                "Toivottavasti tie valaistaan kunnolla, vanha polku oli pimeä ja vaarallinen öisin.",
                "Levennetäänkö myös pohjoispään silta, vai ainoastaan itse tie?",
                "Hienoa että lastauspaikat säilyvät, kaupat tarvitsivat niitä kipeästi."]
    lines = [Line("Pyörätie hyväksyttiin"), *(Line(p, blank_after=True) for p in article)]
    for n, (name, text) in enumerate(zip(("Marta", "Jon", "Ines", "Piet"), comments, strict=True)):
        lines += [Line(name), Line(f"{n + 3}.3.2024 klo 1{n}.0{n}"), Line(text, blank_after=True), Line("Vastaa")]
    assert len(classify(lines, ExtractionSettings(), PageHints(), learned=False).paragraphs) == 6  # rules: prose
    assert classify(lines, ExtractionSettings(), PageHints()).paragraphs == article


def test_the_context_ensemble_reads_what_the_first_said_of_the_lines_around() -> None:
    # An article of four paragraphs; the first ensemble calls every line body. The second splits on the
    # context column "share of the likely body above the line": body for the first half, not after it.
    lines = [Line(f"Paragraph {n} of the report on the harbour storm, which damaged two piers and sank a boat.",
                  blank_after=True, tag="p", group=1) for n in range(4)]
    labels = classify(lines, ExtractionSettings(), PageHints(), learned=False).labels
    units = [rules.units(ln.text) for ln in lines]
    width = classifier.features(lines, labels, units, PageHints()).shape[1]
    above = width + 5  # context_features' sixth column
    second = {"feature": [[above]], "threshold": [[0.4]], "left": [[-1]], "right": [[-2]], "leaf": [[9.0, -9.0]],
              "depth": 1, "band": [0.5, 0.5]}
    said = np.ones(4)
    assert np.allclose(classifier.context_features(said, np.ones(4, dtype=np.int64), np.zeros(4, dtype=np.int64),
                                                   np.array(units, float))[:, 5], [0, 0.25, 0.5, 0.75])
    stacked = classifier.Trees.from_json({**_constant(9.0), "context": second})
    with classifier.using(classifier.Models(stacked, None)):
        assert classifier.body_lines(lines, labels, units, PageHints()) == [True, True, False, False]
    with classifier.using(classifier.Models(classifier.Trees.from_json(_constant(9.0)), None)):
        assert classifier.body_lines(lines, labels, units, PageHints()) == [True] * 4


def test_lines_sharing_a_path_are_judged_together() -> None:
    # An article (path 5) and a thread of three short replies (path 9): per line, the path's mean verdict
    # by words, its share of the page's words and of the likely body, and how many lines share it.
    said, paths, units = np.array([1.0, 0.5, 0.0, 0.0, 0.5]), np.array([5, 5, 9, 9, 9]), np.array([30.0, 10, 5, 5, 10])
    mean, words, body, size = classifier.context_features(said, np.arange(5), paths, units)[:, -4:].T
    assert np.allclose(mean, [35 / 40] * 2 + [5 / 20] * 3)
    assert np.allclose(words, [40 / 60] * 2 + [20 / 60] * 3)
    assert np.allclose(body, [35 / 40] * 2 + [5 / 40] * 3)
    assert np.allclose(size, [math.log(3)] * 2 + [math.log(4)] * 3)


def test_short_lines_holding_a_time_or_a_date_in_figures_are_timestamps() -> None:
    # A comment's timestamp in any language, with or without a four-digit year; not a figure in prose.
    stamps = ("Tim Worstall 11.06.12 at 11:06 am", "ana_77 · 3/11/2024", "klo 14.05.24")
    assert all(rules.STAMP.search(s) for s in stamps)
    assert not any(rules.STAMP.search(s) for s in ("Odds of 120:1 on version 2.10", "Ratings 4.5/5"))
    lines = _commented_page()
    labels = classify(lines, ExtractionSettings(), PageHints(), learned=False).labels
    x = classifier.features(lines, labels, [rules.units(ln.text) for ln in lines], PageHints())
    stamped, above = x[:, -3], x[:, -2]  # the timestamp columns, last
    posted = [k for k, ln in enumerate(lines) if ln.text.startswith("Posted")]
    assert [k for k in range(len(lines)) if stamped[k]] == posted
    replies = [k for k, ln in enumerate(lines) if ln.text == "Reply"]
    assert np.allclose(above[replies], np.log1p([1, 2, 3, 4])) and (above[:4] == 0).all()
