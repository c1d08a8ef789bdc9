"""Appendix: reference implementations of options chosen in this repository's decisions.

Install with ``pip install adrgen[appendix]``. Nothing here is imported by the core pipeline.
"""
