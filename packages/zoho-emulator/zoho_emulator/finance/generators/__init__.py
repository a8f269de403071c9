"""Record builders, one module per business area; each is a pure function of its index."""
