"""Glue's ML transforms' module name: importable, so a script fails where it calls one, with
the reason (they run on AWS's service only), not at its imports."""
