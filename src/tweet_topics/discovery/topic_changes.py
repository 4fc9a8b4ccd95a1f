"""What a retrain changed against the accepted topics, as markdown: for the report and the retrain pull request."""

from tweet_topics.discovery.descriptions import display_name


def changes_markdown(changes: dict, topics: dict) -> str:
    """Topics kept, new, split, merged, changed and gone; names and merges that found no topic."""
    by_id = {topic["topic"]: topic for topic in topics["topics"]}

    def shown(topic_id) -> str:
        topic = by_id.get(int(topic_id))
        return f"{topic_id} ({display_name(topic)})" if topic else str(topic_id)

    if changes.get("reference_note"):
        lines = [f"No accepted topics to compare with: {changes['reference_note']}", ""]
    elif not any(changes[key] for key in ("kept", "split", "merged", "changed", "gone")):
        lines = ["No accepted topics to compare with (topics/reference.json): every topic is new. After review,"
                 " `tweet-topics topics accept` and commit, so the next retrain keeps these ids.", ""]
    else:
        lines = [f"Against the accepted topics: {len(changes['kept'])} kept their id, {len(changes['new'])} new,"
                 f" {len(changes['split'])} split, {len(changes['merged'])} merged, {len(changes['changed'])}"
                 f" changed, {len(changes['gone'])} gone.", ""]
        rows = ([f"| split | {old} | {', '.join(shown(t) for t in new)} |" for old, new in changes["split"].items()]
                + [f"| merged | {old} | {shown(new)} |" for old, new in changes["merged"].items()]
                + [f"| changed | {old} | {shown(new)} |" for old, new in changes["changed"].items()]
                + [f"| gone | {old} | - |" for old in changes["gone"]]
                + [f"| new | - | {shown(new)} |" for new in changes["new"]])
        if rows:
            lines += ["| what | accepted topic | now |", "|---|---|---|", *rows, ""]
    if changes.get("names_without_topic"):
        lines += ["Names in topics/names.yaml for topics that no longer exist: "
                  + ", ".join(f"{topic} ({name})" for topic, name in changes["names_without_topic"].items()), ""]
    if changes.get("merge_ids_without_topic"):
        lines += ["Topics in a merge of topics/names.yaml that no longer exist: "
                  + ", ".join(str(topic) for topic in changes["merge_ids_without_topic"]), ""]
    if changes.get("merges_applied"):
        merged = [" + ".join(str(topic) for topic in group) + f" -> {shown(group[0])}"
                  for group in changes["merges_applied"]]
        lines += ["Merged as topics/names.yaml asks: " + "; ".join(merged), ""]
    return "\n".join(lines)
