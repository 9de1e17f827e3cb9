"""The promoted candidates of a one-shot study as a table: terminal (rich) and HTML.

One row per promoted architecture (B0 last): its supernet score, and its stand-alone accuracy and
reward as mean ± std over the seeds; the winner is starred. Under the table, the search's own
sentence about the winner against B0 (:func:`nas.search.promotion.verdict`).
"""

from __future__ import annotations

import html
from typing import Any

from nas.search.promotion import Promoted, Promotion, verdict
from results.formatting import number

#: Column headers of the promoted table (the HTML one adds the stages).
HEADERS: tuple[str, ...] = (
    "trial",
    "role",
    "MACs",
    "supernet acc.",
    "stand-alone acc. (mean ± std)",
    "reward (mean ± std)",
    "seeds",
)
TITLE = "Promoted candidates: stand-alone training over seeds (winner ★ chosen here)"


def _spread(mean: float, std: float, n: int) -> str:
    if not n:
        return "—"
    return f"{number(mean, '.2%')} ± {number(std, '.2%')}"


def _reward_spread(p: Promoted) -> str:
    if not p.rewards:
        return "—"
    return f"{p.mean_reward:.4f} ± {p.std_reward:.4f}"


def promotion_rows(promotion: Promotion) -> list[list[str]]:
    """The table's cells as plain text, one row per promoted architecture."""
    rows = []
    for p in promotion.promoted:
        star = " ★" if promotion.winner is not None and p.arch_code == promotion.winner.arch_code else ""
        seeds = ",".join(str(s) for s in p.seeds)
        rows.append(
            [
                f"#{p.source_trial}{star}",
                "ref" if p.role == "reference" else p.role,
                number(p.macs / 1e6, ".1f", "M") if p.macs else "—",
                number(p.supernet_accuracy, ".2%"),
                _spread(p.mean_accuracy, p.std_accuracy, len(p.accuracies)),
                _reward_spread(p),
                f"{len(p.rewards)}/{len(p.seeds)} ({seeds})",
            ]
        )
    return rows


def promotion_table(promotion: Promotion) -> Any:
    """The rich table of the terminal report, the verdict as its caption."""
    from rich.table import Table

    table = Table(title=TITLE, title_justify="left", caption=verdict(promotion), caption_justify="left")
    for name in HEADERS:
        table.add_column(name, justify="left" if name in ("trial", "role") else "right", no_wrap=True)
    for row in promotion_rows(promotion):
        table.add_row(*row)
    return table


def supernet_history_table(history: Any) -> Any | None:
    """The supernet's training curve per epoch (largest and smallest candidate), or ``None``."""
    from rich.table import Table

    if not len(history):
        return None
    table = Table(title="Supernet training (largest / smallest candidate)", title_justify="left")
    for name in ("epoch", "loss", "train acc.", "val acc.", "lr", "time"):
        table.add_column(name, justify="right", no_wrap=True)
    for r in history.to_dict("records"):
        table.add_row(
            number(r["epoch"], ".0f"),
            f"{number(r['largest_loss'], '.3f')} / {number(r['smallest_loss'], '.3f')}",
            f"{number(r['largest_train_acc'], '.2%')} / {number(r['smallest_train_acc'], '.2%')}",
            f"{number(r['largest_val_acc'], '.2%')} / {number(r['smallest_val_acc'], '.2%')}",
            number(r["lr"], ".3g"),
            number(r["train_s"], ".1f", "s"),
        )
    return table


def promotion_html(promotion: Promotion) -> str:
    """The HTML section body: the table (``id="promoted"``) and the verdict under it."""
    head = "".join(
        f'<th class="{"" if name in ("trial", "role") else "num"}">{html.escape(name)}</th>'
        for name in HEADERS
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"" if i < 2 else "num"}">{html.escape(cell)}</td>' for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in promotion_rows(promotion)
    )
    note = html.escape(verdict(promotion))
    return (
        f'<table id="promoted"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        f'<p class="note verdict">{note}</p>'
    )


__all__ = [
    "HEADERS",
    "TITLE",
    "promotion_html",
    "promotion_rows",
    "promotion_table",
    "supernet_history_table",
]
