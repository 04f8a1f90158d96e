"""The command-line programs, importable wherever the package is installed.

Each module has ``build_parser()``, ``main(argv)`` and ``entry()`` (the exit code): the console
commands of ``pyproject.toml`` call ``entry``, and the files of the same names at the top of a
checkout (``python main_experiment.py ...``) run it too.

=================  ===============================  =================================
command            module                           in a checkout
=================  ===============================  =================================
``inn-train``      :mod:`.main_experiment`          ``python main_experiment.py``
``inn-baseline``   :mod:`.baseline_experiment`      ``python baseline_experiment.py``
``inn-xai``        :mod:`.xai_experiment`           ``python xai_experiment.py``
``inn-benchmark``  :mod:`.run_benchmark`            ``python run_benchmark.py``
=================  ===============================  =================================
"""
