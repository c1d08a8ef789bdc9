"""Records: a YAML file read, checked, and turned into the model every other part uses.

* :mod:`~adrgen.records.loader`: YAML with a line and column on every value; duplicate keys,
  alias bombs, size and encoding limits refused;
* :mod:`~adrgen.records.format`: the record format (pydantic models, and the JSON Schema
  from them), and how statuses are read;
* :mod:`~adrgen.records.validate`: every check, reported all at once, per record and across
  records;
* :mod:`~adrgen.records.model`: the validated decisions, in number order;
* :mod:`~adrgen.records.quantities`, :mod:`~adrgen.records.load_model`: numbers with units,
  and the load each option puts on a system, computed from the requirements.
"""
