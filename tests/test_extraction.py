"""Extraction quality on the hand-labelled seeds, and the HTML path."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from bs4 import Comment
from conftest import SEEDS

from newsdedup.documents import Article, RawDocument
from newsdedup.extract import extract, html, lines, rules
from newsdedup.extract.html import parse_html
from newsdedup.extract.lines import lines_from_text

# An article long enough to be established (several paragraphs, 150 words and more).
STORY = [
    "The harbour authority closed the port on Tuesday after a storm damaged two piers and sank a fishing "
    "boat, officials said, and warned that repairs could take the rest of the month.",
    "Ferries to the islands were cancelled until Friday, and the coast guard asked residents to stay away "
    "from the sea front while engineers inspect the damaged piers and the harbour wall.",
    "Repairs are expected to cost several million euros, according to a preliminary estimate by the port's "
    "engineers, who began surveying the damage on Wednesday morning with divers.",
    "Fishing crews said the closure would cost them a week of catches at the busiest time of the year, "
    "and asked the council for help with the lost income.",
    "The council said it would meet the port authority and the fishermen's association next week to "
    "discuss compensation, and that a fund for the harbour's small businesses, the cafes and boat hire "
    "firms along the quay, was being considered.",
]


def _norm(line: str) -> str:
    return " ".join(line.replace("\u00a0", " ").split())


def _extract_seed(name: str) -> tuple[Article, list[str]]:
    content = (SEEDS / name).read_bytes()
    article = extract(RawDocument.from_bytes(name, content, datetime.now(UTC)))
    assert isinstance(article, Article), article
    return article, content.decode("utf-8").split("\n")


def test_seed_body_kept_and_boilerplate_removed(gold: dict[str, Any]) -> None:
    body_total = body_kept = boiler_total = boiler_removed = 0
    for name, labels in gold["documents"].items():
        article, lines = _extract_seed(name)
        kept = {_norm(p) for p in article.paragraphs}
        for number in labels["body_lines"]:
            words = len(rules.words(lines[number - 1]))
            body_total += words
            body_kept += words if _norm(lines[number - 1]) in kept else 0
        for number in labels["boilerplate_lines"]:
            boiler_total += 1
            line = _norm(lines[number - 1])
            boiler_removed += line not in kept and line != _norm(article.title or "")
    assert body_kept / body_total >= 0.98, f"body tokens kept {body_kept}/{body_total}"
    assert boiler_removed / boiler_total >= 0.90, f"boilerplate removed {boiler_removed}/{boiler_total}"


def test_seed_titles_and_dates(gold: dict[str, Any]) -> None:
    for name, labels in gold["documents"].items():
        article, _ = _extract_seed(name)
        assert _norm(article.title or "") == _norm(labels["title"]), name
        if labels["date_text"]:
            found = rules.find_date(labels["date_text"])
            assert found is not None and article.published == found.isoformat(), name
        assert article.language == "en"
        assert article.confidence >= 0.5


def test_prompts_captions_and_teasers_are_removed() -> None:
    article, _ = _extract_seed("000_a28e7b182b270e03.txt")
    body = "\n".join(article.paragraphs)
    for furniture in ("READ MORE", "Subscribe", "© AP Photo", "log in or register", "Sputnik International"):
        assert furniture not in body
    article, _ = _extract_seed("004_663272c8c2771b00.txt")
    body = "\n".join(article.paragraphs)
    assert "Other News" not in body and "Featured News" not in body and "..." not in body
    # A sub-heading about the article stays; a headline teasing another story goes.
    assert "The S400 Missile Defence System and Russia-Pakistan Bilateral Ties" in article.paragraphs
    assert "Russia, Israel or US – Who is the Largest Arm Supplier to India?" not in article.paragraphs


HTML_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Storm closes harbour | Coastal Times</title>
<meta property="og:title" content="Storm closes harbour for three days">
<meta property="article:published_time" content="2024-03-05T08:00:00Z">
<meta name="author" content="Jane Reporter">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav>
<div class="share-buttons"><a>Share on Facebook</a><a>Tweet</a></div>
<article>
<h1>Storm closes harbour for three days</h1>
<figure><img src="x.jpg"><figcaption>Waves hit the pier on Monday. Photo: Staff</figcaption></figure>
<p>The harbour authority closed the port on Tuesday after a storm damaged two piers and sank a fishing boat,
officials said.</p>
<p>Ferries to the islands were cancelled until Friday, and the coast guard asked residents to stay away from
the sea front.</p>
<aside class="related"><h3>Related</h3><ul><li><a>Other storm story</a></li></ul></aside>
<p>Repairs are expected to cost several million euros, according to a preliminary estimate by the port's engineers.</p>
</article>
<div id="comments"><h3>Comments</h3><p>Log in to comment.</p></div>
<footer>Copyright 2024 Coastal Times. All rights reserved.</footer>
</body></html>"""


def test_html_metadata_and_body() -> None:
    article = extract(RawDocument.from_bytes("coast/storm.html", HTML_PAGE.encode(), datetime.now(UTC)))
    assert isinstance(article, Article)
    assert article.title == "Storm closes harbour for three days"
    assert article.published == "2024-03-05"
    assert article.byline == "Jane Reporter"
    assert article.language == "en"
    assert article.outlet == "coast"
    assert len(article.paragraphs) == 3
    assert article.paragraphs[0].startswith("The harbour authority closed the port")
    text = " ".join(article.paragraphs)
    for furniture in ("Home", "Share on Facebook", "Waves hit the pier", "Other storm story", "Log in", "Copyright"):
        assert furniture not in text


def _extract_text(text: str) -> Article:
    article = extract(RawDocument.from_bytes("outlet/page.txt", text.encode("utf-8"), datetime.now(UTC)))
    assert isinstance(article, Article), article
    return article


def test_a_table_interrupted_by_page_prompts_stays_with_the_article() -> None:
    prose = ("The final standings after thirty-six races left the champion only five points clear of his "
             "team-mate, the closest finish the series has seen in more than a decade.")
    page = "\n\n".join([
        "Standings settle a close season",
        "Posted: Fri 6:45 PM, Feb 16, 2018",
        "Updated: Sat 8:31 PM, Feb 17, 2018",
        prose,
        "READ MORE: Another story about something else entirely — report",
        "1 Ana Lindqvist 4820 6 2 15 22",
        "Also on example.com Two other headlines for a different story — report",
        "2 Tomas Berger Jr. 4815 4 1 13 20",
        "The team said it would keep both drivers for next season, its principal told reporters on Sunday.",
    ])
    article = _extract_text(page)
    assert "1 Ana Lindqvist 4820 6 2 15 22" in article.paragraphs
    assert "2 Tomas Berger Jr. 4815 4 1 13 20" in article.paragraphs
    assert not any(p.startswith(("READ MORE", "Also on")) for p in article.paragraphs)
    # Date lines are full of figures too, but they are the page's metadata, not rows of a table.
    assert not any(p.startswith(("Posted", "Updated")) for p in article.paragraphs)
    assert article.published == "2018-02-16"


def test_a_table_flattened_one_cell_a_line_is_one_paragraph_of_the_article() -> None:
    prose = ("Prices of the main staples rose again in March, the statistics office said on Tuesday, with fuel "
             "and bread leading the increase for a third month in a row.")
    cells = ["Item", "February", "March", "Bread", "1.20", "1.32", "Fuel", "1.71", "1.85", "Rice", "0.95", "0.97"]
    menu = ["Home", "World", "Business", "Sport", "Culture", "Travel", "Opinion", "Weather", "Video"]
    pager = ["Previous", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "Next"]  # 83 % figures, counting up
    page = ("\n".join(menu) + "\n\nStaples cost more again\n\n" + prose + "\n\n" + "\n".join(cells) + "\n\n"
            + "The office expects prices to ease in the summer, when the new harvest reaches the markets.\n\n"
            + "\n".join(pager) + "\n")
    article = _extract_text(page)
    assert " ".join(cells) in article.paragraphs
    assert not any(word in " ".join(article.paragraphs) for word in ("Weather", "Next"))


def test_a_long_sentence_without_a_final_stop_inside_the_article_is_kept() -> None:
    """Between the article's prose, a long line in sentence case is prose even without its full stop."""
    unstopped = ("Rovers have this morning paid the fee to the national league to secure the record signing of "
                 "the goalkeeper from the Basque club")
    page = "\n".join([
        "Home", "Sport", "Football",
        "Rovers complete the signing of their new goalkeeper",
        "The 23-year-old flew to London yesterday evening and will spend the day completing the formalities "
        "of the deal with the club's staff, officials said.",
        unstopped,
        "He is expected to be presented to supporters before the weekend's match against the champions.",
        "Related Stories From Around The Premier League This Week And Beyond The Football League Cup",
        "Share", "Comments",
    ])
    article = _extract_text(page)
    assert unstopped in article.paragraphs
    assert not any(p.startswith("Related Stories") for p in article.paragraphs)


def test_newsletter_pitches_in_sentence_form_are_site_notices() -> None:
    for pitch in ("Stay up to date with Acme. Subscribe to our weekly newsletter.", "Want more stories like this?",
                  "Every day we send an email with the top stories from the site.",
                  "An email with an activation link has just been sent to your email address."):
        assert rules.is_site_notice(pitch), pitch
    for reporting in ("The company said it would send an email to customers affected by the outage.",
                      "Readers who subscribe to the paper's print edition were not affected."):
        assert not rules.is_site_notice(reporting), reporting


def test_a_numbered_list_after_the_prose_is_the_article() -> None:
    picks = ["1) A cordless drill with two batteries", "https://shop.example/d1",
             "2) A set of twelve screwdrivers", "https://shop.example/d2",
             "3) A folding workbench", "https://shop.example/d3"]
    most_read = ["Most read", "1. Storm closes the harbour", "2. Council votes on the budget",
                 "3. Bridge reopens after repairs"]
    page = "\n\n".join([
        "Five gifts for people who fix things",
        "The shopping weekend is here, and with it discounts on the tools that people who repair their own "
        "homes keep asking for. These are the picks our reviewers would buy themselves this year.",
        "\n".join(picks),
        "Prices were checked on Friday morning and may have changed since, the shop said in a statement.",
        "\n".join(most_read),
    ])
    article = _extract_text(page)
    assert all(line in article.paragraphs for line in picks)
    assert not any(p.startswith(("1. Storm", "2. Council", "3. Bridge", "Most read")) for p in article.paragraphs)


def test_comment_headings_in_other_languages_end_the_article() -> None:
    for heading in ("Deixe uma resposta", "Deja un comentario", "Lascia un commento", "Laisser un commentaire",
                    "Kommentare (12)", "Comentários", "Reacties", "Komentarze (4)", "Комментарии", "コメント", "评论",
                    "댓글 3", "تعليقات"):
        assert rules.COMMENTS_HEADING.match(heading), heading
    assert not rules.COMMENTS_HEADING.match("Commentaires sur la réforme des retraites publiés par le ministère")


def test_a_comment_count_heading_ends_the_article() -> None:
    # "15 comments", "3 Kommentare": the count a thread is headed with, in any of the languages listed.
    comment = ("I was on the last ferry before they closed the port, and the waves were breaking over the pier "
               "wall the whole way across, so I am not surprised the repairs will take the rest of the month.")
    for heading in ("15 comments", "3 Kommentare", "2 Comentários"):
        assert rules.COMMENTS_HEADING.match(heading), heading
        page = "\n\n".join(["Storm closes the harbour", *STORY, heading, "Jane Reader", comment])
        article = _extract_text(page)
        assert article.paragraphs == STORY, heading


def test_an_embedded_post_inside_the_article_is_kept_and_a_social_bar_is_not() -> None:
    embed = ('<div class="social-media-embed"><blockquote class="twitter-tweet"><p>The harbour is closed until '
             'Friday, the port authority says; ferries will not run and the pier is unsafe.</p></blockquote></div>')
    social_bar = '<div class="social-links"><a>Follow us on Facebook</a><a>Follow us on Instagram</a></div>'
    page = HTML_PAGE.replace("<aside class=\"related\">", embed + social_bar + "<aside class=\"related\">")
    article = extract(RawDocument.from_bytes("coast/storm.html", page.encode(), datetime.now(UTC)))
    assert isinstance(article, Article)
    text = " ".join(article.paragraphs)
    assert "the port authority says; ferries will not run" in text
    assert "Follow us on" not in text


def test_figures_do_not_make_a_sentence_look_like_a_headline() -> None:
    assert rules.title_case_ratio("Spot gold XAU= added 0.1% to $1,472.19 an ounce.") < 0.7
    assert rules.title_case_ratio("Copper CMCU3 rose 0.86% to $5,880.00 a tonne.") < 0.7
    assert rules.title_case_ratio("10 Things Investors Should Know Before The 2020 Vote") > 0.8


def test_see_more_prompts_are_link_prompts() -> None:
    assert rules.PROMPT.match("SEE MORE: Hong Kong protests: 800 students under siege in university")
    assert rules.PROMPT.match("See more: the council's full report")
    assert not rules.PROMPT.match("Seemore Street was closed to traffic on Monday")


def test_an_untitled_article_starts_at_the_lines_leading_into_its_first_paragraph() -> None:
    """No headline matches the article's words, so the article starts at its first paragraph, or above
    it at the sentence-case intro lines set without a final stop."""
    intro = ["The county council this morning approved the sale of the old harbour warehouses to a housing trust",
             "This has freed the way for the long delayed move of the Sailing Club to Westbay"]
    page = "\n".join([
        "Home", "News", "Sport",
        "UPDATE: Vote On Quayside Plan",
        "",
        "Local Desk March 05, 2024",
        *intro,
        "Councillors voted by a large majority after a debate that lasted most of the session.",
        "Tenants are expected within two years, once the buildings are rebuilt.",
        "Tags:",
        "- Facebook",
    ])
    article = _extract_text(page)
    assert article.paragraphs[:2] == intro
    assert not any(p in ("Home", "News", "Sport", "Tags:") for p in article.paragraphs)


def test_a_sentence_may_end_with_an_emoji_after_its_stop() -> None:
    assert rules.ends_sentence("We hope to see you at the theatre soon! 🙂")
    assert rules.ends_sentence("The crowd sang along to every song. 🎶🎶")
    assert not rules.ends_sentence("Check them out below ⬇️")


def test_share_widgets_and_contact_notices_are_furniture() -> None:
    for prompt in ("Sharing is caring!", "Sukai ini:", "Compartilhe isso:", "Gefällt mir:",
                   "Tempo de leitura: 2 minutos", "5 min read"):
        assert rules.PROMPT.match(prompt), prompt
    for notice in ("Get the latest updates right in your inbox. Subscribe to Example.com’s newsletters.",
                   "Have a tip? Jane Doe may be reached at jdoe@example.com. Follow her on Twitter.",
                   "Please log in using one of these methods to post your comment:",
                   "I agree that Example Sports can send me the Morning Briefing newsletter.", "Thanks for signing up!",
                   "Keep an eye on your inbox for the latest news.", "There was an error processing your subscription.",
                   "His book is out now. Follow him on Twitter @example.",
                   "Need more? Subscribe to our sister title for the latest news.",
                   "Example Sports is a registered trademark of Example Broadcasting Inc."):
        assert rules.is_site_notice(notice), notice
    for reporting in ("Sharing the cost of the bridge was agreed by both councils on Monday.",
                      "The mayor could not be reached for comment on Tuesday evening.",
                      "I agree with the minister that the plan needs more time, the mayor said.",
                      "Fans can follow the race on television or on the club's website.",
                      "Fans who follow her on Instagram saw the video before it was taken down."):
        assert not rules.PROMPT.match(reporting) and not rules.is_site_notice(reporting), reporting


def test_a_social_post_quoted_in_the_article_is_kept_with_its_signature() -> None:
    post = ["Sharing the full letter I sent to the court before the sentencing.",
            "We must apply compassion to criminal justice. pic.twitter.com/abc123"]
    signature = "— Jane Example (@janeexample) November 19, 2019"
    page = "\n\n".join([
        "Lawmaker asks court for compassion in threats case",
        "The lawmaker asked for compassion at the sentencing of a man convicted of threatening her life, in a "
        "letter she posted online on Tuesday.",
        "\n".join(post),
        signature,
        "The judge is expected to deliver the sentence on Friday, the court's clerk said in a statement.",
        "Tags: courts, congress",
    ])
    article = _extract_text(page)
    assert [*post, signature] == [p for p in article.paragraphs if p in (*post, signature)]


def test_the_standfirst_between_headline_and_byline_is_not_the_article() -> None:
    standfirst = "Port workers say the closure could last a week. But the authority expects to reopen sooner."
    paragraphs = ["The harbour authority closed the port on Tuesday after a storm damaged two piers and sank a "
                  "fishing boat, officials said.",
                  "Ferries to the islands were cancelled until Friday, and the coast guard asked residents to stay "
                  "away from the sea front."]
    page = "\n\n".join(["Storm closes the harbour", standfirst, "By Jane Reporter\nMarch 5, 2024", *paragraphs])
    assert _extract_text(page).paragraphs == paragraphs
    # With no byline or date under it, the first paragraph below the headline is the article's.
    page = "\n\n".join(["Storm closes the harbour", standfirst, *paragraphs])
    assert _extract_text(page).paragraphs == [standfirst, *paragraphs]
    # A paragraph opened by a wire dateline is the report itself, above a date line or not.
    lead = "LONDON (Reuters) — " + paragraphs[0]
    page = "\n\n".join(["Storm closes the harbour", lead, "Updated March 5, 2024", *paragraphs[1:], standfirst])
    assert _extract_text(page).paragraphs[0] == lead
    # No headline line, and "By" alone over the name: the article would start at the standfirst.
    article = _extract_text("\n\n".join(["Menu", standfirst, "By\nJane Reporter", *paragraphs]))
    assert article.paragraphs == paragraphs
    assert article.byline is None  # "By" alone names no one
    # A date further down heads something else: a one-paragraph post above its readers' comments.
    post = paragraphs[0] + " The harbour master said the divers would start work as soon as the sea was calm."
    comments = [f"Reader {n}\nMarch {n + 5}, 2024 | Permalink\nI saw the waves from the ferry, they were huge."
                for n in range(1, 5)]
    page = "\n\n".join(["Storm closes the harbour", post, "4 Comments", *comments])
    assert _extract_text(page).paragraphs[:1] == [post]


def test_the_authors_note_ends_the_article() -> None:
    paragraphs = STORY
    note = "Jane Doe is a freelance writer living in Westbay who covers the coast for the paper."
    teasers = ["Scientists say a new formula tells how old your dog is in human years, with a little maths.",
               "A village bakery has won the national bread prize for the third year running, its owners said."]
    page = "\n\n".join(["Storm closes the harbour", *paragraphs, note, *teasers])
    assert _extract_text(page).paragraphs == paragraphs
    # Above the article, such a line is no end: the article has not started.
    page = "\n\n".join(["Storm closes the harbour", note, *paragraphs])
    assert _extract_text(page).paragraphs[-5:] == paragraphs
    # Nor is it where the story goes on below it: a report about the reporter.
    about = "Jane Doe is a veteran correspondent who reported on the harbour storm and the damaged piers."
    more = ["The harbour authority said the repairs to the piers and the harbour wall would start on Monday.",
            "The fishing crews and the ferries will use the old quay until the damaged piers are rebuilt."]
    page = "\n\n".join(["Storm closes the harbour", *paragraphs, about, *more])
    assert _extract_text(page).paragraphs == [*paragraphs, about, *more]


def test_html_prose_outside_the_articles_container_is_not_the_article() -> None:
    paragraphs = STORY[:3]
    promo = "Welcome to the Daily Deals, your source for the best offers on the things you actually want."
    page = ('<html><body><div class="wrap"><h1>Storm closes the harbour</h1><div class="story">'
            + "".join(f"<p>{p}</p>" for p in paragraphs) + '</div></div><div class="intro"><p>' + promo
            + "</p></div></body></html>")
    article = extract(RawDocument.from_bytes("coast/storm.html", page.encode(), datetime.now(UTC)))
    assert isinstance(article, Article)
    assert article.paragraphs == paragraphs


def test_a_short_closing_sentence_ends_the_article() -> None:
    paragraphs = [
        "The harbour authority closed the port on Tuesday after a storm damaged two piers and sank a fishing "
        "boat, officials said.",
        "Ferries to the islands were cancelled until Friday, and the coast guard asked residents to stay away "
        "from the sea front.",
        "The inquiry resumes on Monday.",
    ]
    page = "\n\n".join(["Storm closes the harbour", *paragraphs, "Most Read Stories", "Sign up"])
    assert _extract_text(page).paragraphs == paragraphs


def test_comment_moderation_notices_and_guillemet_links_are_furniture() -> None:
    for notice in ("ATENÇÃO: Comentários com textos ofensivos não serão aprovados pelo moderador.",
                   "Comments will be moderated before they appear."):
        assert rules.is_site_notice(notice), notice
    assert not rules.is_site_notice("The company said comments on the page were moderated by volunteers.")
    lines = lines_from_text("» Coluna do editor\n»Das ist ein Zitat«, sagte sie.")
    assert [(ln.text, ln.list_item) for ln in lines] == [("Coluna do editor", True),
                                                        ("»Das ist ein Zitat«, sagte sie.", False)]


def test_privacy_dialogs_and_squashed_headline_lists_are_furniture() -> None:
    assert rules.is_site_notice("If you have any questions about our Privacy Policy, please contact us.")
    assert not rules.is_site_notice("The regulator said the company's privacy policy broke the law.")
    assert not rules.is_site_notice("“Our privacy policy is clear about this,” a spokesman for the bank said.")
    assert rules.is_squashed_list("1 Old photo sparks theories 2 Aides left notes for staffers 3 Harbour "
                                  "closes after the storm 4 Council votes on the budget")
    for line in ("1 Ana Lindqvist 4820 6 2 15 22", "1) A cordless drill with two batteries",
                 "The vote was 1 to 2 and then 3 to 4 after the recount."):
        assert not rules.is_squashed_list(line), line


def test_an_author_box_heading_ends_the_article() -> None:
    from newsdedup.extract.lines import _is_author_heading

    assert _is_author_heading("About the author", "")
    assert _is_author_heading("Sobre Marta Souza", "Mãe de dois filhos, Marta Souza é professora.")
    # A sub-heading that names someone the next paragraph is not about is no author box.
    assert not _is_author_heading("About Hong Kong", "Protesters stayed in the university overnight.")
    assert not _is_author_heading("About Jane Doe", "The council met on Monday to discuss the budget.")


def test_an_interviews_short_answers_are_kept() -> None:
    paragraphs = [
        "We sat down with the new harbour master to ask about the storm, the repairs and what comes next for "
        "the port's ferries.",
        "Q: Favourite place on the coast?", "A: The Old Lighthouse at Westbay",
        "Q: What will the repairs cost?",
        "A: Several million euros, and most of the winter, because the divers can only work on calm days.",
    ]
    page = "\n\n".join(["Meet the harbour master", *paragraphs, "Most Read Stories"])
    assert _extract_text(page).paragraphs == paragraphs


def test_html_hover_cards_inside_a_paragraph_are_not_the_article() -> None:
    card = ('<span class="rollover-people-block"><a>Jane Doe</a><a>Harbour master resigns after storm</a>'
            '<a>Council votes on the budget</a></span>')
    page = HTML_PAGE.replace("after a storm damaged", f"after a storm <a>Jane Doe</a>{card} damaged")
    article = extract(RawDocument.from_bytes("coast/storm.html", page.encode(), datetime.now(UTC)))
    assert isinstance(article, Article)
    assert "after a storm Jane Doe damaged two piers" in " ".join(article.paragraphs)
    assert "resigns" not in " ".join(article.paragraphs)


def test_a_recipes_ingredients_and_steps_are_kept_and_a_link_list_is_not() -> None:
    ingredients = ["8 ripe pears, cored and peeled", "1/2 tsp ground cloves", "2 cups honey"]
    steps = ["Fill the canner with water and set it to simmer.", "Add the honey and boil until it thickens.",
             "Remove the jars from the canner and allow them to cool."]
    links = ["15 Amazing Images of Stars", "Our Favourite Jam Recipes", "Subscribe to the Magazine"]
    intro = ("This spiced pear jam is sweetened with honey instead of sugar, and it keeps for a year in a cool "
             "cupboard once the jars are sealed.")
    outro = "The jam will set within two days; if it stays runny, boil it again with a little more pectin."
    page = "\n\n".join(["Spiced honey pear jam", intro, "Ingredients", "\n".join(f"- {i}" for i in ingredients),
                        "Instructions", "\n".join(f"- {s}" for s in steps), "More recipes",
                        "\n".join(f"- {li}" for li in links), outro])
    paragraphs = _extract_text(page).paragraphs
    assert all(line in paragraphs for line in ingredients + steps)
    assert not any(line in paragraphs for line in links)
    # A deals post: each pick's buy line carries its price.
    picks = ["A cordless drill with two batteries", "- Get it at the hardware shop for $89.99",
             "A folding workbench", "- Get it online for $45"]
    page = "\n\n".join(["Deals for people who fix things", intro, *picks, outro, "More recipes",
                          "\n".join(f"- {li}" for li in links)])
    paragraphs = _extract_text(page).paragraphs
    assert "Get it at the hardware shop for $89.99" in paragraphs and "Get it online for $45" in paragraphs


def test_a_tables_heading_row_goes_with_its_rows() -> None:
    prose = ("The final standings after thirty-six races left the champion only five points clear of his "
             "team-mate, the closest finish the series has seen in more than a decade.")
    rows = ["Pos. Driver Points Wins Poles", "1 Ana Lindqvist 4820 6 2", "2 Tomas Berger 4815 4 1",
            "3 Mia Okafor 4790 3 3"]
    page = "\n\n".join(["Standings settle a close season", prose, "\n".join(rows), "Most Read", "Sign up"])
    assert _extract_text(page).paragraphs == [prose, *rows]


def test_html_layout_whitespace_is_dropped_but_word_spaces_between_inline_elements_stay() -> None:
    from newsdedup.extract.html import parse_html

    lines, _ = parse_html("<html><body>\n  <div>\n    <p>The <b>harbour</b>\n    <a>closed</a>\n    on Tuesday.</p>"
                          "\n    <ul>\n      <li>Home</li>\n      <li>News</li>\n    </ul>\n  </div>\n</body></html>")
    assert [ln.text for ln in lines] == ["The harbour closed on Tuesday.", "Home", "News"]


def test_lines_in_alike_places_share_a_path_whichever_element_holds_them() -> None:
    from newsdedup.extract.html import parse_html

    lines, _ = parse_html(
        "<html><body><div class='story'><p>The harbour closed on Tuesday after the storm.</p>"
        "<p>Two piers were damaged and a boat sank.</p></div>"
        "<ol class='notes'><li class='note n-101'><p>Glad nobody was hurt.</p><p>Stay safe.</p></li>"
        "<li class='note n-102'><p>The piers were old anyway.</p></li></ol></body></html>")
    line = {ln.text: ln for ln in lines}
    story, note = line["The harbour closed on Tuesday after the storm."], line["Glad nobody was hurt."]
    assert story.path == line["Two piers were damaged and a boat sank."].path != note.path
    # Two notes are two blocks (two groups) in one place (one path): figures in class names do not count.
    other_note = line["The piers were old anyway."]
    assert note.group != other_note.group and note.path == other_note.path == line["Stay safe."].path


def test_a_long_published_and_updated_line_is_the_pages_date() -> None:
    assert rules.is_date_line("PUBLISHED: November 19, 2019 at 8:59 pm | UPDATED: November 19, 2019 at 10:16 pm")
    assert not rules.is_date_line("The council met on November 19, 2019 at 8 pm to vote on the budget for the "
                                  "harbour, the ferries and the new quay, officials said")


@pytest.mark.parametrize(("text", "day"), [
    ("Publicado em 7 de novembro de 2012", date(2012, 11, 7)),
    ("7 de noviembre de 2012, 10:15", date(2012, 11, 7)),
    ("Aktualisiert am 7. März 2012", date(2012, 3, 7)),
    ("le 1er janvier 2013 à 08h00", date(2013, 1, 1)),
    ("7 luglio 2012", date(2012, 7, 7)),
    ("7 ноября 2012 г.", date(2012, 11, 7)),
    ("2012年11月7日 10:15", date(2012, 11, 7)),
    ("2012년 11월 7일", date(2012, 11, 7)),
    ("Sept. 3, 2012", date(2012, 9, 3)),
])
def test_dates_are_read_with_month_names_of_many_languages(text: str, day: date) -> None:
    assert rules.find_date(text) == day
    assert rules.is_date_line(text)


def test_english_words_that_abbreviate_a_month_elsewhere_are_no_date() -> None:
    assert rules.find_date("He bought the set 12, 2012 edition out 5, 2012") is None


def _tree(soup: Any) -> list[tuple[Any, ...]]:
    """Every node in document order, with its parent, siblings and attributes, and checks that the links
    between them are those of one tree (what BeautifulSoup's navigation and extract() rely on).
    BeautifulSoup's own builder keeps the doctype and bare boolean attributes as ""; the fast one leaves
    the doctype out and gives such attributes their name (lxml's tree), as browsers read them."""
    from bs4 import Doctype, Tag

    nodes = [n for n in soup.descendants if not isinstance(n, Doctype)]
    for node in nodes:
        siblings = node.parent.contents
        at = next(k for k, sibling in enumerate(siblings) if sibling is node)
        assert node.previous_sibling is (siblings[at - 1] if at else None)
        assert node.next_sibling is (siblings[at + 1] if at + 1 < len(siblings) else None)
    first = soup.contents[0] if soup.contents else None
    chain = [n for n in [first, *first.next_elements] if not isinstance(n, Doctype)] if first is not None else []
    assert len(chain) == len(nodes) and all(a is b for a, b in zip(chain, nodes, strict=True))
    assert first is None or first.previous_element is None
    return [("tag", n.name, {k: v or k for k, v in n.attrs.items()}, n.parent.name, n.can_be_empty_element)
            if isinstance(n, Tag) else (type(n).__name__, str(n), n.parent.name)
            for n in nodes if isinstance(n, Tag) or n.parent.name != "[document]" or n.strip()]


def test_the_fast_html_builder_builds_the_same_tree_as_beautifulsoups_own() -> None:
    from bs4 import BeautifulSoup

    from newsdedup.extract.html import _soup

    svg = ('<html xmlns:og="http://ogp.me/ns#"><body><p class="a b" data-x="1" xml:lang="en">Text <a href="/x" '
           'hidden>link</a></p><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
           '<use xlink:href="#i"></use></svg><p>After &amp; <b>bold</b></p></body></html>')
    odd = ('<!DOCTYPE html><!-- before --><html><head><style>p { x: 1 }</style><script>var a = "<p>";</script>'
           '</head><body><pre>  two\n  lines </pre><template><p>later</p></template><p>A<br>B <!-- note --> '
           '<input type="checkbox" checked> C</p><?php echo 1; ?></body></html>\u200b\n<!-- after -->')
    deep = "<html><body>" + "<div>" * 300 + "<p>Below lxml's tree depth</p>" + "</div>" * 300 + "</body></html>"
    for page in (HTML_PAGE, svg, odd, deep, "<p>unclosed <div>nested <span>deep", "just text", ""):
        stock = BeautifulSoup(page, "lxml", multi_valued_attributes=None)
        assert _tree(_soup(page)) == _tree(stock)
    strings = {type(n).__name__ for n in _soup(odd).descendants if isinstance(n, str)}
    assert {"Comment", "Stylesheet", "Script", "TemplateString"} <= strings


def test_a_page_nested_past_lxmls_depth_is_built_no_deeper_with_every_element_and_string_in_order() -> None:
    """Unclosed tags nest a page as deep as it is long; every walk up such a tree made reading it
    quadratic (a 2 MB page of unclosed <div>s with a sentence each took 90 s). Past lxml's depth the
    tree is flattened, as a browser's parser does: the same elements and strings, in page order."""
    from bs4 import BeautifulSoup

    page = "<html><body>" + "".join(f'<div class="c{n}"><p>Sentence {n} <b>bold {n}</b> tail {n}' for n in range(1500))
    built, stock = html._soup(page), BeautifulSoup(page, "lxml")
    assert max(len(list(tag.parents)) for tag in built.find_all(True)) <= html._LXML_MAX_DEPTH
    assert max(len(list(tag.parents)) for tag in stock.find_all(True)) > 1500  # (what the stock builder makes)
    assert [tag.name for tag in built.find_all(True)] == [tag.name for tag in stock.find_all(True)]
    assert list(built.strings) == list(stock.strings)
    assert _tree(built)  # one consistent tree
    article = extract(RawDocument.from_bytes("deep.html", page.encode(), datetime(2026, 1, 1, tzinfo=UTC), "text/html"))
    assert isinstance(article, Article) and "Sentence 1499 bold 1499 tail 1499" in " ".join(article.paragraphs)


def _prose_by_get_text(soup: Any) -> dict[int, int]:
    """The paragraph-length text per element as first written: every <p>'s get_text and every long string
    outside a <p>, added to each of its ancestors (a walk up the tree per paragraph)."""
    from bs4 import NavigableString, Tag

    prose: dict[int, int] = {}
    for node in soup.descendants:
        chars = 0
        if isinstance(node, Tag) and node.name == "p":
            chars = len(node.get_text(" ", strip=True))
        elif isinstance(node, NavigableString) and all(parent.name != "p" for parent in node.parents):
            chars = len(node.strip())
        if chars >= 80:
            for element in [node, *node.parents] if isinstance(node, Tag) else node.parents:
                prose[id(element)] = prose.get(id(element), 0) + chars
    return prose


def test_prose_per_element_is_counted_in_one_walk_as_get_text_reads_it() -> None:
    long = "The harbour authority said on Tuesday that the new ferry terminal would open in the spring."
    page = (f"<html><body><div id='a'><p>{long}</p><p>  {long[:50]}  <b> {long[50:]} </b><!-- a note --></p>"
            f"<div><br>{long} {long}<br><p>short</p></div></div><p>Outer <p>nested {long}</p> and {long}"
            f"<ruby>漢<rt>{long}</rt></ruby></p><section><p><![CDATA[{long}]]> after</p>{long}</section></body></html>")
    edge = "<p>" + "x" * 26 + " <i>" + "y" * 26 + "</i> " + "z" * 26 + "</p>"  # 78 letters, 80 read with spaces
    for markup in (page, HTML_PAGE, "<p>" * 40 + long * 3, edge):
        soup = html._soup(markup)
        prose, _, _ = html._prose_and_furniture(soup, {})
        expected = _prose_by_get_text(soup)
        assert expected and {k: v for k, v in prose.items() if v} == expected


def test_what_never_shows_is_never_built_and_the_text_around_it_stays() -> None:
    from newsdedup.extract.html import _soup

    page = ('<html><head><script type="application/ld+json">{"headline": "H"}</script><script>var a;</script>'
            '</head><body><p>One <script>x()</script>two <!-- note -->three<svg><g><text>svg</text></g></svg> four'
            '</p><noscript><p>Enable scripts</p></noscript><p>Five</p></body></html>')
    soup = _soup(page, frozenset({"script", "svg", "noscript"}))
    assert [p.get_text() for p in soup.find_all("p")] == ["One two three four", "Five"]
    assert [s.string for s in soup.find_all("script")] == ['{"headline": "H"}']  # the page's metadata
    assert not soup.find_all(string=lambda text: isinstance(text, Comment)) and not soup.find("svg")
    assert _tree(soup)  # one consistent tree


def test_teasers_are_never_the_article_when_its_own_story_was_missed() -> None:
    """A page whose own text the rules do not take for prose (a list of dates) leaves its teasers of
    other stories ("... — report" over the snippet it cuts short) as the only prose on it: they are
    still teasers, and the fallback to the densest text does not bring them back."""
    teasers = [
        "A new cycle path opens along the river after two — report",
        "A new cycle path opens along the river after two years of talks with residents and shop owners "
        "along the route, the council said.",
        "Scientists say a new formula tells how old your — report",
        "Scientists say a new formula tells how old your dog is in human years, with a little maths and a "
        "lot of data from veterinary records.",
    ]
    page = "\n\n".join([
        "Festival weekends",
        "November 17th to 18th, 2012: Launch and main event in the valley",
        "November 23rd to 25th, 2012: Featured region: the hot springs",
        "Other News at The Ledger", *teasers,
    ])
    item = extract(RawDocument.from_bytes("page.txt", page.encode(), datetime.now(UTC), "text/plain"))
    paragraphs = item.paragraphs if isinstance(item, Article) else []
    assert not any(p in teasers for p in paragraphs), paragraphs


def test_a_prompt_carrying_a_date_is_furniture_not_the_articles_date() -> None:
    """"Also on …" over a teaser dated another day is a prompt: it neither dates the article nor, taken
    for its date line, makes the paragraphs above it a standfirst to drop."""
    page = "\n\n".join([
        "Storm closes the harbour", *STORY[:2],
        "Also on example.com Posted on October 12th, 2012 • 23 Comments — report",
        *STORY[2:],
    ])
    article = _extract_text(page)
    assert article.paragraphs == STORY
    assert article.published is None


def test_a_posts_taxonomy_classes_do_not_make_it_furniture() -> None:
    # Category and tag slugs are the author's words: a post filed under "promo" or "social media" is no
    # promo box or share bar, even beside a comment thread holding more text than the post.
    paragraphs = STORY[:2]
    comments = "".join(f'<div class="comment"><p>{"I was on the ferry that morning and saw the waves. " * 3}</p></div>'
                       for _ in range(6))
    for classes in ("post hentry category-promo-videos tag-harbour", "entry entry-category-social_media"):
        page = (f'<html><body><h1>Storm closes the harbour</h1><div class="{classes}">'
                + "".join(f"<p>{p}</p>" for p in paragraphs) + f'</div><div id="comments">{comments}</div>'
                "</body></html>")
        article = extract(RawDocument.from_bytes("coast/storm.html", page.encode(), datetime.now(UTC)))
        assert isinstance(article, Article), classes
        assert article.paragraphs == paragraphs, classes


def test_a_short_post_marked_as_the_article_wins_over_a_long_sidebar() -> None:
    # Blog platforms wrap the post in a "widget" like their sidebars; the hAtom class (hentry) or schema.org
    # microdata (itemprop articleBody) names the article, so the longer profile beside it is furniture.
    post = ["The harbour reopened this morning, two weeks after the storm that damaged both piers.",
            "Ferries to the islands run on the winter timetable until the end of the month."]
    profile = "".join(f"<p>I have written about ships and the sea for twenty years, mostly {topic}.</p>"
                      for topic in ("about ferries and fishing boats on the northern coast",
                                    "about lighthouses, harbours and the people who keep them running",
                                    "about storms, rescues and the crews of the lifeboat stations"))
    for marker in ('class="post hentry"', 'itemprop="articleBody"'):
        page = (f'<html><body><div class="widget Blog"><h3>Harbour reopens</h3><div {marker}>'
                + "".join(f"<p>{p}</p>" for p in post) + '</div></div><div class="sidebar section">'
                f'<div class="widget Profile">{profile}</div></div></body></html>')
        article = extract(RawDocument.from_bytes("blog/harbour.html", page.encode(), datetime.now(UTC)))
        assert isinstance(article, Article), marker
        assert article.paragraphs == post, marker
    # A reader's comment marked up as an article inside the post it answers (as HTML5 suggests) is not
    # the article: the post is, and the comment section inside it stays furniture.
    comment = "I took the ferry on the first morning after the storm and the crossing was calm, thank goodness."
    page = ('<html><body><article><h1>Harbour reopens</h1>' + "".join(f"<p>{p}</p>" for p in STORY)
            + f'<section class="comments"><article><p>{comment}</p></article></section></article>'
            '</body></html>')
    lines, _ = parse_html(page)
    assert [line.text for line in lines if line.text in STORY] == STORY
    assert not any(comment in line.text for line in lines)


def test_class_names_written_as_one_word_say_what_they_hold() -> None:
    # "commentlist", "postcomments", "sidebarwidget": a name written as one word still says comments or
    # sidebar; a plural ("articles", a list of them) or a longer word ("printable") is not the listed word.
    comment = "I took the ferry on the first morning after the storm and the crossing was calm, thank goodness."
    teaser = "Lifeboat crews rescued four sailors off the northern cape on Sunday after their yacht lost its mast."
    for comments, sidebar in (("commentlist", "sidebarwidget"), ("postcomments", "recentwidget")):
        page = ('<html><body><h1>Storm closes the harbour</h1><div class="entrybody">'
                + "".join(f"<p>{p}</p>" for p in STORY) + f'</div><ol class="{comments}">'
                + "".join(f"<li><p>{comment} Reader {n}.</p></li>" for n in range(4)) + f'</ol><div class="{sidebar}">'
                + "".join(f"<p>{teaser} Story {n}.</p>" for n in range(3)) + "</div></body></html>")
        article = extract(RawDocument.from_bytes("coast/storm.html", page.encode(), datetime.now(UTC)))
        assert isinstance(article, Article), comments
        assert article.paragraphs == STORY, comments
    assert html._class_marks("commentlist", "") & 4 and html._class_marks("", "sidebarwidget") & 1
    assert not html._class_marks("articles", "") & 2 and not html._class_marks("printable", "") & 1


def test_an_article_shown_twice_on_its_page_is_extracted_once() -> None:
    # A print or mobile copy beside the page's own: the repeated run goes. A paragraph the article itself
    # repeats (a refrain) stays, and so does a run it repeats further down (a meal plan's days).
    refrain = "The sea gives and the sea takes, the fishermen say, and this week it took more than it gave."
    body = [STORY[0], refrain, *STORY[1:4], refrain]
    page = ('<html><body><h1>Storm closes the harbour</h1><div class="story">'
            + "".join(f"<p>{p}</p>" for p in body) + '</div><div class="copy">'
            + "".join(f"<p>{p}</p>" for p in body) + "</div></body></html>")
    text = "\n\n".join(["Storm closes the harbour", *body, *body])
    day = ["Breakfast is porridge with a spoon of honey and a handful of berries from the market.",
           "Lunch is a bowl of fish soup with bread, and an apple eaten on the walk back to work.",
           "Dinner is grilled mackerel with potatoes and a salad of tomatoes, onions and parsley."]
    plan = [*STORY[:2], *day, STORY[2], *day]
    planned = "<html><body><h1>A week of harbour meals</h1>" + "".join(f"<p>{p}</p>" for p in plan) + "</body></html>"
    for name, raw, expected in (("coast/storm.html", page, body), ("coast/storm.txt", text, body),
                                ("coast/meals.html", planned, plan)):
        article = extract(RawDocument.from_bytes(name, raw.encode(), datetime.now(UTC)))
        assert isinstance(article, Article), name
        assert article.paragraphs == expected, name


def test_a_small_run_of_body_lines_set_apart_from_the_article_is_dropped() -> None:
    # The article: four lines of 20 words. Below it, past dropped lines, one more kept line (an author's
    # note, a comment the model kept). It goes when it is under 15 % of the article's words and set apart
    # by five dropped lines or more holding 40 words or more; otherwise it stays.
    def after(gap: list[int], kept: int) -> list[str]:
        labels = ["title", *["body"] * 4, *["drop"] * len(gap), "body"]
        lines._drop_stray_runs(labels, [8, *[20] * 4, *gap, kept])
        return labels[-1:]

    assert after([10] * 5, 10) == ["drop"]
    assert after([10] * 4, 10) == ["body"]  # four lines apart: a caption or a pull quote inside the article
    assert after([5] * 5, 10) == ["body"]  # five short lines apart: a share bar, not another block
    assert after([10] * 5, 12) == ["body"]  # 15 % of the article's words: a part of it


def test_a_short_post_under_a_long_comment_thread_is_the_article() -> None:
    # Two readers wrote five paragraphs each: the thread holds most of the page's prose, too much to be set
    # aside by its label alone, and once named the article's container, the post falling outside it and
    # lost. The post's own prose outside the thread is the container now: the article opens with it.
    post = STORY[:2]
    reply = ("I took the ferry on the first morning after the storm and the crossing was calm, but the pier "
             "at the island end was closed and we waited an hour in the rain for a smaller boat to take us in.")
    page = ('<html><body><h1>Storm closes the harbour</h1><div class="main"><div class="text">'
            + "".join(f"<p>{p}</p>" for p in post) + '</div><ol class="commentlist">'
            + "".join('<li class="comment"><div class="comment-text">'
                      + "".join(f"<p>{reply} Part {k} of reader {n}.</p>" for k in range(5)) + "</div></li>"
                      for n in range(2)) + "</ol></div></body></html>")
    article = extract(RawDocument.from_bytes("coast/storm.html", page.encode(), datetime.now(UTC)))
    assert isinstance(article, Article)
    assert article.paragraphs[:2] == post


def test_parsing_pauses_the_cycle_collector_and_leaves_it_as_it_found_it() -> None:
    import gc

    page = "<html><body><div><p>The harbour reopened on Friday after the storm.</p></div></body></html>"
    assert gc.isenabled()
    lines, _ = parse_html(page)
    assert gc.isenabled() and [ln.text for ln in lines] == ["The harbour reopened on Friday after the storm."]
    gc.disable()
    try:
        parse_html(page)
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()
    with pytest.raises(TypeError):
        parse_html(None)  # type: ignore[arg-type]
    assert gc.isenabled()  # back on after a page that fails


def test_a_parsed_page_leaves_no_cycles_for_the_collector() -> None:
    """The tree and the parts removed from it are unlinked once read: freed at once, never walked again
    by the cycle collector as garbage (thousands of objects a page when they were left to it)."""
    import gc

    page = ("<html><head><title>Harbour</title><script>var x = 1;</script></head><body><nav><a href='/'>Home</a>"
            "</nav>" + "".join(f"<div class='post'><p>The harbour reopened on day {n} after the storm, and the "
                               f"ferries ran to the island again.</p><a href='/n{n}'>More</a></div>"
                               for n in range(100)) + "<!-- a comment --><footer>Contact</footer></body></html>")
    parse_html(page)  # the per-line caches filled
    gc.collect()
    gc.disable()  # (else the collector may run before it is asked, and find what is asked about)
    try:
        lines, _ = parse_html(page)
        unreachable = gc.collect()
    finally:
        gc.enable()
    assert len(lines) > 100
    assert unreachable < 100  # the tree: over 1,000
