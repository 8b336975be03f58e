"""The demo's data tables: accounts, places, texts and the rates things happen at. No code
that generates rows lives here."""
