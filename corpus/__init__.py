"""The bundled corpus, installed as the package `citebot_corpus`: its .txt files and manifest are the data."""
