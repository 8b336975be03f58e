"""The Import page's views, one per tab: a file's import, the imports made, and the persons
to be told of data from a third party. pages/imports.py draws the open tab."""
