"""The Segments page's views: which segment, then one function per tab (members,
composition, builder, export, all segments). pages/segments.py draws the open tab."""
