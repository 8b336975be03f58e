"""The Persons page's views: the person's header, and one per tab (data, amendment form,
history with the Art. 19 follow-up). pages/persons.py finds the person and draws them."""
