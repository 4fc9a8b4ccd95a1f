"""preprocess: two text views per tweet, one for the encoder and one for keywords."""

from tweet_topics.io.atomic import atomic_dir
from tweet_topics.io.datasets import read_frames, write_frames
from tweet_topics.params import load_section
from tweet_topics.paths import PREPARED, PREPROCESSED
from tweet_topics.stage import run_stage
from tweet_topics.text.cleaner import TweetCleaner, handle_words
from tweet_topics.text.views import text_views


def main() -> None:
    params = load_section("preprocess")
    cleaner = TweetCleaner(language=params["language"], handles=params["handles"])
    frames = read_frames(PREPARED)
    for frame in frames.values():
        frame["embedding_text"], frame["keyword_text"] = text_views(cleaner, frame["text"].tolist())
        # the brand's handle as keywords ("spotify care"), so topic keywords can leave brand names out
        brand_keywords = {brand: cleaner.keyword_view(handle_words(brand)) for brand in frame["brand"].unique()}
        frame["brand_keywords"] = frame["brand"].map(brand_keywords)
    with atomic_dir(PREPROCESSED) as tmp:
        write_frames(tmp, frames)


if __name__ == "__main__":
    run_stage("preprocess", main)
