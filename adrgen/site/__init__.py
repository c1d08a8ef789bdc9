"""The decision site: pages made from the model, and the front ends that publish them.

* :mod:`~adrgen.site.pages`: every generated page (a decision's, the index, the graph, the
  tags), from Jinja templates; it imports no site builder;
* :mod:`~adrgen.site.markdown`: record Markdown rendered and sanitised, plain text escaped;
* :mod:`~adrgen.site.plugin`: the MkDocs plugin (``plugins: [adrgen]``), a thin adapter;
* :mod:`~adrgen.site.builders`: ``adrgen build`` and ``adrgen serve`` around MkDocs or
  Zensical, and the pages-only folder for builders that run no plugins.
"""
