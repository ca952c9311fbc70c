"""Returns: a period, a built `Return` (figures, disclosure status, findings) and its build."""
