"""Evaluation of explanations: synthetic ground truth, attribution metrics, explainers, runs.

Modules: :mod:`.synthetic` (benchmarks with known attributions), :mod:`.metrics` (faithfulness,
monotonicity, infidelity, deletion/insertion, ground-truth agreement), :mod:`.explainers` (INN's
own contributions, SHAP, LIME, IG, EBM, random), :mod:`.bias` (leak detection),
:mod:`.runner` (one benchmark run) and :mod:`.tables` (Markdown tables from the results tree).
"""
