"""Imports from the notice's regular sources (issue 19): files of organisations, persons,
orders, consent events and activities, validated, written all or nothing, with a rejects
report.

reading   the file's format detected and said; rows streamed
checks    the registry's validators with fast paths, and the checks they lack
base      columns, the staging table, set-based matching shared by every kind
persons, organisations, events (orders, activities), consents: one kind each
suppressed  who may not be re-added or re-granted (the one place that asks)
run       one import: plan, validate, stage, match, write; the runs listed
informing   Art. 14: persons to be told of data from a third party
"""
