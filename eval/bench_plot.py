"""The bench chart: ours/theirs ratio per figure, and warm latency per question."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def draw_chart(rows: list[dict[str, Any]], query: dict[str, Any] | None, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    compared = [r for r in rows if r["ratio"] and r["better"] != "info"]
    fig, axes = plt.subplots(
        1, 2, figsize=(14, max(4, 0.45 * len(compared) + 1.5)), gridspec_kw={"width_ratios": [3, 2]}
    )
    ax = axes[0]
    good = [(r["ratio"] >= 1) == (r["better"] == "higher") for r in compared]
    ax.barh(
        [r["figure"] for r in compared],
        [r["ratio"] for r in compared],
        color=["#2a9d8f" if g else "#e76f51" for g in good],
    )
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("ours / theirs (log); green = ours better")
    ax.tick_params(axis="y", labelsize=8)
    for i, r in enumerate(compared):
        ax.text(r["ratio"], i, f" {r['ratio']:.2g}x", va="center", fontsize=8)
    ax = axes[1]
    if query:
        names = list(query)
        ax.boxplot([query[n]["samples_ms"] for n in names], vert=False, showfliers=False)
        ax.set_yticks(range(1, len(names) + 1), names, fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel("warm latency per question (ms, log)")
    fig.suptitle("news-rag vs plain llama-index (same corpus, weights, questions; one run)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
