"""``effsearch baseline --strategy oneshot``: supernet, scoring search, promotion, winner.

The steps, each reusing ``commands.baseline``'s: check every flag (before anything is opened),
prepare storage and data, train or reuse the space's supernet (:mod:`commands.supernet`), run the
chosen sampler over candidates scored with inherited weights (``fidelity: supernet``), promote
the best ``--promote`` candidates and B0 to stand-alone training with ``--repeats`` seeds
(``fidelity: standalone``, :mod:`nas.search.promotion`), and write the winner -- chosen on the
stand-alone results -- to ``baseline.yaml``. The supernet does not depend on the target, so a
second run with another ``--target-flops`` reuses it and spends its time on scoring and promotion.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from search_spaces.errors import UserError

STRATEGIES = ("standalone", "oneshot")
#: Scored candidates of a default oneshot run: scoring costs a second or two each on two cores.
ONESHOT_TRIALS = 100
#: Without --n-trials and --timeout, scoring starts no candidate after this many seconds, so
#: supernet training, scoring and promotion stay near the README's 10-minute CPU budget.
ONESHOT_TIMEOUT_S = 120.0


def add_arguments(g: Any) -> None:
    """``--strategy``, ``--supernet-epochs``, ``--promote``, ``--repeats``."""
    from commands.flags import default
    from nas.oneshot.defaults import DEFAULT_SUPERNET_EPOCHS
    from nas.search.promotion import DEFAULT_PROMOTE, DEFAULT_REPEATS

    g.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="standalone",
        help="standalone: train every candidate on the proxy; oneshot: score candidates on a weight-sharing "
        "supernet, then train the best stand-alone",
    )
    g.add_argument(
        "--supernet-epochs",
        type=int,
        default=None,
        help=f"oneshot: supernet training epochs {default(str(DEFAULT_SUPERNET_EPOCHS))}",
    )
    g.add_argument(
        "--promote",
        type=int,
        default=None,
        help=f"oneshot: candidates trained stand-alone {default(str(DEFAULT_PROMOTE))}",
    )
    g.add_argument(
        "--repeats",
        type=int,
        default=None,
        help=f"oneshot: seeds per promoted candidate {default(str(DEFAULT_REPEATS))}",
    )


def check(args: argparse.Namespace) -> Any:
    """Every flag checked (the oneshot ones too), with the oneshot study name and budget."""
    from commands.baseline_checks import check_args, study_name_of
    from commands.supernet import check_numbers

    for flag, value, low in (("--promote", args.promote, 0), ("--repeats", args.repeats, 1)):
        if value is not None and not low <= value <= 100:
            raise UserError(f"{flag} must be within {low}..100, got {value}")
    check_numbers(args.supernet_epochs, None)
    if args.sampler == "nsga2":
        raise UserError(
            "--strategy oneshot promotes by reward: use tpe, random or rl (nsga2 has two objectives)"
        )
    if args.study is None:
        args.study = study_name_of(args)
    if args.n_trials is None and args.timeout is None:
        args.n_trials, args.timeout = ONESHOT_TRIALS, ONESHOT_TIMEOUT_S
    return check_args(args)


def _supernet(console: Any, args: argparse.Namespace, prep: Any) -> Any:
    from commands.supernet import settings_and_store, trained_supernet
    from nas.oneshot.defaults import DEFAULT_SUPERNET_EPOCHS

    args.kernel_transform = False
    epochs = args.supernet_epochs or DEFAULT_SUPERNET_EPOCHS
    space = prep.config.space
    settings, store = settings_and_store(args, space, prep.data, prep.proxy, epochs, prep.proxy.train_subset)
    store.check(settings)
    return trained_supernet(console, space, prep.data, settings, store, prep.device, prep.quiet)


def _evaluator(trained: Any, prep: Any) -> Any:
    from nas.oneshot.scoring import Scorer, SupernetEvaluator
    from nas.oneshot.training import recipe_of
    from nas.training.device import describe_device
    from nas.training.device_data import prepare

    recipe = recipe_of(trained.settings)
    scorer = Scorer(trained.supernet, prepare(prep.data, recipe, prep.device), recipe, seed=recipe.seed)
    return SupernetEvaluator(scorer, describe_device(prep.device))


def promotion_table(promotion: Any) -> Any:
    from rich.table import Table

    from nas.search.reward import format_flops

    table = Table(title="promoted: stand-alone proxy training over seeds (winner chosen here)")
    for name in ("arch", "role", "MACs", "supernet acc", "stand-alone acc", "reward", "seeds"):
        table.add_column(name)
    for p in promotion.promoted:
        mark = " ★" if promotion.winner is not None and p.arch_code == promotion.winner.arch_code else ""
        table.add_row(
            f"#{p.source_trial}{mark}",
            p.role,
            format_flops(p.macs),
            "-" if p.supernet_accuracy is None else f"{p.supernet_accuracy:.4f}",
            f"{p.mean_accuracy:.4f} ± {p.std_accuracy:.4f}",
            f"{p.mean_reward:.4f} ± {p.std_reward:.4f}",
            str(len(p.rewards)),
        )
    return table


def verdict(promotion: Any) -> str:
    """The plain sentence about the winner against the comparison (:func:`nas.search.promotion.verdict`)."""
    from nas.search.promotion import verdict as promotion_verdict

    return str(promotion_verdict(promotion))


def _promote(console: Any, args: argparse.Namespace, prep: Any, outcome: Any) -> Any:
    from nas.search.promotion import DEFAULT_PROMOTE, DEFAULT_REPEATS, Source, promote, to_promote
    from nas.training.trainer import evaluate
    from search_spaces.codes import arch_code

    k = DEFAULT_PROMOTE if args.promote is None else args.promote
    repeats = DEFAULT_REPEATS if args.repeats is None else args.repeats
    compare = prep.config.compare
    sources = [Source.of_trial(t) for t in to_promote(outcome.ranking, k, compare)]
    if compare is not None:
        sources.append(Source.of_comparison(compare, prep.config.num_classes, prep.config.in_channels))
    with_compare = f"{compare.name} included" if compare is not None else "no comparison: --compare none"
    count = f"{len(sources)} architecture(s) ({with_compare})"
    console.print(f"promoting {count} to stand-alone training x {repeats} seed(s)")

    kept: dict[str, tuple[Any, dict[str, Any]]] = {}  # arch code -> network trained with proxy.seed

    def train(arch: Any, seed: int) -> Any:
        keep: dict[str, Any] | None = {} if seed == prep.proxy.seed else None
        result = evaluate(arch, prep.data, prep.proxy, device=str(prep.device), seed=seed, keep=keep)
        if keep and result.status == "ok" and (compare is None or arch_code(arch) != compare.code):
            kept[arch_code(arch)] = (arch, keep)
        return result

    def on_run(code: str, seed: int, trial: Any) -> None:
        acc = trial.user_attrs.get("accuracy")
        console.print(f"  trial {trial.number}: seed {seed} accuracy {'-' if acc is None else f'{acc:.4f}'}")

    name = compare.name if compare is not None else "none"
    promotion = promote(
        outcome.study, sources, repeats, prep.proxy.seed, train, prep.config.reward, on_run, name
    )
    console.print(promotion_table(promotion))
    console.print(verdict(promotion))
    _keep_winner(promotion, kept, prep, checked_out(args, prep))
    return promotion


def checked_out(args: argparse.Namespace, prep: Any) -> Any:
    """``<out>/<study>/winner.pt`` (the folder was checked writable before the search)."""
    from pathlib import Path

    from commands.baseline_winner import WINNER_FILE

    return Path(args.out) / prep.config.study_name / WINNER_FILE


def _keep_winner(promotion: Any, kept: dict[str, Any], prep: Any, path: Any) -> None:
    """The promoted winner's weights from its first seed (``proxy.seed``), when trained by this run."""
    from commands.baseline_winner import save_weights

    winner = promotion.winner
    if winner is None or winner.arch_code not in kept:
        return
    arch, keep = kept[winner.arch_code]
    notes = {"study": prep.config.study_name, "arch_code": winner.arch_code, "seed": prep.proxy.seed}
    notes.update(dataset=prep.config.dataset, proxy=prep.proxy.name, accuracy=winner.accuracies[0])
    save_weights(path, arch, keep, prep, notes, None)


def _shim(p: Any, compare_name: str | None = None) -> Any:
    """A trial-shaped record of a promoted architecture's means (what baseline.yaml reads)."""
    attrs = {"arch_code": p.arch_code, "reward": p.mean_reward, "accuracy": p.mean_accuracy}
    attrs["compare_name"] = compare_name
    attrs.update(macs=p.macs, params=p.params)
    return SimpleNamespace(number=p.trials[0], user_attrs=attrs)


def run_oneshot(args: argparse.Namespace, baseline: Any) -> int:
    """The oneshot run; ``baseline`` is :mod:`commands.baseline`, whose steps it reuses (passed in,
    so the two modules do not import each other)."""
    from rich.console import Console

    from nas.studies.records import SUPERNET_HISTORY_KEY
    from nas.studies.storage_url import mask_secrets

    checked = check(args)
    prep = baseline.prepare(args, checked)
    console = Console(highlight=False)
    shown = mask_secrets(checked.storage_url)
    trained = _supernet(console, args, prep)
    prep = replace(prep, config=replace(prep.config, strategy="oneshot", supernet=trained.settings.to_dict()))
    baseline.describe(console, prep, shown)
    outcome, elapsed = baseline.search(console, prep, shown, evaluator=_evaluator(trained, prep))
    outcome.study.set_user_attr(SUPERNET_HISTORY_KEY, trained.history)
    baseline.summarise(console, outcome, checked, args.top, elapsed)
    if outcome.best is None:
        console.print(baseline.no_result_line(outcome, checked))
        return 1
    promotion = _promote(console, args, prep, outcome)
    if promotion.winner is None:
        return 1
    ref = _shim(promotion.reference, promotion.compare_name) if promotion.reference is not None else None
    chosen = replace(outcome, ranking=[_shim(promotion.winner)], reference=ref)
    return baseline.write_results(console, chosen, prep, checked, shown)


__all__ = [
    "ONESHOT_TIMEOUT_S",
    "ONESHOT_TRIALS",
    "STRATEGIES",
    "add_arguments",
    "check",
    "run_oneshot",
    "verdict",
]
