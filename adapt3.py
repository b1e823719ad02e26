import os
from datetime import UTC, datetime
from newsdedup.config import ExtractionSettings
from newsdedup.documents import RawDocument
from newsdedup.extract import extract
S = ExtractionSettings(teaser_cohesion=float(os.environ["TC"]))
def text(page):
    a = extract(RawDocument.from_bytes("p.txt", page.encode(), datetime.now(UTC), "text/plain"), S)
    return "\n".join(getattr(a, "paragraphs", []))
