"""The Requests page's views: the queue, the form to log a request, and one request's detail
with its workflow steps. pages/requests.py decides which to draw."""
