"""``sparkwing models show``: a model card for people (``--json`` prints the card itself)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparkwing.cli import _console as console

if TYPE_CHECKING:
    from sparkwing.registry import ModelVersion


def show_card(mv: ModelVersion) -> None:
    """The card for people: facts, metrics labelled holdout/cv, leaderboard, lineage, artifacts."""
    card = mv.card
    say = console.out.print
    say(f"[bold]{mv.name}[/] version {mv.version}  ({mv.uri})", highlight=False)
    shown = {"task": card.task, "target": card.target, "algorithm": card.algorithm, "classes": card.classes,
             "threshold": card.threshold, "created": card.created}
    for key, value in shown.items():
        if value is not None:
            say(f"  {key}: {value}", highlight=False, markup=False)
    sel = card.selection
    if sel.split:
        split = sel.split
        how = str(split.get("policy"))
        if how == "ratio":
            how += f" {split.get('ratio')} seed {split.get('seed')}"
            how += " stratified" if split.get("stratify") else ""
        asked = split.get("requested")
        asked = f" (asked: {asked})" if asked not in (None, split.get("policy")) else ""
        reason = f" - {split['reason']}" if split.get("reason") else ""
        say(f"  split: {how}{asked}{reason}", highlight=False, markup=False)
    on = card.metrics.basis()
    ranked = "holdout" if (card.leaderboard_metrics_on() == "holdout") else "cv"
    if sel.sort_metric or sel.promote_metric:
        say(f"  sort metric: {sel.sort_metric or 'H2O default'} ({ranked})    promote metric: "
            f"{sel.promote_metric or 'no promote rule'}" + (f" ({on})" if sel.promote_metric and on else ""),
            highlight=False, markup=False)
    say(f"  calibration: {sel.calibration}" + (
        f"; {sel.zero_probability_rows} judged row(s) gave the true class p = 0"
        if sel.zero_probability_rows else ""), highlight=False, markup=False)
    rows = card.rows
    for basis, figures, note in (("holdout", card.metrics.holdout, f"{rows.holdout:,} rows never trained on"
                                  if rows.holdout else "rows never trained on"),
                                 ("cv", card.metrics.cv, "cross-validation on the training rows")):
        if figures:
            say(f"  metrics ({basis}: {note}):", highlight=False, markup=False)
            for k, v in figures.items():
                say(f"    {basis} {k}: {v:.6g}", highlight=False, markup=False)
    if card.leaderboard:
        board_on = card.leaderboard_metrics_on()
        board_on = "cv" if board_on == "cross-validation" else board_on
        say(console.leaderboard_table(card.leaderboard, f"leaderboard ({len(card.leaderboard)} models)",
                                      top=10, metrics_on=board_on))
    lin = card.lineage
    if lin.run_id or lin.sources or lin.tables:
        head = f"run {lin.run_id}" if lin.run_id else "run not recorded"
        if lin.pipeline:
            head += f" of pipeline {lin.pipeline}"
        if lin.spec_hash:
            head += f", spec {lin.spec_hash[:12]}"
        say(f"  lineage: {head}", highlight=False, markup=False)
        for t in lin.tables:
            at = f" version {t.version}" if t.version else ""
            say(f"    table {t.name}{at}" + (f" ({t.rows:,} rows)" if t.rows is not None else ""),
                highlight=False, markup=False)
        for src in lin.sources:
            facts = [x for x in (src.format, f"{src.files} file(s)" if src.files is not None else None,
                                 f"{src.rows_read:,} rows read" if src.rows_read is not None else None,
                                 f"{src.rows_quarantined:,} quarantined" if src.rows_quarantined else None,
                                 f"signature {src.signature[:12]}" if src.signature else None) if x]
            line = f"    source {src.name or ''} {src.uri or ''}".rstrip()
            say(line + (f" ({', '.join(facts)})" if facts else ""), highlight=False, markup=False)
    feats = card.features
    say(f"  features ({len(feats)}): " + ", ".join(
        f"{f.name}:{f.type}" for f in feats[:30]) + (" ..." if len(feats) > 30 else ""),
        highlight=False, markup=False)
    for name, info in card.artifacts.items():
        say(f"  artifact {name}: sha256 {info.sha256[:16]}...", highlight=False, markup=False)
