"""preprocess: two text views per tweet, one for the encoder and one for keywords."""

from tweet_topics.io.atomic import atomic_dir
from tweet_topics.io.datasets import read_frames, write_frames
from tweet_topics.params import load_section
from tweet_topics.paths import PREPARED, PREPROCESSED
from tweet_topics.stage import run_stage
from tweet_topics.text.cleaner import handle_words
from tweet_topics.text.views import TextViews


def main() -> None:
    views = TextViews.from_params(load_section("preprocess"), "embedding", keywords=True)  # both views
    frames = read_frames(PREPARED)
    for frame in frames.values():
        frame["embedding_text"], frame["keyword_text"] = views.both(frame["text"].tolist())
        # the brand's handle as keywords ("spotify care"), so topic keywords can leave brand names out
        brand_keywords = {brand: views.cleaner.keyword_view(handle_words(brand)) for brand in frame["brand"].unique()}
        frame["brand_keywords"] = frame["brand"].map(brand_keywords)
    with atomic_dir(PREPROCESSED) as tmp:
        write_frames(tmp, frames)


if __name__ == "__main__":
    run_stage("preprocess", main)
