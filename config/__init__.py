"""Configuration every other package may read: the settings and the logging setup.

It depends on nothing else of this project.
"""
