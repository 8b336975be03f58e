"""The Breaches page's views: the clocks and the register, the form to record a breach, and
one breach's detail (its decisions, who was affected, its documents, its history).
pages/breaches.py decides which to draw."""
