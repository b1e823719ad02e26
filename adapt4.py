import os
from newsdedup.config import Settings
from newsdedup.evaluation import dedup_pages
def run(docs):
    return dedup_pages(docs, Settings().replace(paragraph_similarity=float(os.environ["PS"]), min_overlap_paragraphs=int(os.environ["MO"])))
