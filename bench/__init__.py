"""The scale benchmark: a data generator and measurements against targets (`make bench`).

See `bench/run.py` for what is measured and `bench/generate.py` for the data.
"""
