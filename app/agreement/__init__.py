"""Inter-annotator agreement and label aggregation for one interface field.

Pure functions over ``(item_key, annotator_key, value)`` triples: no web, no
database. ``statistics.field_agreement`` gives the per-field agreement report;
``aggregation`` turns answers into one label per item.
"""
