"""Small invented news pages for the URL, outlet and story tests: distinct stories, and HTML pages that
name their site in the ways pages do (og:site_name, JSON-LD publisher, canonical URL)."""

from __future__ import annotations

import json

STORIES = {
    "bridge": [
        "The city council voted on Tuesday to close the old river bridge to lorries after engineers found "
        "cracks in two of its supporting piers during a routine inspection last month.",
        "Drivers of heavy vehicles will have to take the ring road from next week, a detour the haulage "
        "association said would add about twenty minutes to every crossing of the valley.",
        "Repairs are expected to take most of the summer, and the council has asked the regional government "
        "for help with a bill its finance office puts at close to four million euros.",
    ],
    "orchestra": [
        "The youth orchestra of the northern province will tour three Asian capitals in the autumn, its "
        "director announced at a crowded press conference in the conservatory's main hall on Friday.",
        "Ninety musicians aged between fourteen and twenty-one were chosen from more than six hundred "
        "applicants after auditions that ran for five weekends across the province's largest towns.",
        "The tour is paid for by a foundation set up by a former violinist of the orchestra, who said she "
        "wanted young players to hear how differently audiences abroad listen to the same symphonies.",
    ],
    "harvest": [
        "Grape growers in the southern valleys began the harvest ten days earlier than usual this year after "
        "a dry and unusually warm spring pushed the ripening of the vines well ahead of the calendar.",
        "Cooperatives said yields would be lower than last season but that the quality of the fruit picked "
        "so far was excellent, with high sugar levels and very little sign of disease in the vineyards.",
        "Seasonal workers arrived from neighbouring regions in smaller numbers than growers had hoped, and "
        "several estates said they had raised the daily wage to keep pickers for the whole harvest.",
    ],
    "library": [
        "The national library will open its reading rooms on Sunday afternoons from the first week of next "
        "month, answering a petition signed by nearly twelve thousand students and retired researchers.",
        "The extra hours are paid for by moving part of the budget for new furniture, the library's director "
        "said, adding that the chairs bought fifteen years ago could well last a few more winters.",
        "Staff unions agreed to the change after the management promised that Sunday shifts would be "
        "voluntary, paid at a higher rate, and shared out fairly between the departments every quarter.",
    ],
    "ferry": [
        "A new electric ferry entered service between the two harbour towns on Monday, replacing a diesel "
        "vessel that had carried passengers and cars across the narrow strait for almost forty years.",
        "The ferry charges its batteries at both quays during the ten minutes it takes to unload and load, "
        "and the operator expects it to save about two thousand tonnes of fuel over a normal year.",
        "Islanders who depend on the crossing for work and school said the first days had gone smoothly, "
        "although the timetable now leaves a longer gap between the last two sailings of the evening.",
    ],
    "museum": [
        "The maritime museum has recovered a ship's bell stolen from its collection twenty years ago, after "
        "a collector abroad recognised it in an auction catalogue and contacted the police.",
        "The bronze bell, cast for a merchant schooner that sank off the cape in the eighteen-nineties, will "
        "go back on display in the spring once conservators have cleaned and examined it.",
        "Investigators said they had not yet established how the bell left the country, and that the "
        "collector, who bought it in good faith, had agreed to return it without asking for compensation.",
    ],
}


def news_page(story: str, *, canonical: str | None = None, site_name: str | None = None,
              publisher: str | None = None, furniture: tuple[str, ...] = (), title: str | None = None,
              published: str | None = None, paragraphs: list[str] | None = None) -> bytes:
    """An article page: the story's paragraphs inside <article>, and what the page says of itself.
    `furniture`: short lines a site prints on its pages, after the article's paragraphs (`paragraphs`
    in place of the story's own, for a page that copies or mixes stories)."""
    head = [f"<title>{title or story.title()} news</title>"]
    if canonical:
        head.append(f'<link rel="canonical" href="{canonical}">')
    if published:
        head.append(f'<meta property="article:published_time" content="{published}">')
    if site_name:
        head.append(f'<meta property="og:site_name" content="{site_name}">')
    if publisher:
        ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title or story.title(),
              "publisher": {"@type": "Organization", "name": publisher}}
        head.append(f'<script type="application/ld+json">{json.dumps(ld)}</script>')
    body = "".join(f"<p>{p}</p>" for p in (STORIES[story] if paragraphs is None else paragraphs))
    extra = "".join(f"<p>{line}</p>" for line in furniture)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">{"".join(head)}</head><body>'
            f"<article><h1>{title or story.title()}</h1>{body}{extra}</article></body></html>").encode()


def text_page(story: str, furniture: tuple[str, ...] = ()) -> bytes:
    """The same story as flattened text, with a site's furniture lines around it."""
    lines = [*furniture[:1], story.title(), "", *(f"{p}\n" for p in STORIES[story]), *furniture[1:]]
    return "\n".join(lines).encode()
