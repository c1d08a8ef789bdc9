"""One module per command of the CLI, each with one public function that reads as its stages.

The functions take a :class:`~adrgen.config.Config` (or a folder, for ``init``) and return
what they did; they print nothing. :mod:`adrgen.cli` parses the arguments, calls them, prints
their reports, and turns an :class:`~adrgen.errors.AdrgenError` into an exit code.
"""
