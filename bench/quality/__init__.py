"""Answer quality across corpora of different kinds, with held-out question halves. `python -m bench.quality`."""
