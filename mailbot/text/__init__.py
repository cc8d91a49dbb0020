"""Reading what people wrote: categories, rudeness, knowledge base, roles, requests."""
