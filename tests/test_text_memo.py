"""The memo and fixed-point helper every cleaning rule uses: computed once, bounded, and settling."""

from tweet_topics.text.memo import Memo, settle


def test_memo_computes_each_key_once_and_empties_itself_at_its_limit():
    calls = []
    memo = Memo(lambda key, depth=0: calls.append((key, depth)) or key.upper(), limit=2)
    assert [memo["a"], memo["a"], memo["b"]] == ["A", "A", "B"] and calls == [("a", 0), ("b", 0)]
    assert memo["c"] == "C" and dict(memo) == {"c": "C"}  # full at two entries: emptied before the third
    assert memo.lookup("d", 3) == "D" and memo.lookup("d", 5) == "D" and calls[-1] == ("d", 3)
    assert memo.get("e") is None and "e" not in memo  # get() is a plain lookup


def test_settle_stops_at_a_fixed_point_when_done_or_after_its_rounds():
    assert settle(lambda n: min(n + 1, 5), 0, 10) == 5
    assert settle(lambda n: n + 1, 0, 3) == 3
    assert settle(lambda n: n + 1, 0, 10, done=lambda n: n >= 4) == 4
