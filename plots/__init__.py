"""Figures and tables of the INN experiments.

``plots.comparison`` draws the benchmark comparison from a results tree alone (no torch);
``plots.explanations`` fits an INN and draws its explanations; ``plots.style`` holds the
colours shared by every figure.
"""
