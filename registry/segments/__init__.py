"""Marketing segments: built-in and saved segments, their sizes, composition and members.

A segment is a definition (registry.filters): filters that all hold. Built-in segments are
derived from the registry (lifecycle, order value, geography, engagement, industry,
position); saved ones live in the `segment` table with their owner.

A segment built on orders or behaviour is profiling ("purchasing, transaction and location
information ... used for profiling", the notice): persons who withdrew from or objected to
profiling are left out of it, its counts and its exports at once (Art. 21(3), Art. 7(3)).
A member is targetable on a channel when a basis the declaration allows for their
relationship holds (registry.marketing_basis: consent with evidence, the soft opt-in, a
work-role contact, legitimate interests for post and calls), they have not withdrawn or
objected, and the registry holds the contact detail the channel sends to.

Counting a million persons reads consent_state in one hash join per statement, never a probe
per person: each person's statuses aggregated into bit masks over the purposes.

The modules: `membership` (the persons of a segment, in SQL), `catalogue` (built-in and saved
segments), `saving`, `counting` (sizes and targetable members), `composition` (the charts),
`member_list` (one page of members).
"""
