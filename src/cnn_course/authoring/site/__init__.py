"""``cnn-course site DIR``: the course as a static website, readable before anything is installed.

Each chapter's page is the chapter as handed out (exercise cells show their scaffolds) with
the figures and printed results of one full run of its solution on the default path, kept in
``site/runs/`` by ``cnn-course run NN --site``. The home page comes from ``site/index.md``.
Sphinx with MyST-NB (the engine of Jupyter Book 1) renders them; math becomes MathML, so the
pages need no script from the network.

- :mod:`.runs`: keeping a run for the site and finding out whether it still matches the chapter
- :mod:`.pages`: one chapter's page: the release's cells with the run's outputs
- :mod:`.home`: the home page's table of chapters
- :mod:`.mathml`: Sphinx renders ``$...$`` as MathML
- :mod:`.build`: the whole site, written with Sphinx
"""
