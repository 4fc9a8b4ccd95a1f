from tweet_topics.cli import main

main()
