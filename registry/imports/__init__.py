"""Imports from the notice's regular sources (issue 19): files of organisations, persons,
orders, consent events and activities, validated, written all or nothing, with a rejects
report.

reading   the file's format detected and said; rows streamed
checks    the registry's validators with fast paths, and the checks they lack
base      columns, the staging table, the run's context, shared by every kind
matching  set-based refusals, matching and counts over the staging table
persons, organisations, events (orders, activities), consents: one kind each
suppressed  who may not be re-added or re-granted (the one place that asks)
plan      the kinds, the source, the header mapped; the preview
run       one import: validate, stage, match, write
rejects   the rejects report
runs      the runs listed
informing   Art. 14: persons to be told of data from a third party
"""
