"""Code both functions use, shipped in each code package as ``shared/`` beside ``writer/`` or ``consumer/``.

Only standard-library imports belong here: anything else would have to come from the dependency layer, and a
change here rebuilds and redeploys both functions.
"""
