"""The observatory's registers: benefit recipients, beneficiary households, registered unemployed, by
municipality and period.

- :mod:`~spatial_poverty.registers.spec`: how a pipeline declares them (``sources.registers``, ``registers:``);
- :mod:`~spatial_poverty.registers.read`: one file, checked (encodings, Greek headers, periods, counts);
- :mod:`~spatial_poverty.registers.place`: on the 2021 municipalities (crosswalk, names), totals kept;
- :mod:`~spatial_poverty.registers.rates`: rates per 1,000, Empirical Bayes, disclosure control;
- :mod:`~spatial_poverty.registers.trends`: change, trend, emerging hot spots, LISA Markov;
- :mod:`~spatial_poverty.registers.analysis`: all of it for one register (the Python API);
- :mod:`~spatial_poverty.registers.importing`: ``spatial-poverty data import``;
- :mod:`~spatial_poverty.registers.synthetic`: demonstration files on the real municipalities, labelled SYNTHETIC.
"""
