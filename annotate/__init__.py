"""annotate: claim and fact-check annotation, from news articles to training data."""

__version__ = "0.1.0"
