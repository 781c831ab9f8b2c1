"""Reads of the read models for the API and the command line, through the ``reports`` views."""
