"""The models compared by the experiments, one module per method, behind one interface.

:mod:`.base` holds the interface (:class:`~inn.baselines.base.Model`) and the helpers the
baselines share; :mod:`.networks` puts INN and TabResNet behind the same interface; every other
module holds one baseline and its Optuna search space. Methods are found through the registry,
:mod:`inn.methods`.
"""
