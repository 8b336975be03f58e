"""What the pages draw: one module per view, and widgets.py, the widgets pages share.

Page scripts in pages/ stay short routers: they check the role, read what to show and call
the functions here. Views call registry/ for every figure and write; they hold no SQL.
"""
